"""The PostgreSQL backend: the same interface as connection.Database, on a server many app
instances share.

`PostgresDatabase` runs the PostgreSQL form of each named query (dialect.py) through psycopg 3,
one connection per thread.  Writers are serialised across every process by an advisory lock
taken first in each write transaction (pg_advisory_xact_lock, queries/postgres/pg_writer_lock.sql)
instead of the DuckDB file's process lock; within a process a thread lock keeps the order.  A
writer that must read before it writes (`write_lock`) holds the same lock at session level
across both.  Migrations are the same files as DuckDB's, translated, under their own advisory
lock, plus a few indexes PostgreSQL needs where DuckDB skips row groups by min/max.
"""

from __future__ import annotations

import contextlib
import re
import threading
import time
from pathlib import Path

import pandas as pd
import psycopg
from psycopg.adapt import Dumper

from ..settings import current as settings
from . import dialect, queries
from .connection import StoreUnavailable
from .locations import shown

_BOUND = re.compile(r"%\(([a-z_][a-z0-9_]*)\)s")
# Built by queries/postgres/pg_index_<name>.sql.
_INDEXES = ("facts_submission", "facts_unit_indicator_quarter", "rollup_unit_quarter", "submissions_unit_quarter",
            "unit_closure_ancestor", "compliance_unit_quarter", "compliance_masks_unit_quarter", "facts_approx")


class TextListDumper(Dumper):
    """An empty or all-NULL list as text[] (psycopg cannot tell its type from its items)."""

    oid = psycopg.postgres.types["text"].array_oid

    def dump(self, obj):
        return ("{" + ",".join("NULL" for _ in obj) + "}").encode()


def _params(name: str, params: dict | None) -> dict:
    wanted = set(_BOUND.findall(dialect.sql(name)))
    params = params or {}
    missing = wanted - params.keys()
    if missing:
        raise TypeError(f"query {name} needs parameters {sorted(missing)}")
    return {k: dialect.bind(v) for k, v in params.items() if k in wanted}


def execute(con, name: str, params: dict | None = None):
    """Run the named query's PostgreSQL form on a connection; returns the cursor."""
    return con.execute(dialect.sql(name), _params(name, params), prepare=False)


def _fetch(cur) -> list[tuple]:
    if cur.description is None:
        return []
    return [tuple(dialect.plain(v) for v in row) for row in cur.fetchall()]


def frame(cur) -> pd.DataFrame:
    """The rows as a DataFrame shaped as DuckDB's `.df()` shapes them (numbers as numbers,
    dates and timestamps as datetime64)."""
    names = [d.name for d in cur.description]
    rows = _fetch(cur)
    df = pd.DataFrame.from_records(rows, columns=names) if rows else pd.DataFrame({n: [] for n in names})
    for i, col in enumerate(names):
        values = df.iloc[:, i]
        sample = next((v for v in values if v is not None), None)
        if dialect.is_date(sample):
            df.isetitem(i, pd.to_datetime(values))
    return df


class Transaction:
    """What a writer may do inside `transaction()`, as connection.Transaction."""

    def __init__(self, con):
        self._con = con
        self.lent = False

    def rows(self, name: str, params: dict | None = None) -> list[tuple]:
        return _fetch(execute(self._con, name, params))

    def run(self, name: str, params: dict | None = None) -> None:
        execute(self._con, name, params)

    @contextlib.contextmanager
    def lend(self, **frames: pd.DataFrame):
        """Each DataFrame as a temporary table of its name (queries/postgres/lend_<name>.sql)."""
        for name, df in frames.items():
            self.run(f"lend_{name}", {c: df[c].tolist() for c in df.columns})
            self.lent = True
        try:
            yield self
        finally:
            for name in frames:
                with contextlib.suppress(psycopg.errors.InFailedSqlTransaction):
                    self.run(f"unlend_{name}")


class _WriterLock:
    """The thread lock plus, held outermost, the writer's advisory lock at session level."""

    def __init__(self, db: PostgresDatabase):
        self._db, self._lock, self._depth = db, threading.RLock(), threading.local()

    def __enter__(self):
        self._lock.acquire()
        depth = getattr(self._depth, "n", 0)
        if depth == 0:
            try:
                execute(self._db.connection(), "pg_writer_hold").fetchall()
            except BaseException:
                self._lock.release()
                raise
        self._depth.n = depth + 1
        return self

    def __exit__(self, *exc):
        self._depth.n -= 1
        try:
            if self._depth.n == 0:
                with contextlib.suppress(psycopg.Error):
                    execute(self._db.connection(), "pg_writer_release").fetchall()
        finally:
            self._lock.release()


