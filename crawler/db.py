"""Engines, sessions and migrations for SQLite (embedded default) and PostgreSQL.

SQLite is shared by the daemon, crawl children and the CLI. It runs in WAL mode with a busy
timeout, and write transactions start with ``BEGIN IMMEDIATE`` so that a check-then-insert
inside one cannot interleave with another writer. Reads use a second engine with plain
deferred transactions, so that a long ``marsad articles list`` never holds the write lock.
"""

from __future__ import annotations

import fcntl
import logging
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

SQLITE_BUSY_TIMEOUT_MS = 30_000

log = logging.getLogger(__name__)


class DatabaseError(Exception):
    """The database cannot be reached or used; phrased for the operator."""


def normalize_url(url: str) -> str:
    """Accept ``postgresql://`` and ``postgres://`` and use psycopg 3 for them."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url.removeprefix("postgres://")
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return url


def redact(url: str) -> str:
    """The URL without its password, for messages."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<unparseable database URL>"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # pysqlite's own transaction handling would defeat BEGIN IMMEDIATE; SQLAlchemy emits BEGIN.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.close()


def _make_engine(url: str, *, immediate: bool) -> Engine:
    sa_url = make_url(url)
    if sa_url.get_backend_name() == "sqlite":
        database = sa_url.database
        if database and database != ":memory:":
            parent = Path(database).expanduser().resolve().parent
            if not parent.is_dir():
                raise DatabaseError(f"database directory {parent} does not exist")
        engine = create_engine(
            sa_url,
            connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000, "check_same_thread": False},
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        begin = "BEGIN IMMEDIATE" if immediate else "BEGIN"
        event.listen(engine, "begin", lambda conn: conn.exec_driver_sql(begin))
        return engine
    return create_engine(sa_url, pool_pre_ping=True, connect_args={"connect_timeout": 10})


class _SqliteWriteLock:
    """Writers of one SQLite file take turns: threads through a lock, processes through flock.

    Without it they would wait in SQLite's busy handler, which sleeps in steps of up to 100 ms
    and leaves the database idle most of the time when several processes write (a crawl's
    worker processes, parallel crawls, the alert dispatcher). A blocked flock is woken by the
    kernel the moment the holder lets go, and is released if the holder dies.
    """

    def __init__(self, path: Path | None) -> None:
        self._threads = threading.Lock()
        self._path = path
        self._fd: int | None = None

    def __enter__(self) -> None:
        self._threads.acquire()
        try:
            fd = self._file()
            if fd is not None:
                fcntl.flock(fd, fcntl.LOCK_EX)
        except BaseException:
            self._threads.release()
            raise

    def __exit__(self, *exc: object) -> None:
        try:
            if self._fd is not None:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
        finally:
            self._threads.release()

    def _file(self) -> int | None:
        if self._fd is None and self._path is not None:
            try:
                self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
            except OSError as exc:
                # A read-only directory: SQLite's own locking still keeps writes correct.
                log.debug("no write lock file %s (%s); relying on SQLite's", self._path, exc)
                self._path = None
        return self._fd

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def _sqlite_file(url: str) -> Path | None:
    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database).expanduser().resolve()


@dataclass
class Database:
    """One database: a write engine, a read engine and their session factories."""

    url: str
    engine: Engine = field(init=False)
    read_engine: Engine = field(init=False)
    Session: sessionmaker[Session] = field(init=False)
    ReadSession: sessionmaker[Session] = field(init=False)

    def __post_init__(self) -> None:
        self.url = normalize_url(self.url)
        try:
            self.engine = _make_engine(self.url, immediate=True)
            self.read_engine = (
                _make_engine(self.url, immediate=False) if self.is_sqlite else self.engine
            )
        except (ArgumentError, ImportError, ValueError) as exc:
            raise DatabaseError(f"invalid database URL {redact(self.url)}: {exc}") from None
        sqlite_file = _sqlite_file(self.url) if self.is_sqlite else None
        self._write_lock = _SqliteWriteLock(
            sqlite_file.with_name(sqlite_file.name + ".write-lock") if sqlite_file else None
        )
        self.Session = sessionmaker(self.engine, expire_on_commit=False)
        self.ReadSession = sessionmaker(self.read_engine, expire_on_commit=False)

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def write(self) -> Iterator[Session]:
        """One unit of work: commits on success, rolls back on error.

        On SQLite, writers queue on :class:`_SqliteWriteLock` before SQLite's own lock.
        """
        if self.is_sqlite:
            with self._write_lock, self.Session.begin() as session:
                yield session
        else:
            with self.Session.begin() as session:
                yield session

    @contextmanager
    def read(self) -> Iterator[Session]:
        with self.ReadSession() as session:
            yield session

    def check(self) -> None:
        """Fail with a one-line :class:`DatabaseError` when the database is unreachable."""
        try:
            with self.read_engine.connect() as conn:
                conn.exec_driver_sql("SELECT 1")
        except SQLAlchemyError as exc:
            raise DatabaseError(
                f"cannot open database {redact(self.url)}: {_first_line(exc)}"
            ) from None

    def dispose(self) -> None:
        self.engine.dispose()
        if self.read_engine is not self.engine:
            self.read_engine.dispose()
        self._write_lock.close()


def _first_line(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None) or exc
    return (str(orig).strip().splitlines() or [type(orig).__name__])[0]


def alembic_config(db: Database) -> Any:
    from alembic.config import Config as AlembicConfig

    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(resources.files("crawler") / "migrations"))
    cfg.set_main_option("sqlalchemy.url", db.url.replace("%", "%%"))
    return cfg


HEAD_CACHE: dict[str, str] = {}


def _head_revision(cfg: Any) -> str:
    from alembic.script import ScriptDirectory

    key = cfg.get_main_option("script_location")
    if key not in HEAD_CACHE:
        HEAD_CACHE[key] = ScriptDirectory.from_config(cfg).get_current_head()
    return HEAD_CACHE[key]


def current_revision(db: Database) -> str | None:
    with db.read_engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return None
        return conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()


def upgrade(db: Database) -> bool:
    """Apply pending migrations; returns True when something was applied.

    Several processes may start at once (daemon, crawl children, CLI), so the upgrade runs
    under a lock: an advisory lock on PostgreSQL, the write lock (BEGIN IMMEDIATE) on SQLite.
    """
    from alembic import command

    cfg = alembic_config(db)
    try:
        if current_revision(db) == _head_revision(cfg):
            return False
        with db.engine.begin() as conn:
            if db.dialect == "postgresql":
                conn.exec_driver_sql("SELECT pg_advisory_xact_lock(727400001)")
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
        return True
    except OperationalError as exc:
        raise DatabaseError(f"cannot open database {redact(db.url)}: {_first_line(exc)}") from None


def open_database(url: str, *, migrate: bool = True) -> Database:
    """Open and check a database; the first start applies the migrations."""
    db = Database(url)
    db.check()
    if migrate:
        upgrade(db)
    return db
