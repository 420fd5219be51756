"""`python -m dashboard bench --concurrency`: many returns at once, at a deadline, while the app runs.

The app (`streamlit run dashboard/app/serve.py`) serves a copy of the demo database on loopback.
1. 20 command-line imports are started at the same moment (`python -m dashboard import`, one
   return each); they run through the app's store (service.py).
2. 20 reporters upload one return each through the app's upload page, in 20 Chromium browser
   contexts, pressing 上传并校验 together.
For each: every return accepted, none duplicated (one active submission per unit and quarter,
one submission per file), the wall time of the whole burst and the p95 of one return's time.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from dashboard.db import Store
from dashboard.demo import load_demo
from dashboard.ingest import build_template
from dashboard.settings import ROOT

from dashboard import aio
from .browser import APP, CHROMIUM, CHROMIUM_FLAGS, Server

BURST = 20


def _pairs(store, quarters: list[str], n: int) -> list[tuple[str, str]]:
    units = [u.code for u in store.tree().reporting_units]
    return [(u, q) for q in quarters for u in units][:n]


def _returns(store, folder: Path, pairs) -> list[Path]:
    """Filled returns for the pairs (every input cell typed, values that pass the rules)."""
    from openpyxl import load_workbook

    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for unit, quarter in pairs:
        path = folder / f"{unit}_{quarter}.xlsx"
        path.write_bytes(build_template(store, unit, quarter))
        wb = load_workbook(path)
        for ws in wb.worksheets:
            codes = [c.value for c in ws[2]]
            for row in ws.iter_rows(min_row=3):
                for cell, code in zip(row, codes):
                    if cell.protection.locked is False:
                        cell.value = 0 if code == "converted_full" else 3
        wb.save(path)
        paths.append(path)
    return paths


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(0.95 * len(ordered)) - 1))]


def _cli_burst(db: Path, files: list[Path]) -> dict:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    started = time.perf_counter()
    procs = [(subprocess.Popen([sys.executable, "-m", "dashboard", "import", "--db", str(db), "--user", f"cli-{f.stem}",
                                str(f)], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True), time.perf_counter()) for f in files]
    times, codes, through = [], [], 0
    for proc, t0 in procs:
        out, err = proc.communicate(timeout=900)
        times.append(time.perf_counter() - t0)
        codes.append(proc.returncode)
        through += "经由应用执行" in err
    return {"returns": len(files), "accepted": codes.count(0), "through_app": through,
            "wall_s": round(time.perf_counter() - started, 1), "p95_s": round(_p95(times), 1),
            "median_s": round(statistics.median(times), 1)}


async def _browser_burst(url: str, files: list[Path]) -> dict:
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS, headless=True)
        ready = """() => { const a = document.querySelector("[data-testid='stApp']");
          return a && a.getAttribute('data-test-script-state') === 'notRunning' && !!document.querySelector('h1'); }"""

        async def prepare(f: Path):
            ctx = await browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
            ctx.set_default_timeout(600_000)  # twenty sessions at once on a small machine: be patient
            page = await ctx.new_page()
            await page.goto(f"{url}/upload", timeout=300_000)
            await page.wait_for_function(ready, timeout=300_000)
            await page.locator(".st-key-upload_user input").fill(f"web-{f.stem}")
            await page.locator(".st-key-upload_user input").press("Enter")
            await page.locator(".st-key-upload_files input[type=file]").set_input_files(str(f))
            await page.locator(".st-key-upload_files").get_by_text(f.name).wait_for(timeout=300_000)
            await page.locator(".st-key-upload_submit button:not([disabled])").wait_for(timeout=300_000)
            return ctx, page

        prepared = await asyncio.gather(*(prepare(f) for f in files))

        async def press(page):
            t0 = time.perf_counter()
            await page.locator(".st-key-upload_submit button").click()
            await page.locator("[data-testid='stMain']").get_by_text("③ 校验结果").wait_for(timeout=900_000)
            await page.wait_for_function(ready, timeout=900_000)
            text = await page.locator("[data-testid='stMain']").inner_text()
            return time.perf_counter() - t0, "已导入" in text

        started = time.perf_counter()  # the deadline: everyone presses at once
        outcomes = await asyncio.gather(*(press(page) for _, page in prepared))
        wall = time.perf_counter() - started
        for ctx, _ in prepared:
            await ctx.close()
        await browser.close()
    times = [t for t, _ in outcomes]
    return {"returns": len(files), "accepted": sum(ok for _, ok in outcomes), "wall_s": round(wall, 1),
            "p95_s": round(_p95(times), 1), "median_s": round(statistics.median(times), 1)}


def _duplicates(db_copy: Path, users: str) -> dict:
    with Store(db_copy) as store:
        subs = store.table("submissions")
    mine = subs[subs["submitted_by"].str.startswith(users)]
    active = mine[mine["status"] == "active"]
    return {"submissions": len(mine), "active": len(active),
            "duplicated": int(active.duplicated(["unit_code", "quarter"]).sum() + mine["file_name"].duplicated().sum())}


def run(workdir: Path, say) -> dict:
    db = workdir / "concurrency.duckdb"
    with Store(db) as store:
        load_demo(store)
        cli_files = _returns(store, workdir / "cli", _pairs(store, ["2025Q1", "2025Q2"], BURST))
        web_files = _returns(store, workdir / "web", _pairs(store, ["2025Q3", "2025Q4"], BURST))
    app = Server(APP, {"DANGJIAN_DB": str(db)}, workdir / "app.log")
    try:
        say("concurrency: the app is up; opening a page so it holds the database")
        aio.run(_browser_open(app.url))
        say(f"concurrency: {BURST} command-line imports at once ...")
        cli = _cli_burst(db, cli_files)
        say(f"concurrency: {cli}")
        say(f"concurrency: {BURST} uploads through the app in {BURST} browser contexts at once ...")
        web = aio.run(_browser_burst(app.url, web_files))
        say(f"concurrency: {web}")
        rss = app.peak_rss_mb()
    finally:
        app.stop()
    snapshot = workdir / "after.duckdb"
    shutil.copy(db, snapshot)
    wal = Path(str(db) + ".wal")
    if wal.exists():
        shutil.copy(wal, Path(str(snapshot) + ".wal"))
    cli.update(_duplicates(snapshot, "cli-"))
    web.update(_duplicates(snapshot, "web-"))
    return {"cli_imports": cli, "browser_uploads": web, "app_peak_rss_mb": rss}


async def _browser_open(url: str) -> None:
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS, headless=True)
        page = await browser.new_page()
        await page.goto(url, timeout=300_000)
        await page.wait_for_function("""() => { const a = document.querySelector("[data-testid='stApp']");
            return a && a.getAttribute('data-test-script-state') === 'notRunning' && !!document.querySelector('h1'); }""",
                                     timeout=300_000)
        await browser.close()


def format_table(figures: dict) -> str:
    lines = ["", f"{'burst (at one moment)':<44}{'returns':>8}{'accepted':>9}{'dup':>5}{'wall s':>8}{'p95 s':>7}"
             f"{'median s':>9}"]
    for label, key in ((f"{BURST} CLI imports while the app serves", "cli_imports"),
                       (f"{BURST} uploads through the app (browsers)", "browser_uploads")):
        f = figures[key]
        lines.append(f"{label:<44}{f['returns']:>8}{f['accepted']:>9}{f['duplicated']:>5}{f['wall_s']:>8}"
                     f"{f['p95_s']:>7}{f['median_s']:>9}")
    return "\n".join(lines)
