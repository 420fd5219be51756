"""The plain way, for the benchmark to measure against: the same answers in pandas.

`PlainData.load(store)` reads the active facts, the tree's closure and the catalog into
pandas once; each function here then computes what a named query returns, as a
reasonably written pandas program would (filter, merge with the closure, group by) --
no pre-aggregated roll-up, no database.  The benchmark checks that both give the same
figures before it compares their times.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
import pandas as pd

from dashboard.domain import periods

KEY = ["unit_code", "period", "indicator_code"]


@dataclass
class PlainData:
    facts: pd.DataFrame  # unit_code, quarter, indicator_code, value (active submissions only)
    closure: pd.DataFrame  # ancestor, descendant
    units: pd.DataFrame
    indicators: pd.DataFrame  # indexed by code
    submissions: pd.DataFrame
    fact_submission: pd.Series  # submission_id of every fact, active or not

    @classmethod
    def load(cls, store) -> PlainData:
        """The store's tables, read whole (as a program without the roll-up would)."""
        submissions = store.table("submissions")
        all_facts = store.table("facts")
        active = set(submissions.loc[submissions["status"] == "active", "id"])
        facts = all_facts.loc[all_facts["submission_id"].isin(active),
                              ["unit_code", "quarter", "indicator_code", "value"]].reset_index(drop=True)
        closure = store.table("unit_closure")[["ancestor", "descendant"]]
        units = store.table("units")[["code", "name_zh", "name_en", "level", "parent_code", "sort_order"]]
        indicators = store.table("indicators").set_index("code")
        return cls(facts, closure, units, indicators, submissions, all_facts["submission_id"])


def _period(quarters: pd.Series, granularity: str) -> pd.Series:
    """Each quarter's period, by the product's own mapping (periods.period_of)."""
    mapping = {q: periods.period_of(q, granularity) for q in quarters.unique()}
    return quarters.map(mapping)