class PostgresDatabase:
    def __init__(self, url: str, path: Path):
        self.url, self.path = url, path
        self._by_thread: dict[threading.Thread, psycopg.Connection] = {}
        self._idle: list[psycopg.Connection] = []  # given back by a finished run, ready for the next
        self._cap = max(1, settings().pg_connections)
        self._wait_s = settings().lock_timeout_s
        self._guard = threading.Lock()
        self._returned = threading.Condition(self._guard)
        self._write_lock = _WriterLock(self)
        self._tx_lock = threading.RLock()
        self.connection()  # fail now, in words, if the server cannot be reached

    def connection(self) -> psycopg.Connection:
        """This thread's connection (autocommit: each read sees the latest commit), one of at most
        DANGJIAN_PG_CONNECTIONS.  Streamlit runs every rerun in a new thread: the app gives the
        run's connection back when the run ends (release), and one whose thread has ended is taken
        over; past the cap a run waits for one rather than have the server refuse it — 100 leaders
        on two instances otherwise opened a connection each and the server's max_connections
        turned the rest away."""
        me = threading.current_thread()
        con = self._by_thread.get(me)
        if con is not None and not con.closed:
            return con
        deadline = time.monotonic() + self._wait_s
        with self._returned:
            while True:
                self._reclaim()
                while self._idle and con is None:
                    con = self._idle.pop()
                    if con.closed:
                        con = None
                if con is None and len(self._by_thread) + len(self._idle) < self._cap:
                    con = self._connect()
                if con is not None:
                    self._by_thread[me] = con
                    return con
                left = deadline - time.monotonic()
                if left <= 0:
                    raise StoreUnavailable("db_pool_busy", shown(self.url), n=self._cap, seconds=f"{self._wait_s:g}")
                # a release wakes us; a thread that ended without one does not, so look again soon
                self._returned.wait(min(left, 0.05))

    def _reclaim(self) -> None:
        """The connections of threads that have ended: idle ones ready for the next run, the rest closed."""
        for thread, old in list(self._by_thread.items()):
            if thread.is_alive():
                continue
            del self._by_thread[thread]
            self._give_back(old)

    def _give_back(self, con: psycopg.Connection) -> None:
        if not con.closed and con.info.transaction_status == psycopg.pq.TransactionStatus.IDLE:
            self._idle.append(con)
        else:
            with contextlib.suppress(Exception):
                con.close()

    def release(self) -> None:
        """This thread is done with the database for now (a page run has ended): its connection
        goes back for the next run; the thread gets one again if it asks."""
        with self._returned:
            con = self._by_thread.pop(threading.current_thread(), None)
            if con is not None:
                self._give_back(con)
                self._returned.notify()

    def _connect(self) -> psycopg.Connection:
        try:
            con = psycopg.connect(self.url, autocommit=True)
        except psycopg.Error as exc:
            raise StoreUnavailable("db_server_unusable", shown(self.url),
                                   detail=str(exc).strip().splitlines()[0] if str(exc).strip() else "") from exc
        con.adapters.register_dumper(str, psycopg.types.string.StrDumper)  # str is text, not unknown
        con.adapters.register_dumper(dialect.TextList, TextListDumper)
        execute(con, "pg_session")
        return con

    def close(self) -> None:
        with self._guard:
            for con in [*self._by_thread.values(), *self._idle]:
                with contextlib.suppress(Exception):
                    con.close()
            self._by_thread.clear()
            self._idle.clear()

    def read(self, name: str, params: dict | None = None) -> pd.DataFrame:
        return frame(execute(self.connection(), name, params))

    def rows(self, name: str, params: dict | None = None) -> list[tuple]:
        return _fetch(execute(self.connection(), name, params))

    def scalar(self, name: str, params: dict | None = None):
        rows = self.rows(name, params)
        return rows[0][0] if rows else None

    def table_counts(self) -> dict[str, int]:
        """How many rows each table holds, by name (the store's snapshot counts; a check's report)."""
        names = [r[0] for r in self.rows("table_names")]
        return {n: int(self.scalar("table_row_count", {"name": n})) for n in names}

    @property
    def write_lock(self) -> _WriterLock:
        return self._write_lock

    @contextlib.contextmanager
    def transaction(self, *, bump: bool = True):
        """One transaction under the writer's advisory lock; the data version moves on when it
        commits (unless `bump` is off)."""
        with self._tx_lock:
            con = self.connection()
            with con.transaction():
                execute(con, "pg_writer_lock").fetchall()
                tx = Transaction(con)
                yield tx
                if bump:
                    tx.run("data_version_bump")
            if tx.lent:  # a bulk load: the planner's statistics are out of date
                self.analyze()

    def migrate(self) -> int:
        """Apply the migrations the database lacks, all under one advisory lock; returns the
        schema version it had."""
        con = self.connection()
        with self._tx_lock, con.transaction():
            execute(con, "pg_migration_lock").fetchall()
            execute(con, "meta_create")
            execute(con, "meta_defaults")
            current = int(self.scalar("meta_get", {"key": "schema_version"}) or 0)
            pending = [(v, statements) for v, statements in queries.migrations(dialect.transpile) if v > current]
            missing = [row[0] for row in _fetch(execute(con, "pg_missing_indexes", {"names": list(_INDEXES)}))]
            if pending or missing:
                # Altering a table or building an index locks whole tables, in an order a writer
                # in another process (holding row locks on them) does not follow: in the writer's
                # turn the two cannot deadlock.
                execute(con, "pg_writer_lock").fetchall()
            for version, statements in pending:
                with con.transaction():
                    for statement in statements:
                        con.execute(statement.replace("%%", "%"), prepare=False)
                    execute(con, "meta_set", {"key": "schema_version", "value": str(version)})
            for name in missing:
                execute(con, f"pg_index_{name}")
            if missing:
                execute(con, "pg_index_retired")
        return current

    def checkpoint(self) -> None:
        """Nothing to do: the server keeps its own files (a backup is pg_dump's work)."""

    def analyze(self) -> None:
        execute(self.connection(), "pg_analyze")
