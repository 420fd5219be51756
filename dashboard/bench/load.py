"""Load part of `python -m dashboard bench --load`: leaders switching pages, measured on the servers.

Each simulated leader is a protocol client (protocol.py: Streamlit's own websocket and protobufs,
no browser), so N leaders cost the machine the servers' work and little else; the Chromium tabs an
earlier version drove measured the machine (20 tabs on two cores), not the servers.

Backends and instances: one instance on the DuckDB file, and, given a PostgreSQL database,
1, 2 and 4 instances on it (`streamlit run dashboard/app/serve.py` on loopback ports, stopped by
their PIDs; DuckDB admits one process, so one instance there).  First every page is visited once
on each instance (the caches are warm, as during a meeting); then for each number of instances and
of leaders: every leader opens a session (leader i on instance i mod k, on a page of its own),
and all switch `switches` times at once to the next page of PAGES.  A switch is timed from the
rerun request to the server's script_finished; the servers' CPU (user + system, /proc, the
instances and their children) over the switches, divided by their number, is what a switch
costs the servers; the client's own CPU is reported beside it to show it stays small.

Bounded: a fixed number of switches per leader, loopback only, a switch given up after
SWITCH_TIMEOUT_S (counted as failed, the leader stops).  The servers and PostgreSQL share the
machine with the client and whatever else runs there: say how loaded it was.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import time
from pathlib import Path

from .. import aio
from .browser import APP, Server
from .protocol import Run, Session

PAGES = ("", "study", "members", "stars", "discipline", "flood")  # "": the default page (the overview, at /)
LEADERS = (1, 20, 50, 100)
QUICK_LEADERS = (1, 2)
PG_INSTANCES = (1, 2, 4)
QUICK_PG_INSTANCES = (1, 2)
TARGET_LEADERS, TARGET_INSTANCES = 20, 2
TARGET_P95_RATIO = 2.0  # p95 with 20 leaders on two instances <= 2x one leader alone (on one instance)
SWITCH_TIMEOUT_S = 300


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(0.95 * len(ordered)) - 1))]


def _name(page: str) -> str:
    return page or "overview"


async def _leaders(bases: list[str], n: int, switches: int) -> tuple[list[Run], list[str], float, float]:
    """n leaders on the instances in turn: all open first, then all switch at once.  The runs, the
    failures, and the process CPU of this client and the wall time over the switches."""
    opened = await asyncio.gather(*(Session.open(bases[i % len(bases)], PAGES[i % len(PAGES)],
                                                 timeout_s=SWITCH_TIMEOUT_S) for i in range(n)),
                                  return_exceptions=True)
    failures = [f"open: {type(o).__name__}: {o}" for o in opened if isinstance(o, BaseException)]
    sessions = [(i, o[0]) for i, o in enumerate(opened) if not isinstance(o, BaseException)]

    async def walk(i: int, session: Session) -> list[Run]:
        runs = []
        for k in range(switches):
            page = PAGES[(i + k + 1) % len(PAGES)]
            try:
                run = await session.switch(page, timeout_s=SWITCH_TIMEOUT_S)
            except Exception as exc:  # noqa: BLE001 - a failed switch is counted, the leader stops
                failures.append(f"leader {i} → {_name(page)}: {type(exc).__name__}: {exc}")
                break
            if not run.ok:
                failures.append(f"leader {i} → {_name(page)}: {run.status}, {run.elements} elements, "
                                f"{run.exceptions[:1]}")
            runs.append(run)
        return runs

    cpu0, t0 = time.process_time(), time.perf_counter()
    try:
        walked = await asyncio.gather(*(walk(i, s) for i, s in sessions))
    finally:
        client_cpu, wall = time.process_time() - cpu0, time.perf_counter() - t0
        await asyncio.gather(*(s.close() for _, s in sessions), return_exceptions=True)
    return [r for runs in walked for r in runs], failures, client_cpu, wall


def measure(servers: list[Server], leaders: int, switches: int) -> dict:
    """One row: `leaders` at once on `servers`, each switching `switches` times."""
    cpu0 = sum(s.cpu_seconds() for s in servers)
    runs, failures, client_cpu, wall = aio.run(_leaders([s.url for s in servers], leaders, switches))
    server_cpu = sum(s.cpu_seconds() for s in servers) - cpu0
    times = [r.ms for r in runs]
    row = {"instances": len(servers), "leaders": leaders, "switches": len(runs),
           "failed": leaders * switches - sum(r.ok for r in runs), "wall_s": round(wall, 1),
           "server_cpu_ms_per_switch": round(server_cpu * 1000 / len(runs), 1) if runs else None,
           "client_cpu_ms_per_switch": round(client_cpu * 1000 / len(runs), 1) if runs else None,
           "elements_min": min((r.elements for r in runs), default=0),
           "charts": sum(r.charts for r in runs)}
    if times:
        row.update(p50_ms=round(statistics.median(times)), p95_ms=round(_p95(times)), max_ms=round(max(times)))
    if failures:
        row["failures"] = failures[:5]
    return row


def _secrets(workdir: Path) -> Path:
    secrets = workdir / "load-secrets.toml"
    secrets.write_text("# no [auth]: the open demo mode, as a leader would see the pages\n", encoding="utf-8")
    return secrets


def _start(location: str, n: int, workdir: Path, env: dict, tag: str) -> list[Server]:
    secrets = _secrets(workdir)
    servers: list[Server] = []
    try:
        for i in range(n):
            servers.append(Server(APP, {"DANGJIAN_DB": location, **env}, workdir / f"load-{tag}-{i}.log",
                                  args=("--secrets.files", str(secrets))))
        for s in servers:  # nothing is timed while an instance warms up (serve.py)
            s.wait_warm()
    except BaseException:
        for s in servers:
            s.stop()
        raise
    return servers


def run(locations: dict[str, str], workdir: Path, *, quick: bool, say, leaders: tuple[int, ...] | None = None,
        instances: tuple[int, ...] | None = None, switches: int | None = None, env: dict | None = None) -> dict:
    """The `load` figures: for each backend of `locations` ({"duckdb": path, "postgresql": url}, the
    data already loaded), each number of instances (one on DuckDB) and each number of leaders."""
    leaders = leaders or (QUICK_LEADERS if quick else LEADERS)
    pg_instances = instances or (QUICK_PG_INSTANCES if quick else PG_INSTANCES)
    switches = switches or (2 if quick else 4)
    rows: list[dict] = []
    peak: dict[str, list[int]] = {}
    for backend, location in locations.items():
        counts = (1,) if backend == "duckdb" else pg_instances
        servers = _start(str(location), max(counts), workdir, env or {}, backend)
        try:
            for s in servers:  # warm: every page once on each instance
                warm = measure([s], 1, len(PAGES))
                if warm["failed"]:
                    return {"problem": f"{backend}: warming failed: {warm.get('failures')}"}
            for k in counts:
                for n in leaders:  # one leader alone walks every page: the reference has a sample of each
                    row = {"backend": backend, **measure(servers[:k], n, max(switches, len(PAGES)) if n == 1
                                                         else switches)}
                    rows.append(row)
                    say(f"load: {backend}, {k} instance(s), {n} leader(s): p50 {row.get('p50_ms')} ms, "
                        f"p95 {row.get('p95_ms')} ms, server CPU {row['server_cpu_ms_per_switch']} ms/switch, "
                        f"{row['failed']} failed")
            peak[backend] = [round(s.peak_rss_mb() or 0) for s in servers]
        finally:
            for s in servers:
                s.stop()
    figures = {"client": "Streamlit protocol (/_stcore/stream, BackMsg/ForwardMsg), no browser",
               "pages": [_name(p) for p in PAGES], "switches_per_leader": switches, "runs": rows,
               "peak_rss_mb": peak, "target": {"leaders": TARGET_LEADERS, "instances": TARGET_INSTANCES,
                                               "p95_ratio": TARGET_P95_RATIO},
               "load_average": list(os.getloadavg()) if hasattr(os, "getloadavg") else None}
    figures["p95_ratio"] = target_ratio(figures)
    return figures


def first_open(location: str, workdir: Path, say) -> dict:
    """A fresh server's first visitor on the default page, timed to script_finished (the server's
    part, no drawing): one visitor as soon as the health check answers (the worst case: the warm-up
    runs beside them), and, on a second fresh server, one once its warm-up is over (GET /warmup),
    with how long that took."""
    async def visit(base: str) -> Run:
        session, run = await Session.open(base, PAGES[0], timeout_s=SWITCH_TIMEOUT_S)
        await session.close()
        return run

    figures = {}
    for when in ("at_health", "after_warmup"):
        server = Server(APP, {"DANGJIAN_DB": location}, workdir / f"first-{when}.log",
                        args=("--secrets.files", str(_secrets(workdir))))
        try:
            if when == "after_warmup":
                warm = server.wait_warm()
                figures.update(warmup_state=warm["state"], warmup_s=warm["seconds"])
            run = aio.run(visit(server.url))
        finally:
            server.stop()
        if not run.ok:
            return {"problem": f"first open ({when}): {run.status}, {run.elements} elements, {run.exceptions[:1]}"}
        figures[f"{when}_ms"] = round(run.ms)
    say(f"first open: {figures['at_health_ms']} ms at the health check, {figures['after_warmup_ms']} ms after the "
        f"warm-up ({figures['warmup_s']} s)")
    return figures


def _alone(figures: dict, backend: str) -> dict | None:
    return next((r for r in figures["runs"] if r["backend"] == backend and r["instances"] == 1
                 and r["leaders"] == 1 and "p95_ms" in r), None)


def target_ratio(figures: dict) -> float | None:
    """p95 of 20 leaders on 2 instances over one leader alone, on PostgreSQL (DuckDB has one
    instance: its own 20 leaders on 1 then), None when the run has no such row."""
    t = figures["target"]
    for backend, k in (("postgresql", t["instances"]), ("duckdb", 1)):
        alone = _alone(figures, backend)
        row = next((r for r in figures["runs"] if r["backend"] == backend and r["instances"] == k
                    and r["leaders"] == t["leaders"] and "p95_ms" in r), None)
        if alone and row and alone["p95_ms"]:
            return round(row["p95_ms"] / alone["p95_ms"], 2)
    return None


def format_lines(load: dict, width: int) -> list[str]:
    """The load run's rows of the benchmark's table."""
    if "problem" in load:
        return [f"load: {load['problem']}"]
    t = load["target"]
    lines = [f"{'load: leaders switching pages (protocol client)':<{width}} {'leaders':>7} {'p50 ms':>10} "
             f"{'p95 ms':>8} {'switches':>9} {'p95 x':>7} {'CPU ms':>7} {'failed':>6}  target"]
    for r in load["runs"]:
        alone = _alone(load, r["backend"])
        ratio = r["p95_ms"] / alone["p95_ms"] if alone and "p95_ms" in r and alone["p95_ms"] else float("nan")
        mark = ""
        if r["leaders"] == 1 and r["instances"] == 1:
            mark = "reference"
        elif (r["leaders"], r["instances"]) == (t["leaders"], t["instances"]) and r["backend"] == "postgresql":
            mark = "ok" if ratio <= t["p95_ratio"] and not r["failed"] else "MISSED"
        label = f"{r['backend']}, {r['instances']} instance{'s' if r['instances'] > 1 else ''}"
        lines.append(f"{label:<{width}} {r['leaders']:>7} {r.get('p50_ms', float('nan')):>10} "
                     f"{r.get('p95_ms', float('nan')):>8} {r['switches']:>9} {ratio:>6.2f}x "
                     f"{r['server_cpu_ms_per_switch'] or float('nan'):>7} {r['failed']:>6}  {mark}")
    load_avg = load.get("load_average")
    lines.append(f"target: p95 with {t['leaders']} leaders on {t['instances']} PostgreSQL instances <= "
                 f"{t['p95_ratio']:g}x one leader alone; p95 x: over one leader alone on one instance of the same "
                 f"backend; CPU ms: the instances' per switch"
                 + (f"; machine load average {load_avg[0]:.1f} at the end" if load_avg else ""))
    return lines
