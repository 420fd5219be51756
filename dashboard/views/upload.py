"""报表上传 Upload: download the return template for a reporting unit and quarter; upload one or
many filled returns; see every problem (sheet!cell, unit, indicator, expected, found) as a table
and as the reporter's own workbook with the cells marked; accepted returns load at once and
every chart shows them; what a resubmission changed against the version it replaced."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import periods
from dashboard.ingest import build_template, import_return, problems_frame, report_workbook
from dashboard.views import common as ui

PROBLEMS_AS_TABLE = 200  # longer reports scroll in a data grid instead

RESULTS = "_upload_results"


def template_section(f) -> None:
    tree = ui.store().tree()
    st.subheader(ui.t("upload_step_template"))
    reporting = [u.code for u in tree.reporting_units]
    default_unit = tree.reporting_unit_of(f.units[0]).code if f.units else reporting[0]
    available = ui.quarters_with_data()
    quarters = (available + [periods.shift(available[-1], 1)] if available else [f.last])[::-1]
    c1, c2, c3 = st.columns([2, 1, 1], vertical_alignment="bottom")
    unit = c1.selectbox(ui.t("pick_reporting_unit"), reporting, index=reporting.index(default_unit),
                        key="upload_unit", format_func=ui.unit_fmt())
    quarter = c2.selectbox(ui.t("pick_quarter"), quarters, index=0, key="upload_quarter")
    store = ui.store()
    c3.download_button(ui.t("download_template"), lambda: build_template(store, unit, quarter),
                       file_name=f"return_{unit}_{quarter}.xlsx", mime=ui.XLSX_MIME, key="upload_template",
                       on_click="ignore", icon=":material/download:", type="primary")


def upload_section() -> None:
    st.subheader(ui.t("upload_step_upload"))
    c1, c2 = st.columns([2, 1], vertical_alignment="bottom")
    user = c1.text_input(ui.t("upload_user"), key="upload_user", placeholder=ui.t("upload_user_placeholder"))
    dry = c2.checkbox(ui.t("upload_dry_run"), key="upload_dry_run")
    files = st.file_uploader(ui.t("upload_files"), type=["xlsx", "xlsm", "xls", "csv"], accept_multiple_files=True,
                             key="upload_files", help=ui.t("upload_files_help"))
    if st.button(ui.t("upload_submit"), key="upload_submit", type="primary", disabled=not files):
        if not (user or "").strip():
            st.warning(ui.t("upload_need_user"))
            return
        results = []
        with st.spinner(ui.t("upload_working")):
            for up in files:
                data = up.getvalue()
                outcome = import_return(ui.store(), data, up.name, user.strip(), dry_run=dry)
                results.append((data, outcome))
        if any(o.status == "loaded" for _, o in results):
            ui.invalidate()
        st.session_state[RESULTS] = results


def results_section() -> None:
    results = st.session_state.get(RESULTS)
    if not results:
        return
    st.subheader(ui.t("upload_step_result"))
    outcomes = [o for _, o in results]
    status_text = {s: ui.t(f"outcome_{s}") for s in ("loaded", "duplicate", "rejected", "valid")}
    summary = pd.DataFrame({
        ui.t("col_file"): [o.file_name for o in outcomes],
        ui.t("col_outcome"): [status_text.get(o.status, o.status) for o in outcomes],
        ui.t("col_unit"): [ui.unit_name(o.reporting_unit) if o.reporting_unit else "" for o in outcomes],
        ui.t("col_quarter"): [o.quarter or "" for o in outcomes],
        ui.t("col_values"): [o.n_values for o in outcomes],
        ui.t("col_errors"): [len(o.errors) for o in outcomes],
        ui.t("col_warnings"): [len(o.warnings) for o in outcomes],
        ui.t("col_submission_id"): pd.array([o.submission_id for o in outcomes], dtype="Int64"),
        ui.t("col_superseded"): pd.array([o.superseded_id for o in outcomes], dtype="Int64"),
    })
    for o in outcomes:
        msg = ui.t(f"outcome_msg_{o.status}", file=o.file_name, n=o.n_values, errors=len(o.errors),
                   warnings=len(o.warnings))
        {"loaded": st.success, "valid": st.info, "duplicate": st.info, "rejected": st.error}[o.status](msg)
    st.dataframe(summary, hide_index=True, key="upload_summary", width="stretch")
    problems = problems_frame(outcomes, ui.lang())
    if len(problems):
        st.markdown(f"**{ui.t('upload_problems', n=len(problems))}**")
        if len(problems) <= PROBLEMS_AS_TABLE:
            # a plain table wraps each message in full, so the reporter reads how to fix the cell
            st.table(problems.set_index(problems.columns[1]))
        else:
            st.dataframe(problems, hide_index=True, key="upload_problems_table", width="stretch")
        ui.table(problems, "validation_report", "upload_problems", label=ui.t("export_this_table"))
        for i, (data, o) in enumerate(results):
            if o.problems:
                st.download_button(ui.t("download_marked", file=o.file_name),
                                   lambda data=data, o=o: report_workbook(data, o),
                                   file_name=f"report_{i + 1}_{o.file_name.rsplit('.', 1)[0]}.xlsx",
                                   mime=ui.XLSX_MIME, key=f"upload_report_{i}", on_click="ignore",
                                   icon=":material/rule:")
    for o in outcomes:
        if o.status == "loaded" and o.superseded_id:
            diff = ui.query("submission_diff", new_id=o.submission_id, old_id=o.superseded_id)
            st.markdown(f"**{ui.t('upload_changes', file=o.file_name, n=len(diff))}**")
            if len(diff):
                shown = pd.DataFrame({
                    ui.t("col_unit"): diff[ui.name_col()], ui.t("col_indicator"): diff[ui.name_col("indicator_name")],
                    ui.t("col_old"): diff["old_value"], ui.t("col_new"): diff["new_value"], ui.t("col_change"): diff["change"],
                })
                st.dataframe(shown, hide_index=True, key=f"upload_diff_{o.submission_id}", width="stretch")
    if any(o.status == "loaded" for o in outcomes):
        st.page_link("views/overview.py", label=ui.t("upload_see_charts"), icon=":material/dashboard:")


def main() -> None:
    f = ui.filters()
    ui.page_header(ui.t("page_upload"), f)
    template_section(f)
    st.divider()
    upload_section()
    results_section()


if __name__ == "__main__":
    main()
