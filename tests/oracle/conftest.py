"""Fixtures of the oracle's tests: a store holding a hand-written or generated bureau."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import pytest

from tests.oracle.strategies import Bureau, BureauStore, _v


@pytest.fixture(scope="module")
def bureau_store(tmp_path_factory):
    """One real DuckDB store for every bureau a module loads, one at a time (strategies.BureauStore)."""
    bs = BureauStore(tmp_path_factory.mktemp("oracle") / "bureau.duckdb")
    yield bs
    bs.close()


def tree_of(rows) -> list:
    """Versions from (code, level, parent[, first, last]) rows, in order."""
    return [_v(r[0], r[1], r[2], i, *r[3:]) for i, r in enumerate(rows, 1)]


def bureau(rows, quarters, returns, facts) -> Bureau:
    """A hand-written bureau: `returns` the (reporting unit, quarter) that came in; `facts`
    (unit, quarter, indicator, value), each carried by the return of its quarter's reporting unit."""
    versions = tree_of(rows)
    b = Bureau(versions, list(quarters), pd.DataFrame(columns=["unit_code", "quarter", "submitted_at"]),
               pd.DataFrame(columns=["reporting_unit", "unit_code", "quarter", "indicator_code", "value"]))
    history = b.history
    subs = pd.DataFrame([(u, q, datetime(2024, 12, 31)) for u, q in returns],
                        columns=["unit_code", "quarter", "submitted_at"])
    rows_ = []
    for u, q, code, v in facts:
        rep = history.at(q).reporting_unit_of(u).code
        assert (rep, q) in set(returns), f"{u} {q}: its return {rep} is not in"
        rows_.append((rep, u, q, code, float(v)))
    b.submissions = subs
    b.facts = pd.DataFrame(rows_, columns=["reporting_unit", "unit_code", "quarter", "indicator_code", "value"])
    return b
