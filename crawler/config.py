"""The one TOML config file, validated with pydantic.

Resolution order: an explicit path, then ``$MARSAD_CONFIG``, then ``./marsad.toml``, then the
built-in default that ships inside the package. Every mistake is reported as a
:class:`ConfigError` naming the key, never as a traceback.

``${VAR}`` values are replaced from the environment when the file is read, except in the alert
channel sections (``[alerts.slack]``, ``[alerts.email]``): those hold secrets, and only the
commands that send need them, so they are resolved by :meth:`Config.with_secrets`.
"""

from __future__ import annotations

import ipaddress
import os
import re
import tomllib
from datetime import timedelta
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    SecretStr,
    StrictBool,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from crawler.text.selectors import Selector
from crawler.vocab import ALERTING_TOPICS_DEFAULT, SourceKind, Topic

_DURATION_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)?\s*$")
_DURATION_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_ENV_RE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
# The sections of [alerts] that hold channel secrets, resolved only by the commands that send.
CHANNEL_SECTIONS = ("slack", "email")
DATABASE_KINDS = ("sqlite", "postgresql")
# A source polled more often than this burdens the outlet; one polled less often is a typo.
MIN_INTERVAL = timedelta(minutes=1)
MAX_INTERVAL = timedelta(days=30)
# Far beyond any sensible setting, and far enough inside timedelta's range that adding one to a
# date cannot overflow: a duration past it is a typo, answered as a config error.
MAX_DURATION = timedelta(days=3650)
# The same for counts: a huge number is a typo, and past 2**63 no database stores it.
MAX_COUNT = 1_000_000


class ConfigError(Exception):
    """A config mistake, already phrased for the operator."""


def parse_duration(value: Any) -> timedelta:
    """``30s``, ``10m``, ``1h``, ``3d`` (a bare number is seconds)."""
    if isinstance(value, timedelta):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        seconds = float(value)
    elif isinstance(value, str) and (m := _DURATION_RE.match(value)):
        seconds = float(m.group(1)) * _DURATION_UNITS[m.group(2) or "s"]
    else:
        raise ValueError(f"invalid duration {value!r}: write it like 30s, 10m, 1h or 3d")
    if seconds <= 0:
        raise ValueError(f"duration {value!r} must be positive")
    if not seconds <= MAX_DURATION.total_seconds():
        raise ValueError(f"duration {value!r} is too long: at most {format_duration(MAX_DURATION)}")
    return timedelta(seconds=seconds)


def format_duration(value: timedelta) -> str:
    """The shortest way to write `value` as the config does: 600 seconds is ``10m``."""
    seconds = value.total_seconds()
    for unit in ("d", "h", "m", "s"):
        count = seconds / _DURATION_UNITS[unit]
        if count >= 1 and count == int(count):
            return f"{int(count)}{unit}"
    return f"{seconds:g}s"


Duration = Annotated[timedelta, BeforeValidator(parse_duration)]


def _check_timezone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"unknown time zone {name!r} (use an IANA name such as Asia/Riyadh)"
        ) from None
    return name


TimeZoneName = Annotated[str, BeforeValidator(_check_timezone)]


def _check_link_selector(spec: str) -> str:
    Selector.parse(spec).checked()
    return spec


def _check_extraction_selector(spec: str) -> str:
    # Extraction reads a selector without a prefix as CSS.
    Selector.parse(spec, default="css").checked()
    return spec


# Each checked on its own, so that an error names its key (selectors.body).
LinkSelector = Annotated[str, AfterValidator(_check_link_selector)]
ExtractionSelector = Annotated[str, AfterValidator(_check_extraction_selector)]


def is_loopback_url(url: str) -> bool:
    return is_loopback_host(urlsplit(url).hostname or "")


def is_loopback_host(host: str) -> bool:
    """``localhost``, ``127.0.0.1``, ``::1`` (with or without brackets)."""
    host = host.strip().removeprefix("[").removesuffix("]")
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _check_https(value: str, what: str) -> None:
    """Secrets travel only over TLS; plain http is for a loopback test server.

    The message never repeats the value: it may be the secret itself.
    """
    if _ENV_RE.search(value):
        return  # not resolved yet: checked again by Config.with_secrets
    if not (
        value.startswith("https://") or (value.startswith("http://") and is_loopback_url(value))
    ):
        raise ValueError(f"{what} must be an https:// URL (http:// only to a loopback host)")


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DatabaseConfig(_Section):
    url: str = "sqlite:///marsad.db"

    @field_validator("url")
    @classmethod
    def _supported_kind(cls, value: str) -> str:
        # "postgres://" and driver suffixes ("postgresql+psycopg://") name the same kinds.
        scheme = value.partition("://")[0].partition("+")[0].lower() if "://" in value else ""
        if {"postgres": "postgresql"}.get(scheme, scheme) not in DATABASE_KINDS:
            shown = f"{scheme!r}" if scheme else "no kind"
            raise ValueError(
                f"unsupported database URL ({shown}): use sqlite:///path/marsad.db or "
                "postgresql://user@host/dbname (supported: sqlite, postgresql)"
            )
        return value


