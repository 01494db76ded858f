"""``[cluster]``: several nodes sharing one frontier in Redis and one PostgreSQL database.

Absent, Marsad runs on one machine with no Redis at all. Present, ``redis_url`` switches the
node into cluster mode, which needs PostgreSQL: SQLite's one file cannot be shared by nodes.
"""

from __future__ import annotations

from datetime import timedelta

from pydantic import Field, field_validator

from crawler.config.values import ConfigError, Duration, Section

# Every key a cluster writes starts with the prefix; ``%`` would break scrapy-redis's key
# template and spaces or braces would make the keys awkward to read in redis-cli.
PREFIX_PATTERN = r"^[A-Za-z0-9_.:-]+$"


class ClusterConfig(Section):
    redis_url: str
    # Lets several installs (or parallel tests) share one Redis without meeting.
    key_prefix: str = Field(default="marsad", pattern=PREFIX_PATTERN)
    # The name `marsad status` shows; by default the host name and the daemon's pid.
    node: str | None = Field(default=None, pattern=PREFIX_PATTERN)
    # A source's lease lasts this long unless renewed: how soon a killed node's sources are
    # taken over. It is renewed at a third of it while the crawl runs.
    lease: Duration = timedelta(seconds=30)
    # How often a node writes its heartbeat; after three missed ones it is shown as lost.
    heartbeat: Duration = timedelta(seconds=5)

    @field_validator("redis_url")
    @classmethod
    def _redis_scheme(cls, value: str) -> str:
        if not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("write a Redis URL: redis://host:6379/0 (or rediss://, unix://)")
        return value


def check_cluster_database(cluster: ClusterConfig | None, database_url: str, origin: str) -> None:
    """Cluster mode stores in PostgreSQL: nodes on other machines cannot share a SQLite file,
    and its one writer at a time would serialise every node's storing."""
    if cluster is None:
        return
    scheme = database_url.partition("://")[0].partition("+")[0].lower()
    if scheme not in {"postgresql", "postgres"}:
        raise ConfigError(
            f"config error in {origin}: cluster.redis_url: cluster mode needs a PostgreSQL "
            f"database (database.url = postgresql://user@host/dbname), not {scheme or 'this'}"
        )
