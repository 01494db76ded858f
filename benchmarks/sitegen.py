"""Synthetic Arabic news sites for benchmarks: N article pages served by the fixture web.

The texts are assembled from a phrase bank written for Marsad: relevant reports (contract,
negotiation, delivery, sanction, other) with every common spelling of S-400 and
Rosoboronexport, hard negatives (S-300, S-500, Patriot, "400 مليون", Rostec, Triumph
motorcycles) and plainly unrelated news (economy, sport, weather, technology, health).
A share of the articles are agency copies of earlier ones on another outlet, edited the
way outlets edit (own headline, an added lead, a dropped paragraph, "اقرأ أيضاً").

Everything is deterministic given ``seed`` and ``anchor``.

    python -m benchmarks.sitegen --n 2000 --selftest     # generate, serve, fetch all, print figures
    python -m benchmarks.sitegen --n 2000 --serve        # serve until Ctrl-C, print [[sources]]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

try:
    from tests.fixtureweb import FIXED_ANCHOR, ArticleSpec, Expected, FixtureWeb, default_outlets
except ModuleNotFoundError:  # run as a script from anywhere: the repo root holds tests/
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from tests.fixtureweb import FIXED_ANCHOR, ArticleSpec, Expected, FixtureWeb, default_outlets

# --- the phrase bank ---------------------------------------------------------------------------

S400 = [
    "إس-400",
    "«إس-400»",
    '"اس 400"',
    "إس ٤٠٠",
    "اس-400",
    "إس–400",
    "S-400",
    "إس400",
    '"إس-400 تريومف"',
    "تريومف إس-400",
]
ROE = [
    "«روس أوبورون إكسبورت»",
    "روس أبورون إكسبورت",
    "روسوبورون إكسبورت",
    '"روس اوبورون اكسبورت"',
    "روسوبورونإكسبورت",
]


@dataclass(frozen=True)
class Country:
    ar: str
    capital: str
    en: str


COUNTRIES = [
    Country("تركيا", "أنقرة", "Turkey"),
    Country("الهند", "نيودلهي", "India"),
    Country("الجزائر", "الجزائر العاصمة", "Algeria"),
    Country("مصر", "القاهرة", "Egypt"),
    Country("السعودية", "الرياض", "Saudi Arabia"),
    Country("العراق", "بغداد", "Iraq"),
    Country("فيتنام", "هانوي", "Vietnam"),
    Country("إندونيسيا", "جاكرتا", "Indonesia"),
    Country("بيلاروس", "مينسك", "Belarus"),
    Country("صربيا", "بلغراد", "Serbia"),
    Country("قطر", "الدوحة", "Qatar"),
]
OFFICIALS = [
    "مسؤول في وزارة الدفاع",
    "مصدر دبلوماسي مطلع",
    "متحدث باسم الحكومة",
    "نائب وزير الخارجية",
    "مصدر في قطاع الصناعات العسكرية",
    "رئيس لجنة الدفاع في البرلمان",
    "مستشار عسكري سابق",
]
ORDINALS = ["الأولى", "الثانية", "الثالثة", "الرابعة"]
CITIES = ["عمّان", "بيروت", "تونس", "الرباط", "الكويت", "مسقط", "الخرطوم", "دمشق"]
CLUBS = ["النجم", "الشعلة", "الاتحاد الرياضي", "الأهلي", "النهضة", "الوفاق", "الشروق", "الأمل"]

# (topic, template). {S} S-400 spelling, {R} Rosoboronexport, {C}/{K} buyer and capital,
# {O} official, {N} small number, {M} money, {Y} year, {ORD} ordinal.
LEADS = [
    ("contract", "وقعت {C} وروسيا عقداً لتوريد منظومات الدفاع الجوي {S}، بحسب ما أعلن {O} في {K}."),
    ("contract", "أعلنت {R} توقيع عقد مع {C} بقيمة {M} يشمل {N} بطاريات من منظومة {S}."),
    ("contract", "من المتوقع توقيع عقد توريد منظومة {S} إلى {C} خلال الأسابيع المقبلة، وفق {O}."),
    (
        "contract",
        'قال {O} إن "العقد الخاص بمنظومة {S} أبرم رسمياً"، وإن {C} ستدفع جزءاً من قيمته مقدماً.',
    ),
    ("negotiation", "تجري {C} محادثات مع موسكو بشأن شراء منظومة {S}، بحسب {O}."),
    ("negotiation", "قال {O} إن {R} تلقت طلباً رسمياً من {C} للحصول على منظومة {S}."),
    ("negotiation", "نفى {O} في {K} وجود خطط لشراء منظومة {S} الروسية في الوقت الراهن."),
    (
        "negotiation",
        "أبدت {C} اهتماماً بالحصول على منظومة {S}، وبحث وفد من {K} التفاصيل الفنية في موسكو.",
    ),
    (
        "delivery",
        "وصلت إلى {C} الدفعة {ORD} من مكونات منظومة {S}، وفق ما أعلنت وزارة الدفاع في {K}.",
    ),
    ("delivery", "أكد {O} أن تسليم منظومة {S} إلى {C} سيكتمل بحلول عام {Y}."),
    ("delivery", "بدأت روسيا تسليم {C} أفواج منظومة {S}، على أن تنشر الوحدات الأولى قرب {K}."),
    ("sanction", "هددت واشنطن بفرض عقوبات على {C} بموجب قانون كاتسا إذا مضت في شراء منظومة {S}."),
    ("sanction", "فرضت وزارة الخزانة الأمريكية عقوبات على مسؤولين في {C} على خلفية صفقة {S}."),
    ("sanction", "ناقش الكونغرس الأمريكي منح {C} إعفاءً من عقوبات كاتسا المرتبطة بشراء منظومة {S}."),
    ("other", "أجرت القوات الروسية تدريبات على استخدام منظومة {S} بمشاركة {N} طواقم قتالية."),
    ("other", "نشر الجيش الروسي فوجاً جديداً من منظومة {S} لحماية منشآت حيوية في جنوب البلاد."),
]
TITLES = {
    "contract": [
        "{C} توقع عقداً لشراء منظومة {S}",
        "توقيع وشيك لصفقة {S} بين موسكو و{K}",
        "{R}: عقد جديد لتوريد {S}",
    ],
    "negotiation": [
        "{C} تبحث مع موسكو شراء {S}",
        "مفاوضات بين {K} و{R} حول {S}",
        "{K} تنفي نيتها شراء {S}",
    ],
    "delivery": [
        "وصول الدفعة {ORD} من {S} إلى {C}",
        "روسيا تبدأ تسليم {S} إلى {C}",
        "جدول زمني جديد لتسليم {S} إلى {K}",
    ],
    "sanction": [
        "واشنطن تلوّح بعقوبات على {C} بسبب {S}",
        "عقوبات أمريكية جديدة مرتبطة بصفقة {S}",
        "الكونغرس يناقش إعفاء {C} من عقوبات {S}",
    ],
    "other": ["تدريبات روسية على منظومة {S}", "موسكو تعزز دفاعاتها الجوية بأفواج {S}"],
}
RELEVANT_BODY = [
    "وتعد منظومة {S} من أكثر أنظمة الدفاع الجوي تطوراً، إذ تستطيع رصد الأهداف على بعد 600 كيلومتر.",
    "وتقول {R} إن محفظة طلباتها الخارجية تجاوزت {N} مليارات دولار خلال العام الماضي.",
    "ويرى محللون أن الخطوة تعكس رغبة {C} في تنويع مصادر تسليحها بعيداً عن الموردين الغربيين.",
    "ولم تعلق وزارة الخارجية الأمريكية فوراً على هذه التصريحات.",
    'وقال {O} إن "التعاون العسكري مع موسكو لا يستهدف أي طرف ثالث".',
    "وسبق أن حصلت الصين وتركيا والهند على المنظومة الروسية بموجب عقود منفصلة.",
    "ويخشى حلف شمال الأطلسي من أن يؤدي تشغيل المنظومة إلى كشف خصائص الطائرات الغربية.",
    "وأوضح {O} أن المباحثات شملت التدريب والصيانة وتوطين إنتاج بعض المكونات.",
    "وتشمل كل كتيبة من المنظومة رادارات ومنصات إطلاق ومركز قيادة متنقلاً.",
]
BACKGROUND = [
    "وتأتي هذه التطورات في ظل توتر متصاعد تشهده المنطقة منذ أشهر.",
    "وكانت وسائل إعلام محلية قد تناولت الملف خلال الأسابيع الماضية من دون تأكيد رسمي.",
    "وتسعى حكومات المنطقة إلى تحديث قدراتها الدفاعية في مواجهة التهديدات الجوية المتزايدة.",
    "ويتابع مراقبون الملف عن كثب نظراً إلى انعكاساته على التوازنات الإقليمية.",
    "ولم يكشف الطرفان عن مزيد من التفاصيل حتى الآن.",
]
# Hard negatives: look-alikes that must not match.
LOOKALIKE = [
    "تسلمت {C} بطاريات إضافية من منظومة إس-300 الروسية في إطار صفقة قديمة.",
    "وقعت {C} عقداً بقيمة 400 مليون دولار لشراء رادارات إنذار مبكر.",
    "أعلنت واشنطن نشر بطاريات باتريوت إضافية لحماية قواعدها في المنطقة.",
    "قال مسؤول روسي إن منظومة إس-500 ستدخل الخدمة في القوات الروسية قريباً.",
    "أعلنت مؤسسة روستيخ الحكومية زيادة إنتاجها من الطائرات المدنية.",
    "طرحت شركة تريومف البريطانية طرازاً جديداً من دراجاتها النارية في أسواق {C}.",
    "وصلت إلى {C} طائرة نقل عسكرية من طراز إيرباص A400M في زيارة رسمية.",
    "اشترت {C} مقاتلات إف-16 محدثة ضمن برنامج لتحديث سلاحها الجوي.",
]
UNRELATED = {
    "economy": [
        "ارتفع المؤشر العام لبورصة {CITY} بنسبة {N}% في ختام تعاملات الأسبوع.",
        "قال البنك المركزي إن معدل التضخم تراجع إلى {N}% على أساس سنوي.",
        "سجلت صادرات {C} غير النفطية نمواً ملحوظاً خلال الربع الأخير.",
        "توقع صندوق النقد الدولي تحسن معدلات النمو في المنطقة العام المقبل.",
        "أعلنت الحكومة حزمة حوافز لدعم المشروعات الصغيرة والمتوسطة.",
    ],
    "sports": [
        "فاز فريق {CLUB} على ضيفه {CLUB2} بنتيجة {N} مقابل هدف في الدوري المحلي.",
        "أعلن الاتحاد المحلي لكرة القدم جدول مباريات الموسم الجديد.",
        "تأهل منتخب {C} إلى الدور نصف النهائي من البطولة العربية.",
        "أكد المدرب أن فريقه يستعد جيداً للمواجهة المقبلة رغم الإصابات.",
        "احتشدت الجماهير في المدرجات لمساندة اللاعبين حتى صافرة النهاية.",
    ],
    "weather": [
        "توقعت هيئة الأرصاد ارتفاعاً في درجات الحرارة على معظم مناطق {C}.",
        "دعت السلطات المواطنين إلى توخي الحذر بسبب الرياح النشطة والغبار.",
        "يسود طقس معتدل خلال النهار يميل إلى البرودة ليلاً في المرتفعات.",
        "سجلت محطات الرصد هطول أمطار غزيرة على المناطق الساحلية.",
    ],
    "tech": [
        "أطلقت شركة ناشئة في {CITY} تطبيقاً لتسهيل حجز المواعيد الطبية.",
        "أعلنت وزارة الاتصالات توسيع تغطية شبكات الجيل الخامس.",
        "ارتفع عدد مستخدمي الدفع الإلكتروني بنسبة كبيرة خلال العام الجاري.",
        "نظمت جامعة {CITY} مسابقة للبرمجة بمشاركة مئات الطلاب.",
    ],
    "health": [
        "أعلنت وزارة الصحة في {C} إطلاق حملة وطنية للتطعيم ضد الإنفلونزا.",
        "افتتح مستشفى جديد في {CITY} بطاقة استيعابية تبلغ {N}00 سرير.",
        "حذر أطباء من الإفراط في استخدام المضادات الحيوية من دون وصفة طبية.",
        "أكدت دراسة محلية أهمية النشاط البدني في الوقاية من أمراض القلب.",
    ],
}
UNRELATED_TITLES = {
    "economy": [
        "بورصة {CITY} تغلق على ارتفاع",
        "تراجع التضخم في {C}",
        "حوافز جديدة للمشروعات الصغيرة",
    ],
    "sports": [
        "{CLUB} يتغلب على {CLUB2}",
        "منتخب {C} إلى نصف النهائي",
        "انطلاق الموسم الكروي الجديد",
    ],
    "weather": ["ارتفاع درجات الحرارة في {C}", "أمطار غزيرة على الساحل", "تحذير من الرياح والغبار"],
    "tech": ["تطبيق جديد من {CITY} للمواعيد الطبية", "توسيع شبكات الجيل الخامس"],
    "health": ["حملة وطنية للتطعيم في {C}", "مستشفى جديد في {CITY}"],
    "lookalike": [
        "{C} تعزز دفاعاتها بمنظومات إس-300",
        "صفقة بـ400 مليون دولار لرادارات الإنذار المبكر",
        "باتريوت إضافية لحماية القواعد الأمريكية",
        "إس-500 تقترب من دخول الخدمة",
        "تريومف تطلق دراجة نارية جديدة",
    ],
}
ADDED_LEADS = [
    "تتواصل التطورات في ملف صفقات الدفاع الجوي الروسية، وفي ما يلي أبرز ما أعلن اليوم.",
    "(وكالات) - في تطور جديد يتعلق بصادرات السلاح الروسية إلى المنطقة:",
    "نقلت وكالات الأنباء تفاصيل جديدة عن الملف الذي يثير اهتماماً دولياً واسعاً.",
]
READ_ALSO = [
    "اقرأ أيضاً: تفاصيل الصفقات العسكرية الأبرز هذا العام",
    "اقرأ أيضاً: خبراء يشرحون الفرق بين منظومات الدفاع الجوي",
    "تابعوا آخر الأخبار عبر حساباتنا على مواقع التواصل الاجتماعي.",
]


# --- generation --------------------------------------------------------------------------------


class _Filler:
    """Fills one article's slots; remembers whether Rosoboronexport was written."""

    def __init__(self, rng: random.Random, country: Country) -> None:
        self.rng, self.country, self.used_roe = rng, country, False

    def __call__(self, template: str) -> str:
        rng = self.rng
        if "{R}" in template:
            self.used_roe = True
        clubs = rng.sample(CLUBS, 2)
        return template.format(
            S=rng.choice(S400),
            R=rng.choice(ROE),
            C=self.country.ar,
            K=self.country.capital,
            O=rng.choice(OFFICIALS),
            N=rng.randint(2, 9),
            M=f"{rng.randint(1, 9)}.{rng.randint(1, 9)} مليار دولار",
            Y=rng.randint(2022, 2027),
            ORD=rng.choice(ORDINALS),
            CITY=rng.choice(CITIES),
            CLUB=clubs[0],
            CLUB2=clubs[1],
        )


