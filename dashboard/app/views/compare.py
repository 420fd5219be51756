"""单位对比 Compare: two to five units side by side across every domain's headline indicators,
each value with the unit's rank among its siblings (the units under the same parent), as a
table and as small bar charts; and one unit's profile — its figures, ranks and trends."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard.domain import analysis, periods
from dashboard.domain import figures as figures_layer
from dashboard.output import charts
from dashboard.settings import current as settings

from .. import state, widgets
from . import sources
from ..escape import md
from ..state import t

MIN_UNITS = 2
FIRST_PANELS = 3  # the small multiples drawn at first (one row); the rest on demand, by a toggle under them


def _indicators(all_of_them: bool):
    cat = state.store().catalog
    return list(cat.indicators) if all_of_them else cat.headlines


def figures(units: tuple[str, ...], codes: tuple[str, ...], last: str, granularity: str) -> pd.DataFrame:
    """Value and rank among siblings per unit and indicator, each indicator at its reference quarter,
    as the figures layer ranks them (the measure the domain pages rank by: a rate where size matters)."""
    store, lang = state.store(), state.lang()
    tree, cat = store.tree(), store.catalog
    src = state.figures_source()
    rows = []
    for code in codes:
        ind = cat[code]
        ref = analysis.reference_quarter(ind.quarters, last)
        first, end = analysis.comparison_windows(ref, granularity)["current"]
        quarters = periods.quarter_range(first, end)
        period = periods.period_of(end, granularity)
        by_pool: dict[tuple, figures_layer.Ranking] = {}  # units sharing a parent: one ranking
        for unit in units:
            pool = tuple(state.principal().visible(tree, analysis.siblings_of(tree, [unit])))  # those in scope
            if pool not in by_pool:
                by_pool[pool] = figures_layer.ranking(src, list(pool), quarters, period, code, lang=lang)
            rank = by_pool[pool]
            mine = rank.frame[rank.frame["unit_code"] == unit]
            row = mine.iloc[0] if len(mine) else None
            rows.append({"unit_code": unit, "unit_name": tree[unit].name(lang), "indicator_code": code,
                         "domain": ind.domain, "period": period,
                         "value": float("nan") if row is None else float(row["raw"]),
                         "rank": pd.NA if row is None else row["rank"],
                         "n": 0 if row is None else int(row["n_ranked"]),
                         "state": "" if row is None else figures_layer.state_text(row["state"], lang),
                         "coverage": "" if row is None else row["coverage"]})
    out = pd.DataFrame(rows)
    out["rank"] = out["rank"].astype("Int64")
    return out


def rank_text(rank, n) -> str:
    return f"{int(rank)}/{int(n)}" if pd.notna(rank) and n > 1 else "—"


def compare_section(f) -> None:
    tree = state.store().tree()
    chosen = list(f.units) if MIN_UNITS <= len(f.units) <= settings().compare_max_units else analysis.scope_units(tree, f.units, f.quarters)[:3]
    # tree-aware options (the chosen units, their relatives and the sidebar's), never all 20,000 units
    asked = st.session_state.get("compare_units") or st.query_params.get_all("compare_units")  # a shared link's
    codes, labels = state.unit_choices([*chosen, *(c for c in asked if c in tree)], indent=False)
    c1, c2 = st.columns([4, 1], vertical_alignment="bottom")
    units = widgets.multiselect(t("compare_units"), codes, default=chosen, key="compare_units", where=c1,
                                max_selections=settings().compare_max_units, format_func=lambda c: labels.get(c, str(c)),
                                help=t("compare_units_help"))
    everything = widgets.flag(t("compare_all"), key="compare_all", where=c2)
    if len(units) < MIN_UNITS:
        st.info(t("compare_need_two"))
        return
    args = dict(units=units, all_of_them=everything, last=f.last, granularity=f.granularity, period=f.current_period)
    (shown,) = panels_on_demand(compare_parts, args, key="compare_chart")
    widgets.grid(shown, key="compare_table_view")
    st.caption(t("compare_rank_note"))
    widgets.table(shown, f"compare_{'_'.join(units)}_{f.last}", "compare", label=t("export_this_table"))


def panels_on_demand(builder, args: dict, *, key: str):
    """Draw the figure `builder` makes with its first FIRST_PANELS panels, and under it a toggle
    that draws every panel: a page switch draws one row of small multiples, not three (the
    browser's drawing of the panels was most of the compare page's switch).  Returns what the
    builder made after its figure and its number of panels."""
    at = st.container()
    fig, n_panels, *rest = state.built(builder, **args, panels=FIRST_PANELS)
    if n_panels > FIRST_PANELS and widgets.flag(t("panels_show_rest", n=n_panels - FIRST_PANELS), key=f"{key}_all"):
        fig, n_panels, *rest = state.built(builder, **args, panels=None)
    with at:
        widgets.chart(fig, key=key, drill=sources.by_customdata)
    return rest


def compare_parts(units: list[str], all_of_them: bool, last: str, granularity: str, period: str,
                  panels: int | None = None):
    """The small bar charts of the headline indicators (the first `panels` of those with a figure;
    None: all), their number, and the table of every figure with its rank (for state.built)."""
    cat, lg = state.store().catalog, state.lang()
    inds = _indicators(all_of_them)
    frame = figures(tuple(units), tuple(i.code for i in inds), last, granularity)
    heads = [i for i in inds if i in cat.headlines]
    plot = frame[frame["indicator_code"].isin([i.code for i in heads])].dropna(subset=["value"])
    spec = [(i.code, i.name(lg), i.unit(lg), i.value_type) for i in heads
            if i.code in set(plot["indicator_code"])]
    fig = charts.small_multiples(plot.assign(x=plot["unit_name"]), spec[:panels],
                                 title=t("compare_title", period=state.period(period)), x_col="x", lang=lg)
    charts.tag(fig, "indicator_values", {"units": units, "granularity": granularity, "last": last})
    names = {c: state.unit_name(c) for c in units}
    table = []
    for ind in inds:
        row = {t("col_domain"): cat.domain(ind.domain).name(lg), t("col_indicator"): ind.name(lg),
               t("col_uom"): ind.unit(lg)}
        part = frame[frame["indicator_code"] == ind.code].set_index("unit_code")
        row[t("col_period")] = next((p for p in part["period"] if p), "")
        for code in units:
            r = part.loc[code]
            row[names[code]] = round(r["value"], 2) if ind.value_type in ("rate", "stars", "score") else r["value"]
            if pd.isna(r["value"]) and r["state"]:
                row[names[code]] = r["state"]  # why there is no figure: 未报送, 不适用 …
            row[t("col_rank_of", unit=names[code])] = rank_text(r["rank"], r["n"])
        table.append(row)
    return fig, len(spec), pd.DataFrame(table)


def profile_section(f) -> None:
    tree = state.store().tree()
    st.subheader(t("profile_title"))
    default = f.units[0] if f.units else tree.root.code
    current = st.session_state.get("profile_unit") or st.query_params.get("profile_unit")
    codes, labels = state.unit_choices([default] + ([current] if current in tree else []), indent=False)
    code = widgets.select(t("profile_unit"), codes, default=default, key="profile_unit",
                          format_func=lambda c: labels.get(c, str(c)))
    caption, metrics = state.built(profile_figures, code=code, params=f.values_params(units=[code]),
                                   period=f.current_period)
    st.caption(caption)
    cols = st.columns(4)
    for k, (label, value, help_, rank) in enumerate(metrics):
        cols[k % 4].metric(label, value, border=True, help=help_)
        cols[k % 4].caption(rank)
    (shown,) = panels_on_demand(profile_parts, dict(code=code, params=f.values_params(units=[code])),
                                key="profile_trend")
    widgets.table(shown, f"profile_{code}_{f.first}_{f.last}", "profile")


def profile_figures(code: str, params: dict, period: str):
    """One unit's profile: its caption and its headline figures as (label, value, help, rank text)
    (for state.built).  `params` are the unit's indicator_values parameters without indicators."""
    tree, lg = state.store().tree(), state.lang()
    inds = _indicators(False)
    frame = figures((code,), tuple(i.code for i in inds), params["to"], params["granularity"])
    parent = tree.parent(code)
    caption = t("profile_caption", parent=md(state.unit_name(parent.code)) if parent else "—",
                   n=len(tree.kids(code)), period=state.period(period))
    metrics = []
    for ind in inds:
        r = frame[frame["indicator_code"] == ind.code].iloc[0]
        value = (r["state"] or "—") if pd.isna(r["value"]) else format(r["value"], charts.number_format(ind.value_type, [r["value"]]))
        rank = (t("rank_among", rank=int(r["rank"]), n=int(r["n"])) if pd.notna(r["rank"]) and r["n"] > 1
                else t("rank_top") if parent is None else t("rank_none"))
        if r["coverage"]:  # which returns the figure covers, as every card says it
            rank = f"{r['coverage']} · {rank}"
        metrics.append((charts.with_unit(ind.name(lg), ind.unit(lg), lg), value, t("metric_help", period=r["period"] or "—"), rank))
    return caption, metrics


