"""Figures that deserve a second look, each with its reason: found afresh from the facts, never a
reason to refuse a return.  An administrator or leader marks one 「已核实」 (Store.verify_anomaly);
the mark is kept with who and when, the figure is never changed.

The checks, each over a unit's own figures (queries/charts/anomaly_facts.sql):

- `sharp_change`: a figure far from the unit's own history — the median of its last
  HISTORY_QUARTERS quarters (at least MIN_HISTORY of them) and the median absolute deviation
  (MAD, scaled to a standard deviation): robust z above SHARP_Z and a difference of more than
  SHARP_FLOOR and more than SHARP_SHARE of the median, so one odd quarter in the history does not hide it;
- `stock_flow`: a stock that moves more than its flows explain (STOCK_FLOWS): members that fall
  with no one leaving on record, probationary members that change by more than admissions less
  conversions;
- `same_as_previous`: a return whose flows (counts of events) are all exactly the previous
  quarter's — a copied file is the usual cause;
- `all_zero`: a return with every figure 0;
- `level_outlier`: a figure far from those of the other units of the same level in the same
  quarter (robust z above OUTLIER_Z among at least MIN_PEERS units).

Plain Python on DataFrames: no database, no Streamlit (the pages and `export` call `find`).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from .. import i18n
from . import periods

KINDS = ("sharp_change", "stock_flow", "same_as_previous", "all_zero", "level_outlier")
HISTORY_QUARTERS = 8
MIN_HISTORY = 4
SHARP_Z = 3.5
SHARP_FLOOR = 3.0
SHARP_SHARE = 0.5
OUTLIER_Z = 6.0
OUTLIER_FLOOR = 5.0
MIN_PEERS = 5
MIN_RETURN_FIGURES = 3
MAD_TO_SD = 1.4826
# (stock, flows in, flows out, tolerance in people): the stock at a quarter's end should be the
# previous quarter's plus what came in less what went out, give or take the tolerance (transfers,
# deaths and the like are not reported).  Members count probationary members, so conversions do
# not move them.
STOCK_FLOWS = (
    ("members_total", ("admitted_probationary",), (), 3.0),
    ("probationary", ("admitted_probationary",), ("converted_full",), 1.0),
)
COLUMNS = ["kind", "unit_code", "quarter", "indicator_code", "value", "reference", "reason_zh", "reason_en",
           "severity", "verified_by", "verified_at"]
# how far off a finding is, to list the worst first: robust deviations (a MAD of at least 1) for a
# sharp change or an outlier, the gap over its tolerance for a stock, fixed weights for a whole return
WHOLE_RETURN_SEVERITY = {"all_zero": 100.0, "same_as_previous": 50.0}


def fetch_range(first: str) -> str:
    """The first quarter the checks of quarters from `first` need (the history before it)."""
    return periods.shift(first, -HISTORY_QUARTERS)


def _n(v: float) -> str:
    v = float(v)
    return str(int(v)) if v.is_integer() else f"{v:,.2f}"


def find(facts: pd.DataFrame, catalog, first: str, last: str, checks: pd.DataFrame | None = None) -> pd.DataFrame:
    """Every anomaly of the quarters `first`..`last` in `facts` (anomaly_facts output from
    fetch_range(first) to `last`), with its reason in Chinese and English and its 「已核实」 mark
    from `checks` (anomaly_checks_list output).  Reasons name no unit: the list shows it beside."""
    rows: list[dict] = []
    if facts.empty:
        return pd.DataFrame(columns=COLUMNS)
    shown = set(periods.quarter_range(first, last))
    facts = facts.assign(value=facts["value"].astype(float))
    stocks = {c for st, ins, outs, _ in STOCK_FLOWS for c in (st, *ins, *outs)}
    by_key = facts[facts["indicator_code"].isin(stocks)].set_index(
        ["unit_code", "indicator_code", "quarter"])["value"].to_dict()

    def add(kind, unit, quarter, code, figure, reference, key, severity, **fields):
        ind = catalog[code] if code else None
        fields = {"indicator": ind.name_zh if ind else "", "uom": ind.unit_zh if ind else "", **fields}
        fields_en = {**fields, "indicator": ind.name_en if ind else "", "uom": ind.unit_en if ind else ""}
        rows.append({"kind": kind, "unit_code": unit, "quarter": quarter, "indicator_code": code or "",
                     "value": figure, "reference": reference, "reason_zh": i18n.t(key, "zh", **fields),
                     "reason_en": i18n.t(key, "en", **fields_en), "severity": round(float(severity), 2)})

    # a sharp change against the unit's own history (a unit x indicator by quarter grid)
    kinds_ok = {c for c in facts["indicator_code"].unique()
                if c in catalog and catalog[c].quarters == "all" and catalog[c].value_type in ("count", "money")}
    grid = facts[facts["indicator_code"].isin(kinds_ok)].pivot_table(
        index=["unit_code", "indicator_code"], columns="quarter", values="value", aggfunc="first")
    for q in sorted(shown & set(grid.columns)):
        before = [p for p in (periods.shift(q, -k) for k in range(1, HISTORY_QUARTERS + 1)) if p in grid.columns]
        if len(before) < MIN_HISTORY:
            continue
        hist = grid[before].to_numpy(dtype=float)
        now = grid[q].to_numpy(dtype=float)
        n = (~np.isnan(hist)).sum(axis=1)
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            med = np.nanmedian(hist, axis=1)
            sd = np.nanmedian(np.abs(hist - med[:, None]), axis=1) * MAD_TO_SD
        diff = np.abs(now - med)
        hit = (~np.isnan(now) & (n >= MIN_HISTORY) & (diff > np.maximum(SHARP_FLOOR, SHARP_SHARE * np.abs(med)))
               & ((sd == 0) | (diff > SHARP_Z * sd)))
        for i in np.flatnonzero(hit):
            unit, code = grid.index[i]
            add("sharp_change", unit, q, code, float(now[i]), float(med[i]), "anomaly_sharp_change",
                diff[i] / max(sd[i], 1.0), value=_n(now[i]), median=_n(med[i]), n=int(n[i]))

    # a stock that moves more than its flows explain
    for stock, ins, outs, tolerance in STOCK_FLOWS:
        if stock not in catalog:
            continue
        rows_of = facts[(facts["indicator_code"] == stock) & facts["quarter"].isin(shown)]
        for unit, q, v in zip(rows_of["unit_code"], rows_of["quarter"], rows_of["value"]):
            prev = by_key.get((unit, stock, periods.shift(q, -1)))
            if prev is None:
                continue
            inflow = sum(by_key.get((unit, c, q), 0.0) for c in ins)
            outflow = sum(by_key.get((unit, c, q), 0.0) for c in outs)
            expected = prev + inflow - outflow
            if abs(v - expected) > tolerance:
                add("stock_flow", unit, q, stock, v, expected, "anomaly_stock_flow", abs(v - expected) / tolerance,
                    value=_n(v), previous=_n(prev),
                    flows_in=_n(inflow), flows_out=_n(outflow), expected=_n(expected))

    # whole returns: identical to the previous quarter's, or all zero
    per_return = facts.groupby(["reporting_unit", "quarter"], sort=False)["value"].agg(["size", "max"])
    same = _same_as_previous(facts[facts["time_agg"] == "sum"])
    for (rep, q), (size, top) in per_return.iterrows():
        if q not in shown:
            continue
        if size >= MIN_RETURN_FIGURES and top == 0:
            add("all_zero", rep, q, "", 0.0, None, "anomaly_all_zero", WHOLE_RETURN_SEVERITY["all_zero"], n=int(size))
            continue
        if (rep, q) in same:
            add("same_as_previous", rep, q, "", None, None, "anomaly_same_as_previous",
                WHOLE_RETURN_SEVERITY["same_as_previous"], n=same[rep, q],
                previous=periods.shift(q, -1))

    # an outlier among the units of the same level
    current = facts[facts["quarter"].isin(shown) & facts["indicator_code"].isin(kinds_ok | {
        c for c in facts["indicator_code"].unique() if c in catalog and catalog[c].value_type in ("count", "money")})]
    keys = ["quarter", "unit_level", "indicator_code"]
    group = current.groupby(keys)["value"]
    med = group.transform("median")
    sd = (current["value"] - med).abs().groupby([current[k] for k in keys]).transform("median") * MAD_TO_SD
    size = group.transform("size")
    diff = (current["value"] - med).abs()
    hit = (size >= MIN_PEERS) & (diff >= np.maximum(OUTLIER_FLOOR, med.abs())) & ((sd == 0) | (diff > OUTLIER_Z * sd))
    for i in np.flatnonzero(hit.to_numpy()):
        r = current.iloc[i]
        level = r["unit_level"]
        add("level_outlier", r["unit_code"], r["quarter"], r["indicator_code"], float(r["value"]), float(med.iloc[i]),
            "anomaly_level_outlier", diff.iloc[i] / max(sd.iloc[i], 1.0), value=_n(r["value"]),
            median=_n(med.iloc[i]), n=int(size.iloc[i]),
            level=i18n.t(f"level_{level}", "zh"), level_en=i18n.t(f"level_{level}", "en"))

    out = pd.DataFrame(rows, columns=COLUMNS[:-2])
    out = _with_checks(out, checks)
    return out.sort_values(["severity", "quarter", "unit_code", "indicator_code", "kind"],
                           ascending=[False, False, True, True, True], kind="stable").reset_index(drop=True)


def _same_as_previous(flows: pd.DataFrame) -> dict[tuple[str, str], int]:
    """The returns (reporting unit, quarter) whose flow figures -- at least MIN_RETURN_FIGURES, not
    all zero -- are the previous quarter's exactly, with how many figures each has.  Returns are
    matched by a hash of their (unit, indicator, value) rows summed per return (no Python loop over
    the facts: a province holds millions), and the few that match are then compared row by row."""
    if flows.empty:
        return {}
    key = ["reporting_unit", "quarter"]
    h = pd.util.hash_pandas_object(flows[["unit_code", "indicator_code", "value"]], index=False).to_numpy()
    parts = pd.DataFrame({"reporting_unit": flows["reporting_unit"].to_numpy(), "quarter": flows["quarter"].to_numpy(),
                          "lo": (h & 0xFFFFFFFF).astype("int64"), "hi": (h >> np.uint64(32)).astype("int64"),
                          "nonzero": flows["value"].to_numpy() != 0})
    sig = parts.groupby(key, sort=False).agg(n=("lo", "size"), lo=("lo", "sum"), hi=("hi", "sum"),
                                             nonzero=("nonzero", "any"))
    previous = {q: periods.shift(q, -1) for q in sig.index.get_level_values("quarter").unique()}
    before = sig.reindex(pd.MultiIndex.from_arrays(
        [sig.index.get_level_values("reporting_unit"), sig.index.get_level_values("quarter").map(previous)]))
    hit = ((sig["n"].to_numpy() >= MIN_RETURN_FIGURES) & sig["nonzero"].to_numpy()
           & (before["n"].to_numpy() == sig["n"].to_numpy()) & (before["lo"].to_numpy() == sig["lo"].to_numpy())
           & (before["hi"].to_numpy() == sig["hi"].to_numpy()))
    candidates = list(sig.index[hit])
    if not candidates:
        return {}
    mine = flows[flows["reporting_unit"].isin({rep for rep, _ in candidates})].sort_values(
        key + ["unit_code", "indicator_code"])
    rows = {k: list(zip(g["unit_code"], g["indicator_code"], g["value"])) for k, g in mine.groupby(key, sort=False)}
    return {(rep, q): len(rows[rep, q]) for rep, q in candidates if rows[rep, q] == rows.get((rep, previous[q]))}


def _with_checks(found: pd.DataFrame, checks: pd.DataFrame | None) -> pd.DataFrame:
    key = ["kind", "unit_code", "quarter", "indicator_code"]
    if checks is None or checks.empty:
        return found.assign(verified_by=None, verified_at=None)
    marks = checks[key + ["verified_by", "verified_at"]]
    return found.merge(marks, on=key, how="left")


def of_domain(found: pd.DataFrame, catalog, domain: str | None) -> pd.DataFrame:
    """The anomalies of one domain's indicators (None: all, whole returns included)."""
    if domain is None or found.empty:
        return found
    codes = {i.code for i in catalog.of_domain(domain)}
    return found[found["indicator_code"].isin(codes)].reset_index(drop=True)


