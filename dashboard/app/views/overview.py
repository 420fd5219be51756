"""总览 Overview: each domain's headline figures for the selected unit(s) in the period the range
ends in, with the change against the period before and the same period a year before; how many
reporting units have sent this quarter's return; the two bottom units of each domain; and the
quarterly 通报 of a selected unit as a Word document (dashboard/briefing.py gathers it from the
same queries, dashboard/output/briefing.py writes it)."""

from __future__ import annotations

import math

import pandas as pd
import streamlit as st

from dashboard import briefing
from dashboard.domain import analysis, coverage, figures, headlines, periods
from dashboard.domain import filters as flt
from dashboard.output import charts
from dashboard.output.safe import file_part
from dashboard.settings import current as settings

from .. import state, viewport, widgets
from ..escape import md
from ..state import t
from . import anomalies as anomalies_view
from . import sources

PER_ROW = 4
PER_ROW_PHONE = 2


def _fmt(value, value_type: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return format(value, charts.number_format(value_type, [value]))


def headline_figures(f) -> pd.DataFrame:
    """headlines.figures for the selection (at most overview_max_units), through the app's caches."""
    store = state.store()
    return headlines.figures(state.query, state.coverage_inputs, store.history(), store.catalog,
                             f.units[:settings().overview_max_units], f.last, f.granularity, lang=state.lang())


def _signed(value, value_type: str) -> str:
    return ("+" if value > 0 else "") + _fmt(value, value_type)


def briefing_section(f) -> None:
    """The download of the 通报 (Word) for a selected unit and the period shown: the quarter, half-year
    or year the range ends in (a range ending inside a half-year or a year: its last quarter); made
    only when the button is clicked (charts are drawn in Chromium: a few seconds)."""
    c1, c2 = st.columns([2, 3], vertical_alignment="bottom")
    unit = f.units[0]
    if len(f.units) > 1:
        unit = c1.selectbox(t("brief_pick_unit"), list(f.units), key="overview_brief_unit",
                            format_func=state.unit_fmt())
    store, lg = state.store(), state.lang()
    period = briefing_period(f)
    name = t("brief_file_name", unit=file_part(state.unit_name(unit)), period=period)
    (c2 if len(f.units) > 1 else c1).download_button(
        t("brief_download", period=periods.report_label(period, lg)), lambda: _briefing_bytes(store, unit, period, lg),
        file_name=f"{name}.docx", mime=widgets.DOCX_MIME, key="overview_briefing", on_click="ignore",
        icon=":material/description:", help=t("brief_download_help", period=periods.report_label(period, lg)))


def briefing_period(f) -> str:
    """The period the overview's 通报 covers: the one shown when the range reaches its end, else the
    range's last quarter (a 通报 speaks of whole periods)."""
    return f.current_period if periods.quarters_of(f.current_period)[-1] == f.last else f.last


def _briefing_bytes(store, unit: str, period: str, lang: str) -> bytes:
    """The .docx, read straight from the store (this runs when the button is clicked, outside the
    page's run, where Streamlit's caches are not to be called).  The writer (python-docx) is imported
    here, on the click, not by a fresh server's first page."""
    from dashboard.output import briefing as briefing_doc

    return briefing_doc.build(briefing.gather(store, unit, period, lang=lang))[0]


def headline_parts(filters: dict):
    """The headline figures and the table behind them (for state.built)."""
    f = flt.Filters.of_args(filters)
    cat = state.store().catalog
    heads_now = headline_figures(f)
    if not len(heads_now):
        return heads_now, None
    shown = pd.DataFrame({
        t("col_unit_code"): heads_now["unit_code"], t("col_unit"): heads_now["unit_code"].map(state.unit_name),
        t("col_indicator"): heads_now["indicator_code"].map(lambda c: cat[c].name(state.lang())),
        t("col_period"): heads_now["period"], t("col_value"): heads_now["value"],
        t("col_coverage"): heads_now["coverage"],
        t("col_current_lfl_previous"): heads_now["current_lfl_previous"],
        t("col_previous_lfl"): heads_now["previous"], t("col_delta_previous"): heads_now["delta_previous"],
        t("col_current_lfl_year"): heads_now["current_lfl_year"],
        t("col_year_before_lfl"): heads_now["year_before"], t("col_delta_year"): heads_now["delta_year"],
        t("col_measure"): heads_now["lfl_previous"] + "；" + heads_now["lfl_year"],
        t("col_uom"): heads_now["indicator_code"].map(lambda c: cat[c].unit(state.lang())),
    })
    return heads_now, shown


def card(ind, row, unit: str) -> None:
    """One headline figure in its box, what it covers inside the box (under it, a phone read the
    coverage line as the next card's caption); on a phone the coverage is the one line, the
    change a year before in the help."""
    value = None if row is None else row["value"]
    dp = None if row is None or pd.isna(row["delta_previous"]) else float(row["delta_previous"])
    dy = None if row is None or pd.isna(row["delta_year"]) else float(row["delta_year"])
    label = charts.with_unit(ind.name(state.lang()), ind.unit(state.lang()), state.lang())
    shown = (figures.state_text(row["state"], state.lang(), short=True)
             if row is not None and row["state"] not in figures.WITH_FIGURE else
             figures.approx_number(value, ind.value_type, state.lang()) if row is not None and row.get("approx")
             else _fmt(value, ind.value_type))
    year = t("lfl_year", delta=t("lfl_none") if dy is None else _signed(dy, ind.value_type))
    with st.container(border=True):
        st.metric(label, shown,
                  delta=None if dp is None else _signed(dp, ind.value_type),
                  delta_color="inverse" if ind.lower_is_better else "normal",
                  delta_description=None if dp is None else t("lfl_previous"),  # no label beside no change
                  help=t("metric_help", period=row["period"] if row is not None else "—")
                  + ("" if row is None else f"\n\n{t('vs_previous')}{t('sep_label')}{row['lfl_previous']}"
                     f"\n\n{t('vs_year', delta='')}{t('sep_label')}{row['lfl_year']}\n\n{year}"))
        if row is None:
            return
        if viewport.phone():
            st.caption(row["coverage"])
        else:
            st.caption(f"{row['coverage']} · {row['period']}")
            if dp is None and row["state"] != coverage.NOT_APPLICABLE:
                st.caption(f"{t('vs_previous')}{t('sep_label')}" + (row["lfl_previous"] if row["lfl_previous"] == t("lfl_not_asked")
                                                      else t("lfl_none")))
            st.caption(year)
        if row["state"] != coverage.NOT_APPLICABLE:
            sources.drill(ind.code, unit, periods.quarters_of(row["period"]), row["period"],
                          key=f"source_{unit}_{ind.code}")


def headline_section(f) -> None:
    cat = state.store().catalog
    st.subheader(t("headline_title", period=state.period(f.current_period)))
    heads_now, behind = state.built(headline_parts, filters=f.as_args())
    heads = cat.headlines
    for code in f.units[:settings().overview_max_units]:
        if len(f.units) > 1:
            st.markdown(f"**{md(state.unit_name(code))}**")
        mine = heads_now[heads_now["unit_code"] == code].set_index("indicator_code") if len(heads_now) else pd.DataFrame()
        per_row = PER_ROW_PHONE if viewport.phone() else PER_ROW
        with st.container(key=f"headline_cards_{code}"):
            for start in range(0, len(heads), per_row):
                for col, ind in zip(st.columns(per_row), heads[start:start + per_row]):
                    with col:
                        card(ind, mine.loc[ind.code] if ind.code in mine.index else None, code)
    if len(f.units) > settings().overview_max_units:
        st.caption(t("overview_more_units", n=settings().overview_max_units))
    if behind is not None:
        code_of = {ind.name(state.lang()): ind.code for ind in heads}

        def pick(row: pd.Series, column: str):
            if column != t("col_value") or row[t("col_indicator")] not in code_of:
                return None
            period = row[t("col_period")]
            return sources.target(code_of[row[t("col_indicator")]], row[t("col_unit_code")],
                                  periods.quarters_of(period), period)
        widgets.table(behind, f"overview_headlines_{f.last}_{f.granularity}", "overview_headlines", drill=pick)


def completeness_parts(filters: dict):
    """The latest quarter's returns in and the last eight quarters' strip (for state.built: a
    province's status of 3,000 returns × 8 quarters was filtered nine times on every run)."""
    f = flt.Filters.of_args(filters)
    quarters = f.quarters[-8:]
    status = state.query("submission_status", **state.expected_returns(f.units, quarters, whole=True))
    per_q = [analysis.completeness(status, q) for q in quarters]
    strip = pd.DataFrame({t("col_quarter"): [p["quarter"] for p in per_q],
                          t("col_submitted"): [p["submitted"] for p in per_q],
                          t("col_total"): [p["total"] for p in per_q],
                          t("col_late"): [p["late"] for p in per_q],
                          t("col_share"): [round(p["share"], 1) for p in per_q]})
    return analysis.completeness(status, f.last), strip


def completeness_section(f) -> None:
    quarters = f.quarters[-8:]
    now, strip = state.built(completeness_parts, filters=f.as_args())
    st.subheader(t("completeness_title", quarter=f.last))
    st.progress(now["share"] / 100 if now["total"] else 0.0,
                text=t("completeness_text", done=now["submitted"], total=now["total"], late=now["late"]))
    if now["missing_codes"]:
        st.markdown(t("completeness_missing", units=t("sep_list").join(md(state.unit_name(c)) for c in now["missing_codes"])))
    widgets.table(strip, f"overview_completeness_{quarters[0]}_{quarters[-1]}", "overview_completeness")
    widgets.page_link("submissions", t("goto_submissions"), "fact_check")


def bottom_rows(f, units: list[str]) -> list[dict]:
    """Each domain's bottom list as the figures layer names it (figures.ranking: per level group the
    worst values with every unit sharing them, size-dependent indicators by their rate, nobody for
    a discipline count or a size); then the units with no figure, apart, with their state."""
    from ..domain_page import params_for, periods_with_data, ranked

    cat, lg = state.store().catalog, state.lang()
    rows = []
    for d in cat.overview_domains:
        ind = cat[cat.headline(d.code)]
        params = f.values_params(units=units, indicators=[ind.code])
        period = figures.ranking_period(ind, periods_with_data(params, state.periods_in(f)), f.last, f.granularity)
        if period is None:
            continue
        rank = ranked(ind.code, params_for(params, period), period)
        fmt = charts.number_format(ind.value_type if rank.measure == "raw" else "score", rank.frame["value"].dropna())
        base = {t("col_domain"): d.name(lg), t("col_indicator"): ind.name(lg),
                t("col_measure"): t("measure_raw") if rank.measure == "raw" else t("measure_rate", unit=rank.unit),
                t("col_period"): period}
        if not ind.names_laggards:
            rows.append({**base, t("col_level_group"): "", t("col_rank"): "—", t("col_unit"): "—",
                         t("col_value"): None, t("col_uom"): rank.unit, t("col_note"): t("bottom_names_nobody")})
        for g in rank.bottom:
            tie = len(g["units"]) > 1
            rows.append({**base, t("col_level_group"): t(f"level_group_{g['group']}"),
                         t("col_rank"): f"{g['rank']}/{g['n_ranked']}",
                         t("col_unit"): "、".join(g["names"]),
                         t("col_value"): g["value"], t("col_uom"): rank.unit,
                         t("col_note"): t("tie_text", n=len(g["units"]), value=_tidy(g["value"], fmt)) if tie else ""})
        apart = figures.not_reported(rank)
        for st_code, part in apart.groupby("state", sort=False):
            rows.append({**base, t("col_level_group"): "",
                         t("col_rank"): t("bottom_apart", state=figures.state_text(st_code, lg)),
                         t("col_unit"): "、".join(part["unit_name"]), t("col_value"): None, t("col_uom"): rank.unit,
                         t("col_note"): ""})
    return rows


def bottom_frame(filters: dict, units: list[str]) -> pd.DataFrame:
    """bottom_rows as a table (for state.built: every domain's ranking, built once per data version)."""
    return pd.DataFrame(bottom_rows(flt.Filters.of_args(filters), units))


def _tidy(value: float, fmt: str) -> str:
    return f"{int(value):,}" if float(value).is_integer() else format(value, fmt)


def bottom_section(f) -> None:
    cat = state.store().catalog
    tree = state.store().tree()
    units = analysis.scope_units(tree, f.units, f.quarters, state.store().history())
    st.subheader(t("bottom_title"))
    if len(units) < 2:
        st.info(t("bottom_needs_two"))
        return
    frame = state.built(bottom_frame, filters=f.as_args(), units=list(units))
    if frame.empty:
        st.info(t("empty_selection"))
        return
    first = [t(k) for k in ("col_domain", "col_indicator", "col_rank", "col_unit", "col_value", "col_note")]
    frame = frame[first + [c for c in frame.columns if c not in first]]  # who and what first; the measure after
    widgets.grid(frame, key="overview_bottom_view")
    st.caption(t("bottom_note"))
    widgets.table(frame, f"overview_bottom_{f.last}", "overview_bottom", label=t("export_this_table"))
    cols = st.columns(len(cat.overview_domains))
    for col, d in zip(cols, cat.overview_domains):
        with col:
            widgets.page_link(d.code, d.name(state.lang()), "arrow_forward")


def render() -> None:
    f = state.filters()
    widgets.page_header(t("page_overview"), f)
    if not widgets.need_units(f):
        return
    briefing_section(f)
    headline_section(f)
    st.divider()
    left, right = st.columns([2, 3], gap="large")
    with left:
        completeness_section(f)
    with right:
        bottom_section(f)
    st.divider()
    anomalies_view.section(f)

