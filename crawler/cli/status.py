"""`marsad status`: sources, outbox and database; exits 1 when something needs attention."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from typing import Any

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from crawler.cli.common import State, format_option, reports_errors
from crawler.cluster import MISSING_REDIS, ClusterError
from crawler.config import ClusterConfig
from crawler.storage.db import not_created_yet
from crawler.vocab import ExitCode


@click.command()
@format_option("table", "json")
@click.pass_obj
@reports_errors
def status(state: State, fmt: str) -> None:
    """Sources, outbox and database; exits 1 when something needs attention."""
    from crawler.review.status import collect_status

    # Read-only, so that an analyst who may only read the file can check it; a fresh install
    # whose database does not exist yet is created, and reported healthy and empty.
    fresh = not_created_yet(state.config.database.url)
    with state.database(read_only=not fresh) as db:
        result = collect_status(db, state.config)
    data = result.data
    if state.config.cluster is not None:
        data["nodes"] = cluster_nodes(state.config.cluster, result.problems)
        result.healthy = result.healthy and not result.problems
    if fmt == "json":
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        print_status(data, result.problems)
    if not result.healthy:
        sys.exit(ExitCode.ERROR)


STATUS_COLUMNS = {
    "source": "name",
    "interval": "interval",
    "last run": "last_run",
    "last success": "last_success",
    "next run": "next_run",
    "status": "last_status",
    "pages": "pages",
    "relevant": "relevant",
    "stored": "stored",
    "copies": "copies",
    "errors": "errors",
    "streak": "error_streak",
    "muted until": "muted_until",
    "last error": "last_error",
}


def cluster_nodes(cluster: ClusterConfig, problems: list[str]) -> list[dict[str, Any]]:
    """Every node of the cluster, alive or lost; a Redis that does not answer is a problem (no
    node can take a source's lease then)."""
    try:
        import redis

        from crawler.cluster.connection import Keys, connect
        from crawler.cluster.nodes import read_nodes
    except ImportError:
        problems.append(MISSING_REDIS)
        return []
    try:
        client = connect(cluster)
        try:
            return [asdict(node) for node in read_nodes(client, Keys(cluster.key_prefix))]
        finally:
            client.close()
    except (redis.RedisError, ClusterError) as exc:
        problems.append(f"cluster: Redis is not reachable ({cluster.redis_url}): {exc}")
        return []


NODE_COLUMNS = {
    "node": "name",
    "state": "state",
    "last heartbeat": "heartbeat_at",
    "crawling": "crawling",
    "queue": "queue_length",
    "host": "host",
    "pid": "pid",
}


def node_cells(node: dict[str, Any]) -> list[str]:
    return [
        ", ".join(node[key]) or "-" if key == "crawling" else str(node[key])
        for key in NODE_COLUMNS.values()
    ]


def print_status(data: dict[str, Any], problems: list[str]) -> None:
    """A table in a terminal; piped or redirected, one tab-separated line per source with every
    value whole (a table would cut or wrap them to the width of a terminal there is not)."""
    console = Console()
    o, d = data["outbox"], data["database"]
    lines = [
        f"outbox: {o['pending']} pending, {o['failed']} failed, {o['sent']} sent; "
        f"oldest pending: {o['oldest_pending'] or '-'}",
        f"database: {d['dialect']}, {d['articles']} articles ({d['originals']} originals), "
        f"{d['size_bytes'] or 0} bytes",
    ]
    if not console.is_terminal:
        click.echo("\t".join(STATUS_COLUMNS))
        for s in data["sources"]:
            cells = ("-" if s[key] is None else str(s[key]) for key in STATUS_COLUMNS.values())
            click.echo("\t".join(cell.replace("\t", " ").replace("\n", " ") for cell in cells))
        if "nodes" in data:
            click.echo("\t".join(NODE_COLUMNS))
            for node in data["nodes"]:
                click.echo("\t".join(node_cells(node)))
        for line in [*lines, *(f"problem: {p}" for p in problems)]:
            click.echo(line)
        return
    table = Table(title="sources (times in UTC)", title_justify="left")
    # In a terminal each error goes below the table, whole, rather than squeezed into a column.
    columns = {col: key for col, key in STATUS_COLUMNS.items() if key != "last_error"}
    numbers = {"pages", "relevant", "stored", "copies", "errors", "error_streak"}
    for col, key in columns.items():
        table.add_column(col, justify="right" if key in numbers else "left", overflow="fold")
    times = {"last_run", "last_success", "next_run", "muted_until"}
    for s in data["sources"]:
        table.add_row(
            *(
                "-"
                if s[key] is None
                else escape(str(s[key])[5:16].replace("T", " ") if key in times else str(s[key]))
                for key in columns.values()
            ),
            style="red" if s["failing"] else None,
        )
    console.print(table)
    for s in data["sources"]:
        if s["last_error"]:
            console.print(
                f"[bold]{escape(s['name'])}[/]: {escape(s['last_error'])}", highlight=False
            )
    if "nodes" in data:
        nodes = Table(title="cluster nodes (times in UTC)", title_justify="left")
        for col in NODE_COLUMNS:
            nodes.add_column(col, overflow="fold")
        for node in data["nodes"]:
            nodes.add_row(
                *(escape(cell) for cell in node_cells(node)),
                style="red" if node["state"] == "lost" else None,
            )
        console.print(nodes)
    for line in lines:
        console.print(line, highlight=False)
    for problem in problems:
        console.print(f"[bold red]problem:[/] {escape(problem)}", highlight=False)
