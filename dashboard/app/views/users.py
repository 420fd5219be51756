"""用户管理 Users (administrators): who may sign in, with which role and scope; add or update
one, remove one.  The store checks each entry and the principal (Store.put_users,
Store.remove_user: administrators only) and writes every change to the audit trail; the
command line's `python -m dashboard users` does the same, and imports a whole list."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import i18n
from dashboard.domain import access

from .. import state, widgets
from ..escape import md
from ..state import t

FLASH = "_users_flash"
UNIT_KEY = "users_unit"


def unit_picker(tree) -> str:
    """The unit of the person being added: tree-aware like the sidebar's picker (the top, its
    children, and around the unit picked: its ancestors, siblings and children), not every unit of
    a province at once; outside the form, so picking a unit offers the units under it at once."""
    current = st.session_state.get(UNIT_KEY)
    codes, labels = state.unit_choices([current] if current in tree else [])
    lg = state.lang()  # fixed when drawn: a format_func may be called outside the run (state.unit_fmt)
    return st.selectbox(t("users_unit"), codes, key=UNIT_KEY, help=t("users_unit_help"),
                        format_func=lambda c: i18n.t("users_unit_option", lg, name=labels.get(c, c), code=c))


def render() -> None:
    widgets.page_header(t("page_users"), state.filters())
    who = state.principal()
    who.check_admin()  # below the navigation too: only an administrator reads this page
    store = state.store()
    tree, lg = store.tree(), state.lang()
    st.caption(t("users_intro"))
    if FLASH in st.session_state:
        st.success(st.session_state.pop(FLASH))
    users = store.users()
    if users:
        st.dataframe(pd.DataFrame({
            t("col_login"): [u.login for u in users],
            t("users_name"): [u.name for u in users],
            t("col_role"): [t(f"role_{u.role}") for u in users],
            t("col_unit_code"): [u.unit for u in users],
            t("col_scope"): [tree[u.unit].name(lg) if u.unit in tree else u.unit for u in users],
            t("users_email"): [u.email for u in users],
            t("users_mobile"): [u.mobile for u in users],
            t("col_created_at"): [str(u.created_at)[:19] for u in users],
        }), hide_index=True, key="users_table", width="stretch")
    else:
        st.info(t("users_empty"))

    st.subheader(t("users_add_title"))
    unit = unit_picker(tree)
    with st.form("users_add", clear_on_submit=False, border=True):
        c1, c2 = st.columns(2)
        login = c1.text_input(t("users_login"), key="users_login")
        name = c2.text_input(t("users_name"), key="users_user_name")
        role = st.selectbox(t("users_role"), list(access.ROLES), key="users_role", format_func=lambda r: t(f"role_{r}"))
        c3, c4 = st.columns(2)
        email = c3.text_input(t("users_email"), key="users_email", help=t("users_email_help"))
        mobile = c4.text_input(t("users_mobile"), key="users_mobile")
        if st.form_submit_button(t("users_add_button"), type="primary"):
            entry = access.clean_entry(tree, login, name, role, tree.root.code if role == "admin" else unit, email,
                                       mobile)
            try:
                (done, old), = store.put_users([(None, entry)], principal=who)
            except access.UsersRejected as exc:
                for _, problem in exc.problems:
                    st.error(md(problem.split(" | ")[1 if lg == "en" else 0]))
            else:
                key = "usr_updated" if old else "usr_added"
                extra = {"old_role": t(f"role_{old.role}"), "old_unit": old.unit} if old else {}
                st.session_state[FLASH] = t(key, login=md(done.login), role=t(f"role_{done.role}"), unit=done.unit,
                                            **extra)
                st.rerun()

    if users:
        st.subheader(t("users_remove_title"))
        c1, c2 = st.columns([3, 1], vertical_alignment="bottom")
        pick = c1.selectbox(t("users_remove_pick"), [u.login for u in users], key="users_remove_login")
        if c2.button(t("users_remove_button"), key="users_remove", icon=":material/person_remove:"):
            if pick == who.login:
                st.warning(t("users_remove_self"))
            elif store.remove_user(pick, principal=who):
                st.session_state[FLASH] = t("usr_removed", login=md(pick))
                st.rerun()
