"""The one connection to the database file: private cursors, the single writer, migrations.

`Database` is the only holder of a DuckDB connection.  Readers run named queries on a cursor
of their own thread; every write goes through `transaction()`, which serialises writers with
one lock and wraps each in one transaction that bumps the data version, so a write lands whole
or not at all and every cache keyed on the version sees it.  No method takes SQL text: only
the names of files under queries/.
"""

from __future__ import annotations

import contextlib
import errno
import re
import threading
import time
from pathlib import Path

import duckdb
import pandas as pd

from .. import i18n
from . import queries


class StoreUnavailable(RuntimeError):
    """The database file or the archive beside it cannot be used as things stand: the path is a
    folder or not a database, the disk is read-only or full, another process holds the file.

    Not a bug, so never a traceback: it carries a text key (dashboard/text/store.toml) and the
    path, and the command line prints `str()` (Chinese | English) while the app shows `text()`
    in its language.  `app_key`, where set, is the app's own wording (what to do differs).
    """

    app_key: str | None = None

    def __init__(self, key: str, path: str | Path, **fields):
        # a server's URL stays text (a Path would fold its //)
        self.key, self.fields = key, fields
        self.path = path if isinstance(path, str) and "://" in path else Path(path)
        super().__init__(i18n.both(key, path=self.path, **fields))

    def text(self, lang: str, *, app: bool = False) -> str:
        """The message in one language; `app=True` names the file only (the server's folders
        are no business of a page's reader) and uses the app's wording where there is one."""
        key = self.app_key if app and self.app_key else self.key
        name = self.path.name if isinstance(self.path, Path) else self.path
        return i18n.t(key, lang, path=name if app else self.path, **self.fields)


class DatabaseBusy(StoreUnavailable):
    """Another process (usually the running app) holds the database file."""

    app_key = "db_busy_app"

    def __init__(self, path: str | Path, pid: str = ""):
        super().__init__("db_busy", path, pid=pid)


# What the operating system or DuckDB says, and what it means for the person at the keyboard.
_ERRNO_KEYS = {errno.ENOSPC: "disk_full", errno.EDQUOT: "disk_full", errno.EROFS: "read_only",
               errno.EACCES: "read_only", errno.EPERM: "read_only", errno.EISDIR: "is_directory",
               errno.ENOTDIR: "folder_unusable", errno.EEXIST: "folder_unusable"}
_MESSAGE_KEYS = (("no space left on device", "disk_full"), ("disk quota exceeded", "disk_full"),
                 ("read-only file system", "read_only"), ("permission denied", "read_only"),
                 ("is a directory", "is_directory"), ("not a valid duckdb database file", "not_database"),
                 ("database has been invalidated", "invalidated"))


def fault_key(exc: BaseException) -> str | None:
    """What kind of trouble with the disk or the file `exc` is ('disk_full', 'read_only',
    'is_directory', 'not_database', 'folder_unusable', 'invalidated'), or None for anything else."""
    if isinstance(exc, OSError) and exc.errno in _ERRNO_KEYS:
        return _ERRNO_KEYS[exc.errno]
    if isinstance(exc, (duckdb.Error, OSError)):
        text = str(exc).lower()
        return next((key for needle, key in _MESSAGE_KEYS if needle in text), None)
    return None


def store_fault(exc: BaseException, path: Path, *, opening: bool = False) -> StoreUnavailable | None:
    """`exc` as the StoreUnavailable a person can act on, or None when it is not about the file or
    the disk (a bug: let it surface).  While opening, any DuckDB error is about the file (an
    unknown OS error, say a missing catalog file, is not)."""
    if isinstance(exc, StoreUnavailable):
        return exc
    key = fault_key(exc)
    if key is not None:
        return StoreUnavailable(f"db_{key}", path)
    if opening and isinstance(exc, duckdb.Error):
        return StoreUnavailable("db_unusable", path, detail=_first_line(exc))
    return None


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


@contextlib.contextmanager
def faults_explained(path: Path, *, opening: bool = False):
    """Raise trouble with the file or the disk inside the block as StoreUnavailable."""
    try:
        yield
    except (duckdb.Error, OSError) as exc:
        fault = store_fault(exc, path, opening=opening)
        if fault is None:
            raise
        raise fault from exc


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
            except BaseException as exc:
                # A commit that failed (a full disk) has already ended the transaction; the
                # rollback's own complaint must not hide why.
                with contextlib.suppress(duckdb.Error):
                    cur.rollback()
                fault = store_fault(exc, self.path) if isinstance(exc, (duckdb.Error, OSError)) else None
                if fault is not None:
                    raise fault from exc
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
                    with contextlib.suppress(duckdb.Error):
                        cur.rollback()
                    raise
        return current

    def checkpoint(self) -> None:
        with self._write_lock:
            self.rows("checkpoint")

    def release(self) -> None:
        """Nothing to give back: a thread's cursor is the file's own connection's, gone with the thread."""

    def analyze(self) -> None:
        """Nothing to do: DuckDB keeps its statistics as it writes (PostgreSQL's planner needs ANALYZE)."""

    def table_counts(self) -> dict[str, int]:
        return table_counts(self._cursor())


def table_counts(cursor) -> dict[str, int]:
    """How many rows each table of the database holds, by table name."""
    names = [r[0] for r in queries.execute(cursor, "table_names").fetchall()]
    return {n: int(queries.execute(cursor, "table_row_count", {"name": n}).fetchall()[0][0]) for n in names}


def file_table_counts(path: Path) -> dict[str, int]:
    """`table_counts` of a database file no store holds (a backup's snapshot), opened read-only
    for it and closed again; StoreUnavailable('db_unusable') if it is not a database."""
    with faults_explained(path, opening=True):
        con = duckdb.connect(str(path), read_only=True)
        try:
            return table_counts(con)
        finally:
            con.close()


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
                raise DatabaseBusy(path, f" (PID {holder.group(1)})" if holder else "") from exc
            time.sleep(delay)
            delay = min(delay * 2, 0.5)
