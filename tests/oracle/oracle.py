"""An independent oracle for every ranked figure (issue 18): brute force in plain Python and pandas
from the store's raw tables (unit_versions, submissions, facts), the tree of each quarter and the
catalog's rules (data/catalog.csv, data/rules.csv read with the csv module).

It imports NOTHING of the product's domain code (coverage, analysis, headlines, figures, catalog,
tree): every rule below is re-derived here, so that a mistake in the product is not repeated here.

    ranking(store, units, quarters, indicator_code, measure=None) -> DataFrame
        one row per unit: unit_code, group, state, done, total, raw, value, rank, tied, behind

Choices where the brief (the spec) left room, made here and held by tests/oracle/test_oracle_self.py:

1. The level (and so the group) of a unit is the one it has in the tree of the LAST quarter of the
   period that holds it (a unit absent from every quarter's tree: its latest version).
2. `value` (and `raw`) exist only for the states 'reported' and 'partial'; 'blank', 'missing', 'na'
   and 'not_asked' have none (NaN) and no rank.  So 支部数 (branches(star_rating)) of a unit whose
   returns came in without a single star rating is blank, not the branches counted.
3. `tied` is 0 for a unit without a value.
4. behind (docs/reading.md, 看数须知): the tie-groups are walked from the worst value upward; in each, the
   units short of their 三会一课 rule are named; the walk stops once >= 2 units are named, at a
   tie-group holding the whole group (never named), or after a tie-group in which some unit meets its
   rule (nobody above a figure that meets the rule is behind).  A unit without a value is never
   behind (it is listed apart as 未报送 etc.).
5. 'na' (不适用) looks at the subtree in the tree of every quarter of the period in which the
   indicator is asked (not only the relevant quarters: a stock's subtree of Q3 counts for a year):
   applicable if, in such a quarter, a unit of the subtree has a level the catalog's `levels` name
   for a stored part asked that quarter.  A level "reports" an indicator only in a quarter whose
   template asks it: a temporary branch standing in Q3 only is not asked a Q1 star rating.
6. The returns due from a unit in quarter q: the reporting units of its subtree in the tree of q
   plus the reporting unit whose return carries the unit itself; none if the unit is not in the tree
   of q.  A return came in when an active submission of that unit and quarter exists (on time or
   late; the deadline of a quarter long past is never 'pending' in these tests).
7. Rate for members_total: the denominator is the unit's members_total figure over the period made
   of the last relevant quarter only (members_total is a stock asked every quarter: the same
   figure as over the whole period); its state must be reported/partial with a value, else the rate
   is NaN and the state is the members figure's own (missing: no return at the period's end; blank:
   the return came and left the members blank), as docs/reading.md (看数须知) says a rate without members does.  A rate on branches with 0 branches is NaN, the state unchanged.
   n_q (flows): the quarters of R in which at least one of the unit's due returns came in.
8. Meeting a 三会一课 rule: the per branch·quarter figure (raw / branches of the last relevant
   quarter / n_q, which is the rate itself for measure='rate' of a rate_per-branches flow) >= the
   rule's minimum; 0 branches or n_q = 0: not met.  Rules are those of kind 'compliance' whose
   `left` is the indicator (stored indicators only).
9. The roll-up rule for branch_or_total (mirrors queries/rollup/rollup_rebuild.sql, which applies it
   to ANY unit's own fact of such an indicator, not only a committee's): a fact of unit d counts in
   the figure of an ancestor a (in the tree of the fact's quarter) unless some unit t between them
   — a itself included, d excluded — has its own fact of that indicator in that quarter.
10. count(x) / count_high(x) count the facts of x that count (after 9) in the subtree, in the last
   relevant quarter; count_high those >= the catalog's threshold of x.  branches(x) counts the units
   of level branch/temp_branch in the subtree in the tree of the last relevant quarter whose
   carrier's return came in that quarter (docs/reading.md: a share of all branches counts those the returns
   that came in speak for; a missing return is not that many unrated branches).
11. People and teams in a period (time_agg max with unit_agg sum: test takers, commando and youth
   teams, retirees, temporary branches): NOT the brief's "max of the quarterly subtree figures" but
   ../shared/DESIGN.md §8 and docs/reading.md (看数须知), "each unit's peak, then summed": per unit d of the
   subtree, the largest of its figures that count for the unit (rule 9, the tree of each quarter)
   over the relevant quarters, then those peaks summed.  Units test different people, so the peak
   of the sums undercounts.  (time_agg max with unit_agg max is the max of both, either way.)
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import pandas as pd

DATA = Path(__file__).resolve().parents[2] / "data"
BRANCH_LEVELS = ("branch", "temp_branch")
COMMITTEE_LEVELS = ("party_group", "committee", "general_branch")
OPEN_FROM, OPEN_TO = "0000Q1", "9999Q4"
COLUMNS = ["unit_code", "group", "state", "done", "total", "raw", "value", "rank", "tied", "behind"]
NAN = math.nan


# --- the catalog, read as plain rows ------------------------------------------------------------


def _rows(name: str) -> list[dict]:
    with open(DATA / name, encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


@dataclass(frozen=True)
class Ind:
    code: str
    domain: str
    value_type: str
    time_agg: str
    unit_agg: str
    op: str | None
    args: tuple[str, ...]
    threshold: float | None
    levels: str
    quarters: str
    lower_is_better: bool
    size_dependent: bool
    rate_per: str | None
    rank: str  # higher_better / lower_better / none


def _formula(text: str) -> tuple[str | None, tuple[str, ...]]:
    text = (text or "").strip()
    if not text:
        return None, ()
    op, rest = text.split("(", 1)
    return op.strip(), tuple(a.strip() for a in rest.rstrip(")").split(",") if a.strip())


def _direction(r: dict, rate_per: str | None) -> str:
    given = (r.get("rank") or "").strip()
    if given:
        return given
    if (r.get("lower_is_better") or "").strip() == "1":
        return "lower_better"
    if r["domain"] == "discipline" or ((r.get("size_dependent") or "").strip() == "1" and not rate_per):
        return "none"
    return "higher_better"


def read_catalog() -> dict[str, Ind]:
    out = {}
    for r in _rows("catalog.csv"):
        op, args = _formula(r["formula"])
        rate_per = (r.get("rate_per") or "").strip() or None
        out[r["code"]] = Ind(
            code=r["code"], domain=r["domain"], value_type=r["value_type"], time_agg=r["time_agg"], unit_agg=r["unit_agg"], op=op, args=args,
            threshold=float(r["threshold"]) if (r.get("threshold") or "").strip() else None,
            levels=r["levels"], quarters=r["quarters"],
            lower_is_better=(r.get("lower_is_better") or "").strip() == "1",
            size_dependent=(r.get("size_dependent") or "").strip() == "1",
            rate_per=rate_per, rank=_direction(r, rate_per))
    return out


def read_minimums() -> dict[str, float]:
    """indicator -> the 三会一课 minimum per branch per quarter (rules.csv, kind compliance)."""
    return {r["left"]: float(r["minimum"]) for r in _rows("rules.csv") if r["kind"] == "compliance"}


CATALOG = read_catalog()
MINIMUMS = read_minimums()


def stored_parts(code: str) -> list[str]:
    ind = CATALOG[code]
    if ind.op is None:
        return [code]
    out: list[str] = []
    for a in ind.args:
        for p in stored_parts(a):
            if p not in out:
                out.append(p)
    return out


def is_stock(code: str) -> bool:
    ind = CATALOG[code]
    if ind.op in ("count", "count_high", "branches"):
        return True
    if ind.op is None:
        return ind.time_agg == "last"
    return all(CATALOG[p].time_agg == "last" for p in stored_parts(code))


def is_flow(code: str) -> bool:
    ind = CATALOG[code]
    return ind.time_agg == "sum" or ind.op == "sum"


def asked(code: str, quarter: str) -> bool:
    return any(CATALOG[p].quarters == "all" or quarter.endswith(CATALOG[p].quarters) for p in stored_parts(code))


def level_reports(code: str, level: str) -> bool:
    """Whether a unit of `level` reports the (stored) indicator."""
    levels = CATALOG[code].levels
    if levels in ("all", "branch_or_total"):
        return True
    return level in (BRANCH_LEVELS if levels == "branch" else COMMITTEE_LEVELS)


def relevant_quarters(code: str, quarters: list[str]) -> list[str]:
    r = [q for q in sorted(quarters) if asked(code, q)]
    return r[-1:] if is_stock(code) else r


def group_of(level: str) -> str:
    return "branch" if level in BRANCH_LEVELS else "committee"


# --- the raw tables -----------------------------------------------------------------------------


@dataclass
class QTree:
    """The tree of one quarter, from the unit_versions rows that hold it."""
    level: dict[str, str]
    parent: dict[str, str | None]
    reporting_flag: dict[str, object]
    children: dict[str, list[str]] = field(default_factory=dict)

    def __post_init__(self):
        for c, p in self.parent.items():
            if p is not None:
                self.children.setdefault(p, []).append(c)

    def subtree(self, code: str) -> list[str]:
        if code not in self.level:
            return []
        out, stack = [], [code]
        while stack:
            c = stack.pop()
            out.append(c)
            stack.extend(self.children.get(c, ()))
        return out

    def ancestors_or_self(self, code: str) -> list[str]:
        out = []
        c: str | None = code
        while c is not None:
            out.append(c)
            c = self.parent.get(c)
        return out

    def is_reporting(self, code: str) -> bool:
        flag = self.reporting_flag.get(code)
        parent = self.parent.get(code)
        if flag is not None and not (isinstance(flag, float) and math.isnan(flag)) and flag is not pd.NA:
            return bool(flag) or parent is None
        return self.level[code] == "party_group" or (parent is not None and self.level[parent] == "party_group")

    def carrier(self, code: str) -> str:
        """The reporting unit whose return carries `code`."""
        for c in self.ancestors_or_self(code):
            if self.is_reporting(c):
                return c
        raise AssertionError(f"no reporting unit above {code}")

    def due(self, code: str) -> set[str]:
        if code not in self.level:
            return set()
        return {self.carrier(code)} | {c for c in self.subtree(code) if self.is_reporting(c)}


class Raw:
    """What the oracle reads: every unit version, the active submissions and their facts."""

    def __init__(self, versions: pd.DataFrame, submissions: pd.DataFrame, facts: pd.DataFrame):
        self.versions = versions
        active = submissions[submissions["status"] == "active"]
        self.returns_in = set(zip(active["unit_code"], active["quarter"]))
        facts = facts[facts["submission_id"].isin(set(active["id"]))]
        # (quarter, indicator) -> {unit: value}
        self.facts: dict[tuple[str, str], dict[str, float]] = {}
        for u, q, i, v in zip(facts["unit_code"], facts["quarter"], facts["indicator_code"], facts["value"]):
            self.facts.setdefault((q, i), {})[u] = float(v)
        self._trees: dict[str, QTree] = {}

    @classmethod
    def of(cls, store) -> Raw:
        if isinstance(store, Raw):
            return store
        return cls(store.table("unit_versions"), store.table("submissions"), store.table("facts"))

    def tree(self, q: str) -> QTree:
        t = self._trees.get(q)
        if t is None:
            v = self.versions
            frm = v["active_from"].fillna(OPEN_FROM)
            to = v["active_to"].fillna(OPEN_TO)
            now = v[(frm <= q) & (to >= q)]
            t = self._trees[q] = QTree(
                level=dict(zip(now["code"], now["level"])),
                parent={c: (p if isinstance(p, str) and p else None) for c, p in zip(now["code"], now["parent_code"])},
                reporting_flag={c: (None if r is None or r is pd.NA or (isinstance(r, float) and math.isnan(r))
                                    else bool(r)) for c, r in zip(now["code"], now["reporting"])})
        return t

    @cached_property
    def latest_level(self) -> dict[str, str]:
        v = self.versions.assign(_f=self.versions["active_from"].fillna(OPEN_FROM)).sort_values("_f")
        return dict(zip(v["code"], v["level"]))

    def level_of(self, code: str, quarters: list[str]) -> str:
        for q in sorted(quarters, reverse=True):
            t = self.tree(q)
            if code in t.level:
                return t.level[code]
        return self.latest_level[code]

    # --- one quarter's figure of a stored indicator over a unit's subtree --------------------------

    def counted(self, unit: str, q: str, code: str) -> dict[str, float]:
        """The facts of `code` in q that count in `unit`'s figure (choice 9): unit -> value."""
        tree = self.tree(q)
        got = self.facts.get((q, code), {})
        sub = tree.subtree(unit)
        if CATALOG[code].levels != "branch_or_total":
            return {d: got[d] for d in sub if d in got}
        out = {}
        for d in sub:
            if d not in got:
                continue
            line = tree.ancestors_or_self(d)  # d, parent, ..., root
            between = line[1:line.index(unit) + 1] if d != unit else []
            if not any(t in got for t in between):
                out[d] = got[d]
        return out

    def quarterly(self, unit: str, q: str, code: str) -> float:
        vals = list(self.counted(unit, q, code).values())
        if not vals:
            return NAN
        agg = CATALOG[code].unit_agg
        if agg == "sum":
            return float(sum(vals))
        if agg == "max":
            return float(max(vals))
        return float(sum(vals) / len(vals))

    def has_fact(self, unit: str, rel: list[str], code: str) -> bool:
        for q in rel:
            subtree = set(self.tree(q).subtree(unit))
            for p in stored_parts(code):
                if subtree & set(self.facts.get((q, p), {})):
                    return True
        return False

    def period_value(self, unit: str, rel: list[str], code: str) -> float:
        """The raw figure of `code` for `unit` over the relevant quarters `rel`."""
        ind = CATALOG[code]
        if not rel:
            return NAN
        last = rel[-1]
        if ind.op in ("count", "count_high"):
            src = ind.args[0]
            vals = self.counted(unit, last, src).values()
            if ind.op == "count":
                return float(len(vals))
            thr = CATALOG[src].threshold
            return float(sum(1 for v in vals if v >= thr))
        if ind.op == "branches":
            tree = self.tree(last)
            n = sum(1 for d in tree.subtree(unit)
                    if tree.level[d] in BRANCH_LEVELS and (tree.carrier(d), last) in self.returns_in)
            return float(n) if n else NAN
        if ind.op == "ratio":
            a = self.period_value(unit, relevant_quarters(ind.args[0], rel), ind.args[0])
            b = self.period_value(unit, relevant_quarters(ind.args[1], rel), ind.args[1])
            if math.isnan(a) or math.isnan(b) or b == 0:
                return NAN
            return 100.0 * a / b
        if ind.op == "sum":
            parts = [self.period_value(unit, relevant_quarters(a, rel), a) for a in ind.args]
            have = [p for p in parts if not math.isnan(p)]
            return float(sum(have)) if have else NAN
        if ind.time_agg == "last":
            return self.quarterly(unit, last, code)
        if ind.time_agg == "max" and ind.unit_agg == "sum":  # people and teams in a period (choice 11)
            peaks: dict[str, float] = {}
            for q in rel:
                for d, v in self.counted(unit, q, code).items():
                    peaks[d] = max(peaks.get(d, v), v)
            return float(sum(peaks.values())) if peaks else NAN
        vals = [v for q in rel if not math.isnan(v := self.quarterly(unit, q, code))]
        if not vals:
            return NAN
        return float(sum(vals)) if ind.time_agg == "sum" else float(max(vals))

    def branches(self, unit: str, q: str) -> int:
        tree = self.tree(q)
        return sum(1 for d in tree.subtree(unit) if tree.level[d] in BRANCH_LEVELS)

    def applicable(self, unit: str, quarters: list[str], code: str) -> bool:
        parts = stored_parts(code)
        for q in quarters:
            tree = self.tree(q)
            now = [p for p in parts if CATALOG[p].quarters == "all" or q.endswith(CATALOG[p].quarters)]
            for d in tree.subtree(unit):
                if any(level_reports(p, tree.level[d]) for p in now):
                    return True
        return False


