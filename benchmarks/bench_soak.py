"""Soak benchmark: `marsad run` as a process for hundreds of scheduler cycles.

Starts ``python -m crawler.cli --config X run`` in a new session against the loopback fixture
web (three outlets, RSS, 2-second intervals, download delay 0) and a fake Slack webhook
(``[alerts] dispatch_interval = "1s"``), then trickles in new relevant articles (one S-400
story at a time, each a different development: its own buyer country and topic, so each
gives a ``new`` alert) and measures:

- the daemon's own RSS (psutil, the ``marsad run`` process, not its crawl children) after an
  early and after the last cycle, and the growth between them (target: <= 10 %); the crawl
  children's peak RSS is sampled as well;
- CPU seconds per idle cycle over a closing stretch with nothing new published: the daemon's
  own user+sys, and its waited-for crawl children's (``children_user/children_system`` of
  psutil, i.e. the kernel's accounting of reaped children);
- publish-to-alert latency: from ``web.publish`` to the Slack post for that article arriving
  at the fake (matched by the article's URL slug or its headline), median, p90 and max.

A cycle is one crawl round of the sources, counted from the daemon's log lines
``[<source>] crawl ok`` for one source (the first outlet).

    python -m benchmarks.bench_soak                # 60 cycles, RSS at 10 and 60 (8-15 min)
    python -m benchmarks.bench_soak --full         # 500 cycles, RSS at 50 and 500
    python -m benchmarks.bench_soak --cycles 200 --keep   # keep the temp dir (log, database)
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script: the repo root holds tests/ and crawler/
    sys.path.insert(0, str(ROOT))

DEFAULT_CYCLES = 60
FULL_CYCLES = 500
INTERVAL = "2s"
RSS_GROWTH_TARGET = 10.0  # percent
# No cycle (a crawl child's start-up, imports and fetches) should take this long.
CYCLE_STALL_SECONDS = 90.0
# After the last cycle, how long to wait for alerts still in flight.
SETTLE_SECONDS = 15.0

# --- the phrase bank ------------------------------------------------------------------------
# Buyer states (as the gazetteer names them) with a city used only as a place ("في ...").
# Russia and the United States are left out: they would be a principal country of every
# story and merge developments that should stay apart.
COUNTRIES: list[tuple[str, str, str]] = [
    ("tr", "تركيا", "أنقرة"),
    ("in", "الهند", "نيودلهي"),
    ("cn", "الصين", "بكين"),
    ("sa", "السعودية", "الرياض"),
    ("ae", "الإمارات", "أبوظبي"),
    ("ir", "إيران", "طهران"),
    ("eg", "مصر", "القاهرة"),
    ("dz", "الجزائر", "وهران"),
    ("iq", "العراق", "بغداد"),
    ("qa", "قطر", "الدوحة"),
    ("by", "بيلاروسيا", "مينسك"),
    ("rs", "صربيا", "بلغراد"),
    ("sy", "سوريا", "دمشق"),
    ("vn", "فيتنام", "هانوي"),
    ("bh", "البحرين", "المنامة"),
    ("pk", "باكستان", "إسلام آباد"),
    ("id", "إندونيسيا", "جاكرتا"),
    ("my", "ماليزيا", "كوالالمبور"),
    ("gr", "اليونان", "أثينا"),
    ("cy", "قبرص", "نيقوسيا"),
    ("mm", "ميانمار", "نايبيداو"),
    ("bd", "بنغلاديش", "دكا"),
    ("am", "أرمينيا", "يريفان"),
    ("az", "أذربيجان", "باكو"),
    ("kz", "كازاخستان", "أستانا"),
    ("ve", "فنزويلا", "كاراكاس"),
    ("br", "البرازيل", "برازيليا"),
    ("sd", "السودان", "الخرطوم"),
    ("et", "إثيوبيا", "أديس أبابا"),
    ("ma", "المغرب", "الرباط"),
    ("tn", "تونس", "صفاقس"),
    ("ly", "ليبيا", "بنغازي"),
    ("om", "سلطنة عمان", "مسقط"),
    ("ye", "اليمن", "عدن"),
    ("ph", "الفلبين", "مانيلا"),
    ("ng", "نيجيريا", "أبوجا"),
]

MONTHS = ["يناير", "فبراير", "مارس", "أبريل", "مايو", "يونيو", "يوليو", "أغسطس", "سبتمبر"]
OFFICIALS = [
    "وزير الدفاع",
    "رئيس هيئة الأركان",
    "المتحدث باسم وزارة الدفاع",
    "قائد قوات الدفاع الجوي",
    "مستشار الأمن الوطني",
]
SOURCES = [
    "بحسب ما نقلته صحيفة محلية",
    "وفق بيان نشرته الوزارة على موقعها",
    "في مقابلة بثها التلفزيون الرسمي",
    "خلال مؤتمر صحافي عقد مساء أمس",
    "في تصريحات أدلى بها لوكالة أنباء محلية",
]

# Per topic: titles, leads and second paragraphs. Each article draws one of each, two
# background paragraphs from a shared pool (no watched term in them, so they do not sway
# the topic) and a closing line: two stories then share too little text to be taken for
# copies of each other. Slots: {c} country, {city} a city, {n} a number, {m} a month,
# {o} an official, {s} where it was said.
BANK: dict[str, dict[str, list[str]]] = {
    "contract": {
        "titles": [
            "{c} توقع عقداً لشراء منظومة «إس-400» الروسية",
            "{c} تبرم صفقة مع «روس أوبورون إكسبورت» للحصول على «إس-400»",
            "توقيع عقد بين {c} وموسكو يشمل {n} بطاريات من «إس-400»",
            "{c} توقع اتفاقية مع «روس أوبورون إكسبورت» حول منظومة «إس-400»",
            "{o} في {c}: وقعنا صفقة «إس-400» مع الروس",
        ],
        "leads": [
            "وقعت {c} عقداً مع شركة «روس أوبورون إكسبورت» لشراء {n} بطاريات من منظومة "
            "الدفاع الجوي «إس-400»، {s}.",
            "أبرمت {c} صفقة لاقتناء منظومة «إس-400» تضم {n} بطاريات، وقال {o} إن "
            "الاتفاق جرى توقيعه في {city} بحضور ممثلين عن الجانب الروسي.",
            "أعلن {o} أن حكومة {c} وقعت على شراء منظومة «إس-400» من روسيا، مضيفاً أن "
            "العقد يشمل {n} بطاريات مع صواريخها.",
            "جرى في {city} توقيع عقد تحصل بموجبه {c} على منظومة «إس-400»، {s}، "
            "ويشمل العقد {n} بطاريات وبرنامجاً لتدريب الأطقم.",
            "في خطوة طال انتظارها، وقع مسؤولون من {c} وروسيا صفقة منظومة «إس-400» "
            "بعد {n} جولات من النقاش الفني، على ما أكده {o}.",
        ],
        "middles": [
            "ولم يكشف الطرفان عن القيمة المالية، غير أن خبراء قدروا كلفة البطارية الواحدة "
            "بما يتجاوز {n}00 مليون دولار.",
            "وأشار {o} إلى أن الدفعة الأولى من الأموال سترصد في موازنة العام المقبل، "
            "وأن لجنة فنية ستتابع التنفيذ اعتباراً من شهر {m}.",
            "ويعد هذا الاتفاق الأول من نوعه بين البلدين في مجال الدفاع الجوي بعيد المدى، "
            "بعد سنوات من التعاون في مجالات أخرى.",
            "وتضمن العقد بنوداً تخص الصيانة وقطع الغيار لمدة {n} سنوات، بحسب مصدر مطلع على تفاصيله.",
            "وقال مصدر حكومي إن التمويل سيأتي من قرض ميسر يسدد على {n} أقساط سنوية، "
            "وإن البرلمان صادق على الاتفاق في جلسة مغلقة.",
        ],
    },
    "negotiation": {
        "titles": [
            "{c} تجري محادثات مع موسكو بشأن منظومة «إس-400»",
            "مفاوضات بين {c} و«روس أوبورون إكسبورت» حول «إس-400»",
            "{c} تدرس شراء منظومة «إس-400» وتناقش التفاصيل مع الروس",
            "جولة مباحثات جديدة بين {c} وروسيا بشأن الدفاع الجوي «إس-400»",
            "{o} في {c}: نتفاوض على «إس-400» ولم نحسم القرار",
        ],
        "leads": [
            "بدأ وفد عسكري من {c} محادثات في {city} مع ممثلي «روس أوبورون إكسبورت» "
            "حول اقتناء منظومة «إس-400»، {s}.",
            "قال {o} إن {c} تتفاوض مع روسيا منذ شهر {m} على شراء منظومة الدفاع الجوي "
            "«إس-400»، وإن الجولة المقبلة ستعقد قريباً.",
            "تدرس {c} شراء منظومة «إس-400»، وأوضح {o} أن المباحثات تتناول عدد "
            "البطاريات وطريقة الدفع، {s}.",
            "كشفت مصادر في {city} أن {c} أبدت اهتماماً بشراء منظومة «إس-400» وأن "
            "مشاورات تجري بشأنها منذ {n} أشهر.",
            "للمرة الأولى منذ {n} سنوات، يجلس مفاوضون من {c} وروسيا إلى طاولة واحدة "
            "لمناقشة صفقة «إس-400»، وفق ما ذكره {o}.",
        ],
        "middles": [
            "ولم يحدد الجانبان موعداً لإنهاء المشاورات، فيما يرى محللون أن الملف المالي "
            "ما زال يعرقل التوصل إلى اتفاق نهائي.",
            "وأضاف {o} أن بلاده تريد نقل جزء من التكنولوجيا، وهو شرط قال إنه طرح في "
            "الجلسة الأولى قبل {n} أسابيع.",
            "وتقول مصادر مطلعة إن المحادثات تشمل أيضاً تدريب الضباط في مراكز متخصصة، "
            "دون أن تعطي أرقاماً عن الكلفة.",
            "ويأتي ذلك في إطار سعي {c} إلى تنويع مصادر تسليحها، بحسب ما يقوله باحثون "
            "في مركز دراسات في {city}.",
            "ويتوقع أن يزور وفد روسي رفيع {city} في شهر {m} لاستكمال النقاش حول الأسعار والضمانات.",
        ],
    },
    "delivery": {
        "titles": [
            "{c} تتسلم أول شحنة من منظومة «إس-400»",
            "وصول مكونات منظومة «إس-400» إلى {c}",
            "روسيا تسلم {c} الدفعة الأولى من «إس-400»",
            "{c} تستلم بطاريات «إس-400» من «روس أوبورون إكسبورت»",
            "طائرات شحن روسية تنقل «إس-400» إلى {c}",
        ],
        "leads": [
            "تسلمت {c} الشحنة الأولى من منظومة الدفاع الجوي «إس-400»، وقال {o} إن "
            "المعدات وصلت إلى قاعدة قرب {city} صباح اليوم.",
            "وصلت إلى {c} شحنة جديدة من مكونات منظومة «إس-400» على متن {n} طائرات شحن، {s}.",
            "أعلن {o} أن {c} استلمت {n} بطاريات من منظومة «إس-400» نقلت جواً من "
            "روسيا خلال الأيام الماضية.",
            "بدأت عملية تسليم منظومة «إس-400» إلى {c}، {s}، على أن تكتمل المرحلة الأولى "
            "قبل نهاية شهر {m}.",
            "هبطت في مطار عسكري قرب {city} طائرات روسية تحمل أجزاء من منظومة «إس-400» "
            "التي تنتظرها {c}، حسبما أكده {o}.",
        ],
        "middles": [
            "وذكر {o} أن أطقم التشغيل أنهت تدريبها وأن المنظومة ستدخل الخدمة خلال {n} أشهر.",
            "وتتضمن الشحنات المقبلة رادارات ومركبات قيادة، على أن تصل تباعاً بحراً عبر موانئ البلاد.",
            "وأظهرت صور نشرها ناشطون قافلة شاحنات عسكرية تغادر المطار باتجاه {city} "
            "وسط إجراءات أمنية مشددة.",
            "ولم تعلق السفارة الروسية على الموعد الدقيق لوصول بقية البطاريات، وهي {n} "
            "بحسب الأرقام المعلنة.",
            "وقال خبير عسكري إن نشر البطاريات الأولى سيتم حول المنشآت الحيوية قبل أن "
            "تنتقل الوحدات الأخرى إلى الحدود.",
        ],
    },
}
BACKGROUND = [
    "ويأتي هذا التطور في وقت تعمل فيه {c} على تحديث شبكة دفاعها الجوي التي يعود "
    "معظمها إلى عقود مضت.",
    "وتملك القوات المسلحة في {c} ترسانة متنوعة من الأسلحة الشرقية والغربية، ما يطرح "
    "تساؤلات لدى الخبراء حول دمج الأنظمة المختلفة في شبكة قيادة واحدة.",
    "ويشير باحثون في {city} إلى أن الحكومة خصصت هذا العام حصة أكبر من الإنفاق "
    "العسكري للدفاع الجوي مقارنة بالسنوات الخمس الماضية.",
    "وشهدت المنطقة في الفترة الأخيرة اهتماماً متزايداً بأنظمة الاعتراض بعيدة المدى، "
    "في ظل تنامي المخاوف من الطائرات المسيرة والصواريخ الجوالة.",
    "ويصل مدى الصواريخ الاعتراضية في هذا الجيل من الأنظمة إلى 400 كيلومتر، ويمكنه "
    "رصد عشرات الأهداف الجوية في الوقت نفسه.",
    "ويقول دبلوماسيون في {city} إن الملف سيحضر على جدول أعمال اللقاءات الثنائية "
    "المقبلة بين كبار المسؤولين في البلدين.",
    "وكانت {c} قد أجرت في السنوات الماضية مناورات مشتركة مع عدة دول، شاركت فيها "
    "وحدات الرادار والقوات الجوية.",
    "ويرى محللون أن الخطوة تعكس توجهاً لدى {c} نحو تقليل اعتمادها على مورد واحد "
    "للسلاح، رغم الكلفة المرتفعة للتشغيل والصيانة.",
    "وتحتاج الأنظمة من هذا النوع إلى بنية تحتية خاصة تشمل مواقع محصنة وشبكات اتصال "
    "مؤمنة، وهو ما يتطلب استثمارات إضافية.",
    "وفي {city}، تحدث نواب عن ضرورة إطلاع اللجان المختصة على تفاصيل البرنامج "
    "الدفاعي وكلفته على الخزينة العامة.",
]
CLOSINGS = [
    "ولم يصدر تعليق فوري من الجانب الروسي على هذه المعلومات.",
    "وتواصل الصحف المحلية متابعة الملف وسط اهتمام واسع من المراقبين.",
    "ويتوقع مراقبون أن تثير الخطوة ردود فعل في العواصم الغربية.",
    "ويرى خبراء عسكريون أن الدرع الجديد سيعزز حماية المنشآت الحيوية.",
    "ولم ترد وزارة الخارجية على طلب للتعليق حتى ساعة نشر هذا الخبر.",
]


@dataclass(frozen=True)
class Story:
    slug: str
    title: str
    paragraphs: list[str]


def _draft(rng: random.Random, country: str, city: str, topic: str) -> tuple[str, list[str]]:
    parts = BANK[topic]
    slots = {
        "c": country,
        "city": city,
        "n": rng.randint(2, 9),
        "m": rng.choice(MONTHS),
        "o": rng.choice(OFFICIALS),
        "s": rng.choice(SOURCES),
    }
    title = rng.choice(parts["titles"]).format(**slots)
    paragraphs = [
        rng.choice(parts["leads"]).format(**slots),
        rng.choice(parts["middles"]).format(**slots),
        *(p.format(**slots) for p in rng.sample(BACKGROUND, 2)),
        rng.choice(CLOSINGS),
    ]
    return title, paragraphs


def story_bank(
    seed: int = 400, attempts: int = 6, existing: Sequence[tuple[str, str]] = ()
) -> list[Story]:
    """Stories that Marsad's own rules keep apart: each is relevant, has exactly its
    intended topic and a buyer state, is no near-duplicate of another (or of an `existing`
    (title, body) already on the web) and joins no other's development. Drafts are drawn per (country, topic), up to `attempts` times, and kept
    greedily, so the bank is as large as the phrase bank allows (~100) and reproducible."""
    from crawler.analysis.classify import Classifier
    from crawler.analysis.matcher import Matcher
    from crawler.storage.dedup import is_near_duplicate, scores
    from crawler.storage.developments import SELLERS, DevelopmentKey, same_development
    from crawler.text.arabic import normalize

    rng = random.Random(seed)
    matcher, classifier = Matcher(), Classifier.load()
    now = datetime.now(UTC)
    combos = [(code, c, city, t) for code, c, city in COUNTRIES for t in BANK]
    rng.shuffle(combos)
    kept: list[tuple[Story | None, str, DevelopmentKey]] = []
    for title, body in existing:
        cls = classifier.classify(title, body, matcher.find_in_article(title, body))
        evidence = f"{title}\n{' '.join(cls.evidence.values())}"
        kept.append(
            (None, normalize(body), DevelopmentKey(cls.topics, cls.countries, now, evidence))
        )
    for code, country, city, topic in combos:
        for _ in range(attempts):
            title, paragraphs = _draft(rng, country, city, topic)
            body = "\n".join(paragraphs)
            terms = matcher.find_in_article(title, body)
            cls = classifier.classify(title, body, terms)
            if not terms or list(cls.topics) != [topic] or not set(cls.countries) - SELLERS:
                continue
            norm = normalize(body)
            key = DevelopmentKey(
                cls.topics, cls.countries, now, f"{title}\n{' '.join(cls.evidence.values())}"
            )
            if any(
                is_near_duplicate(scores(norm, other)) or same_development(key, other_key)
                for _, other, other_key in kept
            ):
                continue
            kept.append((Story(f"soak-{code}-{topic}", title, paragraphs), norm, key))
            break
    return [story for story, _, _ in kept if story is not None]


# --- measuring ------------------------------------------------------------------------------


@dataclass
class Published:
    slug: str
    title: str
    cycle: int
    at: float  # monotonic
    alerted_at: float | None = None

    @property
    def latency(self) -> float | None:
        return None if self.alerted_at is None else self.alerted_at - self.at


@dataclass
class Figures:
    cycles: int = 0
    wall: float = 0.0
    first_cycle_at: float = 0.0  # seconds after the daemon's start
    last_cycle_at: float = 0.0
    rss: dict[int, int] = field(default_factory=dict)  # cycle -> bytes
    rss_series: list[tuple[int, int]] = field(default_factory=list)
    # Open file descriptors and threads at the checkpoints: a socket or thread leak shows
    # here long before it shows in RSS.
    fds: dict[int, tuple[int, int]] = field(default_factory=dict)
    child_peak_rss: int = 0
    children_seen: int = 0
    idle_cycles: int = 0
    idle_cpu_self: float = 0.0
    idle_cpu_children: float = 0.0
    idle_wall: float = 0.0
    errors: int = 0
    published: list[Published] = field(default_factory=list)
    slack_posts: int = 0
    exit_code: int | None = None
    stop_seconds: float | None = None

    @property
    def latencies(self) -> list[float]:
        return sorted(p.latency for p in self.published if p.latency is not None)


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile of sorted `values`."""
    if not values:
        return math.nan
    rank = max(1, math.ceil(q / 100 * len(values)))
    return values[min(rank, len(values)) - 1]


