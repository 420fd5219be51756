"""数据查询 Explorer: any indicators × units × periods as one sortable table — long (one row per
unit, period and indicator) or wide (one column per indicator) — exported to CSV (UTF-8 with
BOM) or formatted Excel exactly as shown: same rows, same order, same columns."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import export
from dashboard.views import common as ui

MAX_ROWS_SHOWN = 20000


def main() -> None:
    f = ui.filters()
    ui.page_header(ui.t("page_explorer"), f)
    if not ui.need_units(f):
        return
    store = ui.store()
    cat, tree = store.catalog, store.tree()
    codes = [i.code for i in cat.indicators]
    heads = [i.code for i in cat.indicators if i.headline]
    lg = ui.lang()
    inds = st.multiselect(ui.t("explorer_indicators"), codes, default=heads, key="explorer_indicators",
                          format_func=lambda c: f"{cat.domain(cat[c].domain).name(lg)} · {cat[c].name(lg)}"
                                                f"（{cat[c].unit(lg)}）",
                          placeholder=ui.t("explorer_indicators_placeholder"))
    c1, c2, c3 = st.columns(3)
    children = c1.toggle(ui.t("explorer_children"), key="explorer_children", help=ui.t("explorer_children_help"))
    scope = c2.radio(ui.t("explorer_scope"), ["subtree", "own"], key="explorer_scope", horizontal=True,
                     format_func=ui.text_fmt("scope_"), help=ui.t("explorer_scope_help"))
    layout = c3.radio(ui.t("explorer_layout"), ["wide", "long"], key="explorer_layout", horizontal=True,
                      format_func=ui.text_fmt("layout_"))
    if not inds:
        st.info(ui.t("explorer_need_indicator"))
        return
    units = list(f.units)
    if children:
        for code in f.units:
            units += [u.code for u in tree.subtree(code) if u.code not in units]
    params = f.values_params(units=units, indicators=inds, scope=scope)
    values = ui.query("indicator_values", **params)
    if values.empty:
        st.info(ui.t("empty_selection"))
        return
    en = ui.lang() == "en"
    long = pd.DataFrame({
        "unit_code": values["unit_code"], "unit_name": values["unit_name_en" if en else "unit_name_zh"],
        "period": values["period"], "domain": values["domain"], "indicator_code": values["indicator_code"],
        "indicator_name": values["indicator_name_en" if en else "indicator_name_zh"], "value": values["value"],
        "unit_of_measure": values["unit_en" if en else "unit_zh"],
    })
    if layout == "wide":
        frame = export.wide_table(long, store, ui.lang())
    else:
        frame = long.assign(domain=long["domain"].map(lambda d: cat.domain(d).name(ui.lang())))
        frame.columns = [ui.t(k) for k in ("col_unit_code", "col_unit", "col_period", "col_domain", "col_indicator_code",
                                            "col_indicator", "col_value", "col_uom")]
    c1, c2 = st.columns([3, 1], vertical_alignment="bottom")
    cols = list(frame.columns)
    sort_by = c1.selectbox(ui.t("explorer_sort"), [""] + cols, key="explorer_sort",
                           format_func=lambda c, none=ui.t("explorer_sort_none"): c or none)
    descending = c2.toggle(ui.t("explorer_desc"), key="explorer_desc")
    if sort_by:
        frame = frame.sort_values(sort_by, ascending=not descending, kind="stable", na_position="last")
    frame = frame.reset_index(drop=True)
    st.caption(ui.t("explorer_count", rows=len(frame), units=len(units), inds=len(inds)))
    st.dataframe(frame.head(MAX_ROWS_SHOWN), hide_index=True, key="explorer_table", width="stretch", height=520)
    d1, d2, _ = st.columns([1, 1, 3])
    stem = f"explorer_{f.first}_{f.last}_{f.granularity}"
    d1.download_button(ui.t("download_csv"), lambda: export.to_csv_bytes(frame), file_name=f"{stem}.csv",
                       mime="text/csv", key="explorer_csv", on_click="ignore", icon=":material/download:")
    d2.download_button(ui.t("download_xlsx"), lambda: export.to_xlsx_bytes(frame), file_name=f"{stem}.xlsx",
                       mime=ui.XLSX_MIME, key="explorer_xlsx", on_click="ignore", icon=":material/table:")
    st.caption(ui.t("explorer_export_note"))


if __name__ == "__main__":
    main()
