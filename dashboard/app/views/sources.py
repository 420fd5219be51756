"""The 来源 panel: what a figure is made of and where each value was read.

Opened from a headline card's 来源 button, a ranking bar or a trend point clicked, or a figure
cell of the table behind a chart selected.  It asks the figures layer (`figures.sources`) for
the figure's parts — the unit's own row (本级) and each unit under it, each with its figure,
state and return (file, who, when, template version, sheet and cell) — and shows how the parts
counted add up to the figure, and which are not counted and why (未报送, 不适用, 本级 left blank).
A part can be opened in turn (下钻).  Whoever may see a return's unit downloads its original
workbook (each download audited by the store); a figure outside the viewer's scope is refused in
words, and the refusal audited.
"""

from __future__ import annotations

import re

import pandas as pd
import streamlit as st

from dashboard.domain import figures, periods
from dashboard.domain.access import AccessDenied
from dashboard.domain.audit import words
from dashboard.output import charts

from .. import state, widgets
from ..escape import md
from ..state import t

OPEN = "_source_target"  # session key: the figure whose sources the panel shows
ADDRESS_KEY = "source"  # ?source=members_total:SW:2024Q4 opens the panel (a link sent to someone)
_FROM_ADDRESS = "_source_from_address"  # the address's value already opened in this session


class Target(dict):
    """What the panel is asked to open (see `target`), able to open it: a widget that drills to a
    figure's sources (widgets.chart, widgets.grid) calls `open()` without importing this page."""

    def open(self) -> None:
        open_panel(self)


def target(code: str, unit: str, quarters, period: str, note: str = "") -> Target:
    """What the panel is asked to open: indicator, unit, period and its quarters; `note`, what the
    face showed if not the figure itself (a rate: the panel lists the figure it divides)."""
    return Target(code=code, unit=unit, quarters=list(quarters), period=str(period), note=note)


def open_panel(where: dict) -> None:
    """Show the panel for `where` (a `target`), over the page."""
    st.session_state[OPEN] = dict(where)
    st.dialog(t("src_title"), width="large")(_panel)()


def from_address() -> None:
    """Open the panel a link names (`?source=<indicator>:<unit>:<period>`), once a session; a
    value that names no indicator, unit or period is left alone."""
    value = st.query_params.get(ADDRESS_KEY)
    if not value or st.session_state.get(_FROM_ADDRESS) == value:
        return
    st.session_state[_FROM_ADDRESS] = value
    code, _, rest = value.partition(":")
    unit, _, period = rest.partition(":")
    store = state.store()
    if (code not in {i.code for i in store.catalog.indicators} or unit not in store.tree()
            or not re.fullmatch(r"\d{4}(Q[1-4]|H[12])?", period)):
        return
    open_panel(target(code, unit, periods.quarters_of(period), period))


def by_customdata(point: dict) -> dict | None:
    """A bar whose customdata is [unit, indicator, period] (charts.panels, small_multiples)."""
    data = point.get("customdata")
    if not isinstance(data, (list, tuple)) or len(data) != 3 or not all(data):
        return None
    unit, code, period = data
    return target(code, unit, periods.quarters_of(period), period)


def drill(code: str, unit: str, quarters, period: str, *, key: str) -> None:
    """The small 「来源」 button under a figure (a headline card)."""
    if st.button(t("src_open"), key=key, type="tertiary", icon=":material/manage_search:",
                 help=t("src_open_help")):
        open_panel(target(code, unit, quarters, period))


def build(where: dict) -> figures.Drill:
    """figures.sources for `where`, through the app's cached, scope-checked queries."""
    return figures.sources(state.figures_source(), where["code"], where["unit"], where["quarters"], where["period"],
                           lang=state.lang())


