"""审计日志 Audit log: every write — returns imported or refused, restores, demo data, repairs,
backups — with who, when, from where and how it ended, newest first; filtered by a first day
and a user, exported to CSV or Excel exactly as shown (every row, not only those on screen)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pandas as pd
import streamlit as st

from dashboard import clock
from dashboard.domain.audit import parse
from dashboard.i18n import strings
from dashboard.settings import current as settings

from .. import state, widgets
from ..state import t

DEFAULT_DAYS = 30  # the first day shown at first: this many days ago


def trail(since: date, actor: str) -> pd.DataFrame:
    """The audit trail from `since` on, of `actor` ("" everyone).  Read fresh on every run, never
    cached: an entry does not move the data version the query cache keys on."""
    return state.store().query("audit_list", since=datetime.combine(since, datetime.min.time()), actor=actor)


def _label(prefix: str, code) -> str:
    key = f"{prefix}{str(code).replace('.', '_')}"
    return t(key) if key in strings() else str(code)


def detail_text(detail: str | None) -> str:
    """A detail's `key=value` words as the reader's language says them (a flag: its label only)."""
    sep = ", " if state.lang() == "en" else "，"
    parts = []
    for key, value in parse(detail):
        label = _label("aud_detail_", key)
        parts.append(label if value in ("yes", "") else f"{label} {value}")
    return sep.join(parts)


def shown(frame: pd.DataFrame) -> pd.DataFrame:
    """The trail as a person reads it, headed and worded in the chosen language."""
    return pd.DataFrame({
        t("aud_col_id"): frame["id"],
        t("aud_col_at"): pd.to_datetime(frame["happened_at"]).dt.strftime("%Y-%m-%d %H:%M:%S"),
        t("aud_col_actor"): frame["actor"],
        t("aud_col_via"): frame["via"].map(lambda v: _label("aud_via_", v)),
        t("aud_col_action"): frame["action"].map(lambda v: _label("aud_action_", v)),
        t("aud_col_target"): frame["target"].fillna(""),
        t("aud_col_outcome"): frame["outcome"].map(lambda v: _label("aud_outcome_", v)),
        t("aud_col_detail"): frame["detail"].map(detail_text),
    })


def render() -> None:
    st.title(t("page_audit"))
    st.caption(t("aud_intro"))
    actors = [r for r in state.store().query("audit_actors")["actor"]]
    c1, c2 = st.columns(2)
    since = c1.date_input(t("aud_since"), value=clock.today() - timedelta(days=DEFAULT_DAYS), key="audit_since")
    everyone = t("aud_everyone")
    actor = c2.selectbox(t("aud_user"), [""] + actors, key="audit_user", format_func=lambda a: a or everyone)
    frame = trail(since or clock.today(), actor or "")
    if frame.empty:
        st.info(t("aud_none"))
        return
    table = shown(frame)
    limit = settings().audit_max_rows
    st.caption(t("aud_count", n=len(table), shown=min(len(table), limit)))
    widgets.grid(table.head(limit), key="audit_table", height=520)
    widgets.downloads(table, f"audit_{since}", "audit")