class SlackClock:
    """Timestamps each successful post as the fake Slack records it (no polling lag)."""

    def __init__(self, slack: Any) -> None:
        self.arrivals: list[tuple[float, str]] = []
        self._lock = threading.Lock()
        original = slack._record

        def record(req: Any) -> None:
            original(req)
            if req.ok:
                text = json.dumps(req.payload, ensure_ascii=False)
                with self._lock:
                    self.arrivals.append((time.monotonic(), text))

        slack._record = record

    def snapshot(self) -> list[tuple[float, str]]:
        with self._lock:
            return list(self.arrivals)


class LogTail:
    """Reads the daemon's log file as it grows."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._pos = 0
        self._partial = ""
        self.text_tail = ""

    def new_lines(self) -> list[str]:
        try:
            with self.path.open("rb") as fh:
                fh.seek(self._pos)
                chunk = fh.read()
                self._pos = fh.tell()
        except FileNotFoundError:
            return []
        text = self._partial + chunk.decode("utf-8", errors="replace")
        lines = text.split("\n")
        self._partial = lines.pop()
        self.text_tail = (self.text_tail + text)[-6000:]
        return lines


def config_text(db_url: str, sources_toml: str, webhook_url: str) -> str:
    return f"""[database]
url = "{db_url}"

[crawl]
download_delay = 0
robots_txt = true
timeout = "5s"
allow_private_addresses = true

