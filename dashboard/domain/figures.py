"""The one figures layer: every face asks here for a ranked figure, its state, rate and rank.

For a selection — the units compared, one period (its quarters), one indicator, a measure — it
answers per unit: the figure (raw, or its rate with the denominator from the same period and the
same returns), its state, its coverage, its level group, its rank with exact ties, and whether it
is named as behind (排名靠后).  The domain pages, the overview's bottom list, the 通报, the
projector and compare all call `ranking`; they format, they never compute.  The rules it applies
are docs/reading.md (看数须知) and the catalog's columns (`rank`, `rate_per`, `levels`, `quarters`):

- **states** — 已报送 (every return due in), 部分报送 (some), 未报送 (none of the returns due came
  in), 已报送·未填写 (returns in, the figure left blank), 不适用 (no unit of the subtree is asked it),
  本期无此项 (the template does not ask it in the period's quarters);
- **stocks** (members, ratings: the level at the period's end) are the value of the period's last
  quarter, and only when that quarter was reported: never an older quarter's;
- **rates** of a flow divide by the quarters the unit reported (a partial year is a rate over the
  quarters it sent); per 100 members divides by the members at the same period's end, from the
  same returns, and has no rate when those are not reported;
- **ranks** are on exact values (no rounding first); equal values are one tie;
- **behind** — per level group with more than two ranked units, the worst values with every unit
  sharing them until at least two are named; never for an indicator whose `rank` is none
  (discipline cases, a pure size), never a figure meeting its 三会一课 rule, never a tie of the
  whole group.

Plain Python over the named queries: no Streamlit, no SQL.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd

from ..i18n import t
from . import analysis, coverage, periods
from .catalog import Catalog, Indicator
from .tree import BRANCH_LEVELS
from .filters import values_params

REPORTED, PARTIAL, MISSING, NOT_APPLICABLE = coverage.REPORTED, coverage.PARTIAL, coverage.MISSING, coverage.NOT_APPLICABLE
BLANK, NOT_ASKED = "blank", "not_asked"
STATES = (REPORTED, PARTIAL, MISSING, BLANK, NOT_APPLICABLE, NOT_ASKED)
WITH_FIGURE = (REPORTED, PARTIAL)
BOTTOM_N = 2  # units named as behind per level group (the summaries interview the two lowest)

Query = Callable[..., pd.DataFrame]
COLUMNS = ["rank", "unit_code", "unit_name", "current_name", "group", "value", "raw", "denominator", "quarters_in",
           "state", "done", "total", "coverage", "n_ranked", "tied", "behind", "meets_rule", "approx",
           "no_figure"]  # no_figure: why a unit without a figure has none, in words (no_figure_text)


@dataclass(frozen=True)
class Source:
    """Where figures come from: a named-query runner, the coverage inputs for (units, quarters),
    the tree history and the catalog.  The app passes its cached ones; the command line and the
    通报 the store's own (`of_store`)."""

    query: Query
    inputs: Callable[[list[str], list[str]], tuple[dict, frozenset]]
    history: object
    catalog: Catalog
    tree: object  # today's tree: a renamed unit's current name, a unit the period's tree lacks

    @classmethod
    def of_store(cls, store, query: Query | None = None) -> Source:
        query = query or store.query
        history = store.history()
        return cls(query, lambda us, qs: coverage.inputs(history, query, us, qs), history, store.catalog,
                   store.tree())

    def tree_at(self, quarter: str):
        return self.history.at(quarter)


@dataclass
class Ranking:
    indicator: Indicator
    period: str
    quarters: tuple[str, ...]
    measure: str  # raw / rate
    unit: str  # the unit of measure of `value` (次, 次/支部·季度, 人/百名党员 …)
    together: str  # the coverage of the units taken together, in words
    frame: pd.DataFrame  # COLUMNS, ranked units first (per level group), then the rest in tree order
    bottom: list[dict] = field(default_factory=list)  # bottom_groups: who is named as behind

    @property
    def n_ranked(self) -> int:
        return int(self.frame["rank"].notna().sum())


def default_measure(ind: Indicator) -> str:
    """A size-dependent indicator is compared by its rate (per 100 members, per branch·quarter);
    the rest by the figure itself."""
    return "rate" if ind.rate_per else "raw"


def ranking_period(ind: Indicator, with_data: list[str], last: str, granularity: str) -> str | None:
    """The period a face ranks `ind` in: the latest period of the selection with figures
    (`with_data`, in order); an indicator asked in one quarter only (star ratings, Q1), when
    ranked by quarter, at its latest such quarter up to `last` even before the selection (as the
    headline card and the 通报 read it).  None: nothing to rank."""
    if granularity == "quarter" and ind.quarters != "all":
        return analysis.reference_quarter(ind.quarters, last)  # as the headline card reads it
    return with_data[-1] if with_data else None