def indicator_values(data: PlainData, units: list[str], from_: str, to: str, granularity: str,
                     indicators: list[str], scope: str) -> pd.DataFrame:
    """queries/indicator_values.sql, the plain way."""
    cat = data.indicators
    requested = [c for c in cat.index if not indicators or c in indicators]
    needed = set(requested)
    for c in requested:
        args = cat.at[c, "formula_args"]
        if args is not None and len(args):
            needed.update(args)

    sources = set(needed) | {cat.at[c, "formula_args"][0] for c in needed
                             if cat.at[c, "formula_op"] in ("count", "count_high", "branches")}
    facts = data.facts[(data.facts["quarter"] >= from_) & (data.facts["quarter"] <= to)
                       & data.facts["indicator_code"].isin(sources)]
    threshold = facts["indicator_code"].map(cat["threshold"])
    facts = facts.assign(high=(facts["value"] >= threshold).astype("int64"))
    if scope == "subtree":
        closure = data.closure[data.closure["ancestor"].isin(units)]
        rows = facts[facts["unit_code"].isin(closure["descendant"])]
        rows = rows.merge(closure, left_on="unit_code", right_on="descendant")
        base = (rows.groupby(["ancestor", "quarter", "indicator_code"], as_index=False)
                .agg(total=("value", "sum"), maximum=("value", "max"), n_units=("value", "size"),
                     n_high=("high", "sum"))
                .rename(columns={"ancestor": "unit_code"}))
    else:
        rows = facts[facts["unit_code"].isin(units)]
        base = rows.assign(total=rows["value"], maximum=rows["value"], n_units=1, n_high=rows["high"])
        base = base[["unit_code", "quarter", "indicator_code", "total", "maximum", "n_units", "n_high"]]

    # one value per unit, quarter and indicator
    stored = base[base["indicator_code"].isin(needed)]
    unit_agg = stored["indicator_code"].map(cat["unit_agg"])
    value = np.select([unit_agg == "sum", unit_agg == "max", unit_agg == "mean"],
                      [stored["total"], stored["maximum"], stored["total"] / stored["n_units"].replace(0, np.nan)],
                      np.nan)
    parts = [pd.DataFrame({"unit_code": stored["unit_code"], "quarter": stored["quarter"],
                           "indicator_code": stored["indicator_code"],
                           "time_agg": stored["indicator_code"].map(cat["time_agg"]), "value": value})]
    for code in needed:
        op = cat.at[code, "formula_op"]
        if op in ("count", "count_high"):
            src = base[base["indicator_code"] == cat.at[code, "formula_args"][0]]
            parts.append(pd.DataFrame({"unit_code": src["unit_code"], "quarter": src["quarter"],
                                       "indicator_code": code, "time_agg": "last",
                                       "value": (src["n_units"] if op == "count" else src["n_high"]).astype("float64")}))
        elif op == "branches":  # the branches under the unit (itself, scope own) where the source has data
            src = base[base["indicator_code"] == cat.at[code, "formula_args"][0]][["unit_code", "quarter"]]
            branch_codes = set(data.units.loc[data.units["level"].isin(["branch", "temp_branch"]), "code"])
            pairs = (data.closure if scope == "subtree" else
                     pd.DataFrame({"ancestor": list(units), "descendant": list(units)}))
            pairs = pairs[pairs["descendant"].isin(branch_codes)]
            n = pairs.groupby("ancestor").size().rename("value").astype("float64")
            got = src.merge(n, left_on="unit_code", right_index=True)
            parts.append(pd.DataFrame({"unit_code": got["unit_code"], "quarter": got["quarter"],
                                       "indicator_code": code, "time_agg": "last", "value": got["value"]}))
    quarterly = pd.concat(parts, ignore_index=True)
    quarterly["period"] = _period(quarterly["quarter"], granularity)

    # over time: flows sum, peaks take the max, stocks the last quarter with data
    out = []
    for agg, group in quarterly.groupby("time_agg"):
        keys = group.groupby(KEY, sort=False)
        if agg == "sum":
            out.append(keys["value"].sum().reset_index())
        elif agg == "max":
            out.append(keys["value"].max().reset_index())
        else:
            last = group.dropna(subset=["value"]).sort_values("quarter").drop_duplicates(KEY, keep="last")
            out.append(last[KEY + ["value"]])
    periodic = pd.concat(out, ignore_index=True)

    # derived after both roll-ups: ratios as percentages, sums of parts
    derived = []
    for code in requested:
        op = cat.at[code, "formula_op"]
        args = list(cat.at[code, "formula_args"] if cat.at[code, "formula_op"] else [])
        if op == "ratio":
            wide = periodic[periodic["indicator_code"].isin(args)].pivot_table(
                index=["unit_code", "period"], columns="indicator_code", values="value", aggfunc="sum")
            if args[0] in wide and args[1] in wide:
                num = wide[args[0]]
                den = wide[args[1]].replace(0, np.nan)
                derived.append((100.0 * num / den).rename("value").reset_index().assign(indicator_code=code))
        elif op == "sum":
            part = periodic[periodic["indicator_code"].isin(args)]
            derived.append(part.groupby(["unit_code", "period"], as_index=False)["value"].sum()
                           .assign(indicator_code=code))
    combined = pd.concat([periodic] + derived, ignore_index=True)
    combined = combined[combined["indicator_code"].isin(requested) & combined["value"].notna()]

    ind = cat.loc[combined["indicator_code"]]
    combined["value"] = np.where(ind["value_type"].to_numpy() == "money",
                                 combined["value"].round(2), combined["value"].round(4))
    result = combined.merge(data.units, left_on="unit_code", right_on="code").merge(
        cat[["domain", "name_zh", "name_en", "unit_zh", "unit_en", "value_type", "domain_order", "sort_order"]]
        .rename(columns={"name_zh": "indicator_name_zh", "name_en": "indicator_name_en",
                         "sort_order": "indicator_order"}),
        left_on="indicator_code", right_index=True)
    result = result.rename(columns={"name_zh": "unit_name_zh", "name_en": "unit_name_en", "level": "unit_level",
                                    "sort_order": "unit_order"})
    result = result.sort_values(["unit_order", "period", "domain_order", "indicator_order"], ignore_index=True)
    return result[["unit_code", "unit_name_zh", "unit_name_en", "unit_level", "parent_code", "unit_order",
                   "period", "domain", "indicator_code", "indicator_name_zh", "indicator_name_en", "value",
                   "unit_zh", "unit_en", "value_type", "domain_order", "indicator_order"]]


