"""Named SQL queries: `queries/<name>.sql`, run with bound parameters, returned as DataFrames.

Each file holds one statement.  Parameters are named (`$unit`) and always bound,
never formatted into the text; a name that must vary (a sort column, say) is
checked against an allow-list by the caller.
"""

from __future__ import annotations

import re
import warnings
from functools import cache
from pathlib import Path

import pandas as pd

QUERIES_DIR = Path(__file__).resolve().parent.parent / "queries"
_NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")
_PARAM_RE = re.compile(r"\$([a-z_][a-z0-9_]*)")


@cache
def sql(name: str) -> str:
    if not _NAME_RE.match(name):
        raise ValueError(f"bad query name {name!r}")
    path = QUERIES_DIR / f"{name}.sql"
    if not path.exists():
        raise KeyError(f"no query named {name!r} in {QUERIES_DIR}")
    return path.read_text(encoding="utf-8")


@cache
def parameters(name: str) -> frozenset[str]:
    """The $names a query binds (comments excluded)."""
    text = re.sub(r"--[^\n]*", "", sql(name))
    return frozenset(_PARAM_RE.findall(text))


def names() -> list[str]:
    return sorted(p.stem for p in QUERIES_DIR.glob("*.sql"))


def _execute(cursor, name: str, params: dict | None):
    params = dict(params or {})
    wanted = parameters(name)
    missing = wanted - params.keys()
    if missing:
        raise TypeError(f"query {name} needs parameters {sorted(missing)}")
    bound = {k: v for k, v in params.items() if k in wanted}
    return cursor.execute(sql(name), bound) if bound else cursor.execute(sql(name))


def run(cursor, name: str, params: dict | None = None) -> pd.DataFrame | None:
    """Execute a named query on a DuckDB cursor; a SELECT returns a DataFrame."""
    result = _execute(cursor, name, params)
    return _frame(result) if result.description else None


def rows(cursor, name: str, params: dict | None = None) -> list[tuple]:
    """A named query's rows as tuples, read to the end (DuckDB 2.0 refuses further work on a
    cursor whose result was only partly fetched); for the store's small bookkeeping reads."""
    return _execute(cursor, name, params).fetchall()


# Result columns whose Arrow -> pandas conversion gives exactly the frame `.df()` gives,
# provided ints and booleans hold no NULL and text columns are not all NULL.
_ARROW_SAFE_TYPES = frozenset({"VARCHAR", "DOUBLE", "FLOAT", "INTEGER", "BIGINT", "SMALLINT", "TINYINT", "BOOLEAN"})


def _frame(result) -> pd.DataFrame:
    """The result's rows as a DataFrame, identical to `.df()`, but faster for chart queries.

    At provincial scale `.df()` spends most of a chart query's time building the text
    columns (20,000 rows: ~60 ms of ~90 ms); going through Arrow takes a third of that.
    Results where the two conversions could differ (dates, decimals, lists, NULLs in
    integer or boolean columns, all-NULL text, no rows, repeated column names) fall
    back to `.df()`'s own conversion of the same rows.
    """
    types = [str(d[1]) for d in result.description]
    names = [d[0] for d in result.description]
    if len(set(names)) != len(names) or not all(t in _ARROW_SAFE_TYPES for t in types):
        return result.df()
    with warnings.catch_warnings():
        # "Arrow output on a DB-API result makes an extra copy": measured, still 2x faster
        warnings.filterwarnings("ignore", message="Arrow output on a DB-API result")
        table = result.to_arrow_table()
    if table.num_rows == 0 or any(
        table.column(i).null_count > (0 if t != "VARCHAR" else table.num_rows - 1) for i, t in enumerate(types)
    ):
        import duckdb

        return duckdb.from_arrow(table).df()
    return table.to_pandas()
