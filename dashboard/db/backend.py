"""What the store asks of a database, declared: the DuckDB file (connection.Database) and the
PostgreSQL server (postgres.PostgresDatabase) each implement every method, and
tests/test_structure.py holds them to it.  Only named queries, never SQL text: `name` is a file
under queries/ (queries/postgres/ where the server's SQL differs)."""

from __future__ import annotations

import contextlib
from typing import Protocol, runtime_checkable

import pandas as pd


class Writer(Protocol):
    """A transaction's handle: named statements run inside it, frames lent to it by name."""

    def rows(self, name: str, params: dict | None = None) -> list[tuple]: ...

    def run(self, name: str, params: dict | None = None) -> None: ...

    def lend(self, **frames: pd.DataFrame) -> contextlib.AbstractContextManager: ...


@runtime_checkable
class Backend(Protocol):
    def read(self, name: str, params: dict | None = None) -> pd.DataFrame:
        """A named query's rows as a frame, on this thread's own cursor or connection."""

    def rows(self, name: str, params: dict | None = None) -> list[tuple]: ...

    def scalar(self, name: str, params: dict | None = None): ...

    @property
    def write_lock(self) -> contextlib.AbstractContextManager:
        """Held by the one writer (a thread lock; on PostgreSQL also an advisory lock, across instances)."""

    def transaction(self, *, bump: bool = True) -> contextlib.AbstractContextManager[Writer]:
        """One transaction; `bump` moves the data version every cache is keyed on."""

    def migrate(self) -> int:
        """Bring the schema to the newest migration; the version it is at."""

    def checkpoint(self) -> None:
        """Make what is committed durable where a copy would read it (DuckDB's WAL into the file)."""

    def analyze(self) -> None: ...

    def table_counts(self) -> dict[str, int]:
        """How many rows each table holds, by table name."""

    def release(self) -> None:
        """This thread is done with the database for now (a page run has ended): what it holds for
        reading goes back (PostgreSQL: its connection, to the instance's bounded set)."""

    def close(self) -> None: ...
