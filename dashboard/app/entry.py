"""党建指标看板 — the app's script: navigation, the shared sidebar filters, the demo banner.

Run with `make run` (= `uv run python -m streamlit run dashboard/app/serve.py`: serve.py serves this
script and runs its default page once at start, so the first visitor finds it warm).  The database
is $DANGJIAN_DB or data/dangjian.duckdb; if it holds no returns yet, demo data is loaded and
the app says so.  Before any page, identity.resolve decides who is looking (sign-in, the demo
"view as", or a page saying why nothing is served); the navigation offers the pages that
person may open, and each page runs as them (domain/acting.py for the audit trail, and
state.principal() for every query).  The pages are registry.pages(); each reads the filters
from state.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
if str(ROOT) not in sys.path:  # `streamlit run dashboard/app/serve.py` puts dashboard/app/, not the repo, on the path
    sys.path.insert(0, str(ROOT))

import logging  # noqa: E402

import streamlit as st  # noqa: E402

from dashboard.app import escape, identity, look, registry, state, widgets  # noqa: E402
from dashboard.db import StoreUnavailable  # noqa: E402
from dashboard.domain import filters as flt  # noqa: E402
from dashboard.domain.access import AccessDenied  # noqa: E402
from dashboard.domain.acting import acting  # noqa: E402
from dashboard.i18n import DEFAULT_LANG, LANGS, t  # noqa: E402
from dashboard.settings import current as settings  # noqa: E402

LOG = logging.getLogger("dashboard.app")


def unavailable(exc: StoreUnavailable) -> None:
    """The database cannot be used (a folder, not a database, read-only, a full disk, held by
    another process): say so in words, never a traceback or the server's folders; the log keeps
    the full message."""
    LOG.error("%s", exc)
    lang = state.lang() if flt.KEY_LANG in st.session_state else st.query_params.get(flt.KEY_LANG)
    lang = lang if lang in LANGS else DEFAULT_LANG  # the filters are not read yet: the address may say
    st.error(f"**{t('store_unavailable_title', lang)}**\n\n{exc.text(lang, app=True)}", icon=":material/database:")
    st.caption(t("store_unavailable_hint", lang))


def first_start(can_load: bool) -> None:
    """A new, empty database: how to load the bureau's own organisation, or (in the open demo
    mode, where no sign-in guards it) the demo to try it."""
    st.title(state.t("first_title"))
    st.markdown(state.t("first_guide"))
    if can_load and st.button(state.t("first_load_demo"), key="first_load_demo", type="primary"):
        n = state.load_demo()
        st.session_state["_demo_loaded"] = n
        st.rerun()


def main() -> None:
    # An emoji icon is drawn by the browser; a :material/...: one is fetched from fonts.gstatic.com,
    # a call to the outside on every page view (the browser injection test catches it).
    st.set_page_config(page_title="党建指标看板", page_icon="🚩", layout="wide")
    try:
        store = state.store()
        state.begin_run()  # the data version, once per run: the caches key on it, the tree follows it
    except StoreUnavailable as exc:
        unavailable(exc)
        return
    widgets.sidebar_language()
    if not store.has_tree():  # a new database: only the guide (the demo button where anyone may try it)
        first_start(can_load=state.auth_mode() == "demo")
        return
    principal = identity.resolve(store)
    if principal is None:  # the sign-in, who-am-I or refusal page was drawn instead
        return
    cat = store.catalog
    nav: dict[str, list] = {}
    widgets.NAV_PAGES.clear()
    for spec in registry.pages(cat):
        if not spec.allowed(principal):
            continue
        title = cat.domain(spec.domain).name(state.lang()) if spec.domain else state.t(spec.title_key)
        page = st.Page(spec.render, url_path=spec.url_path, title=title, icon=f":material/{spec.icon}:",
                       default=(spec.url_path == registry.DEFAULT))
        widgets.NAV_PAGES[spec.url_path] = page
        nav.setdefault(state.t(spec.group), []).append(page)
    page = st.navigation(nav, position="sidebar", expanded=True)
    widgets.sidebar_filters()
    st.sidebar.caption(state.t("app_title") + " · " + state.t("db_caption", path=escape.md(Path(store.path).name)))
    st.html(look.page_css(state.t("upload_button"), state.t("upload_limits", mb=f"{settings().max_file_mb:g}")))
    if "_demo_loaded" in st.session_state:  # only in the session whose click loaded it
        st.toast(state.t("demo_loaded", n=st.session_state.pop("_demo_loaded")), icon=":material/info:")
    bare = page.url_path in registry.BARE  # a bare page (the projector) says it in its own way
    if state.auth_mode() == "demo" and not bare:
        st.warning(state.t("auth_demo_banner"), icon=":material/lock_open:")
    if store.has_demo() and not bare:
        st.warning(state.t("demo_banner"), icon=":material/science:")
    try:
        # whoever signed in, for the audit trail of any write (in the open demo mode: the name typed)
        login = (state.actor() or principal.login) if state.auth_mode() == "demo" else principal.login
        with acting(login, "app"):
            page.run()
    except AccessDenied as exc:  # asked for something outside the scope: said in words, nothing shown
        st.error(f"**{state.t('acc_refused_title')}**\n\n{exc.text(state.lang())}", icon=":material/block:")
    except StoreUnavailable as exc:  # a write found the disk full or read-only
        unavailable(exc)
    except Exception as exc:  # a friendly word, never a bare traceback; the log keeps the detail
        LOG.exception("page %s failed", page.url_path)
        st.error(state.t("page_failed"), icon=":material/error:")
        with st.expander(state.t("page_failed_details")):
            st.code(f"{type(exc).__name__}: {exc}")


main()
