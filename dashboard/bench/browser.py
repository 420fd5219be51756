"""Page part of `python -m dashboard bench`: the app in Debian's Chromium, against a trivial page.

Two Streamlit servers run side by side on free loopback ports: the app on the provincial
database, and dashboard/bench/reference_app.py (a trivial one-chart page and a
four-charts-plus-table page with no data work).  Playwright drives /usr/bin/chromium (never
a downloaded browser) and times each page switch: from the click on the page's link in
the sidebar to the moment Streamlit has finished the run (no status widget, no skeleton,
no stale element), the new page's title is up and every plotly chart has drawn its SVG.

The first visit of a page runs its queries (cold); later visits are served by the app's
query cache (warm): both are reported, the warm median is the page's figure.  The server's
CPU time (user + system, from /proc, the process and its children) across the warm switches,
divided by their number, is what one page switch costs the server: how many switches a second
one instance can serve (`server_cpu_ms_per_switch`).  The app's peak memory is the server
process's VmHWM from /proc at the end.  Servers are stopped by their own PIDs.

"Done" is Streamlit's own word, not its status widget (which `toolbarMode = "minimal"` never
shows): `stApp[data-test-script-state]` is `notRunning`, and every chart on the page has drawn.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from dashboard.settings import ROOT

from .common import say

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]
REFERENCE_APP = ROOT / "dashboard" / "bench" / "reference_app.py"
APP = ROOT / "dashboard" / "app" / "serve.py"  # what `streamlit run` starts: entry.py, warmed at start
TIMEOUT_MS = 120_000
SETTLE_S = 0.5  # a page counts as done when it has looked done (same charts) this long

# Done: the run is over, the new title is up, every plotly chart has drawn.  Returns
# {charts: n} when done (truthy, as wait_for_function needs), else false.
DONE_JS = """(oldTitle) => {
  const app = document.querySelector('[data-testid="stApp"]');
  if (!app || app.getAttribute('data-test-script-state') !== 'notRunning') return false;
  if (document.querySelector('[data-testid="stStatusWidget"]')) return false;
  if (document.querySelector('[data-testid="stSkeleton"]')) return false;
  const main = document.querySelector('[data-testid="stMain"]') || document.body;
  if (main.querySelector('[data-stale="true"]')) return false;
  const h1 = main.querySelector('h1');
  if (!h1 || h1.innerText.trim() === oldTitle) return false;
  const charts = main.querySelectorAll('[data-testid="stPlotlyChart"]');
  for (const c of charts) { if (!c.querySelector('.js-plotly-plot .main-svg')) return false; }
  return {charts: charts.length};
}"""


def app_pages() -> list[str]:
    """The url paths of the app's pages, in navigation order (the app's own registry); not the bare
    ones (the projector), which have no sidebar to click on to the next page."""
    from dashboard.app.registry import BARE, pages
    from dashboard.domain.catalog import catalog

    return [p.url_path for p in pages(catalog()) if p.url_path not in BARE]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`python -m streamlit run <script>` on a free loopback port; stopped by its own PID."""

    def __init__(self, script: Path, env: dict, log: Path, *, port: int | None = None, args: tuple = ()):
        """`port`: a port chosen beforehand (free_port), e.g. one a sign-in redirect names; `args`:
        more options for `streamlit run`, e.g. ("--secrets.files", path) for a secrets file of
        the caller's own instead of .streamlit/secrets.toml."""
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = open(log, "w")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", str(script), "--server.port", str(self.port),
             "--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false",
             "--server.fileWatcherType", "none", *args],
            cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT), **env}, stdout=self.log, stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"streamlit exited: {Path(log).read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as r:
                    if r.read().strip() == b"ok":
                        return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError("streamlit did not start in time")

    def wait_warm(self, timeout_s: float = 600) -> dict:
        """Wait until the app's start-up warm-up (dashboard/app/serve.py, GET /warmup) is over; its
        state and seconds.  A server with no such route (the reference app: Streamlit answers its own
        page) has nothing to warm: {"state": "none"}."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("streamlit exited while warming up")
            try:
                with urllib.request.urlopen(f"{self.url}/warmup", timeout=5) as r:
                    state = json.loads(r.read())
            except (urllib.error.HTTPError, ValueError):  # no such route: Streamlit's page (HTML) or 404
                return {"state": "none", "seconds": None}
            except OSError:
                state = {"state": "warming"}
            if state.get("state") != "warming":
                return state
            time.sleep(0.1)
        raise TimeoutError(f"the app still warming up after {timeout_s:.0f} s")

    def peak_rss_mb(self) -> float | None:
        """VmHWM: the most resident memory the server process has had."""
        try:
            status = Path(f"/proc/{self.proc.pid}/status").read_text()
        except OSError:
            return None
        m = re.search(r"^VmHWM:\s+(\d+) kB", status, re.M)
        return int(m.group(1)) / 1024 if m else None

    def cpu_seconds(self) -> float:
        """User + system CPU time the server process and its children (live, and those waited
        for) have used so far, from /proc/<pid>/stat."""
        return sum(_cpu_of(pid) for pid in _family(self.proc.pid))

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _cpu_of(pid: int) -> float:
    """utime + stime + cutime + cstime of `pid` in seconds (0 once it is gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = stat[stat.rindex(")") + 2:].split()  # after "pid (comm) ": state is fields[0]
    return sum(int(v) for v in fields[11:15]) / _TICK  # stat fields 14-17


def _family(pid: int) -> list[int]:
    """`pid` and its live descendants, from /proc/<pid>/task/*/children."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        for task in Path(f"/proc/{p}/task").glob("*/children"):
            try:
                todo += [int(c) for c in task.read_text().split()]
            except OSError:
                pass
    return out


def _title(page) -> str:
    h1 = page.locator("[data-testid='stMain'] h1")
    return h1.first.inner_text().strip() if h1.count() else ""


def switch(page, base: str, path: str, default: str) -> tuple[float, int]:
    """Click the sidebar link to `path`; ms until the page is done, and its number of charts.
    (The default page's link is the bare server address.)"""
    old = _title(page)
    href = f"a[href='{base}/'], a[href='{base}']" if path == default else f"a[href='{base}/{path}']"
    link = page.locator("[data-testid='stSidebarNav']").locator(href).first
    t0 = time.perf_counter()
    link.click()
    done_at, count = None, None
    while True:
        state = page.evaluate(DONE_JS, old)
        now = time.perf_counter()
        if not state:
            done_at = None
        elif done_at is None or state["charts"] != count:  # done, or more charts came and are drawn
            done_at, count = now, state["charts"]
        if done_at is not None and now - done_at >= SETTLE_S:
            return (done_at - t0) * 1000, count
        if now - t0 > TIMEOUT_MS / 1000:
            raise TimeoutError(f"page {path} not done after {TIMEOUT_MS} ms")
        time.sleep(0.005)


def _open(browser, url: str):
    """A new session on the app's default page."""
    context = browser.new_context(viewport={"width": 1440, "height": 1000}, locale="zh-CN")
    page = context.new_page()
    page.goto(url, timeout=TIMEOUT_MS)
    page.wait_for_function(DONE_JS, arg="\u0000", polling="raf", timeout=TIMEOUT_MS)
    return context, page


def run(db: Path, workdir: Path, settings, report) -> None:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        report.problems.append("PAGES: Playwright is not installed; pages not measured. Install the development "
                               "dependencies (`uv sync`, or `pip install playwright`), never a browser download: "
                               "the benchmark drives Debian's /usr/bin/chromium.")
        return
    pages = app_pages()
    if not Path(CHROMIUM).exists():
        report.problems.append(f"PAGES: {CHROMIUM} is missing (apt-get install chromium); pages not measured")
        return
    runs = max(2, settings.page_runs)
    ref = Server(REFERENCE_APP, {}, workdir / "reference.log")
    app = Server(APP, {"DANGJIAN_DB": str(db)}, workdir / "app.log")
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS, headless=True)
            try:
                # the reference pages: start -> trivial -> start -> four -> start ...; not while the
                # app warms up beside them (serve.py), which would slow them down
                app.wait_warm()
                t0 = time.perf_counter()
                ctx, page = _open(browser, ref.url)  # a fresh tab on a trivial app: the browser's own first open
                ref_open_ms = (time.perf_counter() - t0) * 1000
                trivial, four = [], []
                for _ in range(runs + 1):
                    trivial.append(switch(page, ref.url, "trivial", "start")[0])
                    switch(page, ref.url, "start", "start")
                    four.append(switch(page, ref.url, "four", "start")[0])
                    switch(page, ref.url, "start", "start")
                ctx.close()
                trivial_ms = statistics.median(trivial[1:])
                four_ms = statistics.median(four[1:])
                say(f"pages: trivial {trivial_ms:.0f} ms, four charts + table {four_ms:.0f} ms")

                # the app: its first visitor on a fresh server once its start-up warm-up is over
                # (waited for above; a readiness probe waits for the same), then every page in turn
                t0 = time.perf_counter()
                ctx, page = _open(browser, app.url)
                first_open_ms = (time.perf_counter() - t0) * 1000
                times: dict[str, list[float]] = {p_: [] for p_ in pages}
                charts: dict[str, int] = {}
                order = pages[1:] + pages[:1]  # the first page is the default, where the session starts
                for i in range(runs):
                    if i == 1:  # the first round visited every page cold; the rest are warm
                        cpu0 = app.cpu_seconds()
                    for path in order:
                        ms, n = switch(page, app.url, path, pages[0])
                        times[path].append(ms)
                        charts[path] = n
                warm_switches = (runs - 1) * len(order)
                cpu_ms = (app.cpu_seconds() - cpu0) * 1000 / warm_switches
                ctx.close()
            finally:
                browser.close()
        report.pages["(reference) trivial: 1 chart"] = {"ms": round(trivial_ms), "trivial_ms": round(trivial_ms),
                                                        "ratio": 1.0, "charts": 1}
        report.pages["(reference) 4 charts + 100-row table"] = {
            "ms": round(four_ms), "trivial_ms": round(trivial_ms), "ratio": round(four_ms / trivial_ms, 2),
            "charts": 4}
        report.first_open_ms = round(first_open_ms)
        report.pages["(reference) first open of the trivial app"] = {
            "ms": round(ref_open_ms), "trivial_ms": round(trivial_ms), "ratio": round(ref_open_ms / trivial_ms, 2),
            "charts": 0}
        report.pages["(first open) the default page, on a fresh server"] = {
            "ms": round(first_open_ms), "trivial_ms": round(trivial_ms), "ratio": round(first_open_ms / trivial_ms, 2),
            "charts": 0}
        for path in pages:
            cold, warm = times[path][0], statistics.median(times[path][1:])
            report.pages[path] = {"ms": round(warm), "trivial_ms": round(trivial_ms),
                                  "ratio": round(warm / trivial_ms, 2), "cold_ms": round(cold),
                                  "cold_ratio": round(cold / trivial_ms, 2), "charts": charts[path]}
            say(f"pages: {path}: {warm:.0f} ms warm, {cold:.0f} ms cold, {charts[path]} charts")
        report.server_cpu_ms_per_switch = round(cpu_ms, 1)
        say(f"pages: server CPU {cpu_ms:.0f} ms per warm switch ({warm_switches} switches)")
        report.peak_rss_mb = app.peak_rss_mb()
    finally:
        app.stop()
        ref.stop()
