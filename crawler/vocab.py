"""The words Marsad's parts share, each list written once: topics, kinds of source and alert,
exit codes, and their Arabic and English labels.

The enums are ``StrEnum``/``IntEnum`` so that a member is its value: it goes into JSON, SQL
and the config as the plain string or number the public contract names.
"""

from __future__ import annotations

from enum import IntEnum, StrEnum


class Topic(StrEnum):
    CONTRACT = "contract"
    NEGOTIATION = "negotiation"
    DELIVERY = "delivery"
    SANCTION = "sanction"
    OTHER = "other"


# Every topic in the order they are shown; "other" only when no other applies.
TOPICS: tuple[Topic, ...] = tuple(Topic)
# The topics an article is classified into; "other" is what is left when none applies.
EVENT_TOPICS: tuple[Topic, ...] = (
    Topic.CONTRACT,
    Topic.NEGOTIATION,
    Topic.DELIVERY,
    Topic.SANCTION,
)
# The topics that alert unless `alerts.topics` says otherwise.
ALERTING_TOPICS_DEFAULT: tuple[Topic, ...] = EVENT_TOPICS


class SourceKind(StrEnum):
    RSS = "rss"
    SITEMAP = "sitemap"
    LISTING = "listing"


class Channel(StrEnum):
    """The `channel` of an alert row: where it goes (a route's target is one of these too)."""

    SLACK = "slack"
    EMAIL = "email"
    # Where alerts go when no channel is configured: they are logged and count as sent.
    LOG = "log"


class AlertKind(StrEnum):
    NEW = "new"
    FOLLOW_UP = "follow-up"
    DIGEST = "digest"
    SUMMARY = "summary"
    SOURCE_HEALTH = "source-health"
    TEST = "test"
    SPIKE = "spike"


class ExitCode(IntEnum):
    """The exit codes of the contract (README, "Commands")."""

    OK = 0
    # `status`: something needs attention; other commands: an error of their own.
    ERROR = 1
    CONFIG = 2
    ALL_SOURCES_FAILED = 3


# (Arabic, English): alerts show both, the web page the Arabic.
TOPIC_LABELS: dict[str, tuple[str, str]] = {
    Topic.CONTRACT: ("عقد", "Contract"),
    Topic.NEGOTIATION: ("مفاوضات", "Negotiation"),
    Topic.DELIVERY: ("تسليم", "Delivery"),
    Topic.SANCTION: ("عقوبات", "Sanction"),
    Topic.OTHER: ("أخرى", "Other"),
}

ALERT_KIND_LABELS: dict[str, tuple[str, str]] = {
    AlertKind.NEW: ("تطور جديد", "New development"),
    AlertKind.FOLLOW_UP: ("متابعة", "Follow-up"),
    AlertKind.DIGEST: ("الملخص اليومي", "Daily digest"),
    AlertKind.SUMMARY: ("تنبيهات إضافية", "More alerts"),
    AlertKind.SOURCE_HEALTH: ("حالة المصادر", "Source health"),
    AlertKind.TEST: ("رسالة اختبار", "Test message"),
    AlertKind.SPIKE: ("ارتفاع مفاجئ في التغطية", "Coverage spike"),
}