def state_text(state: str, lang: str = "zh", short: bool = False) -> str:
    """已报送 / 部分报送 / 未报送 / 已报送·未填写 / 不适用 / 本期无此项; `short` where a card's figure
    stands (未填写: the card's caption says the rest)."""
    return t(f"state_{state}_short" if short and state == BLANK else f"state_{state}", lang)


def no_figure_text(state: str, rate_per: str | None, lang: str = "zh") -> str:
    """Why a unit has no figure to rank: its state (未报送 …), or, where it reported but a rate has
    no base — a general branch with no branches under it, a unit with no members — that base."""
    if state in WITH_FIGURE and rate_per:
        return t(f"no_rate_base_{rate_per}", lang)
    return state_text(state, lang)


def approx_number(value: float, value_type: str, lang: str = "zh", fmt: str | None = None) -> str:
    """An approximate figure's number as bureaus write it, without its unit: 「50余」, money in 万
    where it is whole 万 (「34万余」), a figure with decimals (a rate of one) 「约3.4」; 「about 50」."""
    if lang == "en":
        return t("approx_figure_about", "en", value=format(value, fmt or ",.0f"))
    if value_type in ("count", "money") and float(value).is_integer():
        if value_type == "money" and value >= 10_000 and value % 10_000 == 0:
            return t("approx_figure_wan", "zh", value=f"{value / 10_000:g}")
        return t("approx_figure", "zh", value=str(int(value)))
    return t("approx_figure_about", "zh", value=format(value, fmt or ",.1f"))


def figure_text(value: float, ind: Indicator, *, approx: bool = False, lang: str = "zh", unit: bool = True,
                fmt: str | None = None) -> str:
    """A figure as every face writes it: exact, in `fmt` (as charts.number_format gives it); an
    approximate one (entered as 「50余」, or a total including one) as bureaus write it, 「50余次」
    「34万余元」; with its unit of measure unless `unit` is False (a chart's label, a table's cell
    beside its unit)."""
    if approx:
        text = approx_number(value, ind.value_type, lang)
    else:
        text = format(value, fmt or (",.0f" if float(value).is_integer() and ind.value_type != "money" else ",.2f"))
    if not unit:
        return text
    return f"{text} {ind.unit(lang)}" if lang == "en" else f"{text}{ind.unit(lang)}"


def values_of(src: Source, units: list[str], quarters: list[str], period: str, ind: Indicator,
              scope: str = "subtree") -> dict[str, float]:
    """Each unit's figure of `ind` over `quarters` (one period): a stock at the last quarter asked
    only, never an older one.  Exact values.  `scope` 'own': what the unit's own row says (本级)."""
    rel = coverage.relevant_quarters(src.catalog, ind, list(quarters))
    if not rel or not units:
        return {}
    if coverage.counts_the_tree(src.catalog, ind):
        return _tree_counted(src, units, rel[-1], ind) if scope == "subtree" else {}
    if coverage.is_stock(src.catalog, ind):
        params = values_params(units, rel[-1], rel[-1], "quarter", [ind.code], scope)
    else:
        params = values_params(units, quarters[0], quarters[-1], periods.granularity_of(period), [ind.code], scope)
    got = src.query("indicator_values", **params)
    got = got[got["indicator_code"] == ind.code]
    return {u: float(v) for u, v in zip(got["unit_code"], got["value"]) if v is not None and not pd.isna(v)}


def _marks(src: Source, params: dict, cat: Catalog, inds) -> set[tuple[str, str, str]]:
    """(unit, period, indicator) of the figures of `params` that include an approximation: a stored
    indicator's own marks, and a derived one wherever one of its stored parts is marked."""
    stored = {p.code for i in inds for p in coverage.stored_parts(cat, i)}
    if not stored:
        return set()
    got = src.query("approx_marks", **{**params, "indicators": sorted(stored)})
    marked = set(zip(got["unit_code"], got["period"], got["indicator_code"]))
    if not marked:
        return set()
    out = set(marked)
    for i in inds:
        if i.is_derived and not coverage.counts_the_tree(cat, i):
            parts = {p.code for p in coverage.stored_parts(cat, i)}
            out |= {(u, p, i.code) for u, p, c in marked if c in parts}
    return out


def approx_of(src: Source, units: list[str], quarters: list[str], period: str, ind: Indicator) -> set[str]:
    """The units whose figure of `ind` over `quarters` (as `values_of` reads it) includes a figure
    written as an approximation: shown 「50余次」, never as if exact."""
    rel = coverage.relevant_quarters(src.catalog, ind, list(quarters))
    if not rel or not units or coverage.counts_the_tree(src.catalog, ind):
        return set()
    if coverage.is_stock(src.catalog, ind):
        params = values_params(units, rel[-1], rel[-1], "quarter", [ind.code])
    else:
        params = values_params(units, quarters[0], quarters[-1], periods.granularity_of(period), [ind.code])
    return {u for u, _p, c in _marks(src, params, src.catalog, [ind]) if c == ind.code}


