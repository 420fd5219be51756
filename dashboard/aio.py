"""Running a coroutine to its end from plain code.

Always on a thread of its own with its own event loop: `asyncio.run` refuses to start where the
calling thread already runs a loop — Playwright's sync API keeps one on the main thread for a whole
test session, a notebook kernel runs one — and a fresh thread has none."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")


def run(coro: Coroutine[Any, Any, T]) -> T:
    """The coroutine's result, or the exception it raised."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="dangjian-aio") as pool:
        return pool.submit(asyncio.run, coro).result()
