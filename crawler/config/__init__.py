"""The one TOML config file, validated with pydantic.

Resolution order: an explicit path, then ``$MARSAD_CONFIG``, then ``./marsad.toml``, then the
built-in default that ships inside the package. Every mistake is reported as a
:class:`ConfigError` naming the key, never as a traceback.

``${VAR}`` values are replaced from the environment when the file is read, except in the alert
channel sections (``[alerts.slack]``, ``[alerts.email]``): those hold secrets, and only the
commands that send need them, so they are resolved by :meth:`Config.with_secrets`.
"""

from crawler.config.alerting import AlertRoute, AlertsConfig, EmailConfig, SlackConfig
from crawler.config.loading import (
    Config,
    builtin_config_text,
    load_config,
    parse_config,
    resolve_config_path,
)
from crawler.config.sections import CrawlConfig, DatabaseConfig, Source, WatchlistItem, WebConfig
from crawler.config.values import (
    CHANNEL_SECTIONS,
    MAX_COUNT,
    MAX_DURATION,
    MAX_INTERVAL,
    MIN_INTERVAL,
    ConfigError,
    Duration,
    format_duration,
    is_loopback_host,
    is_loopback_url,
    parse_duration,
)

__all__ = [
    "AlertRoute",
    "AlertsConfig",
    "CHANNEL_SECTIONS",
    "Config",
    "ConfigError",
    "CrawlConfig",
    "DatabaseConfig",
    "Duration",
    "EmailConfig",
    "MAX_COUNT",
    "MAX_DURATION",
    "MAX_INTERVAL",
    "MIN_INTERVAL",
    "SlackConfig",
    "Source",
    "WatchlistItem",
    "WebConfig",
    "builtin_config_text",
    "format_duration",
    "is_loopback_host",
    "is_loopback_url",
    "load_config",
    "parse_config",
    "parse_duration",
    "resolve_config_path",
]
