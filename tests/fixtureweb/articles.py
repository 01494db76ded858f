"""Article specs for the fixture news web, and the starter set with its expected labels.

The Arabic texts are written for these fixtures (facts approximate, officials unnamed or
public figures, outlets invented). Dates are given as offsets from an *anchor* so that a
test can place the whole set "now" (inside ``alerts.max_age``) or at a fixed instant.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

# A fixed anchor for tests that want byte-identical pages run after run.
FIXED_ANCHOR = datetime(2021, 9, 16, 12, 0, tzinfo=UTC)

# Slack mention syntax, HTML script and an attribute breaker in one string: whatever
# renders a title into Slack, email or the web page must neutralise all of it.
INJECTION_PAYLOAD = '<!channel> <@U123> <script>alert(1)</script> & "onerror='


@dataclass(frozen=True)
class Expected:
    """What a correct pipeline should conclude about one article."""

    relevant: bool
    terms: tuple[str, ...] = ()  # watchlist names, e.g. ("S-400", "Rosoboronexport")
    topics: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()  # English short names of the acting states
    event: str | None = None  # shared by every report of one development
    dup_of: str | None = None  # key ("outlet/slug") of the original this copies


@dataclass
class ArticleSpec:
    """One article as an outlet publishes it; the server renders it through the outlet's template."""

    slug: str
    title: str
    paragraphs: list[str]
    published: datetime  # aware
    outlet: str = ""
    author: str | None = None
    modified: datetime | None = None
    section: str = "defence"
    summary: str | None = None  # feed description; defaults to the first paragraph
    tags: list[str] = field(default_factory=list)
    # A prominent teaser box in the sidebar: page chrome, never main text.
    sidebar_note: str | None = None
    # A canonical URL the page declares instead of its own (modern template): a hostile or
    # misconfigured page claiming another article.
    canonical: str | None = None
    expected: Expected = field(default_factory=lambda: Expected(relevant=False))

    @property
    def key(self) -> str:
        return f"{self.outlet}/{self.slug}"

    @property
    def updated(self) -> datetime:
        return self.modified or self.published

    @property
    def text(self) -> str:
        """The main text as an extractor should return it (paragraphs joined by newlines)."""
        return "\n".join(self.paragraphs)


# ---------------------------------------------------------------------------
# Shared background paragraphs: two different developments (a delivery and a sanction
# debate) repeat them, so that dedup must not merge them.

_INDIA_BACKGROUND = [
    "ووقعت الهند وروسيا في أكتوبر 2018 عقداً بقيمة 5.43 مليار دولار لشراء خمسة أفواج من "
    'منظومة "إس-400 تريومف"، وذلك خلال زيارة أجراها الرئيس الروسي فلاديمير بوتين إلى نيودلهي.',
    "ويعرّض العقد الهند نظرياً لعقوبات أمريكية بموجب قانون مكافحة أعداء أمريكا من خلال "
    'العقوبات، المعروف اختصاراً باسم "كاتسا"، الذي يستهدف الدول التي تبرم صفقات كبيرة مع '
    "قطاع الدفاع الروسي.",
    "وتؤكد نيودلهي أن حاجتها إلى المنظومة تمليها اعتبارات أمنية تتعلق بحدودها مع الصين "
    "وباكستان، وأن قرار الشراء سيادي لا يخضع لضغوط خارجية.",
]

