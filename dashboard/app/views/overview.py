"""总览 Overview: each domain's headline figures for the selected unit(s) in the period the range
ends in, with the change against the period before and the same period a year before; how many
reporting units have sent this quarter's return; and the two bottom units of each domain."""

from __future__ import annotations

import math

import pandas as pd
import streamlit as st

from dashboard.domain import analysis
from dashboard.output import charts
from dashboard.settings import current as settings

from .. import state, widgets
from ..escape import md
from ..state import t

PER_ROW = 4


def _fmt(value, value_type: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return format(value, charts.number_format(value_type, [value]))


def headline_figures(f) -> pd.DataFrame:
    """value / previous / year_before per unit and headline indicator (each at its reference quarter)."""
    cat = state.store().catalog
    heads = [i for i in cat.indicators if i.headline]
    units = list(f.units[:settings().overview_max_units])
    frames = []
    by_ref: dict[str, list[str]] = {}
    for i in heads:
        by_ref.setdefault(analysis.reference_quarter(i.quarters, f.last), []).append(i.code)
    for ref, codes in by_ref.items():
        windows = analysis.comparison_windows(ref, f.granularity)
        got = {name: state.query("indicator_values", **f.values_params(units=units, indicators=codes, first=a, last=b))
               for name, (a, b) in windows.items()}
        d = analysis.deltas(got["current"], got["previous"], got["year_before"])
        d["period"] = got["current"]["period"].iloc[0] if len(got["current"]) else None
        frames.append(d)
    out = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    return out


def headline_section(f) -> None:
    cat = state.store().catalog
    st.subheader(t("headline_title", period=state.period(f.current_period)))
    figures = headline_figures(f)
    heads = [i for i in cat.indicators if i.headline]
    for code in f.units[:settings().overview_max_units]:
        if len(f.units) > 1:
            st.markdown(f"**{md(state.unit_name(code))}**")
        mine = figures[figures["unit_code"] == code].set_index("indicator_code") if len(figures) else pd.DataFrame()
        for start in range(0, len(heads), PER_ROW):
            cols = st.columns(PER_ROW)
            for col, ind in zip(cols, heads[start:start + PER_ROW]):
                row = mine.loc[ind.code] if ind.code in mine.index else None
                value = None if row is None else row["value"]
                dp = None if row is None or pd.isna(row["delta_previous"]) else float(row["delta_previous"])
                dy = None if row is None or pd.isna(row["delta_year"]) else float(row["delta_year"])
                label = charts.with_unit(ind.name(state.lang()), ind.unit(state.lang()), state.lang())
                with col:
                    st.metric(label, _fmt(value, ind.value_type),
                              delta=None if dp is None else _fmt(dp, ind.value_type),
                              delta_color="inverse" if ind.lower_is_better else "normal",
                              delta_description=t("vs_previous"), border=True,
                              help=t("metric_help", period=row["period"] if row is not None else "—"))
                    st.caption(t("vs_year", delta="—" if dy is None else ("+" if dy > 0 else "") + _fmt(dy, ind.value_type))
                               + (f" · {row['period']}" if row is not None else ""))
    if len(f.units) > settings().overview_max_units:
        st.caption(t("overview_more_units", n=settings().overview_max_units))
    if len(figures):
        shown = pd.DataFrame({
            t("col_unit_code"): figures["unit_code"], t("col_unit"): figures["unit_code"].map(state.unit_name),
            t("col_indicator"): figures["indicator_code"].map(lambda c: cat[c].name(state.lang())),
            t("col_period"): figures["period"], t("col_value"): figures["value"],
            t("col_previous"): figures["previous"], t("col_delta_previous"): figures["delta_previous"],
            t("col_year_before"): figures["year_before"], t("col_delta_year"): figures["delta_year"],
            t("col_uom"): figures["indicator_code"].map(lambda c: cat[c].unit(state.lang())),
        })
        widgets.table(shown, f"overview_headlines_{f.last}_{f.granularity}", "overview_headlines")


def completeness_section(f) -> None:
    reporting = state.reporting_units(f.units, whole=True)
    quarters = f.quarters[-8:]
    params = {"units": reporting, "quarters": quarters, "deadline_days": settings().deadline_days}
    status = state.query("submission_status", **params)
    now = analysis.completeness(status, f.last)
    st.subheader(t("completeness_title", quarter=f.last))
    st.progress(now["share"] / 100 if now["total"] else 0.0,
                text=t("completeness_text", done=now["submitted"], total=now["total"], late=now["late"]))
    if now["missing_codes"]:
        st.markdown(t("completeness_missing", units=t("sep_list").join(md(state.unit_name(c)) for c in now["missing_codes"])))
    per_q = [analysis.completeness(status, q) for q in quarters]
    strip = pd.DataFrame({t("col_quarter"): [p["quarter"] for p in per_q],
                          t("col_submitted"): [p["submitted"] for p in per_q],
                          t("col_total"): [p["total"] for p in per_q],
                          t("col_late"): [p["late"] for p in per_q],
                          t("col_share"): [round(p["share"], 1) for p in per_q]})
    widgets.table(strip, f"overview_completeness_{quarters[0]}_{quarters[-1]}", "overview_completeness")
    widgets.page_link("submissions", t("goto_submissions"), "fact_check")


def bottom_section(f) -> None:
    cat = state.store().catalog
    tree = state.store().tree()
    units = analysis.scope_units(tree, f.units, f.quarters)
    st.subheader(t("bottom_title"))
    if len(units) < 2:
        st.info(t("bottom_needs_two"))
        return
    rows = []
    for d in cat.domains:
        ind = cat[cat.headline(d.code)]
        values = state.query("indicator_values", **f.values_params(units=units, indicators=[ind.code]))
        if values.empty:
            continue
        period = values["period"].max()
        rank = analysis.ranking(values[values["period"] == period], units, tree, lang=state.lang(),
                                lower_is_better=ind.lower_is_better)
        for r in analysis.bottom_units(rank).itertuples():
            rows.append({t("col_domain"): d.name(state.lang()), t("col_indicator"): ind.name(state.lang()),
                         t("col_period"): period, t("col_rank"): f"{r.rank}/{r.n_ranked}",
                         t("col_unit_code"): r.unit_code, t("col_unit"): r.unit_name,
                         t("col_value"): r.value, t("col_uom"): ind.unit(state.lang())})
    frame = pd.DataFrame(rows)
    if frame.empty:
        st.info(t("empty_selection"))
        return
    widgets.grid(frame, key="overview_bottom_view")
    widgets.table(frame, f"overview_bottom_{f.last}", "overview_bottom", label=t("export_this_table"))
    cols = st.columns(len(cat.domains))
    for col, d in zip(cols, cat.domains):
        with col:
            widgets.page_link(d.code, d.name(state.lang()), "arrow_forward")


def render() -> None:
    f = state.filters()
    widgets.page_header(t("page_overview"), f)
    if not widgets.need_units(f):
        return
    headline_section(f)
    st.divider()
    left, right = st.columns([2, 3], gap="large")
    with left:
        completeness_section(f)
    with right:
        bottom_section(f)

