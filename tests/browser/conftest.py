"""Browser tests: the real app served on 127.0.0.1, driven by Playwright in Debian's Chromium.

The server runs on a private copy of the demo database and is stopped by its own PID.
Screenshots go to artifacts/screenshots/ (ignored by git) for a person to look at.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import ROOT

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]
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


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class AppServer:
    """`streamlit run dashboard/app.py` on a free loopback port, on its own database."""

    def __init__(self, db: Path, log: Path):
        self.db = db
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "DANGJIAN_DB": str(db), "PYTHONPATH": str(ROOT)}
        self.log = open(log, "w")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", str(ROOT / "dashboard" / "app.py"),
             "--server.port", str(self.port), "--server.address", "127.0.0.1", "--server.headless", "true",
             "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
            cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        self._wait_healthy()

    def _wait_healthy(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"streamlit exited early: {Path(self.log.name).read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as r:
                    if r.read().strip() == b"ok":
                        return
            except OSError:
                time.sleep(0.3)
        self.stop()
        raise RuntimeError("streamlit did not become healthy in time")

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.log.close()


@pytest.fixture(scope="session")
def app_server(demo_db_file, tmp_path_factory):
    db = tmp_path_factory.mktemp("browser") / "app.duckdb"
    shutil.copy(demo_db_file, db)
    server = AppServer(db, db.with_suffix(".log"))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def screenshot_dir() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


# Streamlit has finished a run: content drawn, no status widget or loading skeleton, and
# every plotly chart has drawn its SVG.  Checked in the page in one go, so an element that a
# rerun replaces cannot be waited on after it is gone.
APP_READY_JS = """() => {
  if (!document.querySelector("[data-testid='stMainBlockContainer'] h1")) return false;
  if (document.querySelector("[data-testid='stStatusWidget'], [data-testid='stSkeleton']")) return false;
  return [...document.querySelectorAll("[data-testid='stPlotlyChart']")].every(c => c.querySelector('.main-svg'));
}"""


def wait_for_app(page, timeout: float = 30_000) -> None:
    """Until the app is ready, and still ready a moment later (not between two reruns)."""
    page.wait_for_function(APP_READY_JS, timeout=timeout)
    page.wait_for_timeout(300)
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
