"""The pieces pages are made of: the sidebar's filters, a page's header, a chart with the table
behind it and its exports, the in-page pickers, the indicator picker.  Text comes from
dashboard/text/ through state.t; numbers come from state.query.

Every in-page choice that changes what is shown (an indicator, a period, units to compare, a
layout) is drawn by `select`, `multiselect`, `radio` or `flag` here: each reads its value from
the address when the session has none (a shared link opens the same view) and writes it back,
under its widget key.  `grid` draws every table (missing values as 「—」, never "None").
"""

from __future__ import annotations

import logging

import pandas as pd
import streamlit as st

from dashboard.domain import filters as flt
from dashboard.domain import periods
from dashboard.domain.catalog import Indicator
from dashboard.output import charts
from dashboard.settings import current as settings

from . import state, viewport
from .escape import md
from .state import t

LOG = logging.getLogger("dashboard.app")
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
MISSING = "—"  # what an empty table cell shows
# The chart toolbar keeps saving a picture and resetting the axes; its tooltips speak the page's
# language (plotly's own are English: the Chinese are handed to it as the zh-CN locale).
PLOTLY_CONFIG = {"displaylogo": False,
                 "modeBarButtonsToRemove": ["lasso2d", "select2d", "zoom2d", "pan2d", "zoomIn2d", "zoomOut2d",
                                            "autoScale2d", "toggleSpikelines", "hoverClosestCartesian",
                                            "hoverCompareCartesian"],
                 "toImageButtonOptions": {"format": "png", "scale": 2}}
# plotly's English text -> our text key
PLOTLY_TEXTS = {"Download plot as a png": "plotly_download_png", "Download plot": "plotly_download_png",
                "Reset axes": "plotly_reset_axes", "Reset view": "plotly_reset_axes",
                "Autoscale": "plotly_reset_axes", "Taking snapshot - this may take a few seconds": "plotly_snapshot",
                "Snapshot succeeded": "plotly_snapshot_done",
                "Sorry, there was a problem downloading your snapshot!": "plotly_snapshot_failed",
                "Double-click to zoom back out": "plotly_double_click", "Zoom": "plotly_zoom", "Pan": "plotly_pan",
                "Zoom in": "plotly_zoom_in", "Zoom out": "plotly_zoom_out"}
NAV_PAGES = "nav_pages"  # session state: url_path -> this session's st.Page (entry.py sets it every run)


def set_nav_pages(pages: dict[str, st.Page]) -> None:
    """The pages this session's navigation offers.  Kept per session: whose pages they are depends on
    who is looking, and a dict shared by every session would be one person's view one race away
    from another's."""
    st.session_state[NAV_PAGES] = dict(pages)


def page_link(url_path: str, label: str, icon: str) -> None:
    """A link to a page of this session's navigation (none to a page the viewer is not offered)."""
    pages = st.session_state.get(NAV_PAGES, {})
    if url_path in pages:
        st.page_link(pages[url_path], label=label, icon=f":material/{icon}:")


# --- the sidebar ----------------------------------------------------------------------------------


def sidebar_language() -> str:
    state.seed_filters_from_url()
    st.sidebar.segmented_control(
        "语言 / Language", ["zh", "en"], required=True, key=flt.KEY_LANG,
        format_func={"zh": "中文", "en": "English"}.__getitem__,
    )
    return state.lang()