def _branches(data: PlainData, groups: list[str]) -> pd.DataFrame:
    """group_code, unit_code of every branch under each group (from the closure)."""
    closure = data.closure[data.closure["ancestor"].isin(groups)]
    branch_codes = data.units.loc[data.units["level"] == "branch", "code"]
    closure = closure[closure["descendant"].isin(branch_codes)]
    return closure.rename(columns={"ancestor": "group_code", "descendant": "unit_code"})


def branch_compliance(data: PlainData, groups: list[str], indicators: list[str], from_: str, to: str) -> pd.DataFrame:
    """queries/branch_compliance.sql, the plain way."""
    branches = _branches(data, groups)
    f = data.facts
    f = f[(f["quarter"] >= from_) & (f["quarter"] <= to) & f["indicator_code"].isin(indicators)
          & f["unit_code"].isin(branches["unit_code"])]
    out = branches.merge(f, on="unit_code")
    units = data.units.set_index("code")
    out["group_order"] = out["group_code"].map(units["sort_order"])
    out["unit_order"] = out["unit_code"].map(units["sort_order"])
    return out.sort_values(["group_order", "unit_order", "quarter", "indicator_code"], ignore_index=True)


def _branch_quarters(data: PlainData, groups: list[str], indicators: list[str], needs: list[float], from_: str,
                     to: str) -> pd.DataFrame:
    """Per group, branch and quarter with a figure for one of `indicators`: what the branch reported
    for each (0 if left out), and whether it met each need and all of them (the 三会一课 check)."""
    branches = _branches(data, groups)
    f = data.facts
    f = f[(f["quarter"] >= from_) & (f["quarter"] <= to) & f["indicator_code"].isin(indicators)
          & f["unit_code"].isin(branches["unit_code"])]
    wide = f.pivot_table(index=["unit_code", "quarter"], columns="indicator_code", values="value", aggfunc="sum",
                         fill_value=0).reindex(columns=list(indicators), fill_value=0)
    ok = pd.DataFrame({code: wide[code] >= need for code, need in zip(indicators, needs)})
    ok["all_ok"] = ok.all(axis=1)
    wide.columns = [f"v_{c}" for c in wide.columns]
    per = pd.concat([wide, ok], axis=1).reset_index()
    return branches.merge(per, on="unit_code")


def compliance_shares(data: PlainData, groups: list[str], indicators: list[str], needs: list[float], from_: str,
                      to: str) -> pd.DataFrame:
    """queries/compliance_shares.sql, the plain way: per group and rule, the branch-quarters and
    how many met it."""
    per = _branch_quarters(data, groups, indicators, needs, from_, to)
    rules = list(indicators) + ["all_ok"]
    g = per.groupby("group_code")
    out = g[rules].sum().astype("float64")
    out["branch_quarters"] = g.size().astype("float64")  # the SQL sums counts: a float column
    out = out.reset_index().melt(id_vars=["group_code", "branch_quarters"], value_vars=rules, var_name="rule",
                                 value_name="n_ok")
    units = data.units.set_index("code")
    out["group_order"] = out["group_code"].map(units["sort_order"])
    return out.sort_values(["group_order", "rule"], ignore_index=True)


def compliance_short(data: PlainData, groups: list[str], indicators: list[str], needs: list[float], from_: str,
                     to: str, limit: int) -> pd.DataFrame:
    """queries/compliance_short.sql, the plain way: the first `limit` branch-quarters that fell short,
    in tree order, what each reported, and how many fell short in all."""
    per = _branch_quarters(data, groups, indicators, needs, from_, to)
    short = per[~per["all_ok"]].copy()
    order = data.units.set_index("code")["sort_order"]
    short["group_order"] = short["group_code"].map(order)
    short["unit_order"] = short["unit_code"].map(order)
    short = short.sort_values(["group_order", "unit_order", "quarter"], ignore_index=True)
    n_short = len(short)
    short = short.head(limit)
    return pd.DataFrame({
        "group_code": short["group_code"], "unit_code": short["unit_code"], "quarter": short["quarter"],
        "reported": list(short[[f"v_{c}" for c in indicators]].to_numpy(dtype="float64")), "n_short": n_short,
    })


