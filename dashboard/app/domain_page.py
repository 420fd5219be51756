"""The page every domain of data/domains.csv gets: units ranked by one of its indicators, the
trend of that indicator, then the domain's own charts (data/domain_charts.csv), each drawn by
the function registered for its kind in views/domain_charts.py.  A new domain is a row of
data/domains.csv and its indicators in data/catalog.csv: no Python."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard.domain import analysis, coverage, figures, periods
from dashboard.domain import filters as flt
from dashboard.domain.filters import values_params
from dashboard.output import charts

from . import state, widgets
from .state import t
from .views import anomalies as anomalies_view
from .views import sources
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
    first = figures.ranking_period(ind, with_data, f.last, f.granularity)
    if first is None and state.periods_in(f):
        # no figure in any period: where returns came in with the cell left blank (四种形态 given as a
        # total only: the forms 未填写), the ranking says so unit by unit rather than 「no data」
        last = state.periods_in(f)[-1]
        if (ranked(ind.code, params, last).frame["state"] == figures.BLANK).any():
            first = last
    if first is not None and first not in with_data:
        with_data = [*with_data, first]  # a star rating's Q1 before a quarter's selection: ranked there
    period = None
    if with_data:
        with pick_period:
            first = first or with_data[-1]
            period = widgets.select(t("pick_period"), with_data, default=first, key=f"{domain}_rank_period",
                                    help=t("pick_period_help"), format_func=state.period_fmt())
        period = period if period in with_data else with_data[-1]
    measure = figures.default_measure(ind)
    if ind.rate_per:
        with pick_ind:
            n_q = len(coverage.relevant_quarters(state.store().catalog, ind,
                                                 _quarters_of(params_for(params, period), period) if period else []))
            rate = t("measure_rate", unit=coverage.rate_unit(ind, n_q, state.lang()))
            # kept in the address: a shared link shows the measure its sender chose
            measure = widgets.radio(t("measure_pick"), ["rate", "raw"], key=f"{domain}_measure", default="rate",
                                    horizontal=True, format_func=lambda m: t("measure_raw") if m == "raw" else rate,
                                    help=t("measure_pick_help"))
    left, right = st.columns(2, gap="large")
    with left:
        if period is None:
            st.subheader(t("ranking_title_short", indicator=ind.name(state.lang())))
            st.info(t("empty_period", indicator=ind.name(state.lang())))
        else:
            fig, n_ranked, n_units, shown, rank = state.built(ranking_figure, code=ind.code,
                                                              params=params_for(params, period), period=period,
                                                              measure=measure)
            quarters = _quarters_of(params_for(params, period), period)

            rate_note = t("src_rate_note", unit=rank.unit) if rank.measure == "rate" else ""

            def by_point(p: dict, code=ind.code, qs=quarters, at=period):
                unit = (p.get("customdata") or [None, None, None])[2]
                return sources.target(code, unit, qs, at, rate_note) if unit else None

            widgets.chart(fig, key=f"{domain}_ranking", drill=by_point)
            ruled = any(r.left[0] == ind.code for r in state.store().catalog.compliance_rules)
            st.caption(t("ranking_coverage_note", coverage=rank.together, rule=t("ranking_rule_clause") if ruled else "")
                       + ("" if ind.names_laggards else t("ranking_names_nobody")))
            widgets.table(shown, f"{domain}_ranking_{ind.code}_{period}", f"{domain}_ranking",
                          drill=by_cell(ind.code, lambda _p, qs=quarters: qs))
    with right:
        fig, shown = state.built(trend_figure, code=ind.code, params=f.values_params(indicators=[ind.code]))

        def quarters_in(p: str) -> list[str]:
            return [q for q in f.quarters if periods.period_of(q, f.granularity) == p]

        def by_point(p: dict, code=ind.code):
            unit = (p.get("customdata") or [None])[0]
            return sources.target(code, unit, quarters_in(p["x"]), p["x"]) if unit and p.get("x") else None

        widgets.chart_section(fig, shown, key=f"{domain}_trend", file_stem=f"{domain}_trend_{ind.code}",
                              empty_title=t("trend_title", indicator=ind.name(state.lang())),
                              note=t("trend_incomplete_note"), drill=by_point,
                              table_drill=by_cell(ind.code, quarters_in))
    return units


def by_cell(code: str, quarters_of_period):
    """A table behind a chart: a figure cell selected opens the 来源 panel of that unit and period."""
    figure_columns = {t("col_value"), t("col_raw_value")}

    def pick(row: pd.Series, column: str):
        if column not in figure_columns:
            return None
        unit, period = row.get(t("col_unit_code")), row.get(t("col_period"))
        return sources.target(code, unit, quarters_of_period(period), period) if unit and period else None
    return pick


def periods_with_data(params: dict, periods: list[str]) -> list[str]:
    have = set(state.query("indicator_values", **params)["period"])
    return [p for p in periods if p in have]


def params_for(params: dict, period: str) -> dict:
    """`params` for ranking in `period`: a quarter before the selection (a star rating's Q1, see
    figures.ranking_period) gets parameters of its own."""
    if period in params["periods"]:
        return params
    return values_params(params["units"], period, period, "quarter", params["indicators"], params["scope"])


def _quarters_of(params: dict, period: str) -> list[str]:
    """The quarters of `period` within the filter's range (indicator_values parameters)."""
    return [q for q, p in zip(params["quarters"], params["periods"]) if p == period]


