"""Named SQL: every statement is a file `queries/<folder>/<name>.sql`; this loads and runs them.

A file holds one statement.  Parameters are named (`$unit`) and always bound, never formatted
into the text.  The file name is the query's name, unique across the folders (charts/,
store/, rollup/, tables/); migrations/ is read by the connection, in order.  postgres/ holds
PostgreSQL's own text where the one derived from the DuckDB file cannot be used (dialect.py),
and the few statements only PostgreSQL runs: it is not a folder of named queries of its own.
"""

from __future__ import annotations

import re
import threading
import warnings
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import duckdb
import pandas as pd

from ..domain.access import QueryScope
from ..settings import QUERIES_DIR

MIGRATIONS_DIR = QUERIES_DIR / "migrations"
POSTGRES_DIR = QUERIES_DIR / "postgres"
_NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")
_PARAM_RE = re.compile(r"\$([a-z_][a-z0-9_]*)")


@cache
def files() -> dict[str, Path]:
    """Query name -> its file, refusing two files of one name."""
    out: dict[str, Path] = {}
    for path in sorted(QUERIES_DIR.rglob("*.sql")):
        if path.parent in (MIGRATIONS_DIR, POSTGRES_DIR):
            continue
        if path.stem in out:
            raise ValueError(f"two queries named {path.stem!r}: {out[path.stem]} and {path}")
        out[path.stem] = path
    return out


@cache
def sql(name: str) -> str:
    if not _NAME_RE.match(name):
        raise ValueError(f"bad query name {name!r}")
    path = files().get(name)
    if path is None:
        raise KeyError(f"no query named {name!r} under {QUERIES_DIR}")
    return path.read_text(encoding="utf-8")


@cache
def parameters(name: str) -> frozenset[str]:
    """The $names a query binds (comments excluded)."""
    text = re.sub(r"--[^\n]*", "", sql(name))
    return frozenset(_PARAM_RE.findall(text))


CHARTS_DIR = QUERIES_DIR / "charts"
_SCOPE_RE = re.compile(r"^-- scope: *(.*?) *$", re.M)


@dataclass(frozen=True)
class NamedQuery:
    """A query as its file declares it: its name, the parameters it binds and, for a chart query
    (what a page or an export may run for a principal), how it is scoped — the `-- scope:` line of
    its header, beside the SQL it guards."""

    name: str
    params: frozenset[str]
    scope: QueryScope | None


@cache
def named(name: str) -> NamedQuery:
    """The query called `name` (KeyError, naming it, if there is none)."""
    text = sql(name)
    declared = _SCOPE_RE.search(text)
    scope = None
    if declared:
        kind, *keys = declared.group(1).split()
        scope = QueryScope(kind, tuple(keys))
        if not set(keys) <= parameters(name):
            raise ValueError(f"query {name}: its scope names {sorted(set(keys) - parameters(name))}, "
                             "which it does not bind")
    elif files()[name].parent == CHARTS_DIR:
        raise ValueError(f"chart query {name} says no scope: add a `-- scope:` line to its header")
    return NamedQuery(name, parameters(name), scope)


def chart_queries() -> dict[str, NamedQuery]:
    """Every query a page or an export may run for a principal, by name."""
    return {name: named(name) for name, path in files().items() if path.parent == CHARTS_DIR}


def execute(cursor, name: str, params: dict | None = None):
    """Run the named query on a cursor with its parameters bound; extra parameters are ignored,
    a missing one is an error."""
    params = params or {}
    wanted = parameters(name)
    missing = wanted - params.keys()
    if missing:
        raise TypeError(f"query {name} needs parameters {sorted(missing)}")
    bound = {k: v for k, v in params.items() if k in wanted}
    return cursor.execute(sql(name), bound) if bound else cursor.execute(sql(name))


def migrations(split=None) -> list[tuple[int, list[str]]]:
    """(version, statements) of every migration file, in order; `split` turns a file's text into
    its statements (DuckDB's own parser unless told otherwise: PostgreSQL's translation)."""
    split = split or (lambda text: [s.query for s in duckdb.extract_statements(text)])
    out = []
    for path in sorted(MIGRATIONS_DIR.glob("[0-9][0-9][0-9]_*.sql")):
        out.append((int(path.name[:3]), split(path.read_text(encoding="utf-8"))))
    return out


# Result columns whose Arrow -> pandas conversion gives exactly the frame `.df()` gives,
# provided ints and booleans hold no NULL and text columns are not all NULL.
_ARROW_SAFE_TYPES = frozenset({"VARCHAR", "DOUBLE", "FLOAT", "INTEGER", "BIGINT", "SMALLINT", "TINYINT", "BOOLEAN"})


def frame(result) -> pd.DataFrame:
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
        return _converter().from_arrow(table).df()
    return table.to_pandas()


_local = threading.local()


def _converter():
    """This thread's in-memory DuckDB for the conversion above: duckdb.from_arrow's default
    connection is one per process, and a second thread using it (the 通报's download, made while
    the page runs; two sessions at once) is refused as busy."""
    con = getattr(_local, "converter", None)
    if con is None:
        con = _local.converter = duckdb.connect()
    return con