def branches_in_returns(src: Source, units: list[str], quarter: str) -> dict[str, int]:
    """The branches under each unit in `quarter`'s tree whose return came in (their reporting
    unit's): a share of all branches counts those the returns speak for, so a missing return is
    not read as that many unrated branches (51/57, not 51/67, with one committee's return missing)."""
    tree = src.tree_at(quarter)
    _, reported = src.inputs(units, [quarter])
    out = {}
    for u in units:
        if u not in tree:
            continue
        out[u] = sum(1 for b in tree.subtree(u) if b.level in BRANCH_LEVELS
                     and (tree.reporting_unit_of(b.code).code, quarter) in reported)
    return out


def _tree_counted(src: Source, units: list[str], quarter: str, ind: Indicator) -> dict[str, float]:
    """A figure that counts the tree's branches (支部数, a share of them) in `quarter`, over the
    branches whose return came in; only where its source has figures (a rating was given)."""
    cat = src.catalog
    if ind.formula_op == "branches":
        source = cat[ind.formula_args[0]]
        have = values_params(units, quarter, quarter, "quarter", [source.code])
        rated = set(src.query("indicator_values", **have)["unit_code"])
        return {u: float(n) for u, n in branches_in_returns(src, units, quarter).items() if u in rated and n}
    num_ind, den_ind = cat[ind.formula_args[0]], cat[ind.formula_args[1]]
    num = values_of(src, units, [quarter], quarter, num_ind)
    den = values_of(src, units, [quarter], quarter, den_ind)
    return {u: 100.0 * num[u] / den[u] for u in num if den.get(u)}


def figure_states(src: Source, ind: Indicator, units: list[str], quarters: list[str], due: dict, reported,
                  values: dict[str, float], lang: str = "zh") -> pd.DataFrame:
    """Per unit: state, done, total, coverage text, and the quarters it reported (of those asked)."""
    cat, history = src.catalog, src.history
    rel = coverage.relevant_quarters(cat, ind, list(quarters))
    entered = None  # a derived figure with no value whose parts were entered (a ratio over 0)
    if ind.is_derived and rel and any(u not in values for u in units):
        parts = [p.code for p in coverage.stored_parts(cat, ind)]
        got = src.query("indicator_values", **values_params(units, rel[0], rel[-1], "quarter", parts))
        entered = set(got["unit_code"])
    rows = []
    for code in units:
        if not rel:
            rows.append((code, NOT_ASKED, 0, 0, state_text(NOT_ASKED, lang), 0))
            continue
        if not coverage.applicable(history, cat, ind, code, list(quarters)):
            rows.append((code, NOT_APPLICABLE, 0, 0, state_text(NOT_APPLICABLE, lang), 0))
            continue
        mine = due.get(code, {})
        c = coverage.coverage(mine, reported, rel)
        quarters_in = sum(1 for q in rel if any((r, q) in reported for r in mine.get(q, ())))
        state = c.state
        if state in WITH_FIGURE and code not in values and not (entered and code in entered):
            state = BLANK
        text = c.text(lang) if state != BLANK else f"{state_text(BLANK, lang)}（{c.text(lang)}）"
        rows.append((code, state, c.done, c.total, text, quarters_in))
    return pd.DataFrame(rows, columns=["unit_code", "state", "done", "total", "coverage", "quarters_in"])


