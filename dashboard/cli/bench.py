"""`bench`: the benchmark's arguments; the benchmark itself is loaded by name, only when asked."""

from __future__ import annotations

import importlib
from pathlib import Path

from .common import command


def _bench_args(p) -> None:
    p.add_argument("part", nargs="?", choices=("growth",), default=None,
                   help="growth: load time, size, chart queries and app memory at several sizes, on DuckDB and on "
                        "a throwaway PostgreSQL")
    p.add_argument("--sizes", default=None, help="for growth: units x quarters, comma-separated "
                                                 "(default 5000x12,20000x12,80000x12,20000x40)")
    p.add_argument("--backends", default=None, help="for growth: duckdb,postgresql (the default: both)")
    p.add_argument("--scale", choices=("small", "province"), default="province")
    p.add_argument("--quick", action="store_true", help="a reduced run, under a minute")
    p.add_argument("--json", type=Path, default=None)
    p.add_argument("--no-pages", action="store_true", help="skip the browser page timings")
    p.add_argument("--concurrency", action="store_true",
                   help="only: 20 command-line imports and 20 browser uploads at once while the app runs")
    p.add_argument("--load", action="store_true",
                   help="1, 20, 50 and 100 leaders switching pages through Streamlit's own protocol (no browser) "
                        "on one app instance on the DuckDB file and, with --db postgresql://…, on 1, 2 and 4 "
                        "instances on it (--quick: 1 and 2 leaders, 1 and 2 instances)")
    from ..settings import db_location

    p.add_argument("--db", type=db_location, default=None,
                   help="also time the chart queries on this PostgreSQL database (postgresql://...; "
                        "the benchmark loads the same data into it, so give it an empty one)")


@command("bench", "benchmarks at provincial scale against the plain pandas way", args=_bench_args, db=False)
def cmd_bench(args) -> int:
    # The product imports nothing of the benchmark; it is loaded by name only when asked for.
    return importlib.import_module("dashboard.bench.run").main(args)
