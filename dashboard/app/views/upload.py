"""报表上传 Upload: download the return template for a reporting unit and quarter; upload one or
many filled returns; see every problem (sheet!cell, unit, indicator, expected, found) as a table
and as the reporter's own workbook with the cells marked; accepted returns load at once and
every chart shows them; what a resubmission changed against the version it replaced.

Only the reporting units within the viewer's scope are offered, and the template and the
import are handed the principal, so a return for any other unit is refused below the page.
Who submits is the signed-in identity; in the demo mode, a name typed in (the "view as"
name at first)."""

from __future__ import annotations

import math

import pandas as pd
import streamlit as st

from dashboard.db import StoreUnavailable
from dashboard import clock, remind
from dashboard.domain import deadlines, periods
from dashboard.domain import filters as flt
from dashboard.ingest import build_template, import_return, problems_frame, report_workbook
from dashboard.output.safe import file_part
from dashboard.settings import current as settings

from .. import state, widgets
from ..escape import md
from ..state import t

RESULTS = "_upload_results"
ACCEPTED = ("xlsx",)  # what the importer reads (ingest/container.py refuses .xlsm, .xls, .csv)


def upload_limit_mb() -> int:
    """The uploader's limit in whole megabytes (what Streamlit takes): the importer's, rounded up."""
    return max(1, math.ceil(settings().max_file_mb))

USER_FOR = "_upload_user_for"  # whose "view as" name the who box was filled with


def template_section(f) -> bool:
    """The template download; False when the viewer files for no reporting unit."""
    tree, who = state.store().tree(), state.principal()
    st.subheader(t("upload_step_template"))
    reporting = [u.code for u in tree.reporting_units if who.may_upload(tree, u.code)]
    if not reporting:
        st.info(t("upload_not_yours"))
        return False
    mine = tree.reporting_unit_of(f.units[0]).code if f.units else None
    default_unit = mine if mine in reporting else reporting[0]
    quarters = flt.fileable_quarters(state.store().history(), state.quarters_with_data())
    if not quarters:  # the organisation begins after today
        st.info(t("upload_no_quarter", first=state.period(state.store().history().first_quarter())))
        return False
    c1, c2, c3 = st.columns([2, 1, 1], vertical_alignment="bottom")
    unit = widgets.select(t("pick_reporting_unit"), reporting, default=default_unit, key="upload_unit",
                          format_func=state.unit_fmt(), where=c1)
    quarter = widgets.select(t("pick_quarter"), quarters, default=quarters[0], key="upload_quarter", where=c2,
                             format_func=state.period_fmt())
    store = state.store()
    c3.download_button(t("download_template"), lambda: build_template(store, unit, quarter, principal=who),
                       file_name=f"return_{unit}_{quarter}.xlsx", mime=widgets.XLSX_MIME, key="upload_template",
                       on_click="ignore", icon=":material/download:", type="primary")
    due = deadlines.due(quarter, store.deadlines())
    days = deadlines.days_left(due, clock.today())
    st.caption(t("upload_deadline", date=due.isoformat(), days=remind.days_text(days, state.lang()))
               if quarter != periods.current_quarter() else t("upload_deadline_open", date=due.isoformat()))
    return True


def upload_section() -> None:
    st.subheader(t("upload_step_upload"))
    who = state.principal()
    c1, c2 = st.columns([2, 1], vertical_alignment="bottom")
    if state.auth_mode() == "demo":  # anyone may type a name; it starts as the "view as" name
        if st.session_state.get(USER_FOR) != who.login:
            st.session_state[USER_FOR] = who.login
            st.session_state[state.USER_WIDGET] = who.name
        elif state.USER_WIDGET not in st.session_state and state.actor():  # back on the page: the name typed before
            st.session_state[state.USER_WIDGET] = state.actor()
        user = c1.text_input(t("upload_user"), key=state.USER_WIDGET, placeholder=t("upload_user_placeholder"))
        state.remember_actor(user)
    else:  # the signed-in identity, never a box
        user = who.login
        c1.caption(t("upload_user_signed_in", login=md(who.login)))
    dry = c2.checkbox(t("upload_dry_run"), key="upload_dry_run")
    # the importer takes .xlsx only, up to settings.max_file_mb: the uploader says and enforces the same
    files = st.file_uploader(t("upload_files"), type=list(ACCEPTED), accept_multiple_files=True,
                             key="upload_files", help=t("upload_files_help"), max_upload_size=upload_limit_mb())
    if st.button(t("upload_submit"), key="upload_submit", type="primary", disabled=not files):
        if not (user or "").strip():
            st.warning(t("upload_need_user"))
            return
        results, failure = [], None
        with st.spinner(t("upload_working")):
            for up in files:
                data = up.getvalue()
                try:
                    outcome = import_return(state.store(), data, up.name, user.strip(), dry_run=dry,
                                            principal=who)
                except StoreUnavailable as exc:  # the disk or the archive is in the way: this file and the rest wait
                    failure = exc
                    break
                results.append((data, outcome))
        if any(o.status == "loaded" for _, o in results):
            state.invalidate()
        st.session_state[RESULTS] = results
        if failure is not None:
            st.error(failure.text(state.lang(), app=True), icon=":material/database:")


