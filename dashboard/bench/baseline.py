"""The plain way, for the benchmark to measure against: the same answers in pandas.

`PlainData.load(store)` reads the active facts, the tree's closure and the catalog into
pandas once; each function here then computes what a named query returns, as a
well written pandas program would (filter, merge with the closure, group by) -- no
pre-aggregated roll-up, no database.  The benchmark checks that both give the same
figures before it compares their times.

It is the strong plain way, so a ratio means DuckDB against good pandas: the codes
(unit, indicator, quarter) are loaded as categoricals, so filters, merges and group-bys
run on integer codes, not strings (2.8-4x faster than strings, measured for issue 13).
Units and indicators share one dtype each across facts, closure and the unit list, so a
merge compares codes; quarters are an ordered categorical whose categories are every
quarter in the data in time order, and a quarter range is a range of codes (`_within`).
Group-bys keep to the groups present (observed=True), and a catalog attribute is looked
up per category, then spread by code (`_lookup`), never mapped string by string.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
import pandas as pd

from dashboard.domain import periods

KEY = ["unit_code", "period", "indicator_code"]
PLAIN_WAY = ("pandas on the same facts loaded once, codes as categoricals "
             "(filters, merges and group-bys on integer codes); no roll-up")


@dataclass
class PlainData:
    facts: pd.DataFrame  # unit_code, quarter, indicator_code (categoricals), value; active submissions only
    closure: pd.DataFrame  # ancestor, descendant (the units' categorical)
    units: pd.DataFrame  # code (the units' categorical), names, level, parent_code, sort_order
    indicators: pd.DataFrame  # the catalog, indexed by code (text)
    submissions: pd.DataFrame
    fact_submission: pd.Series  # submission_id of every fact, active or not

    @classmethod
    def load(cls, store) -> PlainData:
        """The store's tables, read whole (as a program without the roll-up would), with the
        codes as categoricals: one dtype for units, one for indicators, and quarters ordered
        in time (their text sorts in time order: periods.py)."""
        submissions = store.table("submissions")
        all_facts = store.table("facts")
        active = set(submissions.loc[submissions["status"] == "active", "id"])
        facts = all_facts.loc[all_facts["submission_id"].isin(active),
                              ["unit_code", "quarter", "indicator_code", "value"]].reset_index(drop=True)
        closure = store.table("unit_closure")[["ancestor", "descendant"]]
        units = store.table("units")[["code", "name_zh", "name_en", "level", "parent_code", "sort_order"]]
        indicators = store.table("indicators").set_index("code")

        unit = pd.CategoricalDtype(sorted(set(units["code"]) | set(facts["unit_code"].unique())
                                          | set(closure["ancestor"]) | set(closure["descendant"])))
        indicator = pd.CategoricalDtype(sorted(set(indicators.index) | set(facts["indicator_code"].unique())))
        quarter = pd.CategoricalDtype(sorted(facts["quarter"].unique()), ordered=True)
        facts = facts.astype({"unit_code": unit, "quarter": quarter, "indicator_code": indicator})
        closure = closure.astype({"ancestor": unit, "descendant": unit})
        units = units.astype({"code": unit})
        return cls(facts, closure, units, indicators, submissions, all_facts["submission_id"])


def _within(quarters: pd.Series, from_: str, to: str) -> np.ndarray:
    """Which of the quarters (the ordered categorical) fall in from_..to: a range of codes,
    as the text comparison from_ <= quarter <= to would give."""
    cats = quarters.cat.categories
    codes = quarters.cat.codes.to_numpy()
    return (codes >= cats.searchsorted(from_, "left")) & (codes < cats.searchsorted(to, "right"))


def _lookup(codes: pd.Series, mapping: pd.Series, dtype: pd.CategoricalDtype | None = None):
    """Each row's value of `mapping` (indexed by text codes), looked up once per category of
    the categorical `codes` and spread by code; a categorical of `dtype` if given."""
    per_category = mapping.reindex(codes.cat.categories)
    positions = codes.cat.codes.to_numpy()
    if dtype is not None:
        return pd.Categorical.from_codes(pd.Categorical(per_category, dtype=dtype).codes[positions], dtype=dtype)
    return per_category.to_numpy()[positions]


def _constant(value: str, n: int, dtype: pd.CategoricalDtype) -> pd.Categorical:
    """A categorical column of n copies of one code (so a concat keeps the dtype)."""
    return pd.Categorical.from_codes(np.full(n, dtype.categories.get_loc(value), dtype="int64"), dtype=dtype)


def _period(quarters: pd.Series, granularity: str) -> pd.Categorical:
    """Each quarter's period, by the product's own mapping (periods.period_of), computed once
    per quarter in the data: an ordered categorical in time order."""
    per_quarter = [periods.period_of(q, granularity) for q in quarters.cat.categories]
    dtype = pd.CategoricalDtype(list(dict.fromkeys(per_quarter)), ordered=True)
    return pd.Categorical.from_codes(pd.Categorical(per_quarter, dtype=dtype).codes[quarters.cat.codes.to_numpy()],
                                     dtype=dtype)


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
    facts = data.facts[_within(data.facts["quarter"], from_, to) & data.facts["indicator_code"].isin(sources)]
    threshold = _lookup(facts["indicator_code"], cat["threshold"])
    facts = facts.assign(high=(facts["value"].to_numpy() >= threshold).astype("int64"))
    if scope == "subtree":
        closure = data.closure[data.closure["ancestor"].isin(units)]
        rows = facts[facts["unit_code"].isin(closure["descendant"])]
        rows = rows.merge(closure, left_on="unit_code", right_on="descendant")
        base = (rows.groupby(["ancestor", "quarter", "indicator_code"], as_index=False, observed=True)
                .agg(total=("value", "sum"), maximum=("value", "max"), n_units=("value", "size"),
                     n_high=("high", "sum"))
                .rename(columns={"ancestor": "unit_code"}))
    else:
        rows = facts[facts["unit_code"].isin(units)]
        base = rows.assign(total=rows["value"], maximum=rows["value"], n_units=1, n_high=rows["high"])
        base = base[["unit_code", "quarter", "indicator_code", "total", "maximum", "n_units", "n_high"]]

    # one value per unit, quarter and indicator
    ind_dtype = data.facts["indicator_code"].dtype
    time_aggs = pd.CategoricalDtype(sorted(set(cat["time_agg"].dropna()) | {"last"}))
    stored = base[base["indicator_code"].isin(needed)]
    unit_agg = _lookup(stored["indicator_code"], cat["unit_agg"])
    value = np.select([unit_agg == "sum", unit_agg == "max", unit_agg == "mean"],
                      [stored["total"], stored["maximum"], stored["total"] / stored["n_units"].replace(0, np.nan)],
                      np.nan)
    parts = [pd.DataFrame({"unit_code": stored["unit_code"], "quarter": stored["quarter"],
                           "indicator_code": stored["indicator_code"],
                           "time_agg": _lookup(stored["indicator_code"], cat["time_agg"], time_aggs),
                           "value": value})]
    for code in needed:
        op = cat.at[code, "formula_op"]
        if op in ("count", "count_high"):
            src = base[base["indicator_code"] == cat.at[code, "formula_args"][0]]
            parts.append(pd.DataFrame({"unit_code": src["unit_code"], "quarter": src["quarter"],
                                       "indicator_code": _constant(code, len(src), ind_dtype),
                                       "time_agg": _constant("last", len(src), time_aggs),
                                       "value": (src["n_units"] if op == "count" else src["n_high"]).astype("float64")
                                       }, index=src.index))
        elif op == "branches":  # the branches under the unit (itself, scope own) where the source has data
            src = base[base["indicator_code"] == cat.at[code, "formula_args"][0]][["unit_code", "quarter"]]
            unit_dtype = data.closure["ancestor"].dtype
            branch_codes = data.units.loc[data.units["level"].isin(["branch", "temp_branch"]), "code"]
            pairs = (data.closure if scope == "subtree" else
                     pd.DataFrame({"ancestor": pd.Categorical(units, dtype=unit_dtype),
                                   "descendant": pd.Categorical(units, dtype=unit_dtype)}))
            pairs = pairs[pairs["descendant"].isin(branch_codes)]
            n = pairs.groupby("ancestor", observed=True).size().rename("value").astype("float64")
            got = src.merge(n, left_on="unit_code", right_index=True)
            parts.append(pd.DataFrame({"unit_code": got["unit_code"], "quarter": got["quarter"],
                                       "indicator_code": _constant(code, len(got), ind_dtype),
                                       "time_agg": _constant("last", len(got), time_aggs), "value": got["value"]},
                                      index=got.index))
    quarterly = pd.concat(parts, ignore_index=True)
    quarterly["period"] = _period(quarterly["quarter"], granularity)

    # over time: flows sum, peaks take the max, stocks the last quarter with data
    out = []
    for agg, group in quarterly.groupby("time_agg", observed=True):
        keys = group.groupby(KEY, sort=False, observed=True)
        if agg == "sum":
            out.append(keys["value"].sum().reset_index())
        elif agg == "max":
            out.append(keys["value"].max().reset_index())
        else:
            last = group.dropna(subset=["value"]).sort_values("quarter").drop_duplicates(KEY, keep="last")
            out.append(last[KEY + ["value"]])
    periodic = pd.concat(out, ignore_index=True)
    if scope == "subtree":  # people and teams: each unit's own peak over a period of quarters, then summed
        people = [c for c in needed if cat.at[c, "time_agg"] == "max" and cat.at[c, "unit_agg"] == "sum"]
        mine = rows[rows["indicator_code"].isin(people)]
        if len(mine):
            mine = mine.assign(period=_period(mine["quarter"], granularity))
            span = pd.Series(periods.period_map(from_, to, granularity)["periods"]).value_counts()
            mine = mine[mine["period"].astype(str).map(span).fillna(0).astype(int).to_numpy() > 1]
            peaks = (mine.groupby(["ancestor", "period", "indicator_code", "unit_code"], observed=True)["value"].max()
                     .groupby(level=[0, 1, 2], observed=True).sum().rename("peak").reset_index()
                     .rename(columns={"ancestor": "unit_code"}))
            if len(peaks):
                periodic = periodic.merge(peaks, on=KEY, how="left")
                periodic["value"] = periodic["peak"].where(periodic["peak"].notna(), periodic["value"])
                periodic = periodic.drop(columns="peak")

    # derived after both roll-ups: ratios as percentages, sums of parts
    derived = []
    for code in requested:
        op = cat.at[code, "formula_op"]
        args = list(cat.at[code, "formula_args"] if cat.at[code, "formula_op"] else [])
        if op == "ratio":
            wide = periodic[periodic["indicator_code"].isin(args)].pivot_table(
                index=["unit_code", "period"], columns="indicator_code", values="value", aggfunc="sum",
                observed=True)
            if args[0] in wide and args[1] in wide:
                num = wide[args[0]]
                den = wide[args[1]].replace(0, np.nan)
                ratio = (100.0 * num / den).rename("value").reset_index()
                derived.append(ratio.assign(indicator_code=_constant(code, len(ratio), ind_dtype)))
        elif op == "sum":
            part = periodic[periodic["indicator_code"].isin(args)]
            summed = part.groupby(["unit_code", "period"], as_index=False, observed=True)["value"].sum()
            derived.append(summed.assign(indicator_code=_constant(code, len(summed), ind_dtype)))
    combined = pd.concat([periodic] + derived, ignore_index=True)
    combined = combined[combined["indicator_code"].isin(requested) & combined["value"].notna()]

    money = _lookup(combined["indicator_code"], cat["value_type"]) == "money"
    combined["value"] = np.where(money, combined["value"].round(2), combined["value"].round(4))
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


def _unit_order(data: PlainData) -> pd.Series:
    """Each unit's sort_order, indexed by its code as text (for `_lookup`)."""
    return pd.Series(data.units["sort_order"].to_numpy(), index=data.units["code"].astype("str").to_numpy())


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
    f = f[_within(f["quarter"], from_, to) & f["indicator_code"].isin(indicators)
          & f["unit_code"].isin(branches["unit_code"])]
    out = branches.merge(f, on="unit_code")
    order = _unit_order(data)
    out["group_order"] = _lookup(out["group_code"], order)
    out["unit_order"] = _lookup(out["unit_code"], order)
    return out.sort_values(["group_order", "unit_order", "quarter", "indicator_code"], ignore_index=True)