# The agency story about Turkey's second contract, as the original outlet printed it.
_TURKEY_ORIGINAL = [
    "قال المدير العام لشركة «روس أوبورون إكسبورت» ألكسندر ميخييف إن بلاده تتوقع توقيع العقد "
    "الثاني لتزويد تركيا بمنظومات الدفاع الجوي «إس-400» قبل نهاية العام الجاري.",
    'وأوضح ميخييف في تصريحات للصحافيين في موسكو أن "المفاوضات بلغت مرحلتها النهائية، '
    "والجانبان اتفقا على معظم البنود الفنية، ويبقى الاتفاق على تفاصيل نقل التكنولوجيا "
    'وتوطين إنتاج بعض المكونات".',
    "وأضاف أن العقد الجديد يشمل بطاريتين إضافيتين على الأقل، لافتاً إلى أن قيمة الصفقة لن "
    "تعلن قبل التوقيع.",
    "وكانت تركيا قد تسلمت الدفعة الأولى من المنظومة في صيف 2019 بموجب عقد بلغت قيمته نحو "
    '2.5 مليار دولار، ما دفع الولايات المتحدة إلى إخراجها من برنامج تصنيع مقاتلات "إف-35".',
    "وفرضت واشنطن في ديسمبر 2020 عقوبات على رئاسة الصناعات الدفاعية التركية ورئيسها "
    'إسماعيل دمير، استناداً إلى قانون "كاتسا".',
    "ولم يصدر تعليق فوري من أنقرة على تصريحات ميخييف، غير أن مسؤولين أتراك أكدوا مراراً أن "
    'بلادهم "لن تتراجع" عن قرارها.',
]

_S400 = "S-400"
_ROE = "Rosoboronexport"


