"""审计日志 Audit log: every write — returns imported or refused, restores, demo data, repairs,
backups — with who, when, from where and how it ended, newest first; filtered by a first day
and a user, exported to CSV or Excel exactly as shown (every row, not only those on screen)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pandas as pd
import streamlit as st

from dashboard import clock
from dashboard.domain import audit
from dashboard.settings import current as settings

from .. import state, widgets
from ..state import t

DEFAULT_DAYS = 30  # the first day shown at first: this many days ago


def trail(since: date, actor: str) -> pd.DataFrame:
    """The audit trail from `since` on, of `actor` ("" everyone).  Read fresh on every run, never
    cached: an entry does not move the data version the query cache keys on."""
    return state.store().query("audit_list", since=datetime.combine(since, datetime.min.time()), actor=actor)


def shown(frame: pd.DataFrame) -> pd.DataFrame:
    """The trail as a person reads it, in the chosen language (domain/audit.shown: the command line's too)."""
    return audit.shown(frame, state.lang())


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
