"""The database, crawl, source, watchlist and web sections."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Literal

from pydantic import Field, StrictBool, ValidationInfo, field_validator, model_validator

from crawler.config.values import (
    DATABASE_KINDS,
    MAX_COUNT,
    MAX_INTERVAL,
    MIN_INTERVAL,
    Duration,
    ExtractionSelector,
    LinkSelector,
    Section,
    TimeZoneName,
    format_duration,
    is_loopback_url,
)
from crawler.vocab import SourceKind


class DatabaseConfig(Section):
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


class CrawlConfig(Section):
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
    # Off: no request goes to a loopback, private, link-local or other non-public address (after
    # DNS), so that a feed or a redirect cannot make the crawler probe its own network.
    allow_private_addresses: StrictBool = False

    @field_validator("workers")
    @classmethod
    def _worker_processes(cls, value: int | str) -> int | str:
        if isinstance(value, int) and not 0 <= value <= 64:
            raise ValueError("workers is a number of processes from 0 to 64, or 'auto'")
        return value


class Source(Section):
    name: str = Field(min_length=1)
    kind: SourceKind
    url: str
    interval: Duration = timedelta(minutes=10)
    timezone: TimeZoneName = "UTC"
    max_age: Duration | None = None
    link_selector: LinkSelector | None = None
    # The listing's "next page" (older articles) link, which `marsad backfill` follows.
    next_selector: LinkSelector | None = None
    # Optional extraction overrides: {"title": "css:h1", "body": "xpath://div[@id='x']", "date": ...}
    selectors: dict[Literal["title", "body", "date"], ExtractionSelector] | None = None
    enabled: bool = True
    # An intranet source: its own host may resolve to a private address even when
    # [crawl] allow_private_addresses is off. Other hosts it links or redirects to may not.
    allow_private_addresses: StrictBool = False
    # The outlet's name as readers know it ("الجزيرة نت"), shown in alerts and on the web page.
    title: str | None = Field(default=None, max_length=200)

    @field_validator("title")
    @classmethod
    def _one_line_title(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = " ".join(value.split())
        if not value:
            raise ValueError("an empty title: leave the key out to show the source's name")
        return value

    @property
    def display_name(self) -> str:
        return self.title or self.name

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
        if self.kind != "listing" and self.next_selector:
            raise ValueError("next_selector is only for kind = 'listing'")
        if self.max_age is not None and self.kind != "sitemap":
            raise ValueError("max_age is only for kind = 'sitemap'")
        return self


class WatchlistItem(Section):
    name: str = Field(min_length=1)
    patterns: list[str] = Field(min_length=1)


class WebConfig(Section):
    # Where the review page is served for its readers; alerts link to an article's page there.
    base_url: str | None = None

    @field_validator("base_url")
    @classmethod
    def _web_address(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not re.match(r"^https?://[^/\s?#]+(/[^\s?#]*)?$", value):
            raise ValueError(
                f"{value!r} is not an http(s) address without query, like https://marsad.example.org"
            )
        return value.rstrip("/")