[alerts]
dispatch_interval = "1s"

[alerts.slack]
webhook_url = "{webhook_url}"

{sources_toml}"""


@contextlib.contextmanager
def daemon_process(config: Path, log_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    """`marsad run` in its own session; always stopped: SIGTERM, then SIGKILL of its group."""
    env = {k: v for k, v in os.environ.items() if k != "MARSAD_CONFIG"}
    with log_path.open("ab") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "crawler.cli", "--config", str(config), "run"],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=log,
            start_new_session=True,
        )
        try:
            yield proc
        finally:
            stop_daemon(proc, timeout=20)


def stop_daemon(proc: subprocess.Popen[bytes], timeout: float) -> int | None:
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout)
    # The group also holds any crawl child the daemon left behind.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(10)
    return proc.returncode


def _cpu(ps: Any) -> tuple[float, float]:
    t = ps.cpu_times()
    return t.user + t.system, t.children_user + t.children_system


def run_soak(
    cycles: int,
    *,
    rss_at: int,
    idle_cycles: int,
    publish_every: int | None,
    max_articles: int | None,
    seed: int,
    workdir: Path,
    verbose: bool,
) -> Figures:
    import psutil

    from tests.fakes.slack import FakeSlack
    from tests.fixtureweb import ArticleSpec, Expected, default_web

    web = default_web()
    # Stories must not join the starter set's developments either, or they would only
    # be follow-ups waiting for the digest.
    stories = story_bank(seed, existing=[(a.title, a.text) for a in web.articles()])
    if max_articles is not None:
        stories = stories[:max_articles]
    # Publishing runs from cycle 3 (the starter set has gone out) until the idle stretch,
    # with a few cycles between for the last alerts to land.
    first_publish, last_publish = 3, max(3, cycles - idle_cycles - 3)
    active = last_publish - first_publish + 1
    every = publish_every or max(2, math.ceil(active / max(1, len(stories))))
    idle_start = cycles - idle_cycles
    rng = random.Random(seed)
    figures = Figures()
    interval_s = float(INTERVAL.rstrip("s"))

    chosen = next(iter(web.outlets))
    outlets = list(web.outlets)
    web.start()
    try:
        with FakeSlack() as slack:
            clock = SlackClock(slack)
            config = workdir / "marsad.toml"
            config.write_text(
                config_text(
                    f"sqlite:///{workdir / 'marsad.db'}",
                    web.sources_toml(["rss"], interval=INTERVAL),
                    slack.webhook_url,
                ),
                encoding="utf-8",
            )
            log_path = workdir / "daemon.log"
            tail = LogTail(log_path)
            marker = f"[{chosen}] crawl "
            start = time.monotonic()
            with daemon_process(config, log_path) as proc:
                ps = psutil.Process(proc.pid)
                last_cycle_at = start
                pending_at: float | None = None
                idle_mark: tuple[float, float, float] | None = None
                next_story = 0
                matched = 0
                seen_children: set[int] = set()
                while figures.cycles < cycles:
                    if proc.poll() is not None:
                        raise RuntimeError(
                            f"daemon exited with {proc.returncode}:\n{tail.text_tail}"
                        )
                    now = time.monotonic()
                    if now - last_cycle_at > CYCLE_STALL_SECONDS:
                        raise RuntimeError(
                            f"no cycle for {CYCLE_STALL_SECONDS:.0f}s:\n{tail.text_tail}"
                        )
                    for line in tail.new_lines():
                        if marker not in line:
                            continue
                        if f"{marker}ok" not in line:
                            figures.errors += 1
                            continue
                        figures.cycles += 1
                        last_cycle_at = now
                        n = figures.cycles
                        if n == 1:
                            figures.first_cycle_at = now - start
                        figures.last_cycle_at = now - start
                        rss = ps.memory_info().rss
                        figures.rss_series.append((n, rss))
                        if n in (rss_at, cycles):
                            figures.rss[n] = rss
                            with contextlib.suppress(psutil.Error):
                                figures.fds[n] = (ps.num_fds(), ps.num_threads())
                        if n == idle_start:
                            idle_mark = (now, *_cpu(ps))
                        if n == cycles and idle_mark is not None:
                            cpu_self, cpu_children = _cpu(ps)
                            figures.idle_cycles = cycles - idle_start
                            figures.idle_wall = now - idle_mark[0]
                            figures.idle_cpu_self = cpu_self - idle_mark[1]
                            figures.idle_cpu_children = cpu_children - idle_mark[2]
                        if (
                            first_publish <= n <= last_publish
                            and (n - first_publish) % every == 0
                            and next_story < len(stories)
                            and pending_at is None
                        ):
                            # A random moment within the interval, so latencies cover
                            # every phase of the crawl schedule, not just its best case.
                            pending_at = now + rng.uniform(0, interval_s)
                        if verbose and n % 10 == 0:
                            print(
                                f"  cycle {n}/{cycles} at {now - start:.0f} s: rss {rss / 2**20:.1f} MiB, "
                                f"{len(figures.published)} published, "
                                f"{len(figures.latencies)} alerted",
                                flush=True,
                            )
                    if pending_at is not None and now >= pending_at:
                        story = stories[next_story]
                        next_story += 1
                        outlet = outlets[len(figures.published) % len(outlets)]
                        spec = ArticleSpec(
                            slug=story.slug,
                            title=story.title,
                            paragraphs=story.paragraphs,
                            published=datetime.now(UTC).replace(microsecond=0),
                            expected=Expected(relevant=True, terms=("S-400",)),
                        )
                        figures.published.append(
                            Published(story.slug, story.title, figures.cycles, time.monotonic())
                        )
                        web.publish(outlet, spec)
                        pending_at = None
                    try:
                        for child in ps.children(recursive=True):
                            seen_children.add(child.pid)
                            with contextlib.suppress(psutil.Error):
                                figures.child_peak_rss = max(
                                    figures.child_peak_rss, child.memory_info().rss
                                )
                    except psutil.Error:
                        pass
                    matched = _match(figures.published, clock.snapshot(), matched)
                    time.sleep(0.05)
                # Let the alerts of the last stories land before stopping.
                deadline = time.monotonic() + SETTLE_SECONDS
                while time.monotonic() < deadline and any(
                    p.alerted_at is None for p in figures.published
                ):
                    matched = _match(figures.published, clock.snapshot(), matched)
                    time.sleep(0.1)
                figures.wall = time.monotonic() - start
                figures.children_seen = len(seen_children)
                stop_started = time.monotonic()
                figures.exit_code = stop_daemon(proc, timeout=20)
                figures.stop_seconds = time.monotonic() - stop_started
            figures.slack_posts = len(clock.snapshot())
    finally:
        web.stop()
    return figures


def _match(published: list[Published], arrivals: list[tuple[float, str]], done: int) -> int:
    """Give each published story the first Slack post naming it (by URL slug or headline)."""
    for at, text in arrivals[done:]:
        for p in published:
            if p.alerted_at is None and (p.slug in text or p.title in text):
                p.alerted_at = at
    return len(arrivals)


def report(figures: Figures, cycles: int, rss_at: int) -> str:
    mib = 2**20
    lines = []
    run_wall = figures.last_cycle_at - figures.first_cycle_at
    per_cycle = run_wall / max(1, figures.cycles - 1)
    idle_per_cycle = figures.idle_wall / figures.idle_cycles if figures.idle_cycles else math.nan
    lines.append(
        f"cycles: {figures.cycles} in {figures.wall:.0f} s wall; {per_cycle:.2f} s per cycle "
        f"({idle_per_cycle:.2f} s when idle; interval {INTERVAL}); "
        f"crawl errors of the counted source: {figures.errors}"
    )
    early, late = figures.rss.get(rss_at), figures.rss.get(cycles)
    if early and late:
        growth = (late - early) / early * 100
        verdict = "ok" if growth <= RSS_GROWTH_TARGET else "OVER TARGET"
        lines.append(
            f"daemon RSS @{rss_at}: {early / mib:.1f} MiB   @{cycles}: {late / mib:.1f} MiB   "
            f"growth {growth:+.1f} % (target <= {RSS_GROWTH_TARGET:.0f} %: {verdict})"
        )
    if figures.fds:
        lines.append(
            "daemon open fds / threads: "
            + ", ".join(f"@{n}: {f} / {t}" for n, (f, t) in sorted(figures.fds.items()))
        )
    series = figures.rss_series
    if series:
        step = max(1, len(series) // 10)
        points = ", ".join(f"{n}:{r / mib:.1f}" for n, r in series[step - 1 :: step])
        lines.append(f"daemon RSS by cycle (MiB): {points}")
    lines.append(
        f"crawl children: peak RSS {figures.child_peak_rss / mib:.1f} MiB; "
        f"{figures.children_seen} child processes seen "
        f"({figures.children_seen / max(1, figures.cycles):.2f} per cycle)"
    )
    if figures.idle_cycles:
        per_self = figures.idle_cpu_self / figures.idle_cycles
        per_children = figures.idle_cpu_children / figures.idle_cycles
        lines.append(
            f"idle CPU per cycle (last {figures.idle_cycles} cycles, nothing published): "
            f"daemon {per_self:.3f} s + crawl children {per_children:.3f} s "
            f"= {per_self + per_children:.3f} s"
        )
    lat = figures.latencies
    missing = [p.slug for p in figures.published if p.alerted_at is None]
    if lat:
        lines.append(
            f"publish-to-alert latency ({len(lat)} of {len(figures.published)} stories): "
            f"median {statistics.median(lat):.2f} s, p90 {percentile(lat, 90):.2f} s, "
            f"min {lat[0]:.2f} s, max {lat[-1]:.2f} s"
        )
    if missing:
        lines.append(f"stories without a Slack alert: {len(missing)}: {', '.join(missing[:8])}")
    lines.append(
        f"slack posts in all: {figures.slack_posts}; daemon exit code {figures.exit_code} "
        f"after SIGTERM in {figures.stop_seconds or 0:.1f} s"
    )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_soak", description=__doc__)
    parser.add_argument("--cycles", type=int, default=None, help=f"default {DEFAULT_CYCLES}")
    parser.add_argument(
        "--full",
        action="store_true",
        help=f"the {FULL_CYCLES}-cycle soak (~40 min quiet, 70+ min loaded, 2 cores)",
    )
    parser.add_argument(
        "--rss-at", type=int, default=None, help="early RSS cycle (10, or cycles/10 from 100)"
    )
    parser.add_argument("--idle-cycles", type=int, default=None, help="default cycles/6")
    parser.add_argument(
        "--publish-every", type=int, default=None, help="cycles between stories (auto)"
    )
    parser.add_argument("--max-articles", type=int, default=None)
    parser.add_argument("--seed", type=int, default=400)
    parser.add_argument("--keep", action="store_true", help="keep the work dir (log, database)")
    parser.add_argument("-q", "--quiet", action="store_true")
    args = parser.parse_args(argv)

    cycles = args.cycles or (FULL_CYCLES if args.full else DEFAULT_CYCLES)
    # 10 for the short run (after the warm-up), a tenth of the run for long ones (50 of 500).
    rss_at = args.rss_at or (10 if cycles < 100 else cycles // 10)
    idle_cycles = args.idle_cycles or max(5, cycles // 6)
    if not 0 < rss_at < cycles or not 0 < idle_cycles < cycles - 5:
        parser.error("need 0 < --rss-at < cycles and 0 < --idle-cycles < cycles - 5")

    workdir = Path(tempfile.mkdtemp(prefix="marsad-soak-"))
    print(
        f"soak: {cycles} cycles, RSS at {rss_at} and {cycles}, idle stretch {idle_cycles} "
        f"cycles, interval {INTERVAL} (work dir {workdir})",
        flush=True,
    )
    # SIGTERM to the benchmark itself must still unwind through the finally blocks.
    previous = signal.getsignal(signal.SIGTERM)
    in_main_thread = threading.current_thread() is threading.main_thread()
    if in_main_thread:
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        figures = run_soak(
            cycles,
            rss_at=rss_at,
            idle_cycles=idle_cycles,
            publish_every=args.publish_every,
            max_articles=args.max_articles,
            seed=args.seed,
            workdir=workdir,
            verbose=not args.quiet,
        )
    finally:
        if in_main_thread:
            signal.signal(signal.SIGTERM, previous)
        if args.keep:
            print(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    print(report(figures, cycles, rss_at), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