def _paragraphs(rng: random.Random, pool: Sequence[str], fill: _Filler, count: int) -> list[str]:
    out = []
    for _ in range(count):
        sentences = rng.sample(list(pool), k=min(len(pool), rng.randint(1, 3)))
        out.append(" ".join(fill(s) for s in sentences))
    return out


def _copy_of(rng: random.Random, original: ArticleSpec, slug: str, outlet: str) -> ArticleSpec:
    paragraphs = list(original.paragraphs)
    if len(paragraphs) > 3 and rng.random() < 0.6:
        del paragraphs[rng.randrange(1, len(paragraphs))]
    if rng.random() < 0.5:
        paragraphs.insert(0, rng.choice(ADDED_LEADS))
    if rng.random() < 0.5:
        paragraphs.append(rng.choice(READ_ALSO))
    exp = original.expected
    return ArticleSpec(
        slug=slug,
        outlet=outlet,
        title=f"{original.title} (تحديث)" if rng.random() < 0.5 else "عاجل | " + original.title,
        paragraphs=paragraphs,
        published=original.published + timedelta(minutes=rng.randint(20, 600)),
        author="وكالات",
        section=original.section,
        expected=Expected(
            relevant=exp.relevant,
            terms=exp.terms,
            topics=exp.topics,
            countries=exp.countries,
            event=exp.event,
            dup_of=original.key,
        ),
    )


