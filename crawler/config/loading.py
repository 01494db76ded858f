"""The whole config, and reading it: an explicit path, then ``$MARSAD_CONFIG``, then
``./marsad.toml``, then the built-in default that ships inside the package."""

from __future__ import annotations

import os
import tomllib
from importlib import resources
from pathlib import Path

from pydantic import Field, ValidationError, model_validator

from crawler.config.alerting import AlertsConfig
from crawler.config.sections import (
    CrawlConfig,
    DatabaseConfig,
    Source,
    WatchlistItem,
    WebConfig,
)
from crawler.config.values import (
    CHANNEL_SECTIONS,
    ENV_RE,
    ConfigError,
    Section,
    interpolate,
    validation_problems,
)


class Config(Section):
    database: DatabaseConfig = DatabaseConfig()
    crawl: CrawlConfig = CrawlConfig()
    sources: list[Source] = Field(default_factory=list)
    watchlist: list[WatchlistItem] = Field(default_factory=list)
    alerts: AlertsConfig = AlertsConfig()
    web: WebConfig = WebConfig()
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

    def display_name(self, source: str) -> str:
        """The outlet's title for a source name; a name the config does not know (a source
        removed since its articles were stored) shows as itself."""
        for configured in self.sources:
            if configured.name == source:
                return configured.display_name
        return source

    def article_page(self, article_id: int) -> str | None:
        """The address of an article's page on the review site, when `web.base_url` is set."""
        if self.web.base_url is None:
            return None
        return f"{self.web.base_url}/articles/{int(article_id)}"

    def source(self, name: str) -> Source:
        for source in self.sources:
            if source.name == name:
                return source
        known = ", ".join(s.name for s in self.sources) or "none"
        raise ConfigError(f"unknown source {name!r} (configured: {known})")


def builtin_config_text() -> str:
    return resources.files("crawler").joinpath("default_config.toml").read_text("utf-8")


def parse_config(text: str, origin: str) -> Config:
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config error in {origin}: not valid TOML: {exc}") from None
    secrets = frozenset(f"alerts.{name}" for name in CHANNEL_SECTIONS)
    try:
        data = interpolate(raw, "", keep=secrets)
    except ConfigError as exc:
        raise ConfigError(f"config error in {origin}: {exc}") from None
    if "sources" not in data:
        # A file without [[sources]] keeps the built-in catalogue; with any, it replaces it.
        data["sources"] = tomllib.loads(builtin_config_text()).get("sources", [])
    try:
        config = Config.model_validate({**data, "origin": origin})
    except ValidationError as exc:
        problems = validation_problems(exc, data)
        raise ConfigError(f"config error in {origin}: {problems}") from None
    alerts = data.get("alerts")
    if isinstance(alerts, dict):
        config.alerts._unresolved = {
            name: alerts[name]
            for name in CHANNEL_SECTIONS
            if name in alerts and ENV_RE.search(repr(alerts[name]))
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
