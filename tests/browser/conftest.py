"""Browser tests: the real app served on 127.0.0.1, driven by Playwright in Debian's Chromium.

The server (the benchmark's launcher, dashboard/bench/browser.py) runs on a private copy of
the demo database and is stopped by its own PID.
Screenshots go to artifacts/screenshots/ (ignored by git) for a person to look at.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from dashboard.bench.browser import CHROMIUM, CHROMIUM_FLAGS
from tests.support.servers import demo_app
from tests.conftest import ROOT

SCREENSHOTS = ROOT / "artifacts" / "screenshots"


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is missing: `make test` installs it (apt-get install chromium)")
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_FLAGS, "headless": True}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": {"width": 1440, "height": 1000}, "locale": "zh-CN",
            "accept_downloads": True}


@pytest.fixture(autouse=True)
def _patient_page(request):
    """Each wait on the page (an element, a text, a click target) is for a condition; its cap is
    wait_for_app's 120 s, not Playwright's 30 s, which a validation run on a loaded machine can
    outlast."""
    if "page" in request.fixturenames:
        request.getfixturevalue("page").set_default_timeout(120_000)


@pytest.fixture(scope="session")
def app_server(demo_db_file, tmp_path_factory):
    # the open demo mode (test_sign_in.py starts its own server with a provider)
    server = demo_app(demo_db_file, tmp_path_factory.mktemp("browser"))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def screenshot_dir() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


# Streamlit has finished a run: the app says its script is not running (the attribute
# Streamlit's own tests wait on), the connection is up, content is drawn with no stale element
# or loading skeleton, and every plotly chart has drawn its SVG.  Checked in the page in one
# go, so an element that a rerun replaces cannot be waited on after it is gone.
APP_READY_JS = """() => {
  const app = document.querySelector("[data-testid='stApp']");
  if (!app || app.getAttribute('data-test-script-state') !== 'notRunning') return false;
  if (app.getAttribute('data-test-connection-state') !== 'CONNECTED') return false;
  if (!document.querySelector("[data-testid='stMainBlockContainer'] h1")) return false;
  if (document.querySelector("[data-testid='stSkeleton'], [data-stale='true']")) return false;
  return [...document.querySelectorAll("[data-testid='stPlotlyChart']")].every(c => c.querySelector('.main-svg'));
}"""


def wait_for_app(page, timeout: float = 120_000) -> None:
    """Until Streamlit has finished the run the last action started and drawn everything."""
    page.wait_for_function(APP_READY_JS, timeout=timeout)


def snapshot_db(server, dst: Path) -> Path:
    """A copy of the app's database as it is now (its write-ahead log too), for reading figures."""
    shutil.copy(server.db, dst)
    wal = Path(str(server.db) + ".wal")
    if wal.exists():
        shutil.copy(wal, Path(str(dst) + ".wal"))
    return dst


def page_url(server, path: str, query: str = "") -> str:
    """The overview is the default page, which Streamlit serves at the root."""
    path = "" if path == "overview" else path
    return f"{server.url}/{path}" + (f"?{query}" if query else "")
