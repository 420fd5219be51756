"""The sums behind the pages, on DataFrames from `queries/`: no Streamlit, no plotly.

Rankings, the 三会一课 compliance check, overview comparisons, the submission matrix,
the member-development pipeline.  Every page computes its figures here, so the tests
can recompute them from the same query and compare.
"""

from __future__ import annotations


import pandas as pd

from . import periods
from .rules import Rule
from .tree import BRANCH_LEVELS, Tree

STATUSES = ("submitted", "late", "missing", "pending")  # of a due return, see submission_status.sql
NOT_EXPECTED = "none"  # a unit that did not file a return that quarter (not yet formed, retired, merged)


def scope_units(tree: Tree, selected: list[str] | tuple[str, ...], quarters: list[str] | None = None,
                history=None) -> list[str]:
    """The units a ranking compares: one unit selected → its children; several → those.

    Children are those of the quarters' own trees (`history`; else `tree` with each unit's
    active quarters): a branch that moved away still ranks under its old committee in the
    quarters it was there, and a temporary branch only in its quarters.
    """
    selected = [c for c in selected if c in tree]
    if len(selected) == 1:
        if history is not None and quarters:
            codes = {k.code for q in quarters for k in history.at(q).kids(selected[0])
                     if selected[0] in history.at(q)}
            kids = sorted((tree[c] for c in codes if c in tree), key=lambda u: u.sort_order)  # in today's order
        else:
            kids = tree.kids(selected[0])
            if quarters:
                kids = [k for k in kids if any(k.active_in(q) for q in quarters)]
        if kids:
            return [k.code for k in kids]
    return sorted(selected, key=lambda c: tree[c].sort_order)


def reporting_scope(tree: Tree, selected) -> list[str]:
    """The reporting units whose returns cover the selected units (their own and their subtrees')."""
    out: set[str] = set()
    for code in selected:
        if code not in tree:
            continue
        out.add(tree.reporting_unit_of(code).code)
        out.update(u.code for u in tree.subtree(code) if tree.is_reporting(u.code))
    return sorted(out, key=lambda c: tree[c].sort_order)


def reporting_of_scope(tree: Tree, selected) -> list[str]:
    """The reporting units whose returns carry the selected units and their children (the units a
    ranking compares, see scope_units): for the whole province, the department and its city
    bureaus, not every committee's return under them.  In tree order."""
    out: set[str] = set()
    for code in selected:
        if code not in tree:
            continue
        out.add(tree.reporting_unit_of(code).code)
        out.update(tree.reporting_unit_of(k.code).code for k in tree.kids(code))
    return sorted(out, key=lambda c: tree[c].sort_order)


def expected_returns(history, selected, quarters: list[str], *, whole: bool,
                     deadlines: dict | None = None) -> dict[str, list]:
    """Bound parameters for queries/charts/submission_status.sql: every return that was due, as
    (reporting unit, quarter, deadline) — the reporting units of each quarter's tree (whole=True:
    every one in the selected subtrees; else those carrying the selected units and their
    children), due by each quarter's deadline (domain/deadlines.py; `deadlines`: the quarters whose
    deadline is set apart) — and the product's today, against which a return is late or missing."""
    from .. import clock
    from . import deadlines as due_dates

    units, qs, dues = [], [], []
    for q in quarters:
        tree = history.at(q)
        chosen = [c for c in selected if c in tree]
        reporting = reporting_scope(tree, chosen) if whole else reporting_of_scope(tree, chosen)
        deadline = due_dates.due(q, deadlines).isoformat()
        for code in reporting:
            units.append(code)
            qs.append(q)
            dues.append(deadline)
    return {"units": units, "quarters": qs, "deadlines": dues, "today": clock.today().isoformat()}


def level_group(level: str) -> str:
    """Units are ranked against their own kind: committees (党组, 党委, 党总支) or branches."""
    return "branch" if level in BRANCH_LEVELS else "committee"


def comparison_windows(last: str, granularity: str) -> dict[str, tuple[str, str]]:
    """Quarter windows for 'this period', 'the period before' and 'the same period a year before'.

    This period runs from its first quarter up to `last` (it may be partial); the others
    are shifted by one period and by four quarters and are exactly as long, so a partial
    year is compared with the same quarters of the year before.
    """
    first = periods.quarters_of(periods.period_of(last, granularity))[0]
    step = {"quarter": 1, "half": 2, "year": 4}[granularity]
    return {
        "current": (first, last),
        "previous": (periods.shift(first, -step), periods.shift(last, -step)),
        "year_before": (periods.shift(first, -4), periods.shift(last, -4)),
    }


def compliance_params(groups: list[str], first: str, last: str) -> dict:
    """Bound parameters for queries/charts/compliance_shares.sql (and compliance_short.sql, with a
    limit).  The 三会一课 rules of data/rules.csv are not among them: the store mirrors them
    (compliance_rules) and keeps each branch-quarter's check by them (compliance_masks)."""
    return {"groups": list(groups), "from": first, "to": last}


