"""The page every domain of data/domains.csv gets: units ranked by one of its indicators, the
trend of that indicator, then the domain's own charts (data/domain_charts.csv), each drawn by
the function registered for its kind in views/domain_charts.py.  A new domain is a row of
data/domains.csv and its indicators in data/catalog.csv: no Python."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard.domain import analysis, coverage, periods
from dashboard.domain import filters as flt
from dashboard.domain.catalog import Indicator
from dashboard.output import charts

from . import state, widgets
from .state import t
from .views import anomalies as anomalies_view
from .views.domain_charts import DRAW


def render(domain: str) -> None:
    f = state.filters()
    widgets.page_header(state.store().catalog.domain(domain).name(state.lang()), f)
    if not widgets.need_units(f):
        return
    units = ranking_and_trend(domain, f)
    own = state.store().catalog.charts_of(domain)
    if own:
        st.divider()
        columns = st.columns(2, gap="large") if len(own) == 2 else [st.container() for _ in own]
        for column, spec in zip(columns, own):
            with column:
                DRAW[spec.chart](f, units, spec)
    st.divider()
    anomalies_view.section(f, domain)


def ranking_and_trend(domain: str, f: flt.Filters) -> list[str]:
    """The first two charts of every domain page: units ranked, and the trend over periods;
    returns the units ranked."""
    pick_ind, pick_period = st.columns(2, gap="large")
    with pick_ind:
        ind = widgets.indicator_picker(domain, key=f"{domain}_ind")
    units = analysis.scope_units(state.store().tree(), f.units, f.quarters, state.store().history())
    params = f.values_params(units=units, indicators=[ind.code])
    with_data = state.built(periods_with_data, params=params, periods=state.periods_in(f))
    period = None
    if with_data:
        with pick_period:
            period = widgets.select(t("pick_period"), with_data, default=with_data[-1], key=f"{domain}_rank_period",
                                    help=t("pick_period_help"), format_func=state.period_fmt())
        period = period if period in with_data else with_data[-1]
    measure = "raw"
    if ind.rate_per:
        with pick_ind:
            n_q = len(coverage.relevant_quarters(state.store().catalog, ind, _quarters_of(params, period or "")))
            rate = t("measure_rate", unit=coverage.rate_unit(ind, n_q, state.lang()))
            measure = st.radio(t("measure_pick"), ["raw", "rate"], key=f"{domain}_measure", horizontal=True,
                               format_func=lambda m: t("measure_raw") if m == "raw" else rate,
                               help=t("measure_pick_help"))
    left, right = st.columns(2, gap="large")
    with left:
        if period is None:
            st.subheader(t("ranking_title_short", indicator=ind.name(state.lang())))
            st.info(t("empty_period", indicator=ind.name(state.lang())))
        else:
            fig, n_ranked, n_units, shown, cover = state.built(ranking_figure, code=ind.code, params=params,
                                                               period=period, measure=measure)
            widgets.chart(fig, key=f"{domain}_ranking")
            st.caption(t("ranking_coverage_note", coverage=cover))
            widgets.table(shown, f"{domain}_ranking_{ind.code}_{period}", f"{domain}_ranking")
    with right:
        fig, shown = state.built(trend_figure, code=ind.code, params=f.values_params(indicators=[ind.code]))
        widgets.chart_section(fig, shown, key=f"{domain}_trend", file_stem=f"{domain}_trend_{ind.code}",
                              empty_title=t("trend_title", indicator=ind.name(state.lang())),
                              note=t("trend_incomplete_note"))
    return units


def periods_with_data(params: dict, periods: list[str]) -> list[str]:
    have = set(state.query("indicator_values", **params)["period"])
    return [p for p in periods if p in have]


def _quarters_of(params: dict, period: str) -> list[str]:
    """The quarters of `period` within the filter's range (indicator_values parameters)."""
    return [q for q, p in zip(params["quarters"], params["periods"]) if p == period]


def ranking_table(rank: pd.DataFrame, ind: Indicator, period: str, unit: str) -> pd.DataFrame:
    return pd.DataFrame({
        t("col_rank"): rank["rank"],
        t("col_level_group"): rank["group"].map(lambda g: t(f"level_group_{g}") if g != "all" else ""),
        t("col_unit_code"): rank["unit_code"],
        t("col_unit"): rank["unit_name"],
        t("col_period"): period,
        t("col_indicator"): ind.name(state.lang()),
        t("col_value"): rank["value"],
        t("col_uom"): unit,
        t("col_figure_state"): rank["state"].map(lambda s: coverage.state_text(s, state.lang())),
        t("col_coverage"): rank["coverage"],
    })