def _branch_quarters(data: PlainData, groups: list[str], indicators: list[str], needs: list[float], from_: str,
                     to: str) -> pd.DataFrame:
    """Per group, branch and quarter with a figure for one of `indicators`: what the branch reported
    for each (0 if left out), and whether it met each need and all of them (the 三会一课 check)."""
    branches = _branches(data, groups)
    f = data.facts
    f = f[_within(f["quarter"], from_, to) & f["indicator_code"].isin(indicators)
          & f["unit_code"].isin(branches["unit_code"])]
    wide = f.pivot_table(index=["unit_code", "quarter"], columns="indicator_code", values="value", aggfunc="sum",
                         fill_value=0, observed=True)
    wide.columns = wide.columns.astype("str")
    wide = wide.reindex(columns=list(indicators), fill_value=0)
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
    g = per.groupby("group_code", observed=True)
    out = g[rules].sum().astype("float64")
    out["branch_quarters"] = g.size().astype("float64")  # the SQL sums counts: a float column
    out = out.reset_index().melt(id_vars=["group_code", "branch_quarters"], value_vars=rules, var_name="rule",
                                 value_name="n_ok")
    out["group_order"] = _lookup(out["group_code"], _unit_order(data))
    return out.sort_values(["group_order", "rule"], ignore_index=True)


