"""What every part of the benchmark shares: the scales it runs at, how it times a call and how it
tells its progress.  Imports nothing of the benchmark, so each part can use it without a circle."""

from __future__ import annotations

import gc
import sys
import time
from typing import Callable

SCALES = {"small": 2_000, "province": 20_000}


def times_ms(fn: Callable, runs: int, warmup: int = 1) -> list[float]:
    """Each of `runs` calls of `fn` in ms, after `warmup` calls not counted."""
    for _ in range(warmup):
        fn()
    out = []
    for _ in range(runs):
        gc.collect()
        t = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t) * 1000)
    return out


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(0.95 * len(ordered)) - 1))]


def say(text: str) -> None:
    """Progress, on stderr: stdout holds the report."""
    print(text, file=sys.stderr, flush=True)