def star_distribution(data: PlainData, groups: list[str], indicator: str, from_: str, to: str) -> pd.DataFrame:
    """queries/star_distribution.sql, the plain way."""
    branches = _branches(data, groups)
    f = data.facts
    f = f[(f["indicator_code"] == indicator) & (f["quarter"] >= from_) & (f["quarter"] <= to)
          & f["unit_code"].isin(branches["unit_code"])]
    latest = f.sort_values("quarter").drop_duplicates("unit_code", keep="last")[["unit_code", "value"]]
    out = branches.merge(latest, on="unit_code")
    out["stars"] = np.floor(out["value"] + 0.5).astype("int64")
    out = out.groupby(["group_code", "stars"], as_index=False).size().rename(columns={"size": "n_branches"})
    out["group_order"] = out["group_code"].map(data.units.set_index("code")["sort_order"])
    return out.sort_values(["group_order", "stars"], ignore_index=True)


def submission_status(data: PlainData, units: list[str], quarters: list[str], deadlines: list[str]) -> pd.DataFrame:
    """queries/submission_status.sql, the plain way (the expected returns given as pairs)."""
    grid = pd.DataFrame({"unit_code": units, "quarter": quarters, "deadline": pd.to_datetime(deadlines)})
    subs = data.submissions[data.submissions["status"] == "active"]
    out = grid.merge(subs[["unit_code", "quarter", "id", "submitted_at"]], on=["unit_code", "quarter"], how="left")
    today = pd.Timestamp.today().normalize()
    submitted = out["submitted_at"].dt.normalize()
    out["status"] = np.select(
        [out["id"].isna() & (today <= out["deadline"]), out["id"].isna(), submitted > out["deadline"]],
        ["pending", "missing", "late"], "submitted")
    return out


def submission_history(data: PlainData, units: list[str], from_: str, to: str) -> pd.DataFrame:
    """queries/submission_history.sql, the plain way."""
    s = data.submissions
    s = s[s["unit_code"].isin(units) & (s["quarter"] >= from_) & (s["quarter"] <= to)]
    counts = data.fact_submission[data.fact_submission.isin(s["id"])].value_counts()
    out = s.rename(columns={"id": "submission_id"})
    return out.assign(n_values=out["submission_id"].map(counts).fillna(0).astype("int64"))


def compare(sql: pd.DataFrame, plain: pd.DataFrame, key: list[str] = KEY, value: str = "value",
            tol: float = 1.0001e-4) -> str | None:
    """None if both give the same figures (same keys, values within tol); else what differs.

    Both sides round to 4 places (money to 2); a value exactly halfway may round either
    way (84.44375 is stored as 84.443749... or 84.443750...), so one unit in the last
    place is allowed: tol for figures, 100 x tol for money."""
    a = sql[key + [value] + (["value_type"] if "value_type" in sql else [])].astype({k: "str" for k in key})
    b = plain[key + [value]].astype({k: "str" for k in key})
    if len(a) != len(b):
        return f"{len(a)} rows from SQL, {len(b)} the plain way"
    m = a.merge(b, on=key, how="outer", suffixes=("_sql", "_plain"), indicator=True)
    only = m[m["_merge"] != "both"]
    if len(only):
        buf = io.StringIO()
        only.head(5).to_string(buf)
        return f"{len(only)} keys in one answer only:\n{buf.getvalue()}"
    if not pd.api.types.is_numeric_dtype(m[f"{value}_sql"]):
        if any(isinstance(v, (list, tuple, np.ndarray)) for v in m[f"{value}_sql"]):  # lists of numbers
            listed = {side: m[f"{value}_{side}"].map(lambda v: tuple(round(float(x), 4) for x in v))
                      for side in ("sql", "plain")}
            bad = m[listed["sql"] != listed["plain"]]
            return f"{len(bad)} values differ:\n{bad.head(5).to_string()}" if len(bad) else None
        bad = m[m[f"{value}_sql"].astype("str") != m[f"{value}_plain"].astype("str")]
        return f"{len(bad)} values differ:\n{bad.head(5).to_string()}" if len(bad) else None
    x, y = m[f"{value}_sql"].astype("float64"), m[f"{value}_plain"].astype("float64")
    atol = np.where(m["value_type"] == "money", 100 * tol, tol) if "value_type" in m else tol
    bad = m[~((np.abs(x - y) <= atol) | (x.isna() & y.isna()))]
    if len(bad):
        buf = io.StringIO()
        bad.head(5).to_string(buf)
        return f"{len(bad)} values differ:\n{buf.getvalue()}"
    return None
