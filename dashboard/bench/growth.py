"""`python -m dashboard bench growth`: how the app grows with its data, on DuckDB and on PostgreSQL.

For each size (units x quarters, e.g. 20000x12) the provincial tree and its returns are drawn
once with numpy (dashboard/bench/province.py) and loaded, the same rows, into a DuckDB file and
into a database on a throwaway PostgreSQL server (dashboard/bench/pgserver.py; one server for
the run, each database dropped when measured).  For each backend and size:

- load: seconds to load the tree and bulk-load every return (one transaction, one roll-up
  rebuild; PostgreSQL also ANALYZEs) -- drawing the data is not counted;
- size: the database on disk (DuckDB: the file and its .wal; PostgreSQL: pg_database_size);
- chart queries: every chart query of the benchmark at province scope (cases.query_cases, the
  whole province selected), the median of `runs` runs each; the median over them and the
  slowest one;
- app memory: the app started on that database, each page opened once in Debian's Chromium,
  the server's VmHWM; the slowest first visit is kept too.  A page that does not finish within
  browser.TIMEOUT_MS is noted and the rest skipped.

The benchmark reports; it never fails on a time.  Results are written as they come (JSON under
the `growth` key), so a run cut short keeps what it measured.
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from dashboard.db import Store
from dashboard.settings import ROOT

from . import province
from .cases import query_cases
from .common import times_ms

DEFAULT_SIZES = "5000x12,20000x12,80000x12,20000x40"
BACKENDS = ("duckdb", "postgresql")
INTERACTIVE_QUERY_MS = 1000.0  # a chart query slower than this no longer feels interactive


def parse_sizes(text: str) -> list[tuple[int, int]]:
    """'5000x12,20000x40' -> [(5000, 12), (20000, 40)]: units x quarters."""
    out = []
    for part in text.split(","):
        units, _, quarters = part.strip().lower().partition("x")
        if not units.isdigit() or not quarters.isdigit() or int(units) < 20 or int(quarters) < 1:
            raise ValueError(f"not a size: {part!r} (units x quarters, e.g. 20000x12)")
        out.append((int(units), int(quarters)))
    return out


def commit() -> str:
    """The commit of the code measured (and whether the worktree had changes on top of it)."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                              timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                               capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return f"{head}{'+changes' if dirty else ''}" if head else "unknown"


def load(location: str, tree, submissions, facts) -> float:
    """Seconds to load the tree and bulk-load the returns into the (empty) database."""
    gc.collect()
    t = time.perf_counter()
    with Store(location) as store:
        store.load_tree(tree)
        store.bulk_load(submissions, facts, user=province.BENCH_USER, is_demo=True, file_name="基准测试 bench")
        store.checkpoint()
    return time.perf_counter() - t


def chart_queries(location: str, first: str, last: str, runs: int) -> dict:
    """Every chart query at province scope: each one's median ms; their median and the slowest."""
    with Store(location) as store:
        size = store.size_bytes()
        cases = [c for c in query_cases(store, first, last) if c.name.startswith("province")]
        each = {}
        for case in cases:
            each[case.name] = round(statistics.median(times_ms(lambda: store.query(case.query, **case.params), runs)), 1)
    slowest = max(each, key=each.get)
    return {"size_mb": round(size / 2**20, 1), "query_median_ms": round(statistics.median(each.values()), 1),
            "query_slowest": {"name": slowest, "ms": each[slowest]}, "queries": each}


def app_memory(location: str, workdir: Path, env: dict, say) -> dict:
    """Start the app on the database, open each page once in Chromium; its VmHWM and page times."""
    from . import browser

    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return {"note": "Playwright is not installed: app memory not measured"}
    if not Path(browser.CHROMIUM).exists():
        return {"note": f"{browser.CHROMIUM} is missing: app memory not measured"}
    pages = browser.app_pages()
    out: dict = {"pages_ms": {}}
    t = time.perf_counter()
    app = browser.Server(browser.APP, {"DANGJIAN_DB": location, **env}, workdir / "growth-app.log")
    out["start_s"] = round(time.perf_counter() - t, 1)
    try:
        with sync_playwright() as p:
            chromium = p.chromium.launch(executable_path=browser.CHROMIUM, args=browser.CHROMIUM_FLAGS,
                                         headless=True)
            try:
                t = time.perf_counter()
                ctx, page = browser._open(chromium, app.url)
                out["pages_ms"][pages[0]] = round((time.perf_counter() - t) * 1000)
                for path in pages[1:]:
                    ms, _ = browser.switch(page, app.url, path, pages[0])
                    out["pages_ms"][path] = round(ms)
                ctx.close()
            except Exception as e:  # a page too slow (TimeoutError) or gone: say so, keep the rest
                out["note"] = f"stopped after {len(out['pages_ms'])} of {len(pages)} pages: {type(e).__name__}: " \
                              f"{str(e)[:160]}"
            finally:
                chromium.close()
        out["peak_rss_mb"] = round(app.peak_rss_mb() or 0) or None
    finally:
        app.stop()
    if out["pages_ms"]:
        slowest = max(out["pages_ms"], key=out["pages_ms"].get)
        out["page_slowest"] = {"page": slowest, "ms": out["pages_ms"][slowest]}
    say(f"  app: VmHWM {out.get('peak_rss_mb')} MB, slowest first visit {out.get('page_slowest')}")
    return out


