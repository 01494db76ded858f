"""Logging: one line per event on stderr, readable in a terminal or as JSON for collectors."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime

# Scrapy and its dependencies are chatty at INFO; Marsad's own lines say what matters.
_QUIET = (
    "scrapy",
    "twisted",
    "trafilatura",
    "htmldate",
    "urllib3",
    "filelock",
    "apscheduler",
    "alembic",
    "py.warnings",
)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
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
    # Scrapy resets the root logger's level to NOTSET when a crawl starts; the handler's own
    # level keeps DEBUG item dumps out of the log regardless.
    handler.setLevel(level)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in _QUIET:
        logging.getLogger(name).setLevel(logging.WARNING)
    # trafilatura warns for every page it finds too thin; the pipeline counts those itself.
    for name in ("trafilatura", "htmldate", "courlan"):
        logging.getLogger(name).setLevel(logging.ERROR)