def sidebar_filters() -> flt.Filters:
    """Unit(s), period range and granularity; written back to the URL so a copied link keeps the view."""
    available = state.quarters_with_data()
    if flt.KEY_UNITS in st.session_state:  # units outside the scope (a link, another view-as) give way
        scoped = list(state.filters().units)
        if set(scoped) != set(st.session_state[flt.KEY_UNITS] or []):
            st.session_state[flt.KEY_UNITS] = scoped
    selected = st.session_state.get(flt.KEY_UNITS) or []
    codes, labels = state.unit_choices(selected)
    with st.sidebar:
        st.markdown(f"**{t('filters_heading')}**")
        st.multiselect(
            t("filter_units"), codes, key=flt.KEY_UNITS,
            format_func=lambda c: labels.get(c, str(c)), max_selections=settings().sidebar_max_units,
            help=t("filter_units_help"), placeholder=t("filter_units_placeholder"),
        )
        if len(available) > 1:
            # A range slider must be given its value (else it is a one-value slider); the value
            # lives under its own key so a page switch cannot reset it.
            span = tuple(st.session_state.get(state.PERIOD_STATE) or flt.default_range(available))
            if span[0] not in available or span[1] not in available:
                span = flt.default_range(available)
            chosen = st.select_slider(t("filter_period"), options=available, value=span, key=flt.KEY_PERIOD,
                                      help=t("filter_period_help"), format_func=state.period_fmt())
            st.session_state[state.PERIOD_STATE] = tuple(chosen)
        st.segmented_control(
            t("filter_gran"), list(periods.GRANULARITIES), required=True, key=flt.KEY_GRAN,
            format_func=state.text_fmt("gran_"),
        )
        st.caption(t("filters_in_url"))
    f = state.filters()
    st.query_params.update(f.to_query())
    return f


# --- page pieces --------------------------------------------------------------------------------


def page_header(title: str, f: flt.Filters, note: str | None = None) -> None:
    st.title(title)
    names = t("sep_list").join(md(state.unit_name(c)) for c in f.units) if f.units else "—"
    st.caption(t("scope_caption", units=names, first=state.period(f.first), last=state.period(f.last),
                 gran=t(f"gran_{f.granularity}"))
               + (f" · {note}" if note else ""))


def need_units(f: flt.Filters) -> bool:
    """False (and a friendly word) when no unit is selected."""
    if not f.units:
        st.info(t("empty_units"))
        return False
    return True


def plotly_config() -> dict:
    """The chart toolbar's settings, its tooltips in the page's language."""
    if state.lang() == "en":
        return PLOTLY_CONFIG
    return {**PLOTLY_CONFIG, "locale": "zh-CN",
            "locales": {"zh-CN": {"dictionary": {en: t(key) for en, key in PLOTLY_TEXTS.items()}}}}


def chart(fig, key: str, drill=None) -> None:
    """A figure on the page; on a phone its phone copy (charts.compact: the server lays a figure out,
    so the browser's width, told by viewport.py, decides which copy is sent).  With `drill` (a
    point -> sources.target, or None), clicking a bar or a point opens the 来源 panel for it."""
    if viewport.phone():
        fig = charts.compact(fig, state.lang())
    # theme=None: the figure's own fonts and colours (charts.fonts), not Streamlit's 12 px grey ticks
    if drill is None:
        st.plotly_chart(fig, key=key, config=plotly_config(), theme=None, width="stretch")
        return
    event = st.plotly_chart(fig, key=key, config=plotly_config(), theme=None, width="stretch", on_select="rerun",
                            selection_mode="points")
    points = list(event.selection.points) if event and event.selection else []
    _drill_once(key, points[0] if points else None, drill)


def _drill_once(key: str, picked, drill) -> None:
    """Open the 来源 panel for what was just picked (a point, a cell), once: the pick stays in the
    widget's state over later runs, which must not open the panel again."""
    seen = f"_drilled_{key}"
    mark = repr(picked)
    if picked is None or st.session_state.get(seen) == mark:
        st.session_state[seen] = mark
        return
    st.session_state[seen] = mark
    where = drill(picked)
    if where:
        where.open()  # a sources.Target: the panel draws with these widgets, so they never import it


