"""The page's Jinja2 environment: autoescaped templates, and the helpers they call to show
dates, labels, countries, counted nouns and links."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from jinja2 import Environment, FileSystemLoader
from markupsafe import Markup

from crawler.analysis.country_names import arabic_country_name
from crawler.review.web.svg import month_label, swatch
from crawler.text.display import arabic_label, format_date, safe_url
from crawler.text.plurals import arabic_ago, count_of
from crawler.vocab import ALERT_KIND_LABELS, TOPIC_LABELS, TOPICS

TEMPLATES = Path(__file__).resolve().with_name("templates")
STATUS_LABELS = {"pending": "معلّق", "sent": "أُرسل", "failed": "فشل", "skipped": "تُخطّي"}
RUN_LABELS = {
    "ok": "نجح",
    "error": "خطأ",
    "timeout": "انتهت المهلة",
    "stopped": "أُوقف",
    "abandoned": "انقطع",
    "running": "جارٍ",
}


def _dt(value: datetime | None, precision: str | None = None) -> Markup:
    """A UTC date, isolated left-to-right so that RTL text around it cannot reorder it."""
    if value is None:
        return Markup("—")
    return Markup('<bdi class="date" dir="ltr">{}</bdi>').format(
        format_date(value, day=precision == "day")
    )


def _moment(value: datetime | str | None) -> Markup:
    """A time (a datetime or an ISO string) as its UTC date and how long ago it was in Arabic,
    kept on one line."""
    if not value:
        return Markup("—")
    when = datetime.fromisoformat(value) if isinstance(value, str) else value
    ago = arabic_ago((datetime.now(UTC) - when).total_seconds())
    return Markup(
        '<time class="moment" datetime="{}">{} <span class="ago">{}</span></time>'
    ).format(when.isoformat(), _dt(when), ago)


def environment(outlet_name: Callable[[str], str] = str) -> Environment:
    """``outlet_name`` shows a source name as the outlet's title (`Config.display_name`)."""
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["dt"] = _dt
    env.filters["outlet"] = outlet_name
    env.globals.update(
        topic_label=lambda t: arabic_label(TOPIC_LABELS, t),
        country_label=arabic_country_name,
        status_label=lambda s: STATUS_LABELS.get(s, s),
        kind_label=lambda k: arabic_label(ALERT_KIND_LABELS, k),
        run_label=lambda s: RUN_LABELS.get(s, s),
        # "3 تقارير", "تقريران": the noun in the form its number takes.
        count=count_of,
        month_label=month_label,
        swatch=swatch,
        moment=_moment,
        # Only http(s) URLs become links; a stored ``javascript:`` URL stays plain text.
        safe_href=safe_url,
        TOPICS=TOPICS,
    )
    return env
