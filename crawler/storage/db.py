"""Engines, sessions and migrations for SQLite (embedded default) and PostgreSQL.

SQLite is shared by the daemon, crawl children and the CLI. It runs in WAL mode with a busy
timeout, and write transactions start with ``BEGIN IMMEDIATE`` so that a check-then-insert
inside one cannot interleave with another writer. Reads use a second engine with plain
deferred transactions, so that a long ``marsad articles list`` never holds the write lock.

The reading commands open a database *read-only* (:func:`open_database` with
``read_only=True``): SQLite with ``PRAGMA query_only``, through a ``mode=ro`` URI where the
reader may not write the file, PostgreSQL in read-only transactions. An analyst can then browse
a database file they may only read, and nothing they run can change it; such an open never
migrates.
"""

from __future__ import annotations

import fcntl
import logging
import os
import sqlite3
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


def _sqlite_read_only_pragmas(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA query_only = ON")
    cursor.close()


def _sqlite_read_only_connector(path: Path) -> Any:
    """Connections that cannot write to the SQLite file at ``path``, made the first of three
    ways that can read it:

    - a plain connection (``PRAGMA query_only`` then refuses writes) when the file and its
      directory are writable: the last one to close removes the ``-wal`` and ``-shm`` files;
    - ``mode=ro``, which shares a running writer's ``-wal`` and ``-shm`` files;
    - ``mode=ro&immutable=1`` when there is no ``-wal`` file (so no writer has the database
      open and the file is complete), for a directory the reader may not write: a WAL
      database cannot be opened ``mode=ro`` there, as its ``-shm`` file cannot be created.
    """
    uri = path.as_uri()
    wal = path.with_name(path.name + "-wal")
    writable = os.access(path, os.W_OK) and os.access(path.parent, os.W_OK)

    def open_one(way: str) -> sqlite3.Connection:
        return sqlite3.connect(
            way,
            uri=way.startswith("file:"),
            timeout=SQLITE_BUSY_TIMEOUT_MS / 1000,
            check_same_thread=False,
        )

    def connect() -> sqlite3.Connection:
        ways = [str(path)] if writable else []
        ways.append(uri + "?mode=ro")
        if not wal.exists():
            ways.append(uri + "?mode=ro&immutable=1")
        for way in ways[:-1]:
            conn = open_one(way)
            try:
                conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
                return conn
            except sqlite3.OperationalError:
                conn.close()
        # The last way's own error, if any, is the one to report.
        return open_one(ways[-1])

    return connect


def _make_engine(url: str, *, immediate: bool, read_only: bool = False) -> Engine:
    sa_url = make_url(url)
    if sa_url.get_backend_name() == "sqlite":
        database = sa_url.database
        path = _sqlite_file(url)
        if database and database != ":memory:":
            parent = Path(database).expanduser().resolve().parent
            if not parent.is_dir():
                raise DatabaseError(f"database directory {parent} does not exist")
        if read_only and path is not None:
            if not path.is_file():
                raise DatabaseError(
                    f"database {path} does not exist yet: `marsad db upgrade` creates it"
                )
            engine = create_engine(sa_url, creator=_sqlite_read_only_connector(path))
            event.listen(engine, "connect", _sqlite_read_only_pragmas)
        else:
            engine = create_engine(
                sa_url,
                connect_args={
                    "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000,
                    "check_same_thread": False,
                },
            )
            pragmas = _sqlite_read_only_pragmas if read_only else _sqlite_pragmas
            event.listen(engine, "connect", pragmas)
        begin = "BEGIN IMMEDIATE" if immediate else "BEGIN"
        event.listen(engine, "begin", lambda conn: conn.exec_driver_sql(begin))
        return engine
    engine = create_engine(sa_url, pool_pre_ping=True, connect_args={"connect_timeout": 10})
    if read_only:
        # psycopg then opens every transaction with BEGIN READ ONLY.
        event.listen(
            engine,
            "connect",
            lambda dbapi_connection, _record: setattr(dbapi_connection, "read_only", True),
        )
    return engine


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


def not_created_yet(url: str) -> bool:
    """True for an SQLite file that does not exist yet (a fresh install before its first run)."""
    path = _sqlite_file(url)
    return path is not None and not path.exists()


def _sqlite_file(url: str) -> Path | None:
    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database).expanduser().resolve()


@dataclass
class Database:
    """One database: a write engine, a read engine and their session factories.

    Opened ``read_only``, both are one engine that refuses writes.
    """

    url: str
    read_only: bool = False
    engine: Engine = field(init=False)
    read_engine: Engine = field(init=False)
    write_sessions: sessionmaker[Session] = field(init=False)
    read_sessions: sessionmaker[Session] = field(init=False)

    def __post_init__(self) -> None:
        self.url = normalize_url(self.url)
        try:
            if self.read_only:
                self.engine = _make_engine(self.url, immediate=False, read_only=True)
                self.read_engine = self.engine
            else:
                self.engine = _make_engine(self.url, immediate=True)
                self.read_engine = (
                    _make_engine(self.url, immediate=False) if self.is_sqlite else self.engine
                )
        except (ArgumentError, ImportError, ValueError) as exc:
            raise DatabaseError(f"invalid database URL {redact(self.url)}: {exc}") from None
        writes = self.is_sqlite and not self.read_only
        sqlite_file = _sqlite_file(self.url) if writes else None
        self._write_lock = _SqliteWriteLock(
            sqlite_file.with_name(sqlite_file.name + ".write-lock") if sqlite_file else None
        )
        self.write_sessions = sessionmaker(self.engine, expire_on_commit=False)
        self.read_sessions = sessionmaker(self.read_engine, expire_on_commit=False)

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
        if self.read_only:
            raise DatabaseError(f"database {redact(self.url)} is open read-only")
        if self.is_sqlite:
            with self._write_lock, self.write_sessions.begin() as session:
                yield session
        else:
            with self.write_sessions.begin() as session:
                yield session

    @contextmanager
    def read(self) -> Iterator[Session]:
        with self.read_sessions() as session:
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
    cfg.set_main_option("script_location", str(resources.files("crawler.storage") / "migrations"))
    cfg.set_main_option("sqlalchemy.url", db.url.replace("%", "%%"))
    return cfg


HEAD_CACHE: dict[str, str | None] = {}


def _head_revision(cfg: Any) -> str | None:
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


def check_schema(db: Database) -> None:
    """Fail with a :class:`DatabaseError` telling to migrate unless the schema is current."""
    try:
        revision = current_revision(db)
    except OperationalError as exc:
        raise DatabaseError(f"cannot open database {redact(db.url)}: {_first_line(exc)}") from None
    head = _head_revision(alembic_config(db))
    if revision != head:
        state = f"at revision {revision}" if revision else "has no Marsad tables yet"
        raise DatabaseError(
            f"database {redact(db.url)} {state}, this version needs {head}: "
            "run `marsad db upgrade` (as a user who may write to it)"
        )


def open_database(url: str, *, migrate: bool = True, read_only: bool = False) -> Database:
    """Open and check a database; the first start applies the migrations.

    ``read_only`` opens it for reading only, and never migrates: an out-of-date schema is a
    :class:`DatabaseError` telling to run `marsad db upgrade`.
    """
    db = Database(url, read_only=read_only)
    try:
        db.check()
        if read_only:
            check_schema(db)
        elif migrate:
            upgrade(db)
    except DatabaseError:
        db.dispose()
        raise
    return db
