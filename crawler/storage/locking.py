"""One daemon per database: a file lock beside a SQLite file, an advisory lock on PostgreSQL."""

from __future__ import annotations

from pathlib import Path

from filelock import FileLock, Timeout
from sqlalchemy.engine import Connection, make_url

from crawler.storage.db import Database

# Names Marsad's daemon lock among PostgreSQL advisory locks; the second key is the schema, so
# installs sharing one database in different schemas do not block each other.
DAEMON_LOCK_CLASS = 727400
_LOCK_ARGS = f"{DAEMON_LOCK_CLASS}, hashtext(current_schema())"


class AlreadyRunning(Exception):
    pass


class InstanceLock:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._file_lock: FileLock | None = None
        self._connection: Connection | None = None

    def _lock_path(self) -> Path:
        database = make_url(self.db.url).database or "marsad.db"
        return Path(database).expanduser().resolve().with_name(Path(database).name + ".lock")

    def acquire(self) -> None:
        if self.db.is_sqlite:
            self._file_lock = FileLock(self._lock_path())
            try:
                self._file_lock.acquire(timeout=0)
            except Timeout:
                raise AlreadyRunning(
                    f"another marsad run is using this database (lock {self._lock_path()})"
                ) from None
            return
        conn = self.db.engine.connect()
        got = conn.exec_driver_sql(f"SELECT pg_try_advisory_lock({_LOCK_ARGS})").scalar()
        conn.commit()
        if not got:
            conn.close()
            raise AlreadyRunning("another marsad run is using this database (advisory lock held)")
        self._connection = conn

    def release(self) -> None:
        if self._file_lock is not None:
            self._file_lock.release()
            self._file_lock = None
        if self._connection is not None:
            self._connection.exec_driver_sql(f"SELECT pg_advisory_unlock({_LOCK_ARGS})")
            self._connection.close()
            self._connection = None

    def __enter__(self) -> InstanceLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