def starter_specs(anchor: datetime | None = None) -> list[ArticleSpec]:
    """The starter set: relevant stories, an agency story in three copies, and hard negatives.

    ``anchor`` defaults to now; every article but one is published within 60 hours before
    it (so alerts still go out), and one "old" article is ten days older.
    """
    anchor = anchor or datetime.now(UTC).replace(second=0, microsecond=0)

    def at(hours: float) -> datetime:
        return anchor - timedelta(hours=hours)

    turkey = "turkey-second-contract"
    specs = [
        # --- sawt (modern template, metadata) --------------------------------------
        ArticleSpec(
            slug="roe-asia-talks",
            outlet="sawt",
            title="«روس أوبورون إكسبورت» تبحث مع شركاء آسيويين وعرب توريد منظومات «إس-400»",
            author="قسم الشؤون الدفاعية",
            published=at(50),
            paragraphs=[
                "أعلنت شركة «روس أوبورون إكسبورت» الروسية المسؤولة عن تصدير الأسلحة أنها تجري "
                "محادثات مع عدد من الشركاء في آسيا والشرق الأوسط بشأن توريد منظومات الدفاع الجوي "
                "«إس-400 تريومف»، من دون أن تكشف أسماء الدول المعنية.",
                "وقال مسؤول في الشركة، على هامش معرض للصناعات الدفاعية في دبي، إن "
                '"الاهتمام بالمنظومة لم يتراجع رغم الضغوط الغربية، وهناك طلبات رسمية قيد '
                'الدراسة من ثلاث دول على الأقل".',
                "وأوضح المسؤول أن المفاوضات تتناول الجوانب الفنية وجداول التسليم وآليات الدفع "
                "بالعملات الوطنية، مشيراً إلى أن بعض الشركاء يطلبون نقل جزء من عمليات الصيانة "
                "إلى أراضيهم.",
                "وتعد «إس-400» أحدث منظومة دفاع جوي بعيدة المدى تصدرها روسيا، وهي قادرة على رصد "
                "الأهداف الجوية على مسافة تصل إلى 600 كيلومتر واعتراضها على مسافة 400 كيلومتر.",
                "وسبق أن حصلت الصين وتركيا والهند على المنظومة بموجب عقود وقعتها مع موسكو خلال "
                "السنوات الماضية، فيما أثارت الصفقة التركية أزمة مع واشنطن انتهت بفرض عقوبات على "
                "هيئة الصناعات الدفاعية التركية.",
                "ولم يحدد المسؤول موعداً لتوقيع عقود جديدة، لكنه قال إن الشركة "
                '"تتوقع نتائج ملموسة خلال العام المقبل".',
            ],
            tags=["روسيا", "صادرات السلاح"],
            expected=Expected(
                relevant=True,
                terms=(_S400, _ROE),
                topics=("negotiation",),
                countries=("Russia",),
                event="roe-asia-talks",
            ),
        ),
        ArticleSpec(
            slug=turkey,
            outlet="sawt",
            title="موسكو: توقيع العقد الثاني لتزويد تركيا بمنظومة «إس-400» قبل نهاية العام",
            author="موسكو - صوت المشرق",
            published=at(30),
            paragraphs=list(_TURKEY_ORIGINAL),
            tags=["تركيا", "روسيا"],
            expected=Expected(
                relevant=True,
                terms=(_S400, _ROE),
                topics=("contract",),
                countries=("Russia", "Turkey"),
                event=turkey,
            ),
        ),
        ArticleSpec(
            slug="saudi-talks-denial",
            outlet="sawt",
            title="مصدر روسي ينفي توقيع عقد «إس–400» مع الرياض ويؤكد استمرار المشاورات",
            author="قسم الشؤون الدولية",
            published=at(8),
            paragraphs=[
                "نفى مصدر في قطاع الصناعات العسكرية الروسية صحة تقارير تحدثت عن توقيع عقد لتزويد "
                "المملكة العربية السعودية بمنظومة الدفاع الجوي «إس–400»، مؤكداً أن المشاورات بين "
                'الجانبين "ما زالت في مرحلة تبادل الآراء".',
                "وقال المصدر لوكالة أنباء روسية إن شركة «روسوبورون إكسبورت» تلقت استفسارات من "
                "الجانب السعودي حول قدرات المنظومة ومواعيد التسليم المحتملة، "
                '"لكن لم يجر الانتقال إلى مرحلة العقد حتى الآن".',
                "وكانت وسائل إعلام إقليمية قد نقلت عن مصادر لم تسمها أن الرياض وموسكو وقعتا "
                "اتفاقاً مبدئياً خلال زيارة وفد سعودي إلى العاصمة الروسية.",
                "ووقع البلدان في 2017 مذكرة تفاهم تضمنت اهتماماً سعودياً بالحصول على المنظومة، "
                "إلى جانب أسلحة روسية أخرى، من دون أن تتحول المذكرة إلى عقد نهائي.",
                "ويرى محللون أن الرياض توازن بين رغبتها في تنويع مصادر تسليحها وبين علاقاتها "
                "الدفاعية الوثيقة مع الولايات المتحدة، التي تملك صلاحية فرض عقوبات على مشتري "
                "الأسلحة الروسية.",
            ],
            expected=Expected(
                relevant=True,
                terms=(_S400, _ROE),
                topics=("negotiation",),
                countries=("Russia", "Saudi Arabia"),
                event="saudi-talks",
            ),
        ),
        ArticleSpec(
            slug="greece-s300-patriot",
            outlet="sawt",
            title="اليونان تدرس نقل منظومات إس-300 مقابل بطاريات باتريوت أمريكية",
            author="أثينا - صوت المشرق",
            published=at(20),
            paragraphs=[
                "تبحث الحكومة اليونانية مقترحاً أمريكياً يقضي بنقل منظومات الدفاع الجوي "
                '"إس-300" الروسية الصنع الموجودة في جزيرة كريت إلى طرف ثالث، مقابل حصول أثينا '
                'على بطاريات "باتريوت" إضافية.',
                'وقال مسؤول في وزارة الدفاع اليونانية إن المقترح "قيد الدراسة"، وإن أي قرار '
                "سيتخذ بالتنسيق مع الحلفاء في حلف شمال الأطلسي.",
                "وتقدر قيمة الحزمة الأمريكية المقترحة بنحو 400 مليون دولار، تشمل صواريخ اعتراضية "
                "وأجهزة رادار وقطع غيار.",
                'وحصلت اليونان على منظومة "إس-300" في أواخر التسعينيات بعد أزمة دبلوماسية مع '
                "تركيا وقبرص، ونادراً ما تشغلها في التدريبات.",
            ],
            expected=Expected(relevant=False),
        ),
        # --- nafitha (classic template, date only in Arabic text) ---------------------
        ArticleSpec(
            slug="india-first-regiment",
            outlet="nafitha",
            title="الهند تتسلم أولى وحدات منظومة اس 400 الروسية",
            author="نيودلهي - نافذة الخليج",
            published=at(44),
            paragraphs=[
                'بدأت روسيا تسليم الهند الفوج الأول من منظومة الدفاع الجوي "اس 400"، وفق ما أفاد '
                "مسؤولون في نيودلهي، على أن تنشر الوحدات الأولى في ولاية البنجاب شمالي البلاد.",
                "وقال مصدر في وزارة الدفاع الهندية إن مكونات المنظومة وصلت على دفعات جواً وبحراً "
                "خلال الأسابيع الأخيرة، وإن فرقاً فنية روسية ترافق عملية التركيب والتدريب.",
                *_INDIA_BACKGROUND,
                "وأشار المصدر إلى أن الأفواج الأربعة المتبقية ستسلم تباعاً حتى نهاية 2023، "
                "موضحاً أن الجدول الزمني لم يتأثر بالظروف الدولية.",
            ],
            expected=Expected(
                relevant=True,
                terms=(_S400,),
                topics=("delivery",),
                countries=("India", "Russia"),
                event="india-first-regiment",
            ),
        ),
        ArticleSpec(
            slug="turkey-second-contract-copy",
            outlet="nafitha",
            title='روسيا تتوقع إبرام صفقة "إس ٤٠٠" الثانية مع تركيا قبل نهاية العام',
            author="نافذة الخليج - وكالات",
            published=at(28),
            paragraphs=[
                "تقترب موسكو وأنقرة من إبرام صفقة جديدة لمنظومات الدفاع الجوي الروسية، في خطوة "
                "يرجح أن تعيد التوتر إلى العلاقات التركية الأمريكية.",
                "قال المدير العام لشركة «روس أوبورون إكسبورت» ألكسندر ميخييف إن بلاده تتوقع توقيع "
                'العقد الثاني لتزويد تركيا بمنظومات الدفاع الجوي "إس ٤٠٠" قبل نهاية العام الجاري.',
                _TURKEY_ORIGINAL[1],
                _TURKEY_ORIGINAL[2],
                "وكانت تركيا قد تسلمت الدفعة الأولى من المنظومة في صيف ٢٠١٩ بموجب عقد بلغت قيمته "
                "نحو ٢٫٥ مليار دولار، ما دفع الولايات المتحدة إلى إخراجها من برنامج تصنيع مقاتلات "
                '"إف-٣٥".',
                "وفرضت واشنطن في ديسمبر ٢٠٢٠ عقوبات على رئاسة الصناعات الدفاعية التركية ورئيسها "
                'إسماعيل دمير، استناداً إلى قانون "كاتسا".',
                _TURKEY_ORIGINAL[5],
                "اقرأ أيضاً: أردوغان: لا أحد يملي علينا نوع السلاح الذي نشتريه",
                "تابعوا آخر الأخبار العاجلة عبر حساباتنا على منصات التواصل الاجتماعي.",
            ],
            expected=Expected(
                relevant=True,
                terms=(_S400, _ROE),
                topics=("contract",),
                countries=("Russia", "Turkey"),
                event=turkey,
                dup_of=f"sawt/{turkey}",
            ),
        ),
        ArticleSpec(
            slug="us-warns-turkey-new-batch",
            outlet="nafitha",
            title="واشنطن تلوّح بعقوبات جديدة إذا اشترت أنقرة دفعة ثانية من إس-400",
            author="واشنطن - نافذة الخليج",
            published=at(12),
            paragraphs=[
                "حذرت وزارة الخارجية الأمريكية تركيا من أن شراء دفعة ثانية من منظومة الدفاع الجوي "
                'الروسية "إس-400" سيعرضها لعقوبات إضافية، مؤكدة أن موقف واشنطن من الصفقة '
                '"لم يتغير".',
                'وقال متحدث باسم الوزارة في إفادة صحفية إن "أي صفقة جديدة كبيرة مع قطاع الدفاع '
                'الروسي ستكون موضع مراجعة بموجب قانون كاتسا"، داعياً أنقرة إلى "العمل مع الحلفاء '
                'على حلول بديلة".',
                "وتأتي التصريحات الأمريكية بعد أيام من حديث مسؤولين روس عن قرب توقيع عقد ثان مع "
                "الجانب التركي.",
                "وتقول الولايات المتحدة إن المنظومة الروسية لا تتوافق مع أنظمة حلف شمال الأطلسي، "
                'وإن تشغيلها قد يكشف خصائص مقاتلات "إف-35" الشبحية.',
                "في المقابل، يصر المسؤولون الأتراك على أن اختيار أنظمة الدفاع شأن سيادي، وأن "
                'بلادهم لجأت إلى موسكو بعد تعثر مفاوضاتها مع واشنطن بشأن منظومة "باتريوت".',
            ],
            expected=Expected(
                relevant=True,
                terms=(_S400,),
                topics=("sanction",),
                countries=("Turkey", "United States"),
                event="us-warns-turkey",
            ),
        ),
        ArticleSpec(
            slug="derby-result",
            outlet="nafitha",
            section="sports",
            title="الوحدة يحسم ديربي العاصمة بثنائية نظيفة ويعتلي الصدارة",
            author="القسم الرياضي",
            published=at(16),
            paragraphs=[
                "حقق فريق الوحدة فوزاً ثميناً على جاره الشباب بهدفين دون رد، في المباراة التي "
                "جمعتهما مساء أمس على الملعب البلدي ضمن الجولة الثامنة من الدوري.",
                "وافتتح المهاجم سالم العتيبي التسجيل في الدقيقة 23 بضربة رأسية إثر ركنية نفذها "
                "زميله ماجد الحربي، قبل أن يضيف البديل فهد القحطاني الهدف الثاني في الدقيقة 81 "
                "من هجمة مرتدة سريعة.",
                "وبهذا الفوز رفع الوحدة رصيده إلى 19 نقطة في الصدارة بفارق نقطتين عن أقرب "
                "ملاحقيه، فيما تجمد رصيد الشباب عند 12 نقطة في المركز السادس.",
                'وقال مدرب الوحدة في المؤتمر الصحفي عقب المباراة إن فريقه "لعب بانضباط تكتيكي عالٍ '
                'واستحق النقاط الثلاث"، مشيداً بمساندة الجماهير التي ملأت المدرجات.',
                "ويلتقي الوحدة في الجولة المقبلة مع الرائد خارج أرضه، بينما يستضيف الشباب فريق "
                "الفيصلي.",
            ],
            expected=Expected(relevant=False),
        ),
        # --- bayraq (legacy template, windows-1256, Maghrebi months) -----------------
        ArticleSpec(
            slug="india-caatsa-waiver",
            outlet="bayraq",
            title='مشرعون أمريكيون يطالبون بإعفاء الهند من عقوبات "كاتسا" بسبب صفقة إس-400',
            author="واشنطن - البيرق",
            published=at(40),
            paragraphs=[
                "دعا عدد من أعضاء مجلس الشيوخ الأمريكي إدارة الرئيس جو بايدن إلى منح الهند إعفاءً "
                "من العقوبات المفروضة على مشتري السلاح الروسي، على خلفية شرائها منظومة الدفاع الجوي "
                "إس-400.",
                'وجاء في رسالة وجهها الأعضاء إلى البيت الأبيض أن "معاقبة شريك استراتيجي بحجم الهند '
                'ستضر بمصالح الولايات المتحدة في المحيطين الهندي والهادئ أكثر مما تضر بموسكو".',
                *_INDIA_BACKGROUND,
                "ولم يصدر عن وزارة الخارجية الأمريكية أي تعليق على الرسالة، فيما قال مسؤولون "
                "سابقون إن الإدارة قد تؤجل البت في الملف إلى ما بعد اكتمال التسليم.",
            ],
            expected=Expected(
                relevant=True,
                terms=(_S400,),
                topics=("sanction",),
                countries=("India", "United States"),
                event="india-caatsa-waiver",
            ),
        ),
        ArticleSpec(
            slug="turkey-second-contract-agency",
            outlet="bayraq",
            title='ميخييف: العقد الثاني لتوريد "اس-400" إلى تركيا سيوقع هذا العام',
            author="موسكو (وكالات)",
            published=at(25),
            paragraphs=[
                "قال المدير العام لشركة «روس أبورون إكسبورت» ألكسندر ميخييف إن بلاده تتوقع توقيع "
                'العقد الثاني لتزويد تركيا بمنظومات الدفاع الجوي "اس-400" قبل نهاية العام الجاري.',
                _TURKEY_ORIGINAL[1],
                # The copy drops the paragraph about the two extra batteries and puts the
                # sanctions paragraph before the 2019 delivery one.
                _TURKEY_ORIGINAL[4],
                _TURKEY_ORIGINAL[3],
                _TURKEY_ORIGINAL[5],
            ],
            expected=Expected(
                relevant=True,
                terms=(_S400, _ROE),
                topics=("contract",),
                countries=("Russia", "Turkey"),
                event=turkey,
                dup_of=f"sawt/{turkey}",
            ),
        ),
        ArticleSpec(
            slug="russian-drill-triumf",
            outlet="bayraq",
            title='الجيش الروسي ينشر منظومات "تريومف" في مناورات بالمنطقة العسكرية الغربية',
            author="موسكو - البيرق",
            published=at(240),
            paragraphs=[
                "نشرت القوات الجوية الفضائية الروسية وحدات من منظومة الدفاع الجوي "
                '"اس-400 تريومف" في إطار مناورات عسكرية واسعة تجريها في المنطقة العسكرية الغربية '
                "بمشاركة آلاف الجنود.",
                "وذكرت وزارة الدفاع الروسية في بيان أن الطواقم نفذت رمايات بالذخيرة الحية على "
                'أهداف تحاكي صواريخ مجنحة وطائرات مسيرة، وأن "جميع الأهداف دمرت بنجاح".',
                'وتشارك في المناورات أيضاً منظومات "بانتسير" قصيرة المدى ومقاتلات من طراز '
                '"سو-35"، في سيناريو يحاكي التصدي لهجوم جوي مكثف.',
                "وتقول موسكو إن المناورات دفاعية الطابع ولا تستهدف أي دولة.",
            ],
            expected=Expected(
                relevant=True,
                terms=(_S400,),
                topics=("other",),
                countries=("Russia",),
                event="russian-drill",
            ),
        ),
        ArticleSpec(
            slug="wheat-prices",
            outlet="bayraq",
            section="economy",
            title="ارتفاع أسعار القمح في الأسواق العالمية يضغط على موازنات الدول المستوردة",
            author="القسم الاقتصادي",
            published=at(6),
            paragraphs=[
                "واصلت أسعار القمح ارتفاعها في الأسواق العالمية للأسبوع الثالث على التوالي، "
                "مدفوعة بتراجع توقعات المحاصيل في عدد من الدول المصدرة بسبب موجات الجفاف.",
                "وقال متعاملون إن سعر الطن تجاوز 280 دولاراً في عقود التسليم القريب، وهو أعلى "
                "مستوى منذ سنوات، ما يزيد الأعباء على الدول التي تعتمد على الاستيراد لتأمين "
                "احتياجاتها من الخبز.",
                "وتعد دول شمال أفريقيا والشرق الأوسط من أكبر مستوردي القمح في العالم، وتلجأ "
                "حكوماتها إلى الدعم للحفاظ على أسعار الخبز في متناول المستهلكين.",
                "ويتوقع خبراء أن تستمر الضغوط على الأسعار حتى الموسم المقبل، ما لم تتحسن الظروف "
                "المناخية في مناطق الإنتاج الرئيسية.",
            ],
            sidebar_note=(
                "ملف خاص: صفقة إس-400. كل ما تريد معرفته عن منظومة «إس-400» الروسية، من العقد "
                "التركي وتسليم الأفواج إلى الهند، إلى مفاوضات «روس أوبورون إكسبورت» مع دول الخليج "
                "وآسيا وتهديدات واشنطن بعقوبات كاتسا. تابعوا تغطيتنا الخاصة لحظة بلحظة."
            ),
            expected=Expected(relevant=False),
        ),
    ]
    return specs