def _displayable(frame: pd.DataFrame) -> pd.DataFrame:
    """A column holding numbers and words (a figure, or the state it has none: 未报送, 不适用) shown
    as text: Arrow holds one type a column.  The export keeps the numbers as numbers."""
    mixed = [c for c in frame.columns if frame[c].dtype == object
             and frame[c].map(lambda v: isinstance(v, str)).any()
             and frame[c].map(lambda v: isinstance(v, (int, float)) and not isinstance(v, bool)).any()]
    if not mixed:
        return frame
    out = frame.copy()
    for c in mixed:
        out[c] = out[c].map(lambda v: v if isinstance(v, str) or v is None or (isinstance(v, float) and v != v)
                            else f"{v:,.2f}".rstrip("0").rstrip(".") if isinstance(v, float) else f"{v:,}")
    return out


def grid(frame: pd.DataFrame, key: str, drill=None, **kwargs) -> None:
    """A table on the page: empty cells read 「—」, and how many rows it has is said under it.
    With `drill` ((row, column name) -> sources.target, or None), selecting a figure's cell opens
    the 来源 panel for it."""
    with st.container(key=f"{key}_grid"):
        if drill is None:
            st.dataframe(_displayable(frame), hide_index=True, key=key, width="stretch", placeholder=MISSING, **kwargs)
        else:
            event = st.dataframe(_displayable(frame), hide_index=True, key=key, width="stretch", placeholder=MISSING,
                                 on_select="rerun", selection_mode="single-cell", **kwargs)
            cells = list(event.selection.cells) if event and event.selection and "cells" in event.selection else []
            _drill_once(key, cells[0] if cells else None,
                        lambda c: drill(frame.iloc[int(c[0])], str(c[1])) if int(c[0]) < len(frame) else None)
        st.caption(t("rows_shown", n=len(frame)))


def downloads(frame: pd.DataFrame, file_stem: str, key: str) -> None:
    """下载 CSV (UTF-8 with BOM) and 下载 Excel (formatted .xlsx) of exactly `frame`, side by side,
    each as wide as half the space so its label is never cut.  Nothing is made on the page's run:
    the table is made plain (export.plain_table, a Python call per cell) and the file written
    only when a button is clicked, so a page switch never pays for a download nobody asked for;
    a table or writer that fails then hands over a file saying so (the log keeps why)."""
    c1, c2 = st.columns(2, gap="small")
    c1.download_button(t("download_csv"), _safely("to_csv_bytes", frame, key), file_name=f"{file_stem}.csv",
                       mime="text/csv", key=f"{key}_csv", on_click="ignore", icon=":material/download:",
                       width="stretch")
    c2.download_button(t("download_xlsx"), _safely("to_xlsx_bytes", frame, key), file_name=f"{file_stem}.xlsx",
                       mime=XLSX_MIME, key=f"{key}_xlsx", on_click="ignore", icon=":material/table:",
                       width="stretch")


def _safely(writer: str, frame: pd.DataFrame, key: str):
    """The file export.<writer> makes of `frame` made plain, made on the click; if either fails, a
    CSV saying so (the click cannot draw on the page any more).  export (and openpyxl under it) is
    imported on the first click, not by a fresh server's first page."""
    message = t("export_failed")

    def make() -> bytes:
        from dashboard.output import export

        try:
            return getattr(export, writer)(export.plain_table(frame))
        except Exception:  # noqa: BLE001
            LOG.exception("export of %s failed", key)
            return export.to_csv_bytes(pd.DataFrame({message: []}))
    return make


def table(frame: pd.DataFrame, file_stem: str, key: str, *, label: str | None = None,
          expanded: bool = False, drill=None) -> None:
    """The table behind a chart, one click away, with its CSV and Excel downloads (`drill`: see grid)."""
    with st.expander(label or t("table_behind"), expanded=expanded):
        if frame.empty:
            st.info(t("no_data"))
            return
        grid(frame, key=f"{key}_table", drill=drill)
        downloads(frame, file_stem, key)


