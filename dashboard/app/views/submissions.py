"""报送情况 Submissions: a reporting unit × quarter matrix of the returns behind the selected
units and their children (on time, late, missing, not yet due; demo data marked) with each
quarter's deadline, the history of every version of one unit's return for one quarter, and
restoring an earlier version (the current one is kept, superseded): administrators only
(Store.restore refuses anyone else); the others see the history.

Administrators also set a quarter's deadline apart from the default, and remind (催报) the
reporters of the units due and not in: a preview of every message first (dashboard/remind.py,
the same steps as `python -m dashboard remind`), then the send, with what each channel did."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard.db import RowsWouldBeLost
from dashboard import clock, remind
from dashboard.domain import analysis, deadlines, periods
from dashboard.domain import filters as flt
from dashboard.i18n import t as text
from dashboard.output import charts
from dashboard.settings import current as settings

from .. import state, widgets
from ..escape import md
from ..state import t
from .upload import md_cells

FLASH = "_submissions_flash"


def matrix_section(f, reporting: list[str]) -> None:
    fig, shown = state.built(matrix_parts, filters=f.as_args())
    widgets.chart(fig, key="submissions_matrix")
    set_apart = state.store().deadlines()
    dues = "；".join(f"{state.period(q)} {deadlines.due(q, set_apart).isoformat()}"
                    + (t("deadline_set_apart") if q in set_apart else "") for q in f.quarters[::-1][:4])
    st.caption(t("matrix_note", days=settings().deadline_days, dues=dues))
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
    if state.principal().may_administer:
        st.divider()
        remind_section(f)
        deadline_section(f)
    st.divider()
    history_section(f, reporting)


# --- 催报 and deadlines (administrators) -----------------------------------------------------------

PREVIEW = "_remind_preview"  # (quarter, channels) of the preview on screen
SENT = "_remind_sent"  # the outcomes of the last send, shown once


def remind_config() -> dict:
    """The [remind] section of Streamlit's secrets, as plain dicts ({} when there is none)."""
    try:
        if not st.secrets.load_if_toml_exists():
            return {}
        section = st.secrets.get("remind")
    except Exception:  # an unreadable secrets file configures no channel (Streamlit logs why)
        return {}

    def plain(v):
        return {k: plain(v[k]) for k in v.keys()} if hasattr(v, "keys") else v
    return plain(section) if section is not None else {}


def remind_section(f) -> None:
    st.subheader(t("remind_title"))
    config = remind_config()
    ready = remind.configured(config)
    ended = [q for q in f.quarters[::-1] if periods.quarter_end(q).date() < clock.today()]
    if not ended:
        st.info(t("remind_no_ended"))
        return
    c1, c2, c3 = st.columns([1, 2, 1], vertical_alignment="bottom")
    quarter = widgets.select(t("pick_quarter"), ended, key="remind_quarter", where=c1, format_func=state.period_fmt())
    channels = c2.multiselect(t("remind_channels"), list(remind.CHANNELS), default=list(ready), key="remind_channels",
                              format_func=lambda c: t(f"remind_channel_{c}"))
    if not ready:
        st.caption(t("remind_no_channel"))
    if c3.button(t("remind_preview_button"), key="remind_preview", icon=":material/preview:"):
        st.session_state[PREVIEW] = (quarter, tuple(c for c in remind.CHANNELS if c in channels))
        st.session_state.pop(SENT, None)
    if SENT in st.session_state:
        sent_report(st.session_state.pop(SENT))
    asked = st.session_state.get(PREVIEW)
    if not asked or asked[0] != quarter:
        return
    try:
        planned = remind.plan(state.store(), asked[0], asked[1])
    except remind.RemindError as exc:
        st.warning(str(exc))
        return
    preview(planned)
    if planned.messages and st.button(t("remind_send_button", n=len(planned.messages)), key="remind_send",
                                      type="primary", icon=":material/send:"):
        outcomes = remind.send(state.store(), planned, config)
        st.session_state[SENT] = [(o.message.unit, o.message.channel, o.message.to, o.ok, o.reason) for o in outcomes]
        st.session_state.pop(PREVIEW, None)
        st.rerun()
    elif not planned.messages and planned.units:
        st.info(t("remind_nothing_to_send"))
    kept = state.store().reminders(asked[0])
    if len(kept):
        with st.expander(t("remind_history", n=len(kept))):
            widgets.grid(pd.DataFrame({
                t("col_unit"): kept["unit_code"].map(state.unit_name), t("remind_col_channel"):
                kept["channel"].map(lambda c: t(f"remind_channel_{c}")), t("remind_col_to"): kept["recipient"],
                t("col_outcome"): kept["outcome"].map({"ok": t("remind_ok"), "failed": t("remind_failed")}),
                t("remind_col_reason"): kept["reason"].fillna(""), t("col_submitted_by"): kept["sent_by"],
                t("remind_col_at"): kept["sent_at"].astype(str).str[:19]}), key="remind_history_table")


