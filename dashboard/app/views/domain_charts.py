"""The charts a domain shows beside its ranking and trend, one function per kind of chart.

data/domain_charts.csv says which domain shows which kind, with which indicators; `DRAW` maps
each kind (catalog.CHART_KINDS) to the function that draws it as `draw(filters, ranked units,
spec)`.  The figures are built by the *_parts functions (no Streamlit calls, cached by
state.built) from the same named queries the tests rerun.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import i18n
from dashboard.domain import analysis
from dashboard.output import charts, style
from dashboard.settings import current as settings

from .. import escape, state, widgets
from . import sources
from ..state import t

# --- 三会一课 compliance (rules: data/rules.csv) ---------------------------------------------------


def draw_compliance(f, units: list[str], spec) -> None:
    title = spec.title(state.lang(), first=f.first, last=f.last)
    fig, shown, detail, n_short = state.built(compliance_parts, domain=spec.domain, units=units, first=f.first,
                                              last=f.last)
    rules = state.store().catalog.compliance_rules
    sep = t("sep_clause")
    note = t("compliance_note", rules=sep.join(r.statement(state.lang()) for r in rules))
    if not widgets.chart_section(fig, shown, key=f"{spec.domain}_compliance",
                                 file_stem=f"{spec.domain}_compliance_{f.first}_{f.last}",
                                 empty_title=title, empty_key="empty_branches", note=note):
        return
    label = (t("short_branches", n=n_short) if n_short <= len(detail)
             else t("short_branches_first", n=n_short, shown=len(detail)))
    widgets.table(detail, f"{spec.domain}_branches_short_{f.first}_{f.last}", f"{spec.domain}_short", label=label)


def compliance_parts(domain: str, units: list[str], first: str, last: str):
    """The 三会一课 chart, its table, the branch-quarters that fell short (the first
    settings.short_list_limit) and how many did: (None, ...) when the units have no branches."""
    cat, lg = state.store().catalog, state.lang()
    rules = cat.compliance_rules
    params = analysis.compliance_params(units, first, last)
    summary = analysis.compliance_shares(state.query("compliance_shares", **params), rules)
    if summary.empty:
        return None, None, None, 0
    labels = {r.left[0]: t("rule_label", indicator=cat[r.left[0]].name(lg), n=int(r.minimum)) for r in rules}
    labels["all_ok"] = t("rule_all")
    title = cat.chart(domain, "compliance").title(lg, first=first, last=last)
    fig = charts.compliance_bars(summary, labels, title=title, lang=lg)
    charts.tag(fig, "compliance_shares", params)
    gname = state.name_col("group_name")
    shown = pd.DataFrame({t("col_unit_code"): summary["group_code"], t("col_unit"): summary[gname],
                          t("col_branch_quarters"): summary["branch_quarters"]})
    for c, label in labels.items():
        shown[charts.with_unit(label, "%", lg)] = summary[c]
    found = state.query("compliance_short", **params, limit=settings().short_list_limit)
    n_short = int(found["n_short"].iloc[0]) if len(found) else 0
    short = analysis.compliance_short(found, rules)
    detail = pd.DataFrame({
        t("col_parent"): short[gname], t("col_unit_code"): short["unit_code"],
        t("col_unit"): short[state.name_col()], t("col_quarter"): short["quarter"],
        **{cat[r.left[0]].name(lg): short[r.left[0]] for r in rules},
    })
    return fig, shown, detail, n_short


# --- a pipeline of stages as funnels (发展党员) ---------------------------------------------------


def draw_funnel(f, units: list[str], spec) -> None:
    params = f.values_params(units=list(f.units[:settings().funnel_max_units]), indicators=list(spec.indicators))
    fig, shown, widens = state.built(funnel_parts, domain=spec.domain, params=params)
    widgets.chart_section(fig, shown, key=f"{spec.domain}_funnel",
                          file_stem=f"{spec.domain}_funnel_{f.first}_{f.last}",
                          empty_title=spec.title(state.lang(), first=f.first, last=f.last),
                          note=spec.note(state.lang()))
    for line in widens or []:
        st.warning(line, icon="ℹ️")


def funnel_parts(domain: str, params: dict):
    """The funnels of the units in `params` and their table; (None, None) without data."""
    cat, lg = state.store().catalog, state.lang()
    stages = tuple(params["indicators"])
    frame = analysis.pipeline(state.query("indicator_values", **params), stages)
    if frame.empty:
        return None, None, []
    labels = {c: cat[c].name(lg) for c in stages}
    names = {c: state.unit_name(c) for c in params["units"]}
    title = cat.chart(domain, "funnel").title(lg, first=params["from"], last=params["to"])
    fig = charts.funnel(frame, labels, names, title=title, lang=lg)
    charts.tag(fig, "indicator_values", params, summed="period")
    shown = pd.DataFrame({
        t("col_unit_code"): frame["unit_code"], t("col_unit"): frame["unit_code"].map(names),
        t("col_indicator"): frame["indicator_code"].map(labels),
        t("col_value"): frame["value"], t("col_uom"): frame["indicator_code"].map(lambda c: cat[c].unit(lg)),
    })
    widens = [t("funnel_widens", unit=escape.md(names[w.unit_code]), later=labels[w.later], n_later=_n(w.n_later),
                earlier=labels[w.earlier], n_earlier=_n(w.n_earlier))
              for w in analysis.widening(frame, stages)]
    return fig, shown, widens


def _n(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else f"{v:g}"


# --- star ratings: mean by unit and year, and the distribution ----------------------------------------


def draw_star_heatmap(f, units: list[str], spec) -> None:
    params = f.values_params(units=units, indicators=list(spec.indicators[:1]), granularity="year")
    fig, shown = state.built(star_heatmap_parts, domain=spec.domain, params=params)
    widgets.chart_section(fig, shown, key=f"{spec.domain}_heatmap",
                          file_stem=f"{spec.domain}_heatmap_{f.first}_{f.last}",
                          empty_title=spec.title(state.lang(), first=f.first[:4], last=f.last[:4]),
                          note=spec.note(state.lang()))


def star_heatmap_parts(domain: str, params: dict):
    """The heatmap of mean star ratings by unit and year, and its table; (None, None) without data."""
    cat, lg = state.store().catalog, state.lang()
    ind = cat[params["indicators"][0]]
    values = state.query("indicator_values", **params)
    if values.empty:
        return None, None
    pivot = values.assign(unit_name=values[state.name_col()]).pivot_table(
        index=["unit_order", "unit_name"], columns="period", values="value", aggfunc="first")
    pivot.index = pivot.index.get_level_values("unit_name")
    title = cat.chart(domain, "star_heatmap").title(lg, first=params["from"][:4], last=params["to"][:4])
    fig = charts.heatmap(pivot, title=title, indicator=ind.name(lg), unit=ind.unit(lg),
                         value_type=ind.value_type, x_title=t("axis_year"), lang=lg)
    charts.tag(fig, "indicator_values", params)
    return fig, widgets.values_table(values)


def draw_star_distribution(f, units: list[str], spec) -> None:
    params = {"groups": units, "indicator": spec.indicators[0], "from": f.first, "to": f.last}
    fig, shown = state.built(star_distribution_parts, domain=spec.domain, params=params)
    widgets.chart_section(fig, shown, key=f"{spec.domain}_distribution",
                          file_stem=f"{spec.domain}_distribution_{f.first}_{f.last}",
                          empty_title=spec.title(state.lang(), first=f.first, last=f.last), empty_key="empty_branches",
                          note=spec.note(state.lang()))


def star_distribution_parts(domain: str, params: dict):
    """Branches per star rating and unit as stacked bars, and their table; (None, None) without branches."""
    lg = state.lang()
    title = state.store().catalog.chart(domain, "star_distribution").title(lg, first=params["from"], last=params["to"])
    dist = state.query("star_distribution", **params)
    if dist.empty:
        return None, None
    frame = pd.DataFrame({"unit_name": dist[state.name_col("group_name")], "stars": dist["stars"],
                          "value": dist["n_branches"]})
    labels = {s: t("stars_n", n=s) for s in range(5, 0, -1)}
    fig = charts.stacked_bars(frame, series_col="stars", series_labels=labels, colors=style.STAR_COLORS,
                              title=title, x_title=t("axis_branches"), unit=t("uom_branches"), lang=lg)
    charts.tag(fig, "star_distribution", params)
    shown = pd.DataFrame({t("col_unit_code"): dist["group_code"], t("col_unit"): frame["unit_name"],
                          t("col_stars"): dist["stars"], t("col_branches"): dist["n_branches"]})
    return fig, shown


# --- parts of a whole stacked per unit (四种形态) -----------------------------------------------------


def own_row_unit(f, units: list[str]) -> str | None:
    """The unit selected alone whose children are the rows: its own figures (a party group's, a
    committee's own cases or teams) get a row of their own, 「…（本级）」, so that they appear
    wherever they exist and the rows add up to its total."""
    if len(f.units) == 1 and list(units) != [f.units[0]]:
        return f.units[0]
    return None


def with_own_row(values: pd.DataFrame, params: dict, own: str | None) -> pd.DataFrame:
    """`values` (indicator_values of the children) with the own figures of `own` first."""
    if own is None:
        return values
    mine = state.query("indicator_values", **{**params, "units": [own], "scope": "own"})
    if mine.empty:
        return values
    mine = mine.assign(unit_name_zh=i18n.t("own_row", "zh", name=mine["unit_name_zh"].iloc[0]),
                       unit_name_en=i18n.t("own_row", "en", name=mine["unit_name_en"].iloc[0]), unit_order=-1)
    return pd.concat([mine, values], ignore_index=True)


def draw_stacked(f, units: list[str], spec) -> None:
    params = f.values_params(units=units, indicators=list(spec.indicators))
    fig, wide = state.built(stacked_parts, domain=spec.domain, params=params, own=own_row_unit(f, units))
    widgets.chart_section(fig, wide, key=f"{spec.domain}_stacked",
                          file_stem=f"{spec.domain}_stacked_{f.first}_{f.last}",
                          empty_title=spec.title(state.lang(), first=f.first, last=f.last),
                          note=spec.note(state.lang()))


def stacked_parts(domain: str, params: dict, own: str | None = None):
    """The indicators of `params` per unit summed over the range, stacked, and the table with their
    total (the selected unit's own figures first, see own_row_unit); (None, None) without data."""
    cat, lg = state.store().catalog, state.lang()
    codes = params["indicators"]
    values = with_own_row(state.query("indicator_values", **params), params, own)
    if values.empty:
        return None, None
    name = state.name_col()
    totals = values.groupby(["unit_order", "unit_code", name, "indicator_code"], as_index=False)["value"].sum()
    totals = totals.sort_values("unit_order")
    frame = pd.DataFrame({"unit_name": totals[name], "part": totals["indicator_code"], "value": totals["value"]})
    labels = {c: cat[c].name(lg) for c in codes}
    unit = cat[codes[0]].unit(lg)
    fig = charts.stacked_bars(frame, series_col="part", series_labels=labels,
                              title=cat.chart(domain, "stacked").title(lg, first=params["from"], last=params["to"]),
                              x_title=t("stacked_total"), unit=unit, lang=lg)
    charts.tag(fig, "indicator_values", params, summed="period", own=own)
    wide = frame.pivot_table(index="unit_name", columns="part", values="value", aggfunc="sum", sort=False).reindex(
        columns=list(codes)).fillna(0)
    wide.columns = [labels[c] for c in wide.columns]
    wide[t("stacked_total")] = wide.sum(axis=1)
    wide = wide.reset_index().rename(columns={"unit_name": t("col_unit")})
    return fig, wide


# --- a season's figures side by side for one quarter (防汛) ------------------------------------------


def draw_season_panels(f, units: list[str], spec) -> None:
    within = set(f.quarters)  # the filter's quarters only: a 2023 selection never shows 2024Q3
    available = [q for q in state.quarters_with_data() if q in within]
    if not available:
        st.info(t("no_data"))
        return
    default = state.built(season_quarter, indicators=list(spec.indicators), available=available,
                          units=list(f.units))
    q = widgets.select(t("pick_season_quarter"), available, default=default, key=f"{spec.domain}_season_quarter",
                       help=spec.note(state.lang()) or None, format_func=state.period_fmt())
    params = f.values_params(units=units, indicators=list(spec.indicators), first=q, last=q, granularity="quarter")
    fig, wide = state.built(season_panels_parts, domain=spec.domain, params=params, own=own_row_unit(f, units))
    widgets.chart_section(fig, wide, key=f"{spec.domain}_season", file_stem=f"{spec.domain}_season_{q}",
                          empty_title=spec.title(state.lang(), quarter=q), drill=sources.by_customdata)


def season_quarter(indicators: list[str], available: list[str], units: list[str] | None = None) -> str:
    """The latest quarter of `available` in which the selected units (else the top of the tree)
    have any one of `indicators`: a quarter is the season's if any of its figures is there, so a
    figure nobody reported (duty person-days) never moves the panel to an empty quarter."""
    tree = state.store().tree()
    units = [u for u in (units or []) if u in tree] or [state.top_unit()]  # else the top of the viewer's scope
    found = state.query("indicator_values", **state.filters().values_params(
        units=units, indicators=indicators, first=available[0], last=available[-1], granularity="quarter"))
    found = found[found["value"].notna()] if len(found) else found
    return found["period"].max() if len(found) else available[-1]


def season_panels_parts(domain: str, params: dict, own: str | None = None):
    """The panels of the units in `params` for one quarter (the selected unit's own figures first,
    see own_row_unit), and their table; (None, None) without data."""
    cat, lg = state.store().catalog, state.lang()
    q, codes = params["from"], params["indicators"]
    values = with_own_row(state.query("indicator_values", **params), params, own)
    units = ([own] if own is not None else []) + list(params["units"])
    if values.empty:
        return None, None
    frame = values.assign(unit_name=values[state.name_col()])
    order = {c: i for i, c in enumerate(units)}
    frame = frame.sort_values("unit_code", key=lambda s: s.map(order))
    inds = [(c, cat[c].name(lg), cat[c].unit(lg), cat[c].value_type) for c in codes]
    fig = charts.panels(frame, inds, title=cat.chart(domain, "season_panels").title(lg, quarter=q), lang=lg)
    charts.tag(fig, "indicator_values", params, own=own)
    wide = frame.pivot_table(index="unit_name", columns="indicator_code", values="value", aggfunc="first",
                             sort=False).reindex(columns=list(codes))
    wide.columns = [charts.with_unit(cat[c].name(lg), cat[c].unit(lg), lg) for c in wide.columns]
    wide = wide.reset_index().rename(columns={"unit_name": t("col_unit")})
    wide.insert(1, t("col_quarter"), q)
    return fig, wide


DRAW = {
    "compliance": draw_compliance,
    "funnel": draw_funnel,
    "star_heatmap": draw_star_heatmap,
    "star_distribution": draw_star_distribution,
    "stacked": draw_stacked,
    "season_panels": draw_season_panels,
}
