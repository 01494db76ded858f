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
    slack: SlackConfig | None = None
    email: EmailConfig | None = None
    # The channel sections as written, while their ${VAR} are not resolved yet.
    _unresolved: dict[str, Any] = PrivateAttr(default_factory=dict)

    @field_validator("digest_at")
    @classmethod
    def _clock(cls, value: str) -> str:
        m = re.fullmatch(r"(\d{1,2}):(\d{2})", value.strip())
        if not m or int(m.group(1)) > 23 or int(m.group(2)) > 59:
            raise ValueError(f"{value!r} is not a time of day like 07:00")
        return f"{int(m.group(1)):02d}:{m.group(2)}"

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