@dataclass
class Figure:
    state: str
    done: int
    total: int
    raw: float
    n_q: int
    rel: list[str]


def figure(raw: Raw, unit: str, quarters: list[str], code: str) -> Figure:
    """The state, coverage and raw figure of one unit (choices 2, 5, 6)."""
    quarters = sorted(quarters)
    rel = relevant_quarters(code, quarters)
    if not rel:
        return Figure("not_asked", 0, 0, NAN, 0, rel)
    if not raw.applicable(unit, quarters, code):
        return Figure("na", 0, 0, NAN, 0, rel)
    done = total = n_q = 0
    for q in rel:
        due = raw.tree(q).due(unit)
        came = sum(1 for r in due if (r, q) in raw.returns_in)
        total += len(due)
        done += came
        n_q += came > 0
    if total == 0 or done == 0:
        return Figure("missing", done, total, NAN, n_q, rel)
    if not raw.has_fact(unit, rel, code):
        return Figure("blank", done, total, NAN, n_q, rel)
    state = "reported" if done == total else "partial"
    return Figure(state, done, total, raw.period_value(unit, rel, code), n_q, rel)


def _meets(raw: Raw, unit: str, code: str, fig: Figure, value: float, measure: str | None) -> bool:
    minimum = MINIMUMS.get(code)
    if minimum is None or math.isnan(value):
        return False
    ind = CATALOG[code]
    if measure == "rate" and ind.rate_per == "branches" and is_flow(code):
        per = value
    else:
        n_b = raw.branches(unit, fig.rel[-1])
        if n_b == 0 or fig.n_q == 0:
            return False
        per = fig.raw / n_b / fig.n_q
    return per >= minimum