def ranking(src: Source, units, quarters, period: str, code: str, *, measure: str | None = None,
            lang: str = "zh", by_level: bool = True) -> Ranking:
    """The ranking of `units` by indicator `code` over `quarters` (the quarters of `period` within
    the selection): see the module's docstring."""
    cat = src.catalog
    ind = cat[code]
    units, quarters = list(units), list(quarters)
    measure = measure or default_measure(ind)
    if measure == "rate" and not ind.rate_per:
        measure = "raw"
    rel = coverage.relevant_quarters(cat, ind, quarters)
    due, reported = src.inputs(units, quarters) if units else ({}, frozenset())
    raw = values_of(src, units, quarters, period, ind)
    approx = approx_of(src, units, quarters, period, ind) if raw else set()
    states = figure_states(src, ind, units, quarters, due, reported, raw, lang)
    then = src.tree_at(quarters[-1]) if quarters else None
    end_tree = src.tree_at(rel[-1]) if rel else then
    n_asked = len(rel)
    uom = ind.unit(lang)
    denominators: dict[str, float] = {}
    members_state: dict[str, str] = {}
    if measure == "rate":
        uom = coverage.rate_unit(ind, n_asked, lang)
        if ind.rate_per == "members_total":
            members_ind = cat["members_total"]
            end = rel[-1]  # the members at the period's end: a unit merged away before it has none (不适用)
            members = values_of(src, units, [end], end, members_ind)
            ms = figure_states(src, members_ind, units, [end], due, reported, members, lang)
            members_state = dict(zip(ms["unit_code"], ms["state"]))
            denominators = {u: m / 100 for u, m in members.items() if m and members_state.get(u) in WITH_FIGURE}
        else:
            counts = {u: coverage.branches_of(end_tree, u) for u in units}
            denominators = {u: float(n) for u, n in counts.items() if n}
    flow = coverage.is_flow(ind)
    rule = next((r for r in cat.compliance_rules if r.left[0] == ind.code), None)
    rows = []
    current = src.tree
    for s in states.itertuples(index=False):
        u = (then.by_code.get(s.unit_code) if then is not None else None) or current[s.unit_code]
        now = current.by_code.get(s.unit_code, u)
        state = s.state
        value = raw.get(s.unit_code) if state in WITH_FIGURE else None
        figure = value
        den = math.nan
        if measure == "rate" and figure is not None:
            d = denominators.get(s.unit_code)
            per_q = s.quarters_in if flow else 1
            if d is None or not per_q:
                figure = None
                if ind.rate_per == "members_total" and members_state.get(s.unit_code) not in WITH_FIGURE:
                    # no members at the period's end, so no rate: why, as the members figure says
                    # (未报送: no year-end return; 已报送·未填写: a temporary branch left it blank)
                    state = members_state.get(s.unit_code, MISSING)
            else:
                den = d
                figure = value / d / per_q
        meets = False
        if rule is not None and figure is not None:
            per_branch_quarter = figure if (measure == "rate" and ind.rate_per == "branches") else None
            if per_branch_quarter is None:
                b = coverage.branches_of(end_tree, s.unit_code)
                per_branch_quarter = value / b / (s.quarters_in or 1) if b else None
            meets = per_branch_quarter is not None and per_branch_quarter >= rule.minimum
        rows.append({
            "unit_code": s.unit_code, "unit_name": u.name(lang), "current_name": now.name(lang),
            "group": analysis.level_group(u.level) if by_level else "all", "_order": now.sort_order,
            "value": math.nan if figure is None else float(figure), "raw": math.nan if value is None else value,
            "denominator": den, "quarters_in": int(s.quarters_in), "state": state, "done": int(s.done),
            "total": int(s.total), "coverage": s.coverage, "meets_rule": bool(meets),
            "approx": value is not None and s.unit_code in approx,
            "no_figure": "" if figure is not None else no_figure_text(state, ind.rate_per if measure == "rate" else None,
                                                                      lang),
        })
    frame = rank_rows(pd.DataFrame(rows), ind)
    every = {q: sorted({r for u in units for r in due.get(u, {}).get(q, ())}) for q in quarters}
    together = coverage.coverage(every, reported, rel or quarters).text(lang)
    return Ranking(ind, period, tuple(quarters), measure, uom, together, frame, bottom_groups(frame))


def rank_rows(rows: pd.DataFrame, ind: Indicator) -> pd.DataFrame:
    """`rows` (one per unit: unit_code, unit_name, group, _order, value, meets_rule and the state
    columns; `approx` False where not given) ranked and marked: who is behind.  The one place a rank is given."""
    if "approx" not in rows:
        rows = rows.assign(approx=False)
    if "no_figure" not in rows:  # no rate asked of these rows: a unit without a figure has its state
        rows = rows.assign(no_figure=[no_figure_text(s, None) if pd.isna(v) else ""
                                      for s, v in zip(rows["state"], rows["value"])])
    return _mark_behind(_ranked(rows, ind), ind)


def _ranked(frame: pd.DataFrame, ind: Indicator) -> pd.DataFrame:
    """Ranks per level group on exact values (equal values share the lowest rank), the larger group
    first; ties keep the tree's order; units without a figure after, unranked."""
    if frame.empty:
        return pd.DataFrame(columns=COLUMNS)
    sizes = frame["group"].value_counts()
    frame["_group"] = frame["group"].map(lambda g: (-sizes[g], g))
    have = frame["value"].notna()
    ranked = frame[have].copy()
    ranked["_key"] = ranked["value"] if ind.lower_is_better else -ranked["value"]
    ranked = ranked.sort_values(["_group", "_key", "_order"], kind="stable")
    ranked["rank"] = ranked.groupby("group")["_key"].rank(method="min").astype(int)
    ranked["n_ranked"] = ranked.groupby("group")["unit_code"].transform("count")
    ranked["tied"] = ranked.groupby(["group", "_key"])["unit_code"].transform("count")
    rest = frame[~have].sort_values(["_group", "_order"]).copy()
    rest["rank"] = pd.NA
    rest["n_ranked"] = rest["group"].map(ranked.groupby("group").size()).fillna(0)
    rest["tied"] = 0
    out = pd.concat([ranked, rest], ignore_index=True).sort_values(["_group"], kind="stable").reset_index(drop=True)
    out["rank"] = out["rank"].astype("Int64")
    out["n_ranked"] = out["n_ranked"].astype(int)
    out["tied"] = out["tied"].astype(int)
    out["behind"] = False
    return out[COLUMNS]