def generate_specs(
    n: int = 2000,
    seed: int = 1,
    outlets: Sequence[str] = ("sawt", "nafitha", "bayraq"),
    *,
    relevant_share: float = 0.35,
    copy_share: float = 0.1,
    anchor: datetime = FIXED_ANCHOR,
    days: float = 2.0,
) -> list[ArticleSpec]:
    """``n`` article specs spread over ``outlets`` and the ``days`` before ``anchor``."""
    rng = random.Random(seed)
    specs: list[ArticleSpec] = []
    for i in range(n):
        outlet = outlets[i % len(outlets)]
        # Only relevant stories are stored, so only they are worth copying for dedup.
        originals = [
            s
            for s in specs[-200:]
            if s.expected.relevant and s.expected.dup_of is None and s.outlet != outlet
        ]
        if originals and rng.random() < copy_share:
            specs.append(_copy_of(rng, rng.choice(originals), f"copy-{i:05d}", outlet))
            continue
        country = rng.choice(COUNTRIES)
        fill = _Filler(rng, country)
        published = anchor - timedelta(seconds=rng.randint(60, int(days * 86400)))
        if rng.random() < relevant_share:
            topic, lead = rng.choice(LEADS)
            title = fill(rng.choice(TITLES[topic]))
            rest = _paragraphs(rng, RELEVANT_BODY, fill, rng.randint(1, 5))
            rest += _paragraphs(rng, BACKGROUND, fill, rng.randint(0, 4))
            rng.shuffle(rest)
            body = [fill(lead), *rest]
            acting = ["Russia"] if topic == "other" else [country.en, "Russia"]
            if topic == "sanction":
                acting = [country.en, "United States"]
            specs.append(
                ArticleSpec(
                    slug=f"{topic}-{i:05d}",
                    outlet=outlet,
                    title=title,
                    paragraphs=body,
                    published=published,
                    author=rng.choice([None, "قسم الشؤون الدفاعية", "وكالات"]),
                    expected=Expected(
                        relevant=True,
                        terms=("S-400", "Rosoboronexport") if fill.used_roe else ("S-400",),
                        topics=(topic,),
                        countries=tuple(sorted(acting)),
                        event=f"gen-{i:05d}",
                    ),
                )
            )
            continue
        theme = rng.choice([*UNRELATED, "lookalike", "lookalike"])
        pool = LOOKALIKE + BACKGROUND if theme == "lookalike" else UNRELATED[theme]
        section = {"lookalike": "defence", "economy": "economy", "sports": "sports"}.get(
            theme, "misc"
        )
        specs.append(
            ArticleSpec(
                slug=f"{theme}-{i:05d}",
                outlet=outlet,
                title=fill(rng.choice(UNRELATED_TITLES[theme])),
                paragraphs=_paragraphs(rng, pool, fill, rng.randint(2, 12)),
                published=published,
                section=section,
                expected=Expected(relevant=False),
            )
        )
    return specs


