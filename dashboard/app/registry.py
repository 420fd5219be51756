"""The one list of the app's pages: navigation, the tests and the benchmark all read it.

Fixed pages (overview, compare, the projector's screen, explorer, upload, submissions, audit, users,
organisation)
are listed here; every domain of data/domains.csv gets a page of its own (domain_page.render),
placed after the overview in the catalog's order.  `allowed` says whose navigation offers a page
(the page and the functions under it refuse anyone else anyway).  `url_path` is the page's address (`/study`); the overview is the default
page, which Streamlit serves at `/`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from dashboard.domain.access import Principal
from dashboard.domain.catalog import Catalog

from . import domain_page
from .views import audit, compare, explorer, organisation, overview, screen, submissions, upload, users

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


def _domain_render(code: str) -> Callable[[], None]:
    def render() -> None:
        domain_page.render(code)
    render.__name__ = render.__qualname__ = f"domain_{code}"
    return render


def pages(catalog: Catalog) -> list[PageSpec]:
    """Every page, in navigation order."""
    return [
        PageSpec("overview", "nav_group_board", "dashboard", overview.render, "page_overview"),
        *(PageSpec(d.code, "nav_group_board", d.icon, _domain_render(d.code), domain=d.code) for d in catalog.domains),
        PageSpec("compare", "nav_group_board", "compare_arrows", compare.render, "page_compare"),
        PageSpec("screen", "nav_group_board", "slideshow", screen.render, "page_screen"),
        PageSpec("explorer", "nav_group_data", "table_view", explorer.render, "page_explorer"),
        PageSpec("upload", "nav_group_data", "upload_file", upload.render, "page_upload", allowed=_files_returns),
        PageSpec("submissions", "nav_group_admin", "fact_check", submissions.render, "page_submissions"),
        PageSpec("audit", "nav_group_admin", "history", audit.render, "page_audit", allowed=_administers),
        PageSpec("users", "nav_group_admin", "manage_accounts", users.render, "page_users", allowed=_administers),
        PageSpec("organisation", "nav_group_admin", "account_tree", organisation.render, "page_organisation",
                 allowed=_administers),
    ]