class CrawlConfig(_Section):
    download_delay: float = Field(default=1.0, ge=0, le=3600)
    # Strict: "yes" or "false" in quotes is a mistake, not a truthy string.
    robots_txt: StrictBool = True
    timeout: Duration = timedelta(seconds=30)
    max_page_bytes: int = Field(default=5_000_000, gt=0, le=2**31 - 1)
    user_agent: str = "Marsad/0.1 (Arabic news monitor; +https://github.com/marsad)"
    concurrent_requests_per_host: int = Field(default=2, ge=1, le=64)
    # A crawl child that runs past this is terminated, then killed, and recorded as a timeout.
    hard_timeout: Duration = timedelta(minutes=15)
    max_parallel_crawls: int = Field(default=2, ge=1, le=64)
    # Listing and sitemap sources can list thousands of URLs; bound one run.
    max_articles_per_run: int = Field(default=500, ge=1, le=MAX_COUNT)
    # Processes that extract and analyse pages beside the crawl process ("auto": one per core,
    # at most 4; 0: none). They start when a crawl requests workers_min_pages article pages,
    # or at its start when its sources' last crawls fetched that many.
    workers: int | Literal["auto"] = "auto"
    workers_min_pages: int = Field(default=40, ge=0, le=MAX_COUNT)

    @field_validator("workers")
    @classmethod
    def _worker_processes(cls, value: int | str) -> int | str:
        if isinstance(value, int) and not 0 <= value <= 64:
            raise ValueError("workers is a number of processes from 0 to 64, or 'auto'")
        return value


class Source(_Section):
    name: str = Field(min_length=1)
    kind: SourceKind
    url: str
    interval: Duration = timedelta(minutes=10)
    timezone: TimeZoneName = "UTC"
    max_age: Duration | None = None
    link_selector: LinkSelector | None = None
    # Optional extraction overrides: {"title": "css:h1", "body": "xpath://div[@id='x']", "date": ...}
    selectors: dict[Literal["title", "body", "date"], ExtractionSelector] | None = None
    enabled: bool = True

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not re.match(r"^https?://[^/\s]+", value):
            raise ValueError(f"{value!r} is not an http(s) URL")
        return value

    @field_validator("interval")
    @classmethod
    def _polite_interval(cls, value: timedelta, info: ValidationInfo) -> timedelta:
        # A loopback source is a test's fixture server, which may be polled every second.
        if value < MIN_INTERVAL and not is_loopback_url(info.data.get("url") or ""):
            raise ValueError(
                f"{format_duration(value)} is too short: at least {format_duration(MIN_INTERVAL)}"
            )
        if value > MAX_INTERVAL:
            raise ValueError(
                f"{format_duration(value)} is too long: at most {format_duration(MAX_INTERVAL)}"
            )
        return value

    @model_validator(mode="after")
    def _kind_options(self) -> Source:
        if self.kind == "listing" and not self.link_selector:
            raise ValueError("a listing source needs link_selector (css:... or xpath:...)")
        if self.kind != "listing" and self.link_selector:
            raise ValueError("link_selector is only for kind = 'listing'")
        if self.max_age is not None and self.kind != "sitemap":
            raise ValueError("max_age is only for kind = 'sitemap'")
        return self


class WatchlistItem(_Section):
    name: str = Field(min_length=1)
    patterns: list[str] = Field(min_length=1)


class SlackConfig(_Section):
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
            _check_https(value.get_secret_value(), "a Slack webhook")
        return value

    @field_validator("api_base_url")
    @classmethod
    def _api_https(cls, value: str) -> str:
        _check_https(value, "the Slack API address")
        return value

    @model_validator(mode="after")
    def _one_way_in(self) -> SlackConfig:
        if bool(self.webhook_url) == bool(self.bot_token):
            raise ValueError("set exactly one of webhook_url or bot_token")
        if self.bot_token and not self.channel:
            raise ValueError("bot_token needs channel")
        return self


class EmailConfig(_Section):
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


class AlertsConfig(_Section):
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
                name: _interpolate(section, f"alerts.{name}")
                for name, section in self._unresolved.items()
            },
        }
        try:
            return AlertsConfig.model_validate(data)
        except ValidationError as exc:
            raise ConfigError(
                _validation_problems(exc, {"alerts": data}, prefix=("alerts",))
            ) from None


