"""Logging: one line per event on stderr, readable in a terminal or as JSON for collectors."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any

# Libraries that are chatty below WARNING; Marsad's own lines say what matters. A handler filter
# keeps them out even where Scrapy re-applies its own logger levels (a new CrawlerProcess sets
# them to DEBUG), and strips their routine tracebacks; setup_logging also sets the levels.
_QUIET = (
    "scrapy",
    "twisted",
    "urllib3",
    "filelock",
    "alembic",
    "py.warnings",
    "asyncio",
)
# trafilatura warns for every page it finds too thin (the pipeline counts those itself), and
# APScheduler warns each time a crawl outlasts its interval (the crawl is not started twice).
_SILENT = ("trafilatura", "htmldate", "courlan", "apscheduler")
# Scrapy logs a robots.txt it could not download at ERROR, and then lets the request it guarded
# go ahead: that request fails or succeeds on its own, and the crawl reports it once per source.
# (A robots.txt that answered with a server error is another case: the robots middleware skips
# the host and says so once.)
_ROBOTS_LOGGER = "scrapy.downloadermiddlewares.robotstxt"
# An exception raised in a spider's callback is a fault in Marsad or a page it did not expect:
# its traceback is the cause, and is kept.
_SPIDER_ERROR = "Spider error processing"


class _LibraryFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        name = record.name
        if name == _ROBOTS_LOGGER and str(record.msg).startswith("Error downloading"):
            return record.levelno >= logging.CRITICAL
        if name.startswith(_SILENT):
            return record.levelno >= logging.ERROR
        if name.startswith(_QUIET):
            if (
                record.exc_info
                and record.levelno < logging.CRITICAL
                and not str(record.msg).startswith(_SPIDER_ERROR)
            ):
                # Scrapy attaches a full traceback to routine network failures (a feed's host
                # is unreachable); its message already names the URL and the cause.
                record.exc_info = None
                record.exc_text = None
            return record.levelno >= logging.WARNING
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per record; a record logged with ``extra={"data": {...}}`` carries those
    fields too (a crawl's figures), for collectors that count rather than read."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        data = getattr(record, "data", None)
        if isinstance(data, dict):
            entry["data"] = data
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def setup_logging(fmt: str = "text", level: int = logging.INFO) -> None:
    handler = logging.StreamHandler(sys.stderr)
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(
            logging.Formatter(
                "%(asctime)s %(levelname)-7s %(name)s: %(message)s", "%Y-%m-%d %H:%M:%S"
            )
        )
    handler.setLevel(level)
    handler.addFilter(_LibraryFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # The filter would drop their records anyway; a logger level spares building them (two
    # per page in a crawl, once Scrapy has put its loggers at DEBUG).
    for name in _QUIET:
        logging.getLogger(name).setLevel(max(level, logging.WARNING))
    for name in _SILENT:
        logging.getLogger(name).setLevel(max(level, logging.ERROR))
