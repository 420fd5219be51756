"""Which returns a figure stands on: coverage, what applies when, like-for-like changes, rate units.

Every figure of a unit covers its subtree, and the subtree's figures come in in the returns of
its reporting units (the party group and the units directly under it file one each; the tree of
the figure's quarter says which).  So each figure of a period is as complete as those returns:

- **coverage** — of the returns due from the unit in the period's quarters (`due`, from
  `analysis.expected_returns` for that unit), how many came in (`reported`, the active
  submissions of queries/charts/submission_status.sql);
- **applies** — whether the catalog's `levels` and `quarters` ask the indicator of anyone in the
  unit's subtree (figures.py turns this and the coverage into a figure's state, its rate and rank);
- **like-for-like** — a change against another period adds up only the returns that came in in
  both (`return_parts.sql` splits each figure by its return; `combine` aggregates the parts by
  the catalog's rules exactly as indicator_values.sql does);
- **rate units** — what a size-dependent indicator's rate is per (figures.py computes it).

Plain Python over DataFrames of the named queries; no Streamlit, no SQL.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from ..i18n import t
from .analysis import expected_returns
from .catalog import Catalog, Indicator
from .tree import BRANCH_LEVELS

DONE = ("submitted", "late")  # submission_status: a return that came in
REPORTED, PARTIAL, MISSING, NOT_APPLICABLE = "reported", "partial", "missing", "na"


# --- what was due and what came in -------------------------------------------------------------


def due_by_quarter(expected: dict[str, list]) -> dict[str, list[str]]:
    """analysis.expected_returns output (parallel lists) as quarter -> the reporting units due."""
    out: dict[str, list[str]] = {}
    for unit, q in zip(expected["units"], expected["quarters"]):
        out.setdefault(q, []).append(unit)
    return out


def reported_returns(status: pd.DataFrame) -> frozenset[tuple[str, str]]:
    """(reporting unit, quarter) of every return that came in, from submission_status output."""
    if status.empty:
        return frozenset()
    done = status[status["status"].isin(DONE)]
    return frozenset(zip(done["unit_code"], done["quarter"]))


def inputs(history, query, units, quarters) -> tuple[dict[str, dict[str, list[str]]], frozenset]:
    """What this module needs for `units` over `quarters`: per unit, the returns due from its
    subtree in each quarter (each quarter's own tree), and the (reporting unit, quarter) of every
    return that came in (`query` runs submission_status)."""
    due = {u: due_by_quarter(expected_returns(history, [u], list(quarters), whole=True)) for u in units}
    every = expected_returns(history, list(units), list(quarters), whole=True)
    return due, reported_returns(query("submission_status", **every))


@dataclass(frozen=True)
class Coverage:
    """How many of the returns a figure needed came in: return-quarters (a return due in each of
    the period's quarters), and the distinct reporting units among them."""

    done: int  # return-quarters in
    total: int  # return-quarters due
    units_due: tuple[str, ...]
    units_missing: tuple[str, ...]  # reporting units with at least one return missing
    quarters: int

    @property
    def complete(self) -> bool:
        return self.done == self.total

    @property
    def state(self) -> str:
        if self.total == 0 or self.done == 0:
            return MISSING
        return REPORTED if self.complete else PARTIAL

    def text(self, lang: str = "zh") -> str:
        """「11/13 个单位已报送」 for one quarter; the returns of the period for several."""
        if self.quarters <= 1:
            return t("coverage_units", lang, done=self.done, total=self.total)
        return t("coverage_returns", lang, done=self.done, total=self.total)


def coverage(due: dict[str, list[str]], reported, quarters) -> Coverage:
    """The coverage of a figure standing on `quarters`, given the returns due per quarter."""
    done = total = 0
    units: list[str] = []
    missing: list[str] = []
    for q in quarters:
        for r in due.get(q, ()):
            total += 1
            if (r, q) in reported:
                done += 1
            elif r not in missing:
                missing.append(r)
            if r not in units:
                units.append(r)
    return Coverage(done, total, tuple(units), tuple(missing), len(list(quarters)))


def complete_returns(due: dict[str, list[str]], reported, quarters) -> set[str]:
    """The reporting units whose every return due in `quarters` came in."""
    out = {r for q in quarters for r in due.get(q, ())}
    return {r for r in out if all((r, q) in reported for q in quarters if r in due.get(q, ()))}


# --- which quarters a figure stands on, and whether it applies ----------------------------------


def stored_parts(cat: Catalog, ind: Indicator) -> list[Indicator]:
    """The stored indicators a figure is computed from (itself if stored)."""
    if ind.is_stored:
        return [ind]
    out: list[Indicator] = []
    for a in ind.formula_args:
        for p in stored_parts(cat, cat[a]):
            if p not in out:
                out.append(p)
    return out


def is_stock(cat: Catalog, ind: Indicator) -> bool:
    """A level at the period's end (members, activists; a rate of such levels; branches rated)."""
    if ind.formula_op in ("count", "count_high"):
        return True
    return all(p.time_agg == "last" for p in stored_parts(cat, ind))


def asked_in(cat: Catalog, ind: Indicator, quarter: str) -> bool:
    return any(p.in_quarter(quarter) for p in stored_parts(cat, ind))


def relevant_quarters(cat: Catalog, ind: Indicator, quarters: list[str]) -> list[str]:
    """The quarters of a period a figure stands on: the ones the indicator is asked in; for a
    stock, only the last of them (the level at the period's end)."""
    asked = [q for q in quarters if asked_in(cat, ind, q)]
    return asked[-1:] if is_stock(cat, ind) else asked


def applicable(history, cat: Catalog, ind: Indicator, unit: str, quarters: list[str]) -> bool:
    """Whether anyone in the unit's subtree is asked the indicator in any of `quarters`: some
    unit's level reports it (the catalog's `levels`) in a quarter the catalog asks it."""
    parts = stored_parts(cat, ind)
    for q in quarters:
        tree = history.at(q)
        if unit not in tree:
            continue
        levels = tree.levels_under(unit)
        if any(p.in_quarter(q) and any(p.reported_by(lv) for lv in levels) for p in parts):
            return True
    return False


# --- like-for-like: a figure from the returns named ---------------------------------------------


def stored_codes(cat: Catalog, codes) -> list[str]:
    """The stored indicators return_parts must fetch to compute `codes`."""
    out: list[str] = []
    for c in codes:
        for p in stored_parts(cat, cat[c]):
            if p.code not in out:
                out.append(p.code)
    return out


def counts_the_tree(cat: Catalog, ind: Indicator) -> bool:
    """Whether the figure counts units of the tree (支部数, and a share divided by it) rather than
    adding up what returns say: the returns that came in cannot recompute it."""
    return ind.formula_op == "branches" or any(counts_the_tree(cat, cat[a]) for a in ind.formula_args or ())


def combine(parts: pd.DataFrame, cat: Catalog, codes, returns=None) -> pd.DataFrame:
    """The figures of `codes` per unit over the quarters in `parts` (return_parts output, one
    period), from the returns in `returns` only (None: all): over units by the catalog's unit
    rule, over time by its time rule, derived ones from their parts — what indicator_values.sql
    computes from the roll-up.  Columns unit_code, indicator_code, value."""
    if returns is not None:
        parts = parts[parts["return_unit"].isin(list(returns))]
    q = parts.groupby(["unit_code", "quarter", "indicator_code"], as_index=False)[
        ["total", "maximum", "n_units", "n_high"]].agg({"total": "sum", "maximum": "max", "n_units": "sum",
                                                       "n_high": "sum"})
    by = {(r.unit_code, r.quarter, r.indicator_code): r for r in q.itertuples(index=False)}
    units = sorted(set(q["unit_code"]))
    quarters = sorted(set(q["quarter"]))

    def quarterly(ind: Indicator, unit: str, quarter: str):
        if ind.formula_op in ("count", "count_high"):
            r = by.get((unit, quarter, ind.formula_args[0]))
            return None if r is None else float(r.n_units if ind.formula_op == "count" else r.n_high)
        r = by.get((unit, quarter, ind.code))
        if r is None:
            return None
        return {"sum": r.total, "max": r.maximum, "mean": r.total / r.n_units if r.n_units else None}[ind.unit_agg]

    def over_time(ind: Indicator, unit: str):
        seen = [(qq, v) for qq in quarters if (v := quarterly(ind, unit, qq)) is not None]
        if not seen:
            return None
        if ind.people_in_period and len(quarters) > 1 and "member" in parts:  # each unit's peak, then summed
            mine = parts[(parts["unit_code"] == unit) & (parts["indicator_code"] == ind.code)]
            return float(mine.groupby(["member", "quarter"])["total"].sum().groupby(level=0).max().sum())
        agg = "last" if ind.formula_op in ("count", "count_high") else ind.time_agg
        vals = [v for _, v in seen]
        return {"sum": sum(vals), "max": max(vals)}.get(agg, seen[-1][1])

    rows = []
    for code in codes:
        ind = cat[code]
        if counts_the_tree(cat, ind):
            continue  # not a sum of returns: no like-for-like from them (the change says so)
        for unit in units:
            if ind.formula_op in ("ratio", "sum"):
                got = {a: over_time(cat[a], unit) for a in ind.formula_args}
                have = [v for v in got.values() if v is not None]
                if not have:
                    continue
                if ind.formula_op == "ratio":
                    num, den = got[ind.formula_args[0]], got[ind.formula_args[1]]
                    value = None if num is None or not den else 100.0 * num / den
                else:
                    value = sum(have)
            else:
                value = over_time(ind, unit)
            if value is not None:
                rows.append({"unit_code": unit, "indicator_code": code, "value": float(value)})
    return pd.DataFrame(rows, columns=["unit_code", "indicator_code", "value"])


@dataclass(frozen=True)
class Change:
    """A change against an earlier period computed from the same returns in both."""

    delta: float | None  # None: no return came in in both periods
    current: float | None
    earlier: float | None
    units: tuple[str, ...]  # the reporting units counted in both
    due: int  # reporting units due in the current period
    same_as_plain: bool  # every return due came in in both periods: the plain difference
    asked: bool = True  # the indicator is asked in the earlier period at all

    def text(self, lang: str = "zh") -> str:
        if not self.asked:
            return t("lfl_not_asked", lang)
        if self.delta is None:
            # units reported in both periods, but the figure is in one only (突击队 outside the flood
            # season): not the same as having no return in common
            return t("lfl_no_figure" if self.units else "lfl_impossible", lang)
        if self.same_as_plain:
            return t("lfl_all", lang, n=self.due)
        return t("lfl_some", lang, n=len(self.units), total=self.due)


def like_for_like(cat: Catalog, ind: Indicator, unit: str, windows: dict[str, list[str]],
                  due: dict[str, list[str]], reported, parts: pd.DataFrame | None,
                  plain: dict[str, float | None]) -> dict[str, Change]:
    """The changes of `unit`'s figure from each earlier window ('previous', 'year_before') to
    'current', from the returns that came in in both (each window: its quarters).  `parts` is
    return_parts output covering every window (None when every return came in: then the plain
    figures `plain[window]` are already like for like)."""
    cur_q = relevant_quarters(cat, ind, windows["current"])
    cur_due = {r for q in cur_q for r in due.get(q, ())}
    cur_done = complete_returns(due, reported, cur_q)
    out = {}
    for name, qs in windows.items():
        if name == "current":
            continue
        old_q = relevant_quarters(cat, ind, qs)
        old_due = {r for q in old_q for r in due.get(q, ())}
        old_done = complete_returns(due, reported, old_q)
        common = cur_done & old_done
        if not old_q or not cur_q:
            out[name] = Change(None, None, None, (), len(cur_due), False, asked=False)
            continue
        everything = cur_done == cur_due and old_done == old_due and cur_due == old_due
        if not common:
            out[name] = Change(None, None, None, (), len(cur_due), False)
            continue
        if everything or parts is None:
            a, b = plain.get("current"), plain.get(name)
            delta = None if a is None or b is None else a - b
            out[name] = Change(delta, a, b, tuple(sorted(common)), len(cur_due), everything)
            continue
        mine = parts[parts["unit_code"] == unit]
        a = _one(combine(mine[mine["quarter"].isin(windows["current"])], cat, [ind.code], common))
        b = _one(combine(mine[mine["quarter"].isin(qs)], cat, [ind.code], common))
        delta = None if a is None or b is None else a - b
        out[name] = Change(delta, a, b, tuple(sorted(common)), len(cur_due), False)
    return out


def _one(frame: pd.DataFrame) -> float | None:
    return float(frame["value"].iloc[0]) if len(frame) else None


# --- rate units ----------------------------------------------------------------------------------


def branches_of(tree, unit: str) -> int:
    """The branches (党支部, 临时党支部) in the unit's subtree: the unit itself if it is one."""
    return sum(1 for u in tree.subtree(unit) if u.level in BRANCH_LEVELS) if unit in tree else 0


def rate_unit(ind: Indicator, n_quarters: int, lang: str = "zh") -> str:
    """The unit of measure of the indicator's rate: 次/支部·季度, 人/百名党员 …"""
    per = t(f"rate_per_{ind.rate_per}", lang)
    return t("rate_unit_q" if is_flow(ind) and n_quarters > 0 else "rate_unit", lang, unit=ind.unit(lang), per=per)


def is_flow(ind: Indicator) -> bool:
    """Events in the period (summed over its quarters): a rate of one is per quarter."""
    return ind.time_agg == "sum" or ind.formula_op == "sum"
