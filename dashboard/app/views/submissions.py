"""报送情况 Submissions: a reporting unit × quarter matrix of the returns behind the selected
units and their children (on time, late, missing, not yet due; demo data marked), the history of every version of one unit's return for one
quarter, and restoring an earlier version (the current one is kept, superseded): administrators
only (Store.restore refuses anyone else); the others see the history."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard.db import RowsWouldBeLost
from dashboard.domain import analysis
from dashboard.domain import filters as flt
from dashboard.i18n import t as text
from dashboard.output import charts
from dashboard.settings import current as settings

from .. import state, widgets
from ..escape import md
from ..state import t

FLASH = "_submissions_flash"


def matrix_section(f, reporting: list[str]) -> None:
    fig, shown = state.built(matrix_parts, filters=f.as_args())
    widgets.chart(fig, key="submissions_matrix")
    st.caption(t("matrix_note", days=settings().deadline_days))
    widgets.table(shown, f"submissions_status_{f.first}_{f.last}", "submissions_matrix")


def matrix_parts(filters: dict):
    """The status matrix of the selection's returns and the table behind it (for state.built: a
    page switch draws them without building them again)."""
    f = flt.Filters.of_args(filters)
    params = state.expected_returns(f.units, f.quarters, whole=False)
    status = state.query("submission_status", **params)
    matrix = analysis.status_matrix(status, state.lang())
    labels = {s: t(f"status_{s}") for s in (*analysis.STATUSES, analysis.NOT_EXPECTED)}
    title = t("matrix_title", first=f.first, last=f.last)
    fig = charts.tag(charts.status_matrix(matrix, f.quarters, labels, title=title, lang=state.lang()),
                     "submission_status", params)
    shown = pd.DataFrame({
        t("col_unit_code"): status["unit_code"], t("col_unit"): status[state.name_col()],
        t("col_quarter"): status["quarter"], t("col_status"): status["status"].map(labels),
        t("col_demo"): status["is_demo"].map({True: t("yes"), False: ""}),
        t("col_deadline"): status["deadline"].astype(str),
        t("col_submitted_at"): status["submitted_at"].astype(str).replace({"NaT": "", "None": ""}),
        t("col_submitted_by"): status["submitted_by"].fillna(""),
        t("col_submission_id"): status["submission_id"].astype("Int64"),
    })
    return fig, shown


def history_section(f, reporting: list[str]) -> None:
    st.subheader(t("history_title"))
    c1, c2 = st.columns(2)
    unit = widgets.select(t("pick_reporting_unit"), reporting, key="subs_unit", format_func=state.unit_fmt(), where=c1)
    quarters = f.quarters[::-1]
    quarter = widgets.select(t("pick_quarter"), quarters, key="subs_quarter", where=c2, format_func=state.period_fmt())
    if unit is None or quarter is None:
        return
    params = {"units": [unit], "from": quarter, "to": quarter}
    history = state.query("submission_history", **params)
    if history.empty:
        st.info(t("history_empty", unit=md(state.unit_name(unit)), quarter=quarter))
        return
    status_text = {"active": t("sub_active"), "superseded": t("sub_superseded")}
    shown = pd.DataFrame({
        t("col_submission_id"): history["submission_id"], t("col_state"): history["status"].map(status_text),
        t("col_submitted_at"): history["submitted_at"].astype(str), t("col_submitted_by"): history["submitted_by"],
        t("col_file"): history["file_name"], t("col_values"): history["n_values"],
        t("col_warnings"): history["warnings"], t("col_template"): history["template_version"],
        t("col_sha"): history["sha256_prefix"], t("col_demo"): history["is_demo"].map({True: t("yes"), False: ""}),
    })
    widgets.grid(shown, key="subs_history_view")
    widgets.table(shown, f"submissions_history_{unit}_{quarter}", "subs_history", label=t("export_this_table"))
    older = history[history["status"] != "active"]
    if older.empty:
        st.caption(t("restore_none"))
        return
    who = state.principal()
    if not who.may_restore:
        st.caption(t("restore_admin_only"))
        return
    options = older["submission_id"].tolist()
    by_id = history.set_index("submission_id")
    lg = state.lang()
    pick = st.selectbox(t("pick_restore"), options, key="subs_restore_id",
                        format_func=lambda i: text("restore_option", lg, id=i, at=str(by_id.loc[i, "submitted_at"])[:16],
                                                   by=by_id.loc[i, "submitted_by"]))
    if st.button(t("restore_button"), key="subs_restore", type="primary"):
        try:
            previous = state.store().restore(int(pick), principal=who)
        except RowsWouldBeLost as exc:  # filed under an earlier tree (the store recorded the refusal)
            st.error(exc.text(lg))
            return
        state.invalidate()
        st.session_state[FLASH] = t("restored", id=int(pick), previous=previous or "—")
        st.rerun()


def render() -> None:
    f = state.filters()
    widgets.page_header(t("page_submissions"), f)
    if FLASH in st.session_state:
        st.success(st.session_state.pop(FLASH))
    if not widgets.need_units(f):
        return
    reporting = state.reporting_units(f.units, f.quarters)  # the returns behind the selection and its children
    if not reporting:
        st.info(t("empty_selection"))
        return
    matrix_section(f, reporting)
    st.divider()
    history_section(f, reporting)