def compliance_shares(long: pd.DataFrame, rules: list[Rule]) -> pd.DataFrame:
    """compliance_shares output (one row per group and rule) as a table: per group, the share (%)
    of branch-quarters meeting each rule (columns named by the rule's indicator) and all of them."""
    codes = [r.left[0] for r in rules]
    cols = ["group_code", "group_name_zh", "group_name_en", "group_order"]
    if long.empty:
        return pd.DataFrame(columns=cols + ["branch_quarters"] + codes + ["all_ok"])
    wide = long.pivot_table(index=cols + ["branch_quarters"], columns="rule", values="n_ok", aggfunc="first",
                            fill_value=0)
    wide = wide.reindex(columns=codes + ["all_ok"], fill_value=0)
    n = wide.index.get_level_values("branch_quarters").to_numpy()
    out = (wide.div(n, axis=0)).mul(100).round(1)  # the share of branch-quarters, to 0.1
    out.columns.name = None
    out = out.reset_index()
    out["branch_quarters"] = out["branch_quarters"].astype("int64")
    return out.sort_values("group_order").reset_index(drop=True)


def compliance_short(short: pd.DataFrame, rules: list[Rule]) -> pd.DataFrame:
    """compliance_short output with one column per rule's indicator (what the branch reported)."""
    out = short.drop(columns=["reported", "n_short"])
    reported = short["reported"].tolist()
    for i, rule in enumerate(rules):
        out[rule.left[0]] = [float(r[i]) for r in reported]
    return out.reset_index(drop=True)


def pipeline(values: pd.DataFrame, stages: tuple[str, ...]) -> pd.DataFrame:
    """The stages per unit, in pipeline order (data/domain_charts.csv), summed over the periods in `values`."""
    picked = values[values["indicator_code"].isin(stages)]
    out = picked.groupby(["unit_code", "unit_order", "indicator_code"], as_index=False)["value"].sum()
    out["stage"] = out["indicator_code"].map({c: i for i, c in enumerate(stages)})
    return out.sort_values(["unit_order", "stage"]).reset_index(drop=True)


def widening(pipeline_frame: pd.DataFrame, stages: tuple[str, ...]) -> list:
    """Where a unit's pipeline widens: a stage larger than the stage before it, as rows of
    (unit_code, earlier, n_earlier, later, n_later).  The page states the reason beside each."""
    from collections import namedtuple

    Widens = namedtuple("Widens", "unit_code earlier n_earlier later n_later")
    out = []
    for code, group in pipeline_frame.groupby("unit_code", sort=False):
        got = dict(zip(group["indicator_code"], group["value"]))
        present = [s for s in stages if s in got]
        for earlier, later in zip(present, present[1:]):
            if got[later] > got[earlier]:
                out.append(Widens(code, earlier, float(got[earlier]), later, float(got[later])))
    return out


def completeness(status: pd.DataFrame, quarter: str) -> dict:
    """How many reporting units have a return in for a quarter, and which have not."""
    q = status[status["quarter"] == quarter]
    done = q["status"].isin(["submitted", "late"])
    return {
        "quarter": quarter,
        "submitted": int(done.sum()),
        "total": int(len(q)),
        "late": int((q["status"] == "late").sum()),
        "missing_codes": q.loc[~done, "unit_code"].tolist(),
        "share": float(done.mean() * 100) if len(q) else 0.0,
    }


def status_matrix(status: pd.DataFrame, lang: str = "zh") -> pd.DataFrame:
    """Unit × quarter of status codes, rows in tree order (for the heatmap and its table)."""
    if status.empty:
        return pd.DataFrame()
    name = "unit_name_en" if lang == "en" else "unit_name_zh"
    frame = status.assign(cell=status["status"] + status["is_demo"].map({True: "+demo", False: ""}))
    wide = frame.pivot_table(index=["unit_order", "unit_code", name], columns="quarter", values="cell",
                             aggfunc="first")
    wide = wide.reset_index().sort_values("unit_order").drop(columns="unit_order")
    wide.columns.name = None
    return wide.rename(columns={name: "unit_name"}).reset_index(drop=True)


def siblings_of(tree: Tree, codes) -> list[str]:
    """Every unit that shares a parent with one of `codes` (the units themselves included)."""
    out: list[str] = []
    for code in codes:
        parent = tree.parent(code)
        for k in (tree.kids(parent.code) if parent else [tree[code]]):
            if k.code not in out:
                out.append(k.code)
    return out


def reference_quarter(quarters: str, last: str) -> str:
    """The latest quarter up to `last` in which an indicator is reported ('all' or e.g. 'Q1' only)."""
    if quarters == "all":
        return last
    y, n = periods.parse_quarter(last)
    want = int(quarters[1])
    return f"{y}Q{want}" if n >= want else f"{y - 1}Q{want}"
