"""党建指标看板 — the Streamlit entry: navigation, the shared sidebar filters, the demo banner.

Run with `make run` (= `uv run python -m streamlit run dashboard/app.py`).  The database is
$DANGJIAN_DB or data/dangjian.duckdb; if it holds no returns yet, demo data is loaded and
the app says so.  Every page lives in dashboard/views/ and reads the filters from here.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # `streamlit run dashboard/app.py` puts dashboard/, not the repo, on the path
    sys.path.insert(0, str(ROOT))

import logging  # noqa: E402

import streamlit as st  # noqa: E402

from dashboard.views import common  # noqa: E402

LOG = logging.getLogger("dashboard.app")

# (section text key, [(file, url path, title text key or domain code, icon)])
PAGES = [
    ("nav_group_board", [
        ("views/overview.py", "overview", "page_overview", ":material/dashboard:"),
        ("views/study.py", "study", "study", ":material/menu_book:"),
        ("views/members.py", "members", "members", ":material/group_add:"),
        ("views/stars.py", "stars", "stars", ":material/star:"),
        ("views/discipline.py", "discipline", "discipline", ":material/gavel:"),
        ("views/flood.py", "flood", "flood", ":material/flood:"),
        ("views/compare.py", "compare", "page_compare", ":material/compare_arrows:"),
    ]),
    ("nav_group_data", [
        ("views/explorer.py", "explorer", "page_explorer", ":material/table_view:"),
        ("views/upload.py", "upload", "page_upload", ":material/upload_file:"),
    ]),
    ("nav_group_admin", [
        ("views/submissions.py", "submissions", "page_submissions", ":material/fact_check:"),
    ]),
]


def page_title(key: str) -> str:
    cat = common.store().catalog
    if key in {d.code for d in cat.domains}:
        return cat.domain(key).name(common.lang())
    return common.t(key)


def main() -> None:
    st.set_page_config(page_title="党建指标看板", page_icon=":material/flag:", layout="wide")
    store = common.store()
    common.sidebar_language()
    nav = {
        common.t(section): [
            st.Page(path, url_path=url, title=page_title(title), icon=icon, default=(url == "overview"))
            for path, url, title, icon in pages
        ]
        for section, pages in PAGES
    }
    page = st.navigation(nav, position="sidebar", expanded=True)
    common.sidebar_filters()
    st.sidebar.caption(common.t("app_title") + " · " + common.t("db_caption", path=Path(store.path).name))
    if common.demo_autoloaded() and not st.session_state.get("_demo_told"):
        st.session_state["_demo_told"] = True
        st.toast(common.t("demo_autoloaded"), icon=":material/info:")
    if store.has_demo():
        st.warning(common.t("demo_banner"), icon=":material/science:")
    try:
        page.run()
    except Exception as exc:  # a friendly word, never a bare traceback; the log keeps the detail
        LOG.exception("page %s failed", page.url_path)
        st.error(common.t("page_failed"), icon=":material/error:")
        with st.expander(common.t("page_failed_details")):
            st.code(f"{type(exc).__name__}: {exc}")


main()
