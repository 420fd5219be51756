"""数据查询 Explorer: any indicators × units × periods as one sortable table — long (one row per
unit, period and indicator) or wide (one column per indicator) — exported to CSV (UTF-8 with
BOM) or formatted Excel exactly as shown: same rows, same order, same columns."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard.domain import figures, periods
from dashboard.output import charts, export
from dashboard.settings import current as settings

from .. import state, widgets
from ..state import t
from . import sources


def render() -> None:
    f = state.filters()
    widgets.page_header(t("page_explorer"), f)
    if not widgets.need_units(f):
        return
    store = state.store()
    cat, tree = store.catalog, store.tree()
    codes = [i.code for i in cat.indicators]
    heads = [i.code for i in cat.headlines]
    lg = state.lang()
    inds = widgets.multiselect(t("explorer_indicators"), codes, default=heads, key="explorer_indicators",
                          format_func=lambda c: f"{cat.domain(cat[c].domain).name(lg)} · "
                                                + charts.with_unit(cat[c].name(lg), cat[c].unit(lg), lg),
                          placeholder=t("explorer_indicators_placeholder"))
    c1, c2, c3 = st.columns(3)
    children = widgets.flag(t("explorer_children"), key="explorer_children", help=t("explorer_children_help"),
                            where=c1)
    scope = widgets.radio(t("explorer_scope"), ["subtree", "own"], key="explorer_scope", horizontal=True,
                          format_func=state.text_fmt("scope_"), help=t("explorer_scope_help"), where=c2)
    layout = widgets.radio(t("explorer_layout"), ["wide", "long"], key="explorer_layout", horizontal=True,
                           format_func=state.text_fmt("layout_"), where=c3)
    if not inds:
        st.info(t("explorer_need_indicator"))
        return
    units = list(f.units)
    if children:
        for code in f.units:
            units += [u.code for u in tree.subtree(code) if u.code not in units]
    rows = figures.table(state.figures_source(), units, f.first, f.last, f.granularity, inds, scope=scope,
                         lang=state.lang())
    if rows.empty or rows["value"].isna().all():
        st.info(t("empty_selection"))
        return
    if layout == "wide":
        frame = export.wide_table(rows, store, state.lang())
    else:
        long = export.long_table(rows, state.lang())
        frame = long.assign(domain=long["domain"].map(lambda d: cat.domain(d).name(state.lang())))
        frame.columns = [t(k) for k in ("col_unit_code", "col_unit", "col_period", "col_domain", "col_indicator_code",
                                            "col_indicator", "col_value", "col_uom", "col_figure_state", "col_shown")]
    c1, c2 = st.columns([3, 1], vertical_alignment="bottom")
    cols = list(frame.columns)
    sort_by = widgets.select(t("explorer_sort"), [""] + cols, key="explorer_sort", default="", where=c1,
                             format_func=lambda c, none=t("explorer_sort_none"): c or none)
    descending = widgets.flag(t("explorer_desc"), key="explorer_desc", where=c2)
    if sort_by:
        # a figure's column also holds the words of those without one (未报送): those sort last
        numeric = pd.to_numeric(frame[sort_by], errors="coerce")
        key = numeric if numeric.notna().any() else frame[sort_by].astype(str)
        frame = frame.loc[key.sort_values(ascending=not descending, kind="stable", na_position="last").index]
    frame = frame.reset_index(drop=True)
    st.caption(t("explorer_count", rows=len(frame), units=len(units), inds=len(inds)))
    widgets.grid(frame.head(settings().explorer_max_rows), key="explorer_table", height=520,
                 drill=_source_of(f) if layout == "long" and scope == "subtree" else None)
    widgets.downloads(frame, f"explorer_{f.first}_{f.last}_{f.granularity}", "explorer")
    st.caption(t("explorer_export_note"))



def _source_of(f):
    """A figure cell of the long table selected: the 来源 panel of its unit, indicator and period
    (a unit's own figures, scope 「本级」, are what its own row says: no parts to list)."""
    def pick(row: pd.Series, column: str):
        if column != t("col_value"):
            return None
        period = row[t("col_period")]
        quarters = [q for q in f.quarters if periods.period_of(q, f.granularity) == period]
        return sources.target(row[t("col_indicator_code")], row[t("col_unit_code")], quarters, period)
    return pick
