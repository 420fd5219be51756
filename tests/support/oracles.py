"""Answers worked out the plain way, for tests only: the 三会一课 check over every branch-quarter,
from the store's raw tables and the tree, with no SQL of its own (the pages ask the database)."""

from __future__ import annotations

import pandas as pd

from tests.support.figures import active_facts


def branch_quarters(store, groups: list[str], first: str, last: str, rules) -> pd.DataFrame:
    """One row per group, branch and quarter in first..last where the branch (level 'branch')
    reported at least one of the rules' indicators: each rule's figure (0 if left out), whether
    it met the rule, and whether it met all of them."""
    tree = store.tree()
    codes = [r.left[0] for r in rules]
    facts = active_facts(store)
    facts = facts[facts["indicator_code"].isin(codes) & facts["quarter"].between(first, last)]
    rows = []
    for g in groups:
        branches = {u.code for u in tree.subtree(g) if u.level == "branch"}
        mine = facts[facts["unit_code"].isin(branches)]
        for (unit, quarter), part in mine.groupby(["unit_code", "quarter"]):
            got = part.groupby("indicator_code")["value"].sum()
            row = {"group_code": g, "group_order": tree[g].sort_order, "unit_code": unit,
                   "unit_order": tree[unit].sort_order, "quarter": quarter}
            for r in rules:
                row[r.left[0]] = float(got.get(r.left[0], 0.0))
                row[f"{r.left[0]}_ok"] = row[r.left[0]] >= r.minimum
            row["all_ok"] = all(row[f"{c}_ok"] for c in codes)
            rows.append(row)
    out = pd.DataFrame(rows, columns=["group_code", "group_order", "unit_code", "unit_order", "quarter", *codes,
                                      *[f"{c}_ok" for c in codes], "all_ok"])
    return out.sort_values(["group_order", "unit_order", "quarter"]).reset_index(drop=True)


def shares(per_branch: pd.DataFrame, rules) -> pd.DataFrame:
    """Per group: branch-quarters, and the share (%) meeting each rule and all of them, to 0.1."""
    codes = [r.left[0] for r in rules]
    g = per_branch.groupby(["group_code", "group_order"], sort=False)
    out = g[[f"{c}_ok" for c in codes] + ["all_ok"]].mean().mul(100).round(1)
    out.columns = codes + ["all_ok"]
    out.insert(0, "branch_quarters", g.size())
    return out.reset_index().sort_values("group_order").reset_index(drop=True)