def run(sizes: list[tuple[int, int]], backends=BACKENDS, *, workdir: Path, runs: int = 5, pages: bool = True,
        pg=None, json_path: Path | None = None, say=print) -> dict:
    """Measure every size on every backend; `pg` a running pgserver.Server (else one is started
    when PostgreSQL is asked for).  Returns {"growth": {...}}, also written to `json_path` after
    each measurement."""
    from . import pgserver

    figures: dict = {"commit": commit(), "runs": runs, "sizes": [f"{n}x{q}" for n, q in sizes], "results": []}

    def save() -> None:
        if json_path:
            Path(json_path).write_text(json.dumps({"growth": figures}, ensure_ascii=False, indent=2),
                                       encoding="utf-8")

    with contextlib.ExitStack() as stack:
        if "postgresql" in backends and pg is None:
            pg = stack.enter_context(pgserver.server())
        for n, quarters in sizes:
            first, last = province.quarter_span(quarters)
            tree = province.province_tree(n)
            submissions, facts = province.province_returns(tree, first, last)
            shape = {"units_asked": n, "units": len(tree.units), "quarters": quarters, "first": first, "last": last,
                     "returns": len(submissions), "facts": len(facts)}
            say(f"{n}x{quarters}: {len(tree.units):,} units, {len(submissions):,} returns, {len(facts):,} facts "
                f"({first}..{last})")
            for backend in backends:
                row = {"backend": backend, **shape}
                figures["results"].append(row)
                name = f"growth_{n}x{quarters}"
                if backend == "duckdb":
                    location, env = str(workdir / f"{name}.duckdb"), {}
                else:
                    location = pg.create(name)
                    env = {"DANGJIAN_PG_FOLDER": str(workdir / "pg")}
                try:
                    with _knob("DANGJIAN_PG_FOLDER", env.get("DANGJIAN_PG_FOLDER")):
                        row["load_s"] = round(load(location, tree, submissions, facts), 1)
                        say(f"  {backend}: loaded in {row['load_s']} s")
                        save()
                        row.update(chart_queries(location, first, last, runs))
                        say(f"  {backend}: {row['size_mb']} MB, chart queries median {row['query_median_ms']} ms, "
                            f"slowest {row['query_slowest']['ms']} ms ({row['query_slowest']['name']})")
                        save()
                    if pages:
                        row.update(app_memory(location, workdir, env, say))
                        save()
                finally:
                    if backend == "duckdb":
                        for p in workdir.glob(f"{name}.duckdb*"):  # the file, its .wal and its .tmp spill folder
                            shutil.rmtree(p) if p.is_dir() else p.unlink()
                    else:
                        pg.drop(name)
            del submissions, facts
            gc.collect()
    save()
    return {"growth": figures}


@contextlib.contextmanager
def _knob(name: str, value: str | None):
    """A setting from the environment for the length of the block (settings are read on each
    call): the archive folder of a PostgreSQL database is the run's own, not the user's."""
    if value is None:
        yield
        return
    old = os.environ.get(name)
    os.environ[name] = value
    try:
        yield
    finally:
        if old is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = old


def format_table(figures: dict) -> str:
    g = figures["growth"]
    lines = [f"growth · code {g['commit']} · chart queries: province scope, median of {g['runs']} runs each",
             "",
             f"{'size':<10} {'backend':<11} {'facts':>11} {'load s':>8} {'size MB':>8} {'query med ms':>12} "
             f"{'slowest ms':>10} {'app MB':>7} {'page max ms':>11}  slowest query"]
    for r in g["results"]:
        def num(key, fmt):
            return format(r[key], fmt) if r.get(key) is not None else "-"
        slowest = r.get("query_slowest") or {}
        page = (r.get("page_slowest") or {}).get("ms")
        lines.append(f"{r['units_asked']}x{r['quarters']:<4} {r['backend']:<11} {r['facts']:>11,} "
                     f"{num('load_s', '.1f'):>8} {num('size_mb', '.0f'):>8} {num('query_median_ms', '.1f'):>12} "
                     f"{slowest.get('ms', '-'):>10} {num('peak_rss_mb', '.0f'):>7} {page if page else '-':>11}  "
                     f"{slowest.get('name', '')}")
        if r.get("note"):
            lines.append(f"{'':<22} note: {r['note']}")
    lines.append(f"interactive: a chart query under {INTERACTIVE_QUERY_MS:.0f} ms; app MB: the server's VmHWM after "
                 "opening each page once")
    return "\n".join(lines)


def main(args, say) -> int:
    from dashboard.settings import current

    sizes = parse_sizes(args.sizes or DEFAULT_SIZES)
    backends = tuple(b.strip() for b in (args.backends or ",".join(BACKENDS)).split(","))
    workdir = Path(tempfile.mkdtemp(prefix="dangjian-growth-"))
    try:
        figures = run(sizes, backends, workdir=workdir, runs=3 if args.quick else 5, pages=not args.no_pages,
                      json_path=args.json, say=say)
    finally:
        if not current().bench_keep:
            shutil.rmtree(workdir, ignore_errors=True)
    print(format_table(figures))
    return 0