def for_people(found: pd.DataFrame, tree, catalog, lang: str = "zh") -> pd.DataFrame:
    """The list as a person reads it (the pages and the `anomalies` export): quarter, unit,
    indicator, figure, kind, reason and 「已核实」 status, headed in `lang`."""
    def t(key, **kw):
        return i18n.t(key, lang, **kw)

    def status(by, at) -> str:
        if by is None or (isinstance(by, float) and pd.isna(by)):
            return t("anomaly_open")
        return t("anomaly_verified", by=by, at=pd.Timestamp(at).strftime("%Y-%m-%d %H:%M"))

    return pd.DataFrame({
        t("col_quarter"): found["quarter"],
        t("col_unit_code"): found["unit_code"],
        t("col_unit"): [tree[c].name(lang) if c in tree else c for c in found["unit_code"]],
        t("col_indicator"): [catalog[c].name(lang) if c in catalog else "" for c in found["indicator_code"]],
        t("col_value"): found["value"],
        t("col_anomaly_kind"): [t(f"anomaly_kind_{k}") for k in found["kind"]],
        t("col_anomaly_reason"): found["reason_en" if lang == "en" else "reason_zh"],
        t("col_anomaly_severity"): found["severity"],
        t("col_anomaly_status"): [status(b, a) for b, a in zip(found["verified_by"], found["verified_at"])],
    })