def injection_spec(outlet: str, anchor: datetime | None = None) -> ArticleSpec:
    """A relevant article whose headline (and one body sentence) carries ``INJECTION_PAYLOAD``.

    The template escapes it as a real CMS would, so an extractor gets the payload back as
    literal text; the renderers downstream are what the test is about.
    """
    anchor = anchor or datetime.now(UTC).replace(second=0, microsecond=0)
    return ArticleSpec(
        slug="injection-headline",
        outlet=outlet,
        title=f"عاجل: صفقة «إس-400» جديدة {INJECTION_PAYLOAD}",
        author=f"محرر {INJECTION_PAYLOAD}",
        published=anchor - timedelta(hours=1),
        paragraphs=[
            "أعلنت شركة «روس أوبورون إكسبورت» توقيع عقد جديد لتوريد منظومات الدفاع الجوي "
            "«إس-400» إلى أحد شركائها، من دون الكشف عن قيمة الصفقة.",
            f"وتداول مستخدمون على مواقع التواصل عبارة {INJECTION_PAYLOAD} في تعليقاتهم على خبر "
            "صفقة إس-400.",
            "وقالت الشركة إن التسليم سيبدأ خلال عامين، وإن العقد يشمل تدريب الطواقم وتوريد "
            "قطع الغيار.",
        ],
        expected=Expected(
            relevant=True,
            terms=(_S400, _ROE),
            topics=("contract",),
            countries=("Russia",),
            event="injection",
        ),
    )