def profile_parts(code: str, params: dict, panels: int | None = None):
    """One unit's small trend charts of its headline indicators (the first `panels` of those with
    a figure; None: all), their number and their table (for state.built)."""
    lg = state.lang()
    inds = _indicators(False)
    params = {**params, "indicators": [i.code for i in inds]}
    # the figures layer's, as the domain pages' trend: a stock at its period's end, a partial period hollow
    rows = figures_layer.table(state.figures_source(), params["units"], params["from"], params["to"],
                               params["granularity"], params["indicators"], lang=lg)
    trend = rows[rows["value"].notna()].assign(complete=lambda d: d["state"] == figures_layer.REPORTED)
    have = set(trend["indicator_code"])  # no empty panel
    spec = [(i.code, i.name(lg), i.unit(lg), i.value_type) for i in inds if i.code in have]
    fig = charts.small_multiples(trend.assign(unit_name=trend[state.name_col()]), spec[:panels],
                                 title=t("profile_trend_title", unit=state.unit_name(code)), x_col="period",
                                 lang=lg, kind="line")
    charts.tag(fig, "indicator_values", params)
    return fig, len(spec), widgets.values_table(trend)


def render() -> None:
    f = state.filters()
    widgets.page_header(t("page_compare"), f)
    compare_section(f)
    st.divider()
    profile_section(f)

