"""Config values shared by the sections: durations, time zones, selectors, loopback hosts,
``${VAR}`` interpolation, and the wording of validation errors."""

from __future__ import annotations

import ipaddress
import os
import re
from datetime import timedelta
from typing import Annotated, Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, ValidationError

from crawler.text.selectors import Selector

_DURATION_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)?\s*$")
_DURATION_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
ENV_RE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
# The parts of [alerts] that hold channel secrets (a route may have its own Slack webhook),
# resolved only by the commands that send.
CHANNEL_SECTIONS = ("slack", "email", "routes")
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


class NestedKeyError(ValueError):
    """A mistake a model's own validator finds in a key below the model (``routes[0].topics``
    of ``[alerts]``): the error names that key rather than the model."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(message)
        self.key = key


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


def check_https(value: str, what: str) -> None:
    """Secrets travel only over TLS; plain http is for a loopback test server.

    The message never repeats the value: it may be the secret itself.
    """
    if ENV_RE.search(value):
        return  # not resolved yet: checked again by Config.with_secrets
    if not (
        value.startswith("https://") or (value.startswith("http://") and is_loopback_url(value))
    ):
        raise ValueError(f"{what} must be an https:// URL (http:// only to a loopback host)")


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def interpolate(value: Any, path: str, *, keep: frozenset[str] = frozenset()) -> Any:
    """``value`` with ``${VAR}`` replaced from the environment; subtrees at a path in ``keep``
    stay as written."""
    if path in keep:
        return value
    if isinstance(value, dict):
        return {
            k: interpolate(v, f"{path}.{k}" if path else k, keep=keep) for k, v in value.items()
        }
    if isinstance(value, list):
        return [interpolate(v, f"{path}[{i}]", keep=keep) for i, v in enumerate(value)]
    if isinstance(value, str):

        def replace(m: re.Match[str]) -> str:
            name = m.group(1)
            found = os.environ.get(name)
            if found is None:
                raise ConfigError(f"{path}: environment variable {name} is not set")
            if not found:
                raise ConfigError(f"{path}: environment variable {name} is empty")
            return found

        return ENV_RE.sub(replace, value)
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


def validation_problems(
    err: ValidationError, data: dict[str, Any], prefix: tuple[str, ...] = ()
) -> str:
    """Each error as ``key: message``; ``prefix`` is where ``err``'s model sits in ``data``."""
    lines = []
    for e in err.errors():
        where = _format_location(prefix + tuple(e["loc"]), data)
        cause = e.get("ctx", {}).get("error")
        if isinstance(cause, NestedKeyError):
            where += cause.key if cause.key.startswith("[") else f".{cause.key}"
        msg = e["msg"].removeprefix("Value error, ")
        if e["type"] == "extra_forbidden":
            msg = "unknown key"
        elif e["type"] == "bool_type":
            msg = "write true or false, without quotes"
        lines.append(f"{where}: {msg}")
    return "; ".join(lines)