def late_spec(outlet: str) -> ArticleSpec:
    """A relevant article outside the starter set, published now: news that breaks while a
    daemon runs, a development of its own."""
    return ArticleSpec(
        slug="egypt-s400-talks",
        outlet=outlet,
        title="القاهرة تبحث مع موسكو شراء منظومة «إس-400» للدفاع الجوي",
        paragraphs=[
            "قالت مصادر مطلعة في القاهرة إن وفداً عسكرياً مصرياً بدأ محادثات في موسكو مع شركة "
            "«روس أوبورون إكسبورت» حول شراء منظومة الدفاع الجوي «إس-400».",
            "وأضافت المصادر أن المحادثات تتناول عدد البطاريات وجدول التسليم وطرق الدفع، "
            "من دون أن يحدد الجانبان موعداً لتوقيع أي عقد.",
            "ولم يصدر تعليق رسمي من وزارة الدفاع المصرية على هذه المعلومات حتى الآن.",
        ],
        published=datetime.now(UTC).replace(microsecond=0),
        expected=Expected(relevant=True, terms=(_S400, _ROE)),
    )


# Headlines for the "most read" and "related" boxes on every page: all about the S-400,
# so a page's chrome always mentions it and relevance must come from the main text.
SIDEBAR_HEADLINES = [
    '"إس-400" في الخدمة: كيف غيّرت المنظومة الروسية حسابات الدفاع الجوي في المنطقة؟',
    "«روس أوبورون إكسبورت» تعلن عقوداً جديدة بمليارات الدولارات",
    'أنقرة تختبر رادارات "اس 400" للمرة الأولى قرب سينوب',
    "تقرير: دولة خليجية تفاوض موسكو سراً على منظومة إس-400",
    "خبراء: منظومة إس-400 لن تندمج مع أنظمة حلف الأطلسي",
    'بالصور: وصول شحنة جديدة من مكونات "تريومف" إلى مطار عسكري',
    "نيودلهي تسرّع نشر الفوج الثاني من إس-400 على حدودها الشمالية",
    "الكرملين: صفقات السلاح مع أنقرة لا تخضع للإملاءات الأمريكية",
]
