"""The page every domain of data/domains.csv gets: units ranked by one of its indicators, the
trend of that indicator, then the domain's own charts (data/domain_charts.csv), each drawn by
the function registered for its kind in views/domain_charts.py.  A new domain is a row of
data/domains.csv and its indicators in data/catalog.csv: no Python."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard.domain import analysis, periods
from dashboard.domain import filters as flt
from dashboard.domain.catalog import Indicator
from dashboard.output import charts

from . import state, widgets
from .state import t
from .views.domain_charts import DRAW


def render(domain: str) -> None:
    f = state.filters()
    widgets.page_header(state.store().catalog.domain(domain).name(state.lang()), f)
    if not widgets.need_units(f):
        return
    units = ranking_and_trend(domain, f)
    own = state.store().catalog.charts_of(domain)
    if not own:
        return
    st.divider()
    columns = st.columns(2, gap="large") if len(own) == 2 else [st.container() for _ in own]
    for column, spec in zip(columns, own):
        with column:
            DRAW[spec.chart](f, units, spec)


def ranking_and_trend(domain: str, f: flt.Filters) -> list[str]:
    """The first two charts of every domain page: units ranked, and the trend over periods;
    returns the units ranked."""
    pick_ind, pick_period = st.columns(2, gap="large")
    with pick_ind:
        ind = widgets.indicator_picker(domain, key=f"{domain}_ind")
    units = analysis.scope_units(state.store().tree(), f.units, f.quarters)
    params = f.values_params(units=units, indicators=[ind.code])
    with_data = state.built(periods_with_data, params=params, periods=state.periods_in(f))
    period = None
    if with_data:
        with pick_period:
            period = widgets.select(t("pick_period"), with_data, default=with_data[-1], key=f"{domain}_rank_period",
                                    help=t("pick_period_help"), format_func=state.period_fmt())
        period = period if period in with_data else with_data[-1]
    left, right = st.columns(2, gap="large")
    with left:
        if period is None:
            st.subheader(t("ranking_title_short", indicator=ind.name(state.lang())))
            st.info(t("empty_period", indicator=ind.name(state.lang())))
        else:
            fig, n_ranked, n_units, shown = state.built(ranking_figure, code=ind.code, params=params, period=period)
            widgets.chart(fig, key=f"{domain}_ranking")
            st.caption(t("ranking_note", n=n_ranked, total=n_units))
            widgets.table(shown, f"{domain}_ranking_{ind.code}_{period}", f"{domain}_ranking")
    with right:
        fig, shown = state.built(trend_figure, code=ind.code, params=f.values_params(indicators=[ind.code]))
        widgets.chart_section(fig, shown, key=f"{domain}_trend", file_stem=f"{domain}_trend_{ind.code}",
                              empty_title=t("trend_title", indicator=ind.name(state.lang())))
    return units


def periods_with_data(params: dict, periods: list[str]) -> list[str]:
    have = set(state.query("indicator_values", **params)["period"])
    return [p for p in periods if p in have]


def ranking_table(rank: pd.DataFrame, ind: Indicator, period: str) -> pd.DataFrame:
    return pd.DataFrame({
        t("col_rank"): rank["rank"],
        t("col_unit_code"): rank["unit_code"],
        t("col_unit"): rank["unit_name"],
        t("col_period"): period,
        t("col_indicator"): ind.name(state.lang()),
        t("col_value"): rank["value"],
        t("col_uom"): ind.unit(state.lang()),
    })


def ranking_figure(code: str, params: dict, period: str):
    """The ranking bar chart of `params["units"]` in `period`, its counts and its table (for state.built)."""
    ind, lg = state.store().catalog[code], state.lang()
    values = state.query("indicator_values", **params)
    rank = analysis.ranking(values[values["period"] == period], params["units"], state.store().tree(), lang=lg,
                            lower_is_better=ind.lower_is_better)
    fig = charts.ranking_bar(rank, title=t("ranking_title", indicator=ind.name(lg), period=periods.label(period, lg)),
                             indicator=ind.name(lg), unit=ind.unit(lg), value_type=ind.value_type, lang=lg)
    charts.tag(fig, "indicator_values", params, period=period)
    return fig, int(rank["n_ranked"].iloc[0]), len(rank), ranking_table(rank, ind, period)


def trend_figure(code: str, params: dict):
    """The trend lines of the selected units, and their table; (None, None) without data (for state.built)."""
    ind, lg = state.store().catalog[code], state.lang()
    trend = state.query("indicator_values", **params)
    if trend.empty:
        return None, None
    fig = charts.trend_lines(trend, title=t("trend_title", indicator=ind.name(lg)), indicator=ind.name(lg),
                             unit=ind.unit(lg), value_type=ind.value_type, lang=lg)
    charts.tag(fig, "indicator_values", params)
    return fig, widgets.values_table(trend)
