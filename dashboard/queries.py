"""Named SQL queries: `queries/<name>.sql`, run with bound parameters, returned as DataFrames.

Each file holds one statement.  Parameters are named (`$unit`) and always bound,
never formatted into the text; a name that must vary (a sort column, say) is
checked against an allow-list by the caller.
"""

from __future__ import annotations

import re
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


def run(cursor, name: str, params: dict | None = None) -> pd.DataFrame | None:
    """Execute a named query on a DuckDB cursor; a SELECT returns a DataFrame."""
    params = dict(params or {})
    wanted = parameters(name)
    missing = wanted - params.keys()
    if missing:
        raise TypeError(f"query {name} needs parameters {sorted(missing)}")
    bound = {k: v for k, v in params.items() if k in wanted}
    result = cursor.execute(sql(name), bound) if bound else cursor.execute(sql(name))
    return result.df() if result.description else None