def _mark_behind(frame: pd.DataFrame, ind: Indicator, n: int = BOTTOM_N) -> pd.DataFrame:
    if frame.empty or not ind.names_laggards:
        return frame
    for _group, part in frame[frame["rank"].notna()].groupby("group", sort=False):
        if len(part) <= n:
            continue
        named = 0
        for _rk, tied in reversed(list(part.groupby("rank", sort=True))):
            short = tied[~tied["meets_rule"]]  # a figure meeting its rule is nobody's bottom
            if len(tied) == len(part) or short.empty:
                break  # nor is a tie of the whole group; and above a unit that meets it, nobody is
            frame.loc[short.index, "behind"] = True
            named += len(short)
            if named >= n or len(short) < len(tied):
                break  # enough named, or a unit at this figure meets the rule: none above it is behind
    return frame


def bottom_groups(frame: pd.DataFrame) -> list[dict]:
    """Who `ranking` names as behind, worst first: per level group and value, every unit sharing it."""
    out = []
    behind = frame[frame["behind"]]
    for group, part in behind.groupby("group", sort=False):
        for rk, tied in sorted(part.groupby("rank"), key=lambda kv: -kv[0]):
            out.append({"group": group, "rank": int(rk), "n_ranked": int(tied["n_ranked"].iloc[0]),
                        "value": float(tied["value"].iloc[0]), "units": tied["unit_code"].tolist(),
                        "names": tied["unit_name"].tolist()})
    return out


TABLE_COLUMNS = ["unit_code", "unit_name_zh", "unit_name_en", "unit_order", "period", "domain", "indicator_code",
                 "indicator_name_zh", "indicator_name_en", "unit_zh", "unit_en", "value", "state", "done", "total",
                 "coverage", "approx", "shown"]


def table(src: Source, units, first: str, last: str, granularity: str, codes, *, scope: str = "subtree",
          lang: str = "zh") -> pd.DataFrame:
    """Every figure of `units` × the periods of first..last × `codes` (all if empty), one row each,
    with its state: what the explorer and the exports show.  A stock is its period's last quarter
    or nothing (never an older quarter's, so a year's children add up to its total over the same
    returns); a unit with no figure still has its row, its state saying why.  `approx`: the figure
    includes one written as an approximation, `shown` then says it as bureaus do (「34万余元」)."""
    cat = src.catalog
    inds = [cat[c] for c in codes] if codes else list(cat.indicators)
    units = list(units)
    pm = periods.period_map(first, last, granularity)
    by_period: dict[str, list[str]] = {}
    for q, p in zip(pm["quarters"], pm["periods"]):
        by_period.setdefault(p, []).append(q)
    counted = [i for i in inds if coverage.counts_the_tree(cat, i)]  # per period, by values_of
    stocks = [i for i in inds if coverage.is_stock(cat, i) and i not in counted]
    flows = [i for i in inds if i not in stocks and i not in counted]
    frames = []
    marks: set[tuple[str, str, str]] = set()  # (unit, period, indicator) that include an approximation
    if flows:
        params = values_params(units, first, last, granularity, [i.code for i in flows], scope)
        frames.append(src.query("indicator_values", **params))
        marks |= _marks(src, params, cat, flows)
    if stocks:
        params = values_params(units, first, last, "quarter", [i.code for i in stocks], scope)
        q = src.query("indicator_values", **params)
        ends = {(i.code, p): (coverage.relevant_quarters(cat, i, qs) or [None])[-1]
                for i in stocks for p, qs in by_period.items()}
        period_of_end = {(code, end): p for (code, p), end in ends.items() if end}
        q = q.assign(period=[period_of_end.get((c, pq)) for c, pq in zip(q["indicator_code"], q["period"])])
        frames.append(q[q["period"].notna()])
        marks |= {(u, period_of_end[(c, pq)], c) for u, pq, c in _marks(src, params, cat, stocks)
                  if (c, pq) in period_of_end}
    got = pd.concat([f for f in frames if len(f)], ignore_index=True) if any(len(f) for f in frames) else None
    value_of = {} if got is None else {
        (u, p, c): float(v) for u, p, c, v in zip(got["unit_code"], got["period"], got["indicator_code"], got["value"])
        if v is not None and not pd.isna(v)}
    for ind in counted:
        for p, qs in by_period.items():
            value_of.update({(u, p, ind.code): v for u, v in values_of(src, units, qs, p, ind).items()})
    due, reported = src.inputs(units, pm["quarters"]) if units else ({}, frozenset())
    tree = src.tree
    rows = []
    for p, qs in by_period.items():
        for ind in inds:
            vals = {u: value_of[(u, p, ind.code)] for u in units if (u, p, ind.code) in value_of}
            st = figure_states(src, ind, units, qs, due, reported, vals, lang)
            for s in st.itertuples(index=False):
                u = tree[s.unit_code]
                v = vals.get(s.unit_code) if s.state in WITH_FIGURE else None
                approx = v is not None and (s.unit_code, p, ind.code) in marks
                rows.append((s.unit_code, u.name_zh, u.name_en, u.sort_order, p, ind.domain, ind.code, ind.name_zh,
                             ind.name_en, ind.unit_zh, ind.unit_en, math.nan if v is None else v, s.state, s.done,
                             s.total, s.coverage, approx,
                             figure_text(v, ind, approx=True, lang=lang) if approx else ""))
    out = pd.DataFrame(rows, columns=TABLE_COLUMNS)
    order = {c: i for i, c in enumerate(d.code for d in cat.domains)}
    out["_d"] = out["domain"].map(order)
    out["_i"] = out["indicator_code"].map({i.code: i.sort_order for i in inds})
    return out.sort_values(["unit_order", "period", "_d", "_i"], kind="stable").drop(columns=["_d", "_i"]) \
        .reset_index(drop=True)


