"""Who is looking: the sign-in mode, the signed-in person, and the pages shown before the app.

The mode (access.decide_mode) comes from DANGJIAN_AUTH, whether Streamlit's secrets hold an
[auth] section (`.streamlit/secrets.toml` in the working directory, or the files named by the
`secrets.files` option, e.g. `streamlit run ... --secrets.files /path/secrets.toml`) and the
address the server listens on:

- **oidc**: everyone signs in through the OpenID Connect provider (st.login); the login claim
  (the e-mail, else sub) is looked up in the users table; a person not in it sees who they are
  and whom to ask, nothing else;
- **demo**: no provider configured: open to anyone, a banner on every page, and a "view as"
  switcher in the sidebar to try each role with a scope;
- **none**: deliberately no sign-in, served on a loopback address only: the person at the
  machine is the administrator (as on the command line);
- **refused**: a page saying why, nothing else.

`resolve()` returns the principal of this run (kept in st.session_state under PRINCIPAL for
state.principal()), or None when it has drawn one of those pages instead.
"""

from __future__ import annotations

import functools
import getpass

import streamlit as st

from dashboard.domain import access
from dashboard.domain.access import Principal

from . import state
from .escape import md
from .state import t

ROLE_KEY = "_view_role"  # the demo "view as" widgets
UNIT_KEY = "_view_unit"


def provider() -> tuple[bool, list[str]]:
    """Whether Streamlit's secrets hold an [auth] section, and which settings it lacks."""
    try:
        if not st.secrets.load_if_toml_exists():
            return False, []
        section = st.secrets.get("auth")
    except Exception:  # an unreadable secrets file is no provider (and Streamlit logs why)
        return False, []
    if section is None:
        return False, []
    keys = set(section.keys()) if hasattr(section, "keys") else set()
    return True, [k for k in access.PROVIDER_KEYS if k not in keys]


def mode() -> access.Mode:
    from dashboard.settings import current as settings

    present, missing = provider()
    return access.decide_mode(settings().auth, present, missing, st.get_option("server.address"))


def resolve(store) -> Principal | None:
    """The principal of this run, or None after drawing the refusal, sign-in or who-am-I page."""
    st.session_state.pop(state.PRINCIPAL, None)
    m = mode()
    st.session_state[state.MODE] = m.kind
    if m.kind == "refused":
        _only_page(lambda: refused_page(m), t("auth_refused_title"))
        return None
    if m.kind == "demo":
        p = view_as(store)
    elif m.kind == "none":
        p = access.administrator(os_user())
        st.sidebar.caption(t("auth_none_as", login=md(p.login)))
    else:
        user = st.user
        if not user.get("is_logged_in"):
            _only_page(sign_in_page, t("auth_sign_in_title"))
            return None
        claim = "email" if user.get("email") else "sub"
        login = access.normal_login(str(user.get(claim) or ""))
        entry = store.user(login) if login else None
        if entry is None:
            _only_page(lambda: whoami_page(login, claim), t("auth_whoami_title"))
            return None
        p = entry.principal()
        signed_in_box(p)
    st.session_state[state.PRINCIPAL] = p
    return p


def os_user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no login name in some containers
        return "local"


def _only_page(render, title: str) -> None:
    """Run `render` as the app's one page: no navigation to anything else."""
    st.navigation([st.Page(render, title=title, url_path="welcome", default=True)], position="hidden").run()


# --- the pages shown instead of the app ---------------------------------------------------------------


def refused_page(m: access.Mode) -> None:
    st.title(t("auth_refused_title"))
    st.error(t(m.reason, **dict(m.fields)), icon=":material/block:")
    st.caption(t("auth_refused_hint"))


def sign_in_page() -> None:
    st.title(t("auth_sign_in_title"))
    st.write(t("auth_sign_in_text"))
    st.button(t("auth_sign_in_button"), key="sign_in", type="primary", icon=":material/login:", on_click=st.login)


def whoami_page(login: str, claim: str) -> None:
    st.title(t("auth_whoami_title"))
    st.markdown(t("auth_whoami_text", login=md(login)))
    st.text_input(t("auth_whoami_claim", claim=claim), value=login, disabled=True, key="whoami_login")
    st.info(t("auth_whoami_ask"), icon=":material/contact_support:")
    st.button(t("auth_sign_out"), key="sign_out", icon=":material/logout:", on_click=st.logout)


# --- the sidebar ------------------------------------------------------------------------------------


def role_name(role: str) -> str:
    return t(f"role_{role}")


def signed_in_box(p: Principal) -> None:
    tree = state.store().tree()
    unit = tree[p.top(tree)].name(state.lang())
    with st.sidebar:
        st.caption(t("auth_signed_in_as", name=md(p.name), login=md(p.login), role=role_name(p.role), unit=md(unit)))
        st.button(t("auth_sign_out"), key="sign_out", icon=":material/logout:", on_click=st.logout)


@functools.lru_cache(maxsize=4)  # per tree object: asked on every run, it walked all 20,000 units of a province
def demo_scopes(tree) -> tuple[str, ...]:
    """The units a demo visitor may take as a scope: the root, the party groups and every
    reporting unit (a few dozen in the demo bureau)."""
    reporting = {u.code for u in tree.reporting_units}
    return tuple(u.code for u in tree.units
                 if u.parent_code is None or u.level == "party_group" or u.code in reporting)


def view_as(store) -> Principal:
    """The demo mode's "view as": a role and a scope picked in the sidebar (administrator of
    the whole tree at first)."""
    tree = store.tree()
    scopes = demo_scopes(tree)
    if st.session_state.get(UNIT_KEY) not in scopes:
        st.session_state[UNIT_KEY] = tree.root.code
    if st.session_state.get(ROLE_KEY) not in access.ROLES:
        st.session_state[ROLE_KEY] = "admin"
    lg = state.lang()
    with st.sidebar.expander(t("auth_view_as"), expanded=True, icon=":material/badge:"):
        role = st.segmented_control(t("auth_view_role"), list(access.ROLES), required=True, key=ROLE_KEY,
                                    format_func=lambda r: t(f"role_{r}"))
        unit = st.selectbox(t("auth_view_unit"), scopes, key=UNIT_KEY, disabled=role == "admin",
                            format_func=lambda c: tree[c].name(lg))
    unit = tree.root.code if role == "admin" else unit
    name = t("auth_demo_name", role=role_name(role), unit=tree[unit].name(lg))
    return Principal(f"demo:{role}:{unit}", name, role, unit)
