"""`marsad analyze`: JSONL articles in, one analysis per line out."""

from __future__ import annotations

import json
import sys
from typing import IO, Any

import click

from crawler.cli.common import State, reports_errors


@click.command()
@click.argument("file", type=click.File("r", encoding="utf-8"), default="-")
@click.pass_obj
@reports_errors
def analyze(state: State, file: IO[str]) -> None:
    """JSONL {"id","title","body"} in, one analysis per line out."""
    from crawler.analysis.analyzer import Analyzer

    analyzer = Analyzer.from_config(state.config)
    out = sys.stdout
    for number, line in enumerate(file, start=1):
        if not line.strip():
            continue
        article_id: Any = None
        try:
            record = json.loads(line)
            if not isinstance(record, dict):
                raise ValueError("a line must be a JSON object")
            article_id = record.get("id")
            title, body = record.get("title") or "", record.get("body") or ""
            if not isinstance(title, str) or not isinstance(body, str):
                raise ValueError("title and body must be strings")
            result = analyzer.analyze(title, body).to_json(article_id)
        except (ValueError, TypeError) as exc:
            result = {"id": article_id, "error": f"line {number}: {exc}"}
        out.write(json.dumps(result, ensure_ascii=False) + "\n")
        out.flush()