def not_reported(rank: Ranking) -> pd.DataFrame:
    """The units listed apart: due, and nothing in (未报送), or in with the figure left blank."""
    return rank.frame[rank.frame["state"].isin([MISSING, BLANK])]


# --- drill to the source -------------------------------------------------------------------------

PART_COLUMNS = ["unit_code", "unit_name", "own", "value", "state", "state_text", "coverage", "counted", "note",
                "files", "reporters", "submitted_at", "template_versions", "where", "submissions"]
CELL_COLUMNS = ["part", "unit_code", "unit_name", "quarter", "indicator_code", "value", "sheet", "cell", "where",
                "submission_id", "return_unit", "file_name", "submitted_by", "submitted_at", "template_version",
                "is_demo", "has_original"]


@dataclass
class Drill:
    """What a figure is made of (`sources`): its parts — the unit's own row (本级) and each unit
    directly under it, with its figure and state — and every value behind them with the return,
    sheet and cell it was read from.  When the indicator adds up over units, the parts counted
    sum to the figure (`total`); the rest say why they are not counted."""

    indicator: Indicator
    unit: str
    unit_name: str
    period: str
    quarters: tuple[str, ...]
    figure: float | None
    state: str
    coverage: str
    parts: pd.DataFrame  # PART_COLUMNS: the own row first, then the units under it in tree order
    cells: pd.DataFrame  # CELL_COLUMNS: every value behind the parts counted
    adds_up: bool  # the figure is the sum of the parts counted
    total: float | None  # that sum (adds_up only)


def cell_ranges(cells: pd.DataFrame, lang: str = "zh") -> str:
    """Where values were read, as a person finds them: 「发展党员!C4:C13」 for a run of cells in a
    column; each return apart when there are several (「SW01 发展党员!C4:C13；SW02 …」), each
    quarter too (「2024Q1 学习教育!E4:E9；2024Q2 …」); 「位置未记录」 for values imported before
    positions were kept."""
    returns = cells["return_unit"] if "return_unit" in cells else [""] * len(cells)
    return _ranges(list(zip(cells["quarter"], returns, cells["sheet"], cells["cell"])), lang)


_CELL = re.compile(r"^([A-Z]+)(\d+)$")


def _ranges(records: list[tuple], lang: str) -> str:
    """cell_ranges of (quarter, return unit, sheet, cell) records (plain Python: an export asks it
    for every figure)."""
    if not records:
        return ""
    several_q = len({r[0] for r in records}) > 1
    several_r = len({r[1] for r in records}) > 1
    grouped: dict[tuple, dict] = {}
    for q, ret, sheet, cell in sorted(records, key=lambda r: (str(r[0]), str(r[1]))):
        spans = grouped.setdefault((q, ret), {})
        m = _CELL.match(cell) if isinstance(cell, str) else None
        if m is None:
            spans[None] = True
            continue
        spans.setdefault((sheet, m[1]), set()).add(int(m[2]))
    out = []
    for (q, ret), spans in grouped.items():
        words = []
        for where, rows in spans.items():
            if where is None:
                continue
            sheet, col = where
            ordered = sorted(rows)
            runs, start, prev = [], ordered[0], ordered[0]
            for row in ordered[1:] + [None]:
                if row is not None and row == prev + 1:
                    prev = row
                    continue
                runs.append(f"{col}{start}" if start == prev else f"{col}{start}:{col}{prev}")
                if row is not None:
                    start = prev = row
            words.append(f"{sheet}!" + ",".join(runs))
        if None in spans:
            words.append(t("src_no_position", lang))
        label = " ".join(x for x in ((q if several_q else ""), (ret if several_r else "")) if x)
        out.append((f"{label} " if label else "") + "、".join(words))
    return "；".join(out)


