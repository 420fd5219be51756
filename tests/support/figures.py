"""Reading figures the way the pages do, for tests that check a chart against its query."""

from __future__ import annotations

from dashboard.domain.filters import values_params


def iv(store, *, units, indicators=(), granularity="quarter", scope="subtree", **span):
    """queries/charts/indicator_values.sql for `units` over span["from"]..span["to"]."""
    return store.query("indicator_values", **values_params(units, span["from"], span["to"], granularity, indicators,
                                                           scope))


def active_facts(store):
    """Every fact of an active submission: unit_code, quarter, indicator_code, value."""
    subs = store.table("submissions")
    facts = store.table("facts")
    active = set(subs.loc[subs["status"] == "active", "id"])
    return facts[facts["submission_id"].isin(active)].drop(columns="submission_id").reset_index(drop=True)


def active_value(store, unit: str, code: str, quarter: str | None = None):
    """The value the active return holds for `unit` and indicator `code` (in `quarter`), or None."""
    f = active_facts(store)
    hit = f[(f["unit_code"] == unit) & (f["indicator_code"] == code)]
    if quarter is not None:
        hit = hit[hit["quarter"] == quarter]
    return hit["value"].iloc[0] if len(hit) else None


def submission_rows(store, **where):
    """The submissions table's rows matching every column=value given, in id order."""
    subs = store.table("submissions").sort_values("id")
    for col, value in where.items():
        subs = subs[subs[col] == value]
    return subs.reset_index(drop=True)
