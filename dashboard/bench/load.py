"""Load part of `python -m dashboard bench --db postgresql://… --load`: leaders switching pages
across two app instances on one PostgreSQL database, against one leader alone.

Two `streamlit run dashboard/app/entry.py` processes serve the benchmark's PostgreSQL database
on loopback ports (stopped by their PIDs).  Each simulated leader is a Playwright context in
Debian's Chromium (never a downloaded browser), on instance A or B in turn, clicking through the
domain pages in the sidebar; a switch is timed as the page benchmark times it (browser.DONE_JS:
from the click until Streamlit's run is over, the new title is up and every chart has drawn,
and it stays so for SETTLE_S).  First every page is visited once on each instance (the caches
are warm, as during a meeting), then one leader alone, then 20 and 50 leaders at once.

Bounded: a fixed number of switches per leader, loopback only.  The browsers run on the same
machine as the two servers and the database, so under load they compete for the same cores:
the times with many leaders are upper bounds of what the servers alone would give.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from pathlib import Path

from .browser import APP, CHROMIUM, CHROMIUM_FLAGS, DONE_JS, SETTLE_S, TIMEOUT_MS, Server

PAGES = ("overview", "study", "members", "stars", "discipline", "flood")
LEADERS = (20, 50)
QUICK_LEADERS = (2, 4)
TARGET_P95_RATIO = 2.0  # p95 with 20 leaders on two instances <= 2x one leader alone
POLL_S = 0.02


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(0.95 * len(ordered)) - 1))]


def _link(base: str, path: str) -> str:
    return f"a[href='{base}/'], a[href='{base}']" if path == PAGES[0] else f"a[href='{base}/{path}']"


async def _switch(page, base: str, path: str) -> float:
    """Click the sidebar link to `path`; ms until the page is done (and stays so for SETTLE_S)."""
    old = (await page.locator("[data-testid='stMain'] h1").first.inner_text(timeout=TIMEOUT_MS)).strip()
    t0 = time.perf_counter()
    await page.locator("[data-testid='stSidebarNav']").locator(_link(base, path)).first.click(timeout=TIMEOUT_MS)
    done_at, count = None, None
    while True:
        state = await page.evaluate(DONE_JS, old)
        now = time.perf_counter()
        if not state:
            done_at = None
        elif done_at is None or state["charts"] != count:
            done_at, count = now, state["charts"]
        if done_at is not None and now - done_at >= SETTLE_S:
            return (done_at - t0) * 1000
        if now - t0 > TIMEOUT_MS / 1000:
            raise TimeoutError(f"page {path} not done after {TIMEOUT_MS} ms")
        await asyncio.sleep(POLL_S)


async def _open(browser, base: str, start: str):
    ctx = await browser.new_context(viewport={"width": 1440, "height": 1000}, locale="zh-CN")
    page = await ctx.new_page()
    await page.goto(f"{base}/" + ("" if start == PAGES[0] else start), timeout=TIMEOUT_MS * 3)
    await page.wait_for_function(DONE_JS, arg="\u0000", polling=200, timeout=TIMEOUT_MS * 3)
    return ctx, page


async def _leaders(browser, bases: list[str], n: int, switches: int) -> list[float]:
    """n leaders, on the instances in turn, each starting on a page of its own: every one is
    opened first, then all switch `switches` times at once.  The switch times, in ms."""
    starts = [i % len(PAGES) for i in range(n)]
    opened = await asyncio.gather(*(_open(browser, bases[i % len(bases)], PAGES[starts[i]]) for i in range(n)))

    async def walk(i: int, page) -> list[float]:
        base = bases[i % len(bases)]
        times = []
        for k in range(switches):
            try:
                times.append(await _switch(page, base, PAGES[(starts[i] + k + 1) % len(PAGES)]))
            except TimeoutError:  # counted as a switch of TIMEOUT_MS: the run goes on and says how many
                times.append(float(TIMEOUT_MS))
                break
        return times

    try:
        walked = await asyncio.gather(*(walk(i, page) for i, (_, page) in enumerate(opened)))
    finally:
        for ctx, _ in opened:
            await ctx.close()
    return [ms for one in walked for ms in one]


def _figures(times: list[float], leaders: int) -> dict:
    return {"leaders": leaders, "switches": len(times), "p50_ms": round(statistics.median(times)),
            "p95_ms": round(_p95(times)), "max_ms": round(max(times))}


async def _run(bases: list[str], leaders: tuple[int, ...], switches: int, say) -> dict:
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS, headless=True)
        try:
            for base in bases:  # warm: every page once on each instance
                await _leaders(browser, [base], 1, len(PAGES))
            alone = _figures(await _leaders(browser, bases[:1], 1, max(switches, len(PAGES))), 1)
            say(f"load: one leader alone p50 {alone['p50_ms']} ms, p95 {alone['p95_ms']} ms")
            out = {"alone": alone, "runs": {}}
            for n in leaders:
                started = time.perf_counter()
                figures = _figures(await _leaders(browser, bases, n, switches), n)
                figures["wall_s"] = round(time.perf_counter() - started, 1)
                out["runs"][str(n)] = figures
                say(f"load: {n} leaders on {len(bases)} instances p50 {figures['p50_ms']} ms, "
                    f"p95 {figures['p95_ms']} ms")
        finally:
            await browser.close()
    return out


def run(url: str, workdir: Path, *, quick: bool, say, pg_folder: Path | None = None,
        leaders: tuple[int, ...] | None = None, switches: int | None = None) -> dict:
    """Two instances on the PostgreSQL database `url` (already loaded); the `load` figures."""
    if not Path(CHROMIUM).exists():
        return {"problem": f"{CHROMIUM} is missing (apt-get install chromium); load not measured"}
    try:
        import playwright  # noqa: F401
    except ImportError:
        return {"problem": "Playwright is not installed; load not measured"}
    leaders = leaders or (QUICK_LEADERS if quick else LEADERS)
    switches = switches or (2 if quick else 4)
    secrets = workdir / "load-secrets.toml"
    secrets.write_text("# no [auth]: the open demo mode, as a leader would see the pages\n", encoding="utf-8")
    env = {"DANGJIAN_DB": url, **({"DANGJIAN_PG_FOLDER": str(pg_folder)} if pg_folder else {})}
    servers: list[Server] = []
    try:
        for name in ("a", "b"):
            servers.append(Server(APP, env, workdir / f"load-{name}.log", args=("--secrets.files", str(secrets))))
        figures = asyncio.run(_run([s.url for s in servers], tuple(leaders), switches, say))
        figures["peak_rss_mb"] = [round(s.peak_rss_mb() or 0) for s in servers]
    finally:
        for server in servers:
            server.stop()
    alone = figures["alone"]["p95_ms"]
    first = figures["runs"].get(str(leaders[0]), {})
    figures.update({
        "instances": 2, "pages": list(PAGES), "switches_per_leader": switches,
        "target_leaders": leaders[0], "target_p95_ratio": TARGET_P95_RATIO,
        "p95_ratio": round(first["p95_ms"] / alone, 2) if first and alone else None,
        "note": "browsers, both app servers and PostgreSQL share one machine: times under load are upper bounds",
    })
    return figures


def format_lines(load: dict, width: int) -> list[str]:
    """The load run's rows of the benchmark's table."""
    if "problem" in load:
        return [f"load: {load['problem']}"]
    lines = [f"{'load: leaders switching pages, 2 instances':<{width}} {'leaders':>7} {'p50 ms':>10} "
             f"{'p95 ms':>8} {'switches':>9} {'p95 x':>7}  target"]
    alone = load["alone"]
    lines.append(f"{'(reference) one leader alone':<{width}} {1:>7} {alone['p50_ms']:>10} {alone['p95_ms']:>8} "
                 f"{alone['switches']:>9} {1.0:>6.2f}x  reference")
    for n, f in load["runs"].items():
        ratio = f["p95_ms"] / alone["p95_ms"] if alone["p95_ms"] else float("nan")
        target = ""
        if int(n) == load["target_leaders"]:
            target = "ok" if ratio <= load["target_p95_ratio"] else "MISSED"
        lines.append(f"{f'{n} leaders at once':<{width}} {int(n):>7} {f['p50_ms']:>10} {f['p95_ms']:>8} "
                     f"{f['switches']:>9} {ratio:>6.2f}x  {target}")
    lines.append(f"target: p95 with {load['target_leaders']} leaders <= {load['target_p95_ratio']:g}x one leader "
                 f"alone; {load['note']}")
    return lines