def sources(src: Source, code: str, unit: str, quarters, period: str, *, lang: str = "zh") -> Drill:
    """The parts of `unit`'s figure of indicator `code` in `period` (its `quarters`) and the values
    behind them (see Drill): the figure and every part's figure are this layer's own (`values_of`,
    `figure_states`), never recomputed here; each value is read back with its return and cell."""
    cat = src.catalog
    ind = cat[code]
    quarters = list(quarters)
    rel = coverage.relevant_quarters(cat, ind, quarters)
    tree = src.tree_at(rel[-1] if rel else quarters[-1])
    me = tree.by_code.get(unit) or src.tree[unit]
    kids = [k.code for k in tree.kids(unit)] if unit in tree else []
    due, reported = src.inputs([unit, *kids], quarters)
    mine = values_of(src, [unit], quarters, period, ind)
    head = figure_states(src, ind, [unit], quarters, due, reported, mine, lang).iloc[0]
    figure = mine.get(unit) if head.state in WITH_FIGURE else None
    kid_values = values_of(src, kids, quarters, period, ind)
    kid_states = figure_states(src, ind, kids, quarters, due, reported, kid_values, lang)
    own_value = values_of(src, [unit], quarters, period, ind, scope="own").get(unit)
    stored = [p.code for p in coverage.stored_parts(cat, ind)]
    facts = _fact_sources(src, unit, kids, rel, stored)
    adds_up = ind.unit_agg == "sum" and ind.is_stored
    # a committee's own total stands for its whole subtree (the roll-up leaves the rows under it out)
    own_total = adds_up and ind.total_allowed and own_value is not None
    rows = []
    own_return = tree.reporting_unit_of(unit).code if unit in tree else unit
    own_in = any((own_return, q) in reported for q in rel)
    if own_value is not None:
        own_state = REPORTED
    elif not rel:
        own_state = NOT_ASKED
    elif not any(p.reported_by(me.level) for p in coverage.stored_parts(cat, ind)):
        own_state = NOT_APPLICABLE
    else:
        own_state = BLANK if own_in else MISSING
    own_note = t("src_own_blank_total", lang) if own_state == BLANK and ind.total_allowed and kids else ""
    rows.append(_part(unit, t("src_own", lang, name=me.name(lang)), True, own_value, own_state,
                      state_text(own_state, lang), own_value is not None, own_note, facts[facts["part"] == unit], lang))
    for s in kid_states.itertuples(index=False):
        value = kid_values.get(s.unit_code) if s.state in WITH_FIGURE else None
        counted = value is not None and not own_total
        note = t("src_covered_by_total", lang) if value is not None and own_total else ""
        part_facts = facts[(facts["part"] == s.unit_code)]
        rows.append(_part(s.unit_code, tree[s.unit_code].name(lang), False, value, s.state,
                          state_text(s.state, lang), counted, note, part_facts, lang, s.coverage))
    parts = pd.DataFrame(rows, columns=PART_COLUMNS)
    counted_units = set(parts.loc[parts["counted"], "unit_code"])
    cells = facts[facts["part"].isin(counted_units) & ((facts["part"] != unit) | (facts["distance"] == 0))]
    names = {u.code: u.name(lang) for u in tree.units}
    cells = cells.assign(unit_name=cells["unit_code"].map(lambda c: names.get(c) or src.tree[c].name(lang)),
                         where=[(f"{sh}!{c}" if isinstance(c, str) else t("src_no_position", lang))
                                for sh, c in zip(cells["sheet"], cells["cell"])])[CELL_COLUMNS].reset_index(drop=True)
    total = float(parts.loc[parts["counted"], "value"].sum()) if adds_up else None
    return Drill(ind, unit, me.name(lang), period, tuple(quarters), figure, head.state, head.coverage, parts, cells,
                 adds_up, total)


_FACT_COLUMNS = ["part", "distance", "unit_code", "quarter", "indicator_code", "value", "sheet", "cell",
                 "submission_id", "return_unit", "file_name", "submitted_by", "submitted_at", "template_version",
                 "is_demo", "has_original"]


def _fact_sources(src: Source, own: str, units: list[str], quarters: list[str], indicators: list[str],
                  own_only: bool = False) -> pd.DataFrame:
    """fact_sources (scope-checked by whoever's query `src` runs), without the values a total stands for."""
    if not quarters or not indicators:
        return pd.DataFrame(columns=_FACT_COLUMNS)
    facts = src.query("fact_sources", own=own, units=list(units), own_only=own_only, quarters=list(quarters),
                      indicators=list(indicators))
    return _uncovered(facts, src.catalog, src) if len(facts) else pd.DataFrame(columns=_FACT_COLUMNS)


SOURCE_COLUMNS = ["source_files", "source_reporters", "source_submitted_at", "source_template_versions",
                  "source_cells"]