def ranked(code: str, params: dict, period: str, measure: str = "raw") -> tuple[pd.DataFrame, str, str]:
    """The ranking of `params["units"]` in `period`: each unit's figure (or its rate, measure='rate')
    with its state and coverage, committees and branches ranked apart; the unit of measure and
    the coverage of the units taken together."""
    store, lg = state.store(), state.lang()
    cat, history = store.catalog, store.history()
    ind = cat[code]
    units = list(params["units"])
    values = state.query("indicator_values", **params)
    values = values[values["period"] == period]
    quarters = _quarters_of(params, period)
    due, reported = state.coverage_inputs(units, quarters)
    states = coverage.states(history, cat, ind, units, quarters, due, reported, lg)
    unit = ind.unit(lg)
    if measure == "rate" and ind.rate_per:
        n_q = len(coverage.relevant_quarters(cat, ind, quarters))
        then = store.tree_at(quarters[-1])
        members = {}
        if ind.rate_per == "members_total":
            m = state.query("indicator_values", **{**params, "indicators": ["members_total"]})
            m = m[m["period"] == period]
            members = dict(zip(m["unit_code"], m["value"]))
        branches = {u: coverage.branches_of(then, u) for u in units} if ind.rate_per == "branches" else {}
        values = coverage.rates(values[["unit_code", "value"]], ind, members=members, branches=branches,
                                n_quarters=n_q)
        values = values[values["value"].notna()]
        unit = coverage.rate_unit(ind, n_q, lg)
    then = store.tree_at(periods.quarters_of(period)[-1])  # names as they were in the period
    rank = analysis.ranking(values, units, then, lang=lg, lower_is_better=ind.lower_is_better,
                            current=store.tree(), states=states, by_level=True)
    every = {q: sorted({r for u in units for r in due[u].get(q, ())}) for q in quarters}
    together = coverage.coverage(every, reported, coverage.relevant_quarters(cat, ind, quarters) or quarters)
    return rank, unit, together.text(lg)


def ranking_figure(code: str, params: dict, period: str, measure: str = "raw"):
    """The ranking bar chart of `params["units"]` in `period`, its counts, its table and the
    coverage of its units (for state.built)."""
    ind, lg = state.store().catalog[code], state.lang()
    rank, unit, cover = ranked(code, params, period, measure)
    fig = charts.ranking_bar(rank, title=t("ranking_title", indicator=ind.name(lg), period=periods.label(period, lg)),
                             indicator=ind.name(lg), unit=unit,
                             value_type=ind.value_type if measure == "raw" else "score", lang=lg)
    charts.tag(fig, "indicator_values", params, period=period, measure=measure)
    n_ranked = int(rank["rank"].notna().sum())
    return fig, n_ranked, len(rank), ranking_table(rank, ind, period, unit), cover


def trend_figure(code: str, params: dict):
    """The trend lines of the selected units, and their table; (None, None) without data (for state.built).
    A period some of whose returns are missing is drawn hollow, its coverage in the hover."""
    store, lg = state.store(), state.lang()
    ind, cat = store.catalog[code], store.catalog
    trend = state.query("indicator_values", **params)
    if trend.empty:
        return None, None
    due, reported = state.coverage_inputs(params["units"], params["quarters"])
    notes = {}
    for p in dict.fromkeys(params["periods"]):
        rel = coverage.relevant_quarters(cat, ind, _quarters_of(params, p))
        for u in params["units"]:
            c = coverage.coverage(due[u], reported, rel)
            notes[(u, p)] = (c.complete, c.text(lg))
    trend = trend.assign(complete=[notes.get((u, p), (True, ""))[0] for u, p in zip(trend["unit_code"], trend["period"])],
                         coverage=[notes.get((u, p), (True, ""))[1] for u, p in zip(trend["unit_code"], trend["period"])])
    fig = charts.trend_lines(trend, title=t("trend_title", indicator=ind.name(lg)), indicator=ind.name(lg),
                             unit=ind.unit(lg), value_type=ind.value_type, lang=lg)
    charts.tag(fig, "indicator_values", params)
    table = widgets.values_table(trend)
    table[t("col_coverage")] = trend["coverage"].to_numpy()
    return fig, table