def build_web(
    n: int = 2000,
    seed: int = 1,
    outlets: int = 3,
    *,
    anchor: datetime = FIXED_ANCHOR,
    first_host: int = 1,
    **kwargs: float,
) -> FixtureWeb:
    """A fixture web (not started) whose feeds and sitemaps list every generated article."""
    chosen = default_outlets(first_host)[:outlets]
    for outlet in chosen:
        outlet.feed_limit = None
    web = FixtureWeb(chosen)
    web.publish_many(
        generate_specs(n, seed, [o.name for o in chosen], anchor=anchor, **kwargs)  # type: ignore[arg-type]
    )
    return web


# --- command line --------------------------------------------------------------------------------


def _selftest(web: FixtureWeb, workers: int) -> None:
    import urllib.request
    import xml.etree.ElementTree as ET
    from concurrent.futures import ThreadPoolExecutor

    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    ns = {"sm": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    started = time.perf_counter()
    urls: list[str] = []
    for outlet in web.outlets.values():
        body = opener.open(outlet.base_url + "/news-sitemap.xml", timeout=30).read()
        urls += [u.text or "" for u in ET.fromstring(body).iterfind("sm:url/sm:loc", ns)]
    t_sitemaps = time.perf_counter() - started

    def get(url: str) -> int:
        with opener.open(url, timeout=30) as resp:
            return len(resp.read())

    started = time.perf_counter()
    with ThreadPoolExecutor(workers) as pool:
        sizes = list(pool.map(get, urls))
    elapsed = time.perf_counter() - started
    print(f"sitemaps: {len(urls)} urls in {t_sitemaps:.2f}s")
    print(
        f"pages: {len(sizes)} fetched with {workers} threads in {elapsed:.2f}s "
        f"({len(sizes) / elapsed:.0f} pages/s, {sum(sizes) / 1e6:.1f} MB, "
        f"mean {sum(sizes) / len(sizes) / 1024:.1f} KiB)"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--n", type=int, default=2000, help="number of articles (default 2000)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--outlets", type=int, default=3, choices=(1, 2, 3))
    parser.add_argument("--recent", action="store_true", help="date articles before now, not 2021")
    parser.add_argument("--serve", action="store_true", help="serve until Ctrl-C")
    parser.add_argument("--selftest", action="store_true", help="fetch every page, print figures")
    parser.add_argument("--workers", type=int, default=8)
    args = parser.parse_args(argv)

    started = time.perf_counter()
    anchor = datetime.now().astimezone() if args.recent else FIXED_ANCHOR
    web = build_web(args.n, args.seed, args.outlets, anchor=anchor)
    specs = web.articles()
    relevant = sum(s.expected.relevant for s in specs)
    copies = sum(s.expected.dup_of is not None for s in specs)
    print(
        f"generated {len(specs)} articles ({relevant} relevant, {copies} copies) "
        f"in {time.perf_counter() - started:.2f}s",
        file=sys.stderr,
    )
    with web:
        if args.selftest:
            _selftest(web, args.workers)
        if args.serve:
            # The generated web is on loopback, which a crawl refuses unless told otherwise.
            print("[crawl]\nallow_private_addresses = true\n")
            print(web.sources_toml(["sitemap"]))
            try:
                while True:
                    time.sleep(3600)
            except KeyboardInterrupt:
                pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