class Config(_Section):
    database: DatabaseConfig = DatabaseConfig()
    crawl: CrawlConfig = CrawlConfig()
    sources: list[Source] = Field(default_factory=list)
    watchlist: list[WatchlistItem] = Field(default_factory=list)
    alerts: AlertsConfig = AlertsConfig()
    # Where the config came from, for messages; not a key in the file.
    origin: str = Field(default="built-in default", exclude=True)

    @model_validator(mode="after")
    def _unique_sources(self) -> Config:
        seen: set[str] = set()
        for source in self.sources:
            if source.name in seen:
                raise ValueError(f"source name {source.name!r} is used twice")
            seen.add(source.name)
        return self

    def with_secrets(self) -> Config:
        """This config with the alert channels' ``${VAR}`` secrets resolved: for the commands
        that send (`run`, `alerts test`, `alerts retry`)."""
        try:
            alerts = self.alerts.with_secrets()
        except ConfigError as exc:
            raise ConfigError(f"config error in {self.origin}: {exc}") from None
        return self if alerts is self.alerts else self.model_copy(update={"alerts": alerts})

    def source(self, name: str) -> Source:
        for source in self.sources:
            if source.name == name:
                return source
        known = ", ".join(s.name for s in self.sources) or "none"
        raise ConfigError(f"unknown source {name!r} (configured: {known})")


def _interpolate(value: Any, path: str, *, keep: frozenset[str] = frozenset()) -> Any:
    """``value`` with ``${VAR}`` replaced from the environment; subtrees at a path in ``keep``
    stay as written."""
    if path in keep:
        return value
    if isinstance(value, dict):
        return {
            k: _interpolate(v, f"{path}.{k}" if path else k, keep=keep) for k, v in value.items()
        }
    if isinstance(value, list):
        return [_interpolate(v, f"{path}[{i}]", keep=keep) for i, v in enumerate(value)]
    if isinstance(value, str):

        def replace(m: re.Match[str]) -> str:
            name = m.group(1)
            found = os.environ.get(name)
            if found is None:
                raise ConfigError(f"{path}: environment variable {name} is not set")
            if not found:
                raise ConfigError(f"{path}: environment variable {name} is empty")
            return found

        return _ENV_RE.sub(replace, value)
    return value


def _format_location(loc: tuple[Any, ...], data: dict[str, Any]) -> str:
    parts: list[str] = []
    node: Any = data
    for item in loc:
        if isinstance(item, int):
            label = f"[{item}]"
            if isinstance(node, list) and item < len(node):
                node = node[item]
                if isinstance(node, dict) and isinstance(node.get("name"), str):
                    label = f"[{item}] ({node['name']})"
            parts.append(label)
        else:
            # pydantic adds the class name of a failed model validator; it is not a key.
            if item in {"function-after", "function-before"}:
                continue
            parts.append(("." if parts else "") + str(item))
            node = node.get(item) if isinstance(node, dict) else None
    return "".join(parts) or "(top level)"


def _validation_problems(
    err: ValidationError, data: dict[str, Any], prefix: tuple[str, ...] = ()
) -> str:
    """Each error as ``key: message``; ``prefix`` is where ``err``'s model sits in ``data``."""
    lines = []
    for e in err.errors():
        where = _format_location(prefix + tuple(e["loc"]), data)
        msg = e["msg"].removeprefix("Value error, ")
        if e["type"] == "extra_forbidden":
            msg = "unknown key"
        elif e["type"] == "bool_type":
            msg = "write true or false, without quotes"
        lines.append(f"{where}: {msg}")
    return "; ".join(lines)


def builtin_config_text() -> str:
    return resources.files("crawler").joinpath("default_config.toml").read_text("utf-8")


def parse_config(text: str, origin: str) -> Config:
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config error in {origin}: not valid TOML: {exc}") from None
    secrets = frozenset(f"alerts.{name}" for name in CHANNEL_SECTIONS)
    try:
        data = _interpolate(raw, "", keep=secrets)
    except ConfigError as exc:
        raise ConfigError(f"config error in {origin}: {exc}") from None
    if "sources" not in data:
        # A file without [[sources]] keeps the built-in catalogue; with any, it replaces it.
        data["sources"] = tomllib.loads(builtin_config_text()).get("sources", [])
    try:
        config = Config.model_validate({**data, "origin": origin})
    except ValidationError as exc:
        problems = _validation_problems(exc, data)
        raise ConfigError(f"config error in {origin}: {problems}") from None
    alerts = data.get("alerts")
    if isinstance(alerts, dict):
        config.alerts._unresolved = {
            name: alerts[name]
            for name in CHANNEL_SECTIONS
            if name in alerts and _ENV_RE.search(repr(alerts[name]))
        }
    return config


def resolve_config_path(explicit: str | os.PathLike[str] | None) -> Path | None:
    if explicit:
        return Path(explicit)
    if env := os.environ.get("MARSAD_CONFIG"):
        return Path(env)
    local = Path("marsad.toml")
    return local if local.is_file() else None


def load_config(explicit: str | os.PathLike[str] | None = None) -> Config:
    path = resolve_config_path(explicit)
    if path is None:
        return parse_config(builtin_config_text(), "built-in default")
    try:
        text = path.read_text("utf-8")
    except FileNotFoundError:
        raise ConfigError(f"config file {path} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"config file {path} cannot be read: {exc}") from None
    return parse_config(text, str(path))