def preview(planned) -> None:
    """What a send would do: the units not in, their reporters, each message, what will not be sent."""
    if not planned.units:
        st.success(t("remind_none_due", period=state.period(planned.quarter)))
        return
    st.markdown("**" + md(t("remind_heading", n=len(planned.units), period=state.period(planned.quarter),
                              deadline=planned.deadline.isoformat(),
                              days=remind.days_text(remind.days_left_of(planned), state.lang()))) + "**")
    rows = []
    for unit in planned.units:
        who = "、".join(f"{r.name}（{r.email or '—'}）" for r in unit.reporters) or "—"
        for m in (m for m in planned.messages if m.unit == unit.code):
            rows.append((unit.name, who, t(f"remind_channel_{m.channel}"), shown_to(m), t("remind_will_send")))
        for s in (s for s in planned.skipped if s.unit == unit.code):
            rows.append((unit.name, who, t(f"remind_channel_{s.channel}") if s.channel else "", "", s.text(state.lang())))
    frame = pd.DataFrame(rows, columns=[t("col_unit"), t("remind_col_reporters"), t("remind_col_channel"),
                                        t("remind_col_to"), t("remind_col_what")])
    with st.container(key="remind_preview_table"):  # a plain table: every reason read in full
        st.table(md_cells(frame).set_index(md(frame.columns[0])))
    for i, m in enumerate(planned.messages):
        with st.expander(t("remind_message_title", unit=state.unit_name(m.unit), channel=t(f"remind_channel_{m.channel}"),
                           to=md(shown_to(m))), expanded=i == 0):
            if m.channel == "email":
                st.caption(t("remind_subject_label", subject=md(m.subject)))
            st.code(m.body, language=None, wrap_lines=True)


def shown_to(m) -> str:
    """Whom a message reaches, as the page says it: the address, or the group with whom it @-mentions."""
    if m.channel == "email":
        return m.to
    return t("remind_to_group", mentions="、".join(m.mentions) or "—")


def sent_report(sent: list) -> None:
    ok = sum(1 for *_, good, _ in sent if good)
    (st.success if ok == len(sent) else st.warning)(t("remind_sent_line", ok=ok, failed=len(sent) - ok))
    for unit, channel, to, good, reason in sent:
        if not good:
            st.error(t("remind_failed_line", unit=md(state.unit_name(unit)), channel=t(f"remind_channel_{channel}"),
                       to=md(to if channel == "email" else t("remind_to_group_plain")), reason=md(reason)))


def deadline_section(f) -> None:
    with st.expander(t("deadline_title"), icon=":material/event:"):
        set_apart = state.store().deadlines()
        c1, c2, c3, c4 = st.columns([1, 1, 1, 1], vertical_alignment="bottom")
        quarter = c1.selectbox(t("pick_quarter"), f.quarters[::-1], key="deadline_quarter", format_func=state.period_fmt())
        due = c2.date_input(t("deadline_date"), value=deadlines.due(quarter, set_apart), key=f"deadline_date_{quarter}")
        who = state.principal()
        if c3.button(t("deadline_set_button"), key="deadline_set", type="primary"):
            state.store().set_deadline(quarter, due, principal=who)
            state.invalidate()
            st.session_state[FLASH] = t("deadline_set_done", period=state.period(quarter), date=due.isoformat())
            st.rerun()
        if quarter in set_apart and c4.button(t("deadline_default_button"), key="deadline_default"):
            state.store().set_deadline(quarter, None, principal=who)
            state.invalidate()
            st.session_state[FLASH] = t("deadline_set_done", period=state.period(quarter),
                                        date=deadlines.default(quarter).isoformat())
            st.rerun()

