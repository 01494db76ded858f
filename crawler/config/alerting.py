"""The ``[alerts]`` section and its channels, whose ``${VAR}`` secrets are resolved only by the
commands that send (:meth:`AlertsConfig.with_secrets`)."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any, Literal

from pydantic import (
    Field,
    PrivateAttr,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)

from crawler.config.values import (
    MAX_COUNT,
    ConfigError,
    Duration,
    NestedKeyError,
    Section,
    TimeZoneName,
    check_https,
    interpolate,
    validation_problems,
)
from crawler.vocab import ALERTING_TOPICS_DEFAULT, Topic


class SlackConfig(Section):
    webhook_url: SecretStr | None = None
    bot_token: SecretStr | None = None
    channel: str | None = None
    timeout: Duration = timedelta(seconds=10)
    # Tests point the bot transport at a loopback Slack.
    api_base_url: str = "https://slack.com/api"

    @field_validator("webhook_url")
    @classmethod
    def _webhook_https(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            check_https(value.get_secret_value(), "a Slack webhook")
        return value

    @field_validator("api_base_url")
    @classmethod
    def _api_https(cls, value: str) -> str:
        check_https(value, "the Slack API address")
        return value

    @model_validator(mode="after")
    def _one_way_in(self) -> SlackConfig:
        if bool(self.webhook_url) == bool(self.bot_token):
            raise ValueError("set exactly one of webhook_url or bot_token")
        if self.bot_token and not self.channel:
            raise ValueError("bot_token needs channel")
        return self


class EmailConfig(Section):
    smtp_host: str
    smtp_port: int = Field(default=587, gt=0, lt=65536)
    starttls: bool = True
    ssl: bool = False
    username: str | None = None
    password: SecretStr | None = None
    sender: str
    recipients: list[str] = Field(min_length=1)
    timeout: Duration = timedelta(seconds=30)

    @model_validator(mode="after")
    def _tls_mode(self) -> EmailConfig:
        if self.ssl and self.starttls:
            raise ValueError("choose starttls = true or ssl = true, not both")
        return self


class AlertRoute(Section):
    """``[[alerts.routes]]``: the alerts of chosen topics or countries go to other channels.

    A route matches an alert that has one of its topics (when it names topics) and one of its
    countries (when it names countries). A matched alert goes to every matching route's
    targets and not to the default channels; an alert no route matches goes to the defaults.
    """

    topics: list[Topic] = Field(default_factory=list)
    # Stored as the gazetteer's English short names; written in any case, or in Arabic.
    countries: list[str] = Field(default_factory=list)
    # A channel the bot of [alerts.slack] posts to (bot_token), or a webhook of its own.
    slack_channel: str | None = None
    slack_webhook_url: SecretStr | None = None
    email_recipients: list[str] | None = None

    @field_validator("countries")
    @classmethod
    def _known_countries(cls, value: list[str]) -> list[str]:
        if not value:
            return value
        # The gazetteer the classifier and the filters read, so that a route's country is the
        # name articles are stored with; read only when a route names countries.
        from crawler.analysis.classify import Classifier

        named = []
        for written in value:
            country = Classifier.builtin().country_named(written)
            if country is None:
                raise ValueError(
                    f"unknown country {written!r}: write its English short name (Turkey) "
                    "or an Arabic name (تركيا)"
                )
            named.append(country)
        return list(dict.fromkeys(named))

    @field_validator("slack_channel")
    @classmethod
    def _channel_name(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"#?[\w.-]{1,80}", value):
            raise ValueError(f"{value!r} is not a Slack channel such as #compliance or C0123ABCD")
        return value

    @field_validator("slack_webhook_url")
    @classmethod
    def _webhook_https(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            check_https(value.get_secret_value(), "a Slack webhook")
        return value

    @field_validator("email_recipients")
    @classmethod
    def _addresses(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return None
        if not value:
            raise ValueError("list at least one address, or leave the key out")
        for address in value:
            if not re.fullmatch(r"[^@\s<>,]+@[^@\s<>,]+", address):
                raise ValueError(f"{address!r} is not an email address")
        return value

    @model_validator(mode="after")
    def _matches_and_goes_somewhere(self) -> AlertRoute:
        if not self.topics and not self.countries:
            raise ValueError("a route needs topics or countries (or both) to match")
        if self.slack_channel and self.slack_webhook_url:
            raise ValueError("choose slack_channel or slack_webhook_url, not both")
        if not (self.slack_channel or self.slack_webhook_url or self.email_recipients):
            raise ValueError(
                "a route needs somewhere to send: slack_channel, slack_webhook_url "
                "or email_recipients"
            )
        return self

    def matches(self, topics: list[str], countries: list[str]) -> bool:
        if self.topics and not set(self.topics) & set(topics):
            return False
        return not self.countries or bool(set(self.countries) & set(countries))


class AlertsConfig(Section):
    topics: list[Topic] = Field(default_factory=lambda: list(ALERTING_TOPICS_DEFAULT))
    max_age: Duration = timedelta(days=3)
    max_per_run: int = Field(default=20, ge=1, le=MAX_COUNT)
    follow_ups: Literal["digest", "thread"] = "digest"
    digest_at: str = "07:00"
    digest_timezone: TimeZoneName = "UTC"
    source_failure_threshold: int = Field(default=5, ge=1, le=MAX_COUNT)
    dispatch_interval: Duration = timedelta(seconds=5)
    max_attempts: int = Field(default=8, ge=1, le=MAX_COUNT)
    # First retry delay; each later one doubles, with jitter, up to an hour.
    retry_backoff: Duration = timedelta(seconds=15)
    # A claimed alert whose dispatcher died is claimed again after this long.
    dispatch_lease: Duration = timedelta(minutes=2)
    # A day with at least this many reports, and spike_factor times the daily average of the
    # 14 days before, sends one spike alert.
    spike_min_reports: int = Field(default=5, ge=1, le=MAX_COUNT)
    spike_factor: float = Field(default=3.0, ge=1, le=1000)
    slack: SlackConfig | None = None
    email: EmailConfig | None = None
    routes: list[AlertRoute] = Field(default_factory=list)
    # The channel sections as written, while their ${VAR} are not resolved yet.
    _unresolved: dict[str, Any] = PrivateAttr(default_factory=dict)

    @field_validator("digest_at")
    @classmethod
    def _clock(cls, value: str) -> str:
        m = re.fullmatch(r"(\d{1,2}):(\d{2})", value.strip())
        if not m or int(m.group(1)) > 23 or int(m.group(2)) > 59:
            raise ValueError(f"{value!r} is not a time of day like 07:00")
        return f"{int(m.group(1)):02d}:{m.group(2)}"

    @model_validator(mode="after")
    def _routes_have_their_channels(self) -> AlertsConfig:
        for i, route in enumerate(self.routes):
            never = [str(t) for t in route.topics if t not in self.topics]
            if never:
                raise NestedKeyError(
                    f"routes[{i}].topics",
                    f"{', '.join(never)}: not in alerts.topics "
                    f"({', '.join(str(t) for t in self.topics)}), so never alerted",
                )
            if route.slack_channel and (self.slack is None or self.slack.bot_token is None):
                raise NestedKeyError(
                    f"routes[{i}].slack_channel",
                    "posting to a channel needs [alerts.slack] with bot_token "
                    "(or give the route its own slack_webhook_url)",
                )
            if route.email_recipients and self.email is None:
                raise NestedKeyError(
                    f"routes[{i}].email_recipients",
                    "sending mail needs the [alerts.email] server settings",
                )
        return self

    def with_secrets(self) -> AlertsConfig:
        """These settings with ``${VAR}`` in the channel sections replaced from the environment.

        Raises :class:`ConfigError` naming the key and the variable (never its value).
        """
        if not self._unresolved:
            return self
        data = {
            **self.model_dump(exclude=set(self._unresolved)),
            **{
                name: interpolate(section, f"alerts.{name}")
                for name, section in self._unresolved.items()
            },
        }
        try:
            return AlertsConfig.model_validate(data)
        except ValidationError as exc:
            raise ConfigError(
                validation_problems(exc, {"alerts": data}, prefix=("alerts",))
            ) from None
