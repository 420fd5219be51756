"""报送情况 Submissions: a reporting unit × quarter matrix of the returns behind the selected
units and their children (on time, late, missing, not yet due; demo data marked), the history of every version of one unit's return for one
quarter, and restoring an earlier version (the current one is kept, superseded)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import analysis, charts
from dashboard.views import common as ui

FLASH = "_submissions_flash"


def matrix_section(f, reporting: list[str]) -> None:
    params = {"units": reporting, "quarters": f.quarters, "deadline_days": analysis.DEADLINE_DAYS}
    status = ui.query("submission_status", **params)
    matrix = analysis.status_matrix(status, ui.lang())
    labels = {s: ui.t(f"status_{s}") for s in analysis.STATUSES}
    title = ui.t("matrix_title", first=f.first, last=f.last)
    fig = charts.status_matrix(matrix, f.quarters, labels, title=title, lang=ui.lang())
    ui.chart(charts.tag(fig, "submission_status", params), key="submissions_matrix")
    st.caption(ui.t("matrix_note", days=analysis.DEADLINE_DAYS))
    shown = pd.DataFrame({
        ui.t("col_unit_code"): status["unit_code"], ui.t("col_unit"): status[ui.name_col()],
        ui.t("col_quarter"): status["quarter"], ui.t("col_status"): status["status"].map(labels),
        ui.t("col_demo"): status["is_demo"].map({True: ui.t("yes"), False: ""}),
        ui.t("col_deadline"): status["deadline"].astype(str),
        ui.t("col_submitted_at"): status["submitted_at"].astype(str).replace({"NaT": "", "None": ""}),
        ui.t("col_submitted_by"): status["submitted_by"].fillna(""),
        ui.t("col_submission_id"): status["submission_id"].astype("Int64"),
    })
    ui.table(shown, f"submissions_status_{f.first}_{f.last}", "submissions_matrix")


def history_section(f, reporting: list[str]) -> None:
    st.subheader(ui.t("history_title"))
    c1, c2 = st.columns(2)
    unit = c1.selectbox(ui.t("pick_reporting_unit"), reporting, key="subs_unit", format_func=ui.unit_fmt())
    quarters = f.quarters[::-1]
    quarter = c2.selectbox(ui.t("pick_quarter"), quarters, key="subs_quarter")
    if unit is None or quarter is None:
        return
    params = {"units": [unit], "from": quarter, "to": quarter}
    history = ui.query("submission_history", **params)
    if history.empty:
        st.info(ui.t("history_empty", unit=ui.unit_name(unit), quarter=quarter))
        return
    status_text = {"active": ui.t("sub_active"), "superseded": ui.t("sub_superseded")}
    shown = pd.DataFrame({
        ui.t("col_submission_id"): history["submission_id"], ui.t("col_state"): history["status"].map(status_text),
        ui.t("col_submitted_at"): history["submitted_at"].astype(str), ui.t("col_submitted_by"): history["submitted_by"],
        ui.t("col_file"): history["file_name"], ui.t("col_values"): history["n_values"],
        ui.t("col_warnings"): history["warnings"], ui.t("col_template"): history["template_version"],
        ui.t("col_sha"): history["sha256_prefix"], ui.t("col_demo"): history["is_demo"].map({True: ui.t("yes"), False: ""}),
    })
    st.dataframe(shown, hide_index=True, key="subs_history_table", width="stretch")
    ui.table(shown, f"submissions_history_{unit}_{quarter}", "subs_history", label=ui.t("export_this_table"))
    older = history[history["status"] != "active"]
    if older.empty:
        st.caption(ui.t("restore_none"))
        return
    options = older["submission_id"].tolist()
    by_id = history.set_index("submission_id")
    lg = ui.lang()
    pick = st.selectbox(ui.t("pick_restore"), options, key="subs_restore_id",
                        format_func=lambda i: ui._t("restore_option", lg, id=i, at=str(by_id.loc[i, "submitted_at"])[:16],
                                                   by=by_id.loc[i, "submitted_by"]))
    if st.button(ui.t("restore_button"), key="subs_restore", type="primary"):
        previous = ui.store().restore(int(pick))
        ui.invalidate()
        st.session_state[FLASH] = ui.t("restored", id=int(pick), previous=previous or "—")
        st.rerun()


def main() -> None:
    f = ui.filters()
    ui.page_header(ui.t("page_submissions"), f)
    if FLASH in st.session_state:
        st.success(st.session_state.pop(FLASH))
    if not ui.need_units(f):
        return
    reporting = ui.reporting_units(f.units)  # the returns behind the selection and its children
    matrix_section(f, reporting)
    st.divider()
    history_section(f, reporting)


if __name__ == "__main__":
    main()