def _panel() -> None:
    where = st.session_state.get(OPEN)
    if not where:
        return
    store, lg = state.store(), state.lang()
    try:
        d = build(where)
    except AccessDenied as exc:  # asked outside the scope: refused in words, and recorded
        store.audit("source.view", f"{where['unit']} {where['code']} {where['period']}", "rejected",
                    words(unit=where["unit"], indicator=where["code"], period=where["period"]))
        st.error(f"**{t('acc_refused_title')}**\n\n{exc.text(lg)}", icon=":material/block:")
        return
    ind = d.indicator
    uom = ind.unit(lg)
    fmt = charts.number_format(ind.value_type, [v for v in [d.figure, *d.parts["value"]] if v == v and v is not None])
    shown = "—" if d.figure is None else format(d.figure, fmt)
    st.markdown(f"**{md(ind.name(lg))}** · {md(d.unit_name)} · {md(periods.label(d.period, lg))}")
    st.metric(charts.with_unit(ind.name(lg), uom, lg), shown if d.figure is not None else figures.state_text(d.state, lg))
    st.caption(d.coverage)
    if where.get("note"):
        st.info(where["note"], icon=":material/info:")
    counted = d.parts[d.parts["counted"]]
    if d.adds_up and len(counted):
        terms = " + ".join(format(v, fmt) for v in counted["value"])
        total = format(d.total, fmt)
        st.markdown(t("src_sum", n=len(counted), terms=terms, total=total))
        if d.figure is not None and abs(d.total - d.figure) > 1e-9 * max(1.0, abs(d.figure)):
            st.warning(t("src_sum_differs", total=total, figure=shown))
    elif not d.adds_up:
        st.caption(t("src_not_a_sum"))
    apart = d.parts[~d.parts["counted"]]
    if len(apart):
        st.markdown(t("src_not_counted", units=t("sep_list").join(
            f"{md(r.unit_name)}（{md(r.note or r.state_text)}）" for r in apart.itertuples())))
    table = pd.DataFrame({
        t("col_unit"): d.parts["unit_name"], t("col_value"): d.parts["value"],
        t("col_figure_state"): d.parts["state_text"],
        t("src_col_counted"): d.parts["counted"].map({True: t("yes"), False: ""}),
        t("src_col_where"): d.parts["where"], t("src_col_file"): d.parts["files"],
        t("src_col_by"): d.parts["reporters"], t("src_col_at"): d.parts["submitted_at"],
        t("src_col_version"): d.parts["template_versions"], t("col_note"): d.parts["note"],
    })
    widgets.grid(table, key="source_parts")
    with st.expander(t("src_cells", n=len(d.cells))):
        cells = pd.DataFrame({
            t("col_unit"): d.cells["unit_name"], t("col_quarter"): d.cells["quarter"],
            t("col_value"): d.cells["value"], t("src_col_where"): d.cells["where"],
            t("src_col_file"): d.cells["file_name"], t("src_col_by"): d.cells["submitted_by"],
            t("src_col_at"): d.cells["submitted_at"].astype(str), t("src_col_version"): d.cells["template_version"],
        })
        widgets.grid(cells, key="source_cells")
    _originals(d)
    kids = [r for r in d.parts.itertuples() if not r.own]
    if kids:
        pick = st.selectbox(t("src_drill_down"), [None] + [r.unit_code for r in kids], key="source_down",
                            format_func=lambda c: "—" if c is None else d.parts.set_index("unit_code").at[c, "unit_name"])
        if pick:
            st.session_state[OPEN] = {**where, "unit": pick}
            st.session_state.pop("source_down", None)
            st.rerun(scope="fragment")


def _originals(d: figures.Drill) -> None:
    """A download of each original workbook behind the counted parts (none kept for demo data)."""
    subs = d.cells.drop_duplicates("submission_id")
    kept = subs[subs["has_original"]]
    if subs.empty:
        return
    if kept.empty:
        st.caption(t("src_no_originals"))
        return
    store, principal = state.store(), state.principal()
    for r in kept.itertuples():
        def data(sid=int(r.submission_id)) -> bytes:  # made, checked and audited on the click
            got = store.original_of(sid, principal)
            return got[1] if got else b""
        st.download_button(t("src_download", file=r.file_name, unit=state.unit_name(r.return_unit), quarter=r.quarter),
                           data, file_name=r.file_name or f"{r.return_unit}_{r.quarter}.xlsx",
                           mime=widgets.XLSX_MIME, key=f"source_original_{r.submission_id}", on_click="ignore",
                           icon=":material/download:")