def source_columns(src: Source, rows: pd.DataFrame, first: str, last: str, granularity: str, *,
                   scope: str = "subtree", lang: str = "zh") -> pd.DataFrame:
    """SOURCE_COLUMNS for each of `rows` (figures.table rows: unit_code, period, indicator_code):
    the returns, reporters, latest time, template versions and cells each figure was read from, as
    `sources` names them (a stock from its period's last quarter only); empty where no value is
    behind the figure.  For exports (`export --with-source`)."""
    out = pd.DataFrame("", index=rows.index, columns=SOURCE_COLUMNS)
    if rows.empty:
        return out
    cat = src.catalog
    pm = periods.period_map(first, last, granularity)
    by_period: dict[str, list[str]] = {}
    for q, p in zip(pm["quarters"], pm["periods"]):
        by_period.setdefault(p, []).append(q)
    codes = list(dict.fromkeys(rows["indicator_code"]))
    parts_of = {c: [p.code for p in coverage.stored_parts(cat, cat[c])] for c in codes}
    stored = sorted({p for ps in parts_of.values() for p in ps})
    units = list(dict.fromkeys(rows["unit_code"]))
    facts = _fact_sources(src, "", units, pm["quarters"], stored, own_only=(scope == "own"))
    if facts.empty:
        return out
    stamps = pd.to_datetime(facts["submitted_at"]).dt.strftime("%Y-%m-%d %H:%M").tolist()
    by_key: dict[tuple, list[tuple]] = {}
    for part, q, i, ret, sheet, cell, file, who, at, version in zip(
            facts["part"], facts["quarter"], facts["indicator_code"], facts["return_unit"], facts["sheet"],
            facts["cell"], facts["file_name"], facts["submitted_by"], stamps, facts["template_version"]):
        by_key.setdefault((part, q, i), []).append((q, ret, sheet, cell, file, who, at, version))
    rel_of: dict[tuple, list[str]] = {}
    values = []
    for u, p, c in zip(rows["unit_code"], rows["period"], rows["indicator_code"]):
        if (c, p) not in rel_of:
            rel_of[(c, p)] = coverage.relevant_quarters(cat, cat[c], by_period.get(p, []))
        recs = [r for q in rel_of[(c, p)] for s in parts_of[c] for r in by_key.get((u, q, s), ())]
        if not recs:
            values.append([""] * len(SOURCE_COLUMNS))
            continue
        values.append(["、".join(dict.fromkeys(str(r[4]) for r in recs if r[4] is not None)),
                       "、".join(dict.fromkeys(str(r[5]) for r in recs)), max(r[6] for r in recs),
                       "、".join(dict.fromkeys(str(r[7]) for r in recs if r[7] is not None)),
                       _ranges([r[:4] for r in recs], lang)])
    return pd.DataFrame(values, index=rows.index, columns=SOURCE_COLUMNS)


def _uncovered(facts: pd.DataFrame, cat: Catalog, src: Source) -> pd.DataFrame:
    """`facts` without the values a committee's own total stands for (rows under a unit that
    entered its subtree's total of a `branch_or_total` indicator in the same quarter): as the
    roll-up leaves them out, so the values shown add up to the figure."""
    if facts.empty:
        return facts
    totals = {(u, q, i) for u, q, i in zip(facts["unit_code"], facts["quarter"], facts["indicator_code"])
              if cat[i].total_allowed}
    if not totals:
        return facts
    above: dict[tuple[str, str], list[str]] = {}  # (unit, quarter) -> its ancestors in that quarter's tree
    trees = {q: src.tree_at(q) for q in set(facts["quarter"])}
    keep = []
    for u, q, i in zip(facts["unit_code"], facts["quarter"], facts["indicator_code"]):
        if (u, q) not in above:
            above[(u, q)] = [a.code for a in trees[q].ancestors(u)] if u in trees[q] else []
        keep.append(not any((a, q, i) in totals for a in above[(u, q)]))
    return facts[keep]


def _part(code: str, name: str, own: bool, value, state: str, state_words: str, counted: bool, note: str,
          facts: pd.DataFrame, lang: str, cover: str = "") -> dict:
    if own:
        facts = facts[facts["distance"] == 0]
    stamp = pd.to_datetime(facts["submitted_at"]).max() if len(facts) else None
    return {"unit_code": code, "unit_name": name, "own": own, "value": math.nan if value is None else float(value),
            "state": state, "state_text": state_words, "coverage": cover, "counted": bool(counted), "note": note,
            "files": "、".join(dict.fromkeys(str(f) for f in facts["file_name"] if f is not None)),
            "reporters": "、".join(dict.fromkeys(str(r) for r in facts["submitted_by"])),
            "submitted_at": "" if stamp is None or pd.isna(stamp) else stamp.strftime("%Y-%m-%d %H:%M"),
            "template_versions": "、".join(dict.fromkeys(str(v) for v in facts["template_version"] if v is not None)),
            "where": cell_ranges(facts, lang), "submissions": sorted({int(i) for i in facts["submission_id"]})}