def results_section() -> None:
    results = st.session_state.get(RESULTS)
    if not results:
        return
    st.subheader(t("upload_step_result"))
    outcomes = [o for _, o in results]
    status_text = {s: t(f"outcome_{s}") for s in ("loaded", "duplicate", "rejected", "valid")}
    summary = pd.DataFrame({
        t("col_file"): [o.file_name for o in outcomes],
        t("col_outcome"): [status_text.get(o.status, o.status) for o in outcomes],
        t("col_unit"): [state.unit_name(o.reporting_unit) if o.reporting_unit else "" for o in outcomes],
        t("col_quarter"): [o.quarter or "" for o in outcomes],
        t("col_values"): [o.n_values for o in outcomes],
        t("col_errors"): [len(o.errors) for o in outcomes],
        t("col_warnings"): [len(o.warnings) for o in outcomes],
        t("col_submission_id"): pd.array([o.submission_id for o in outcomes], dtype="Int64"),
        t("col_superseded"): pd.array([o.superseded_id for o in outcomes], dtype="Int64"),
    })
    for o in outcomes:
        msg = t(f"outcome_msg_{o.status}", file=md(o.file_name), n=o.n_values, errors=len(o.errors),
                   warnings=len(o.warnings))
        {"loaded": st.success, "valid": st.info, "duplicate": st.info, "rejected": st.error}[o.status](msg)
    widgets.grid(summary, key="upload_summary")
    problems = problems_frame(outcomes, state.lang())
    if len(problems):
        st.markdown(f"**{t('upload_problems', n=len(problems))}**")
        if len(problems) <= settings().problems_as_table:
            # a plain table wraps each message in full, so the reporter reads how to fix the cell
            # (st.table reads Markdown in every cell, header and index: a reporter's cell is text)
            st.table(md_cells(problems).set_index(md(problems.columns[1])))
        else:
            widgets.grid(problems, key="upload_problems_table")
        widgets.table(problems, "validation_report", "upload_problems", label=t("export_this_table"))
        for i, (data, o) in enumerate(results):
            if o.problems:
                st.download_button(t("download_marked", file=md(o.file_name)),
                                   lambda data=data, o=o: report_workbook(data, o),
                                   file_name=f"report_{i + 1}_{file_part(o.file_name.rsplit('.', 1)[0])}.xlsx",
                                   mime=widgets.XLSX_MIME, key=f"upload_report_{i}", on_click="ignore",
                                   icon=":material/rule:")
    for o in outcomes:
        if o.status == "loaded" and o.superseded_id:
            diff = state.query("submission_diff", new_id=o.submission_id, old_id=o.superseded_id)
            st.markdown(f"**{t('upload_changes', file=md(o.file_name), n=len(diff))}**")
            if len(diff):
                shown = pd.DataFrame({
                    t("col_unit"): diff[state.name_col()], t("col_indicator"): diff[state.name_col("indicator_name")],
                    t("col_old"): diff["old_value"], t("col_new"): diff["new_value"], t("col_change"): diff["change"],
                })
                widgets.grid(shown, key=f"upload_diff_{o.submission_id}")
    if any(o.status == "loaded" for o in outcomes):
        widgets.page_link("overview", t("upload_see_charts"), "dashboard")


def md_cells(frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` with every cell and header as literal Markdown text (for st.table)."""
    out = frame.map(lambda v: md(v) if isinstance(v, str) else (widgets.MISSING if pd.isna(v) else v))
    out.columns = [md(c) for c in frame.columns]
    return out


def render() -> None:
    f = state.filters()
    widgets.page_header(t("page_upload"), f)
    if not template_section(f):
        return
    st.divider()
    upload_section()
    results_section()

