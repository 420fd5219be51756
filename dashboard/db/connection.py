"""The one connection to the database file: private cursors, the single writer, migrations.

`Database` is the only holder of a DuckDB connection.  Readers run named queries on a cursor
of their own thread; every write goes through `transaction()`, which serialises writers with
one lock and wraps each in one transaction that bumps the data version, so a write lands whole
or not at all and every cache keyed on the version sees it.  No method takes SQL text: only
the names of files under queries/.
"""

from __future__ import annotations

import contextlib
import re
import threading
import time
from pathlib import Path

import duckdb
import pandas as pd

from . import queries


class DatabaseBusy(RuntimeError):
    """Another process holds the database file (and offers no way to reach it)."""


def busy_message(path: Path, pid: int | None) -> str:
    from ..i18n import both

    return both("db_busy", path=path, pid=f" (PID {pid})" if pid else "")


class Transaction:
    """What a writer may do inside `Database.transaction()`: run named queries, and lend a
    DataFrame to them under a name for the length of a `with lend(...)` block."""

    def __init__(self, cursor):
        self._cursor = cursor

    def rows(self, name: str, params: dict | None = None) -> list[tuple]:
        return queries.execute(self._cursor, name, params).fetchall()

    def run(self, name: str, params: dict | None = None) -> None:
        queries.execute(self._cursor, name, params).fetchall()

    @contextlib.contextmanager
    def lend(self, **frames: pd.DataFrame):
        for name, frame in frames.items():
            self._cursor.register(name, frame)
        try:
            yield self
        finally:
            for name in frames:
                self._cursor.unregister(name)


class Database:
    def __init__(self, path: Path, *, lock_timeout: float, memory_limit: str):
        self.path = path
        self._con = _connect_with_retry(path, lock_timeout, memory_limit)
        self._local = threading.local()
        self._write_lock = threading.RLock()

    def _cursor(self):
        """This thread's cursor (DuckDB connections are not shared across threads)."""
        cur = getattr(self._local, "cursor", None)
        if cur is None:
            cur = self._local.cursor = self._con.cursor()
        return cur

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self._con.close()

    def read(self, name: str, params: dict | None = None) -> pd.DataFrame:
        """A named SELECT's rows as a DataFrame."""
        return queries.frame(queries.execute(self._cursor(), name, params))

    def rows(self, name: str, params: dict | None = None) -> list[tuple]:
        """A named SELECT's rows as tuples, read to the end (DuckDB 2.0 refuses further work on a
        cursor whose result was only partly fetched)."""
        return queries.execute(self._cursor(), name, params).fetchall()

    def scalar(self, name: str, params: dict | None = None):
        rows = self.rows(name, params)
        return rows[0][0] if rows else None

    @property
    def write_lock(self) -> threading.RLock:
        """Held by `transaction()`; a writer that must read before it writes holds it across both."""
        return self._write_lock

    @contextlib.contextmanager
    def transaction(self, *, bump: bool = True):
        """The single writer: one transaction, serialised across threads; the data version moves
        on when it commits (unless `bump` is off: schema work that changes no figure)."""
        with self._write_lock:
            cur = self._cursor()
            cur.begin()
            try:
                tx = Transaction(cur)
                yield tx
                if bump:
                    tx.run("data_version_bump")
                cur.commit()
            except BaseException:
                cur.rollback()
                raise

    def migrate(self) -> int:
        """Apply the migrations the file lacks, each in one transaction; returns the version it had."""
        with self._write_lock:
            cur = self._cursor()
            queries.execute(cur, "meta_create").fetchall()
            queries.execute(cur, "meta_defaults").fetchall()
            current = int(self.scalar("meta_get", {"key": "schema_version"}) or 0)
            for version, statements in queries.migrations():
                if version <= current:
                    continue
                cur.begin()
                try:
                    for statement in statements:
                        cur.execute(statement)
                    queries.execute(cur, "meta_set", {"key": "schema_version", "value": str(version)}).fetchall()
                    cur.commit()
                except BaseException:
                    cur.rollback()
                    raise
        return current

    def checkpoint(self) -> None:
        with self._write_lock:
            self.rows("checkpoint")


def _connect_with_retry(path: Path, timeout: float, memory_limit: str):
    """Open the file; if another process holds it, wait a bounded time, then say so plainly."""
    deadline = time.monotonic() + timeout
    delay = 0.05
    while True:
        try:
            return duckdb.connect(str(path), config={"memory_limit": memory_limit})
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower():
                raise
            if time.monotonic() >= deadline:
                holder = re.search(r"PID (\d+)", str(exc))
                raise DatabaseBusy(busy_message(path, int(holder.group(1)) if holder else None)) from exc
            time.sleep(delay)
            delay = min(delay * 2, 0.5)