def compliance_short(data: PlainData, groups: list[str], indicators: list[str], needs: list[float], from_: str,
                     to: str, limit: int) -> pd.DataFrame:
    """queries/compliance_short.sql, the plain way: the first `limit` branch-quarters that fell short,
    in tree order, what each reported, and how many fell short in all."""
    per = _branch_quarters(data, groups, indicators, needs, from_, to)
    short = per[~per["all_ok"]].copy()
    order = _unit_order(data)
    short["group_order"] = _lookup(short["group_code"], order)
    short["unit_order"] = _lookup(short["unit_code"], order)
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
    f = f[(f["indicator_code"] == indicator) & _within(f["quarter"], from_, to)
          & f["unit_code"].isin(branches["unit_code"])]
    latest = f.sort_values("quarter").drop_duplicates("unit_code", keep="last")[["unit_code", "value"]]
    out = branches.merge(latest, on="unit_code")
    out["stars"] = np.floor(out["value"] + 0.5).astype("int64")
    out = (out.groupby(["group_code", "stars"], as_index=False, observed=True).size()
           .rename(columns={"size": "n_branches"}))
    out["group_order"] = _lookup(out["group_code"], _unit_order(data))
    return out.sort_values(["group_order", "stars"], ignore_index=True)


def submission_status(data: PlainData, units: list[str], quarters: list[str], deadlines: list[str],
                      today: str) -> pd.DataFrame:
    """queries/submission_status.sql, the plain way (the expected returns given as pairs)."""
    grid = pd.DataFrame({"unit_code": units, "quarter": quarters, "deadline": pd.to_datetime(deadlines)})
    subs = data.submissions[data.submissions["status"] == "active"]
    out = grid.merge(subs[["unit_code", "quarter", "id", "submitted_at"]], on=["unit_code", "quarter"], how="left")
    today = pd.Timestamp(today)
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