def chart_section(fig, frame, *, key: str, file_stem: str, empty_title: str,
                  empty_key: str = "empty_selection", note: str | None = None, drill=None, table_drill=None) -> bool:
    """A built chart, an optional note, and the table behind it with its exports; when the
    builder found no data, the chart's title and a friendly word instead.  True if drawn."""
    if fig is None:
        st.subheader(empty_title)
        st.info(t(empty_key))
        return False
    chart(fig, key=key, drill=drill)
    if note:
        st.caption(note)
    table(frame, file_stem, key, drill=table_drill)
    return True


def values_table(values: pd.DataFrame) -> pd.DataFrame:
    """indicator_values rows as a person reads them, headed in the chosen language."""
    en = state.lang() == "en"
    return pd.DataFrame({
        t("col_unit_code"): values["unit_code"],
        t("col_unit"): values["unit_name_en" if en else "unit_name_zh"],
        t("col_period"): values["period"],
        t("col_indicator"): values["indicator_name_en" if en else "indicator_name_zh"],
        t("col_value"): values["value"],
        t("col_uom"): values["unit_en" if en else "unit_zh"],
    })


def indicator_picker(domain: str, key: str) -> Indicator:
    cat = state.store().catalog
    options = [i.code for i in cat.of_domain(domain)]
    default = cat.headline(domain)
    lg = state.lang()
    code = select(t("pick_indicator"), options, key=key, default=default,
                  format_func=lambda c: charts.with_unit(cat[c].name(lg), cat[c].unit(lg), lg))
    return cat[code or default]


# --- in-page choices that live in the address ----------------------------------------------------


def _seed(key: str, options: list, default, *, multi: bool = False, is_flag: bool = False) -> None:
    """Before widget `key` is drawn: keep the session's value if it is still an option, else take
    the address's (a shared link), else `default`."""
    have = st.session_state.get(key, None)
    if key in st.session_state:
        if is_flag and isinstance(have, bool):
            return
        if multi and isinstance(have, list) and all(v in options for v in have):
            return
        if not multi and not is_flag and have in options:
            return
    by_text = {str(o): o for o in options}
    qp = st.query_params
    if is_flag:
        value = qp.get(key) == "1" if key in qp else bool(default)
    elif multi:
        wanted = [by_text[v] for v in qp.get_all(key) if v in by_text] if key in qp else []
        value = list(dict.fromkeys(wanted)) or [v for v in (default or []) if v in options]
    else:
        value = by_text.get(qp.get(key)) if key in qp else None
        value = value if value is not None else (default if default in options else (options[0] if options else None))
    st.session_state[key] = value


def _keep(key: str, value, *, is_flag: bool = False) -> None:
    """Write a choice to the address (only when it changed: each write is a message to the browser)."""
    if is_flag:
        text = "1" if value else "0"
    elif isinstance(value, list):
        text = [str(v) for v in value]
    else:
        text = "" if value is None else str(value)
    current = st.query_params.get_all(key) if isinstance(text, list) else st.query_params.get(key)
    if current != text:
        st.query_params[key] = text


def select(label: str, options: list, *, key: str, default=None, where=None, **kwargs):
    """st.selectbox whose choice is in the address."""
    _seed(key, options, default)
    value = (where or st).selectbox(label, options, key=key, **kwargs)
    _keep(key, value)
    return value


def radio(label: str, options: list, *, key: str, default=None, where=None, **kwargs):
    """st.radio whose choice is in the address."""
    _seed(key, options, default)
    value = (where or st).radio(label, options, key=key, **kwargs)
    _keep(key, value)
    return value


def multiselect(label: str, options: list, *, key: str, default=(), where=None, **kwargs) -> list:
    """st.multiselect whose choices are in the address."""
    _seed(key, options, list(default), multi=True)
    value = (where or st).multiselect(label, options, key=key, **kwargs)
    _keep(key, value)
    return value


def flag(label: str, *, key: str, default: bool = False, where=None, **kwargs) -> bool:
    """st.toggle whose state is in the address."""
    _seed(key, [], default, is_flag=True)
    value = (where or st).toggle(label, key=key, **kwargs)
    _keep(key, value, is_flag=True)
    return value
