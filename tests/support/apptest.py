"""Driving the app under Streamlit's AppTest: open it on a page, read its charts' figures."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
from streamlit.testing.v1 import AppTest
from streamlit.util import calc_hash

from dashboard.app import registry, state
from dashboard.domain.catalog import catalog
from dashboard.settings import ROOT

APP = ROOT / "dashboard" / "app" / "entry.py"
TIMEOUT = 60
PAGES = [p.url_path for p in registry.pages(catalog())]
DOMAINS = [p.url_path for p in registry.pages(catalog()) if p.domain]
# The pages that show the sidebar's units (the scope caption under the title); the audit log
# lists the whole trail, whatever units are chosen, and says no scope.
UNSCOPED = ["audit"]
SCOPED = [p for p in PAGES if p not in UNSCOPED]


def goto(at: AppTest, url_path: str) -> AppTest:
    """Switch to a page by its address, as a click in the sidebar does.

    The one shim over AppTest's private state, known to work with Streamlit 1.67.0: the pages are
    functions (registry.py), which AppTest.switch_page (files only) cannot name; Streamlit
    identifies a page by the hash of its url_path, which is what a click sends, and AppTest keeps
    it in `_page_hash`.  tests/test_app.py's every-page test checks each page it reaches by its
    title, so a Streamlit that changes this fails there, not silently."""
    at._page_hash = calc_hash(url_path)
    return at


def open_app(page: str | None = None, **query) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    for k, v in query.items():
        at.query_params[k] = v
    at.run()
    if page and page != registry.DEFAULT:
        goto(at, page).run()
    return at


def app_store(path: Path | str):
    """The store the app itself holds (the same cached object, opened on $DANGJIAN_DB), to run the
    named queries on."""
    store = state.store()
    assert store.url == str(path), "the app opens $DANGJIAN_DB"
    return store


def forget() -> None:
    state.forget_stores()


def assert_clean(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def figures(at: AppTest) -> dict[str, dict]:
    """Every plotly chart on the page by its key, as the figure JSON the browser gets."""
    return {el.proto.id.rsplit("-", 1)[-1]: json.loads(el.proto.spec) for el in at.get("plotly_chart")}


def run_meta(store, fig: dict) -> pd.DataFrame:
    """The named query a figure says its numbers come from, rerun with its parameters (and, for a
    figure with the selected unit's own row, the same query of that unit's own figures, named
    「…（本级）」 as the page names it)."""
    meta = fig["layout"]["meta"]
    found = store.query(meta["query"], **meta["params"])
    own = meta.get("own")
    if own:
        from dashboard import i18n

        mine = store.query(meta["query"], **{**meta["params"], "units": [own], "scope": "own"})
        mine = mine.assign(unit_name_zh=[i18n.t("own_row", "zh", name=n) for n in mine["unit_name_zh"]],
                           unit_name_en=[i18n.t("own_row", "en", name=n) for n in mine["unit_name_en"]])
        found = pd.concat([mine, found], ignore_index=True)
    return found
