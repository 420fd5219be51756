"""The one list of the app's pages: navigation, the tests and the benchmark all read it.

Fixed pages (overview, compare, the projector's screen, explorer, upload, submissions, audit, users,
organisation)
are listed here; every domain of data/domains.csv gets a page of its own (domain_page.render),
placed after the overview in the catalog's order.  `allowed` says whose navigation offers a page
(the page and the functions under it refuse anyone else anyway).  `url_path` is the page's address (`/study`); the overview is the default
page, which Streamlit serves at `/`.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass

from dashboard.domain.access import Principal
from dashboard.domain.catalog import Catalog

DEFAULT = "overview"
BARE = {"screen"}  # pages drawn with no sidebar, banner or widgets (the projector): no link leads on from them
GROUPS = ("nav_group_board", "nav_group_data", "nav_group_admin")  # text keys, in sidebar order


@dataclass(frozen=True)
class PageSpec:
    url_path: str
    group: str  # a text key of GROUPS
    icon: str  # a Material Symbols name
    render: Callable[[], None]
    title_key: str | None = None  # a text key; None for a domain page (its name is the catalog's)
    domain: str | None = None
    allowed: Callable[[Principal], bool] = lambda p: True  # whose navigation offers it


def _files_returns(p: Principal) -> bool:
    return p.may_upload_any


def _administers(p: Principal) -> bool:
    return p.may_administer


def _view(module: str) -> Callable[[], None]:
    """The render() of dashboard.app.views.<module>, imported when the page first runs: a fresh
    server's first page loads its own view, not every page's (nor openpyxl, python-docx and the
    ingest pipeline that some of them need)."""
    def render() -> None:
        importlib.import_module(f"dashboard.app.views.{module}").render()
    render.__name__ = render.__qualname__ = module
    return render


def _domain_render(code: str) -> Callable[[], None]:
    def render() -> None:
        importlib.import_module("dashboard.app.domain_page").render(code)
    render.__name__ = render.__qualname__ = f"domain_{code}"
    return render


def pages(catalog: Catalog) -> list[PageSpec]:
    """Every page, in navigation order."""
    return [
        PageSpec("overview", "nav_group_board", "dashboard", _view("overview"), "page_overview"),
        *(PageSpec(d.code, "nav_group_board", d.icon, _domain_render(d.code), domain=d.code) for d in catalog.domains),
        PageSpec("compare", "nav_group_board", "compare_arrows", _view("compare"), "page_compare"),
        PageSpec("screen", "nav_group_board", "slideshow", _view("screen"), "page_screen"),
        PageSpec("explorer", "nav_group_data", "table_view", _view("explorer"), "page_explorer"),
        PageSpec("upload", "nav_group_data", "upload_file", _view("upload"), "page_upload", allowed=_files_returns),
        PageSpec("submissions", "nav_group_admin", "fact_check", _view("submissions"), "page_submissions"),
        PageSpec("audit", "nav_group_admin", "history", _view("audit"), "page_audit", allowed=_administers),
        PageSpec("users", "nav_group_admin", "manage_accounts", _view("users"), "page_users", allowed=_administers),
        PageSpec("organisation", "nav_group_admin", "account_tree", _view("organisation"), "page_organisation",
                 allowed=_administers),
    ]