def ranking(store, units, quarters, indicator_code: str, measure: str | None = None) -> pd.DataFrame:
    """One row per unit of `units`: the oracle's answer for the ranked figure of `indicator_code`
    over the period made of `quarters` (measure None: the raw figure; 'rate': per 100 members or
    per branch, and per quarter for a flow)."""
    raw = Raw.of(store)
    quarters = sorted(quarters)
    ind = CATALOG[indicator_code]
    if measure == "rate" and not ind.rate_per:
        raise ValueError(f"{indicator_code} has no rate_per")
    rows = []
    for unit in units:
        fig = figure(raw, unit, quarters, indicator_code)
        state, value = fig.state, fig.raw
        if measure == "rate" and state in ("reported", "partial"):
            last = fig.rel[-1]
            if ind.rate_per == "members_total":
                m = figure(raw, unit, [last], "members_total")
                if m.state not in ("reported", "partial"):
                    state, value = m.state, NAN
                    den = None
                elif math.isnan(m.raw):
                    value, den = NAN, None
                else:
                    den = m.raw / 100
            else:
                den = raw.branches(unit, last)
            if den is not None:
                if den == 0:
                    value = NAN
                elif is_flow(indicator_code):
                    value = fig.raw / den / fig.n_q if fig.n_q else NAN
                else:
                    value = fig.raw / den
        rows.append({"unit_code": unit, "group": group_of(raw.level_of(unit, quarters)), "state": state,
                     "done": fig.done, "total": fig.total, "raw": fig.raw, "value": value,
                     "_meets": _meets(raw, unit, indicator_code, fig, value, measure)})
    frame = pd.DataFrame(rows, columns=COLUMNS[:7] + ["_meets"])
    frame["raw"] = frame["raw"].astype(float)
    frame["value"] = frame["value"].astype(float)
    frame["rank"] = pd.Series([pd.NA] * len(frame), dtype="Int64")
    frame["tied"] = 0
    frame["behind"] = False
    for _, part in frame[frame["value"].notna()].groupby("group"):
        key = part["value"] if ind.rank == "lower_better" else -part["value"]
        frame.loc[part.index, "rank"] = key.rank(method="min").astype("int64")
        frame.loc[part.index, "tied"] = part["value"].map(part["value"].value_counts()).astype(int)
        if ind.rank == "none" or len(part) <= 2:
            continue
        named = 0
        worst_first = sorted(set(part["value"]), reverse=ind.rank == "lower_better")
        for v in worst_first:
            tie = part.index[part["value"] == v]
            if len(tie) == len(part):
                break
            short = [i for i in tie if not frame.at[i, "_meets"]]
            for i in short:
                frame.at[i, "behind"] = True
            named += len(short)
            if named >= 2 or len(short) < len(tie):
                break
    frame["tied"] = frame["tied"].astype(int)
    frame["behind"] = frame["behind"].astype(bool)
    return frame[COLUMNS].reset_index(drop=True)
