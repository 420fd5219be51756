"""A throwaway database the benchmark's plain way writes into: pandas rows, one insert a file,
no validation, no history (what the importer is measured against).  The one file outside
dashboard/db/ that imports duckdb: the plain way is DuckDB without the product's store around it."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd

from dashboard.db import queries


class ScratchTable:
    def __init__(self, path: Path):
        self._con = duckdb.connect(str(path))
        queries.execute(self._con, "bench_plain_create").fetchall()

    def insert(self, rows: pd.DataFrame) -> None:
        self._con.register("incoming", rows)
        try:
            queries.execute(self._con, "bench_plain_insert").fetchall()
        finally:
            self._con.unregister("incoming")

    def close(self) -> None:
        self._con.close()