def ranking_table(rank: figures.Ranking) -> pd.DataFrame:
    """The table behind the ranking chart: what the chart shows, with the state and coverage of
    each figure, and for a rate the figure it divides and what by."""
    lg, fr = state.lang(), rank.frame
    out = pd.DataFrame({
        t("col_rank"): fr["rank"],
        t("col_level_group"): fr["group"].map(lambda g: t(f"level_group_{g}") if g != "all" else ""),
        t("col_unit_code"): fr["unit_code"],
        t("col_unit"): fr["unit_name"],
        t("col_period"): rank.period,
        t("col_indicator"): rank.indicator.name(lg),
        t("col_value"): fr["value"],
        t("col_uom"): rank.unit,
    })
    if rank.measure == "rate":
        out[t("col_raw_value")] = fr["raw"]
        out[t("col_denominator")] = fr["denominator"]
        out[t("col_quarters_in")] = fr["quarters_in"]
    if fr["approx"].any():  # a figure written as an approximation, as the bureau wrote it (「34万余元」)
        vtype = rank.indicator.value_type if rank.measure == "raw" else "score"
        out[t("col_shown")] = [figures.approx_number(v, vtype, lg) + ("" if lg == "zh" else " ") + rank.unit
                               if a else "" for v, a in zip(fr["value"], fr["approx"])]
    out[t("col_figure_state")] = fr["state"].map(lambda s: figures.state_text(s, lg))
    out[t("col_coverage")] = fr["coverage"]
    out[t("col_behind")] = fr["behind"].map(lambda b: t("behind_yes") if b else "")
    return out


def ranked(code: str, params: dict, period: str, measure: str | None = None) -> figures.Ranking:
    """The ranking of `params["units"]` in `period` by the figures layer (the page, the overview's
    bottom list and the projector ask it the same way)."""
    return figures.ranking(state.figures_source(), list(params["units"]), _quarters_of(params, period), period,
                           code, measure=measure, lang=state.lang())


def ranking_figure(code: str, params: dict, period: str, measure: str | None = None):
    """The ranking bar chart of `params["units"]` in `period`, its counts, its table and the
    ranking itself (for state.built)."""
    ind, lg = state.store().catalog[code], state.lang()
    rank = ranked(code, params, period, measure)
    fig = charts.ranking_bar(rank.frame, title=t("ranking_title", indicator=ind.name(lg), period=periods.label(period, lg)),
                             indicator=ind.name(lg), unit=rank.unit,
                             value_type=ind.value_type if rank.measure == "raw" else "score", lang=lg)
    charts.tag(fig, "indicator_values", params, period=period, measure=rank.measure)
    return fig, rank.n_ranked, len(rank.frame), ranking_table(rank), rank


def trend_figure(code: str, params: dict):
    """The trend lines of the selected units, and their table; (None, None) without data (for state.built).
    Each point is the figures layer's (a stock at its period's end only); a period whose figure
    misses some returns or cells is drawn hollow, its coverage in the hover."""
    store, lg = state.store(), state.lang()
    ind = store.catalog[code]
    rows = figures.table(state.figures_source(), params["units"], params["from"], params["to"], params["granularity"],
                         [code], lang=lg)
    trend = rows[rows["value"].notna()]
    if trend.empty:
        return None, None
    trend = trend.assign(complete=trend["state"] == figures.REPORTED)
    fig = charts.trend_lines(trend, title=t("trend_title", indicator=ind.name(lg)), indicator=ind.name(lg),
                             unit=ind.unit(lg), value_type=ind.value_type, lang=lg)
    charts.tag(fig, "indicator_values", params)
    table = widgets.values_table(trend)
    if trend["approx"].any():  # a figure that includes an approximation, as written (「34万余元」)
        table[t("col_shown")] = trend["shown"].to_numpy()
    table[t("col_coverage")] = trend["coverage"].to_numpy()
    return fig, table
