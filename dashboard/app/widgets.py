"""The pieces pages are made of: the sidebar's filters, a page's header, a chart with the table
behind it and its exports, the indicator picker.  Text comes from dashboard/text/ through
state.t; numbers come from state.query."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard.domain import filters as flt
from dashboard.domain import periods
from dashboard.domain.catalog import Indicator
from dashboard.output import export
from dashboard.settings import current as settings

from . import state
from .escape import md
from .state import t

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PLOTLY_CONFIG = {"displaylogo": False, "modeBarButtonsToRemove": ["lasso2d", "select2d"],
                 "toImageButtonOptions": {"format": "png", "scale": 2}}
# url_path -> this run's st.Page, set by entry.py: a link to a page is a link to its object
NAV_PAGES: dict[str, st.Page] = {}


def page_link(url_path: str, label: str, icon: str) -> None:
    """A link to a page of this run's navigation (none to a page the viewer is not offered)."""
    if url_path in NAV_PAGES:
        st.page_link(NAV_PAGES[url_path], label=label, icon=f":material/{icon}:")


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
                                      help=t("filter_period_help"))
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
    names = "、".join(md(state.unit_name(c)) for c in f.units) if f.units else "—"
    st.caption(t("scope_caption", units=names, first=f.first, last=f.last, gran=t(f"gran_{f.granularity}"))
               + (f" · {note}" if note else ""))


def need_units(f: flt.Filters) -> bool:
    """False (and a friendly word) when no unit is selected."""
    if not f.units:
        st.info(t("empty_units"))
        return False
    return True


def chart(fig, key: str) -> None:
    st.plotly_chart(fig, key=key, config=PLOTLY_CONFIG, width="stretch")


def downloads(frame: pd.DataFrame, file_stem: str, key: str) -> None:
    """下载 CSV (UTF-8 with BOM) and 下载 Excel (formatted .xlsx) of exactly `frame`; the files
    are made only when a button is clicked."""
    c1, c2, _ = st.columns([1, 1, 3])
    c1.download_button(t("download_csv"), lambda: export.to_csv_bytes(frame), file_name=f"{file_stem}.csv",
                       mime="text/csv", key=f"{key}_csv", on_click="ignore", icon=":material/download:")
    c2.download_button(t("download_xlsx"), lambda: export.to_xlsx_bytes(frame), file_name=f"{file_stem}.xlsx",
                       mime=XLSX_MIME, key=f"{key}_xlsx", on_click="ignore", icon=":material/table:")


def table(frame: pd.DataFrame, file_stem: str, key: str, *, label: str | None = None,
          expanded: bool = False) -> None:
    """The table behind a chart, one click away, with its CSV and Excel downloads."""
    with st.expander(label or t("table_behind"), expanded=expanded):
        if frame.empty:
            st.info(t("no_data"))
            return
        st.dataframe(frame, hide_index=True, key=f"{key}_table", width="stretch")
        downloads(frame, file_stem, key)


def chart_section(fig, frame, *, key: str, file_stem: str, empty_title: str,
                  empty_key: str = "empty_selection", note: str | None = None) -> bool:
    """A built chart, an optional note, and the table behind it with its exports; when the
    builder found no data, the chart's title and a friendly word instead.  True if drawn."""
    if fig is None:
        st.subheader(empty_title)
        st.info(t(empty_key))
        return False
    chart(fig, key=key)
    if note:
        st.caption(note)
    table(frame, file_stem, key)
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
    code = st.selectbox(t("pick_indicator"), options, index=options.index(default), key=key,
                        format_func=lambda c: f"{cat[c].name(lg)}（{cat[c].unit(lg)}）")
    return cat[code or default]
