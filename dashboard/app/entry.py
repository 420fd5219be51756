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

from dashboard.app import escape, identity, look, registry, state, viewport, widgets  # noqa: E402
from dashboard.app.views import sources  # noqa: E402
from dashboard.db import StoreUnavailable  # noqa: E402
from dashboard.domain import filters as flt  # noqa: E402
from dashboard.app.views import organisation  # noqa: E402
from dashboard.domain import access  # noqa: E402
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


def page_style() -> None:
    mb = f"{settings().max_file_mb:g}"
    st.html(look.page_css(state.t("upload_button"), state.t("upload_limits", mb=mb), state.t("org_file_limits", mb=mb)))


def first_start() -> None:
    """A new, empty database: the 组织架构 page's import to load the bureau's own organisation, for
    whoever administers here — anyone in the open demo mode (which also offers the demo to try),
    the person at the machine with DANGJIAN_AUTH=none.  With sign-in, nobody is known before the
    organisation and its users exist: the guide says how the server's operator begins."""
    st.title(state.t("first_title"))
    kind = identity.mode().kind
    if kind not in ("demo", "none"):
        st.markdown(state.t("first_guide"))
        return
    page_style()
    st.markdown(state.t("first_guide_page"))
    login = "demo" if kind == "demo" else identity.os_user()
    who = access.administrator(login, tree=None)
    organisation.downloads_section(None)
    with acting(login, "app"):
        organisation.import_section(who, None)
    if kind == "demo":
        st.divider()
        st.markdown(state.t("first_guide_demo"))
        if st.button(state.t("first_load_demo"), key="first_load_demo"):
            n = state.load_demo()
            st.session_state["_demo_loaded"] = n
            st.rerun()


def notices(*, open_demo: bool, demo_data: bool) -> None:
    """The open demo mode and the demo data, said on every page: two banners on a wide screen;
    on a phone one short line that opens to both (two banners filled a phone's first screen)."""
    said = [(key, icon) for key, icon, on in (("auth_demo_banner", ":material/lock_open:", open_demo),
                                              ("demo_banner", ":material/science:", demo_data)) if on]
    if not said:
        return
    if not viewport.phone():
        for key, icon in said:
            st.warning(state.t(key), icon=icon)
        return
    short = state.t("sep_list").join(state.t(f"{key}_short") for key, _ in said)
    with st.expander(short, icon=":material/info:"):
        for key, icon in said:
            st.warning(state.t(key), icon=icon)


def run() -> None:
    """One run of the page asked for; the run's database connection goes back when it ends, so
    a hundred leaders clicking share a bounded set (PostgreSQL)."""
    try:
        main()
    finally:
        for opened in state.opened_stores():
            opened.release()


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
    viewport.detect()
    widgets.sidebar_language()
    if not store.has_tree():  # a new database: the organisation's import (and the demo, where anyone may try it)
        first_start()
        return
    principal = identity.resolve(store)
    if principal is None:  # the sign-in, who-am-I or refusal page was drawn instead
        return
    cat = store.catalog
    nav: dict[str, list] = {}
    offered: dict[str, st.Page] = {}
    for spec in registry.pages(cat):
        if not spec.allowed(principal):
            continue
        title = cat.domain(spec.domain).name(state.lang()) if spec.domain else state.t(spec.title_key)
        page = st.Page(spec.render, url_path=spec.url_path, title=title, icon=f":material/{spec.icon}:",
                       default=(spec.url_path == registry.DEFAULT))
        offered[spec.url_path] = page
        nav.setdefault(state.t(spec.group), []).append(page)
    widgets.set_nav_pages(offered)
    page = st.navigation(nav, position="sidebar", expanded=True)
    widgets.sidebar_filters()
    st.sidebar.caption(state.t("app_title") + " · " + state.t("db_caption", path=escape.md(Path(store.path).name)))
    page_style()
    if "_demo_loaded" in st.session_state:  # only in the session whose click loaded it
        st.toast(state.t("demo_loaded", n=st.session_state.pop("_demo_loaded")), icon=":material/info:")
    bare = page.url_path in registry.BARE  # a bare page (the projector) says it in its own way
    if not bare:
        notices(open_demo=state.auth_mode() == "demo", demo_data=store.has_demo())
    try:
        # whoever signed in, for the audit trail of any write (in the open demo mode: the name typed)
        login = (state.actor() or principal.login) if state.auth_mode() == "demo" else principal.login
        with acting(login, "app"):
            page.run()
            if not bare:
                sources.from_address()
    except AccessDenied as exc:  # asked for something outside the scope: said in words, nothing shown
        st.error(f"**{state.t('acc_refused_title')}**\n\n{exc.text(state.lang())}", icon=":material/block:")
    except StoreUnavailable as exc:  # a write found the disk full or read-only
        unavailable(exc)
    except Exception as exc:  # a friendly word, never a bare traceback; the log keeps the detail
        LOG.exception("page %s failed", page.url_path)
        st.error(state.t("page_failed"), icon=":material/error:")
        with st.expander(state.t("page_failed_details")):
            st.code(f"{type(exc).__name__}: {exc}")


run()
