"""dashboard/aio.run: a coroutine run to its end from plain code, even where the calling thread
already runs an event loop (as Playwright's sync API leaves one on the main thread for the whole
test session — the load client's tests failed after the browser tests for that)."""

from __future__ import annotations

import asyncio

import pytest

from dashboard import aio


async def _twice(x: int) -> int:
    await asyncio.sleep(0)
    return 2 * x


async def _fails() -> None:
    raise ValueError("no such page")


def test_it_runs_where_no_loop_runs():
    assert aio.run(_twice(21)) == 42


def test_it_runs_inside_a_running_loop_where_asyncio_run_refuses():
    async def caller():
        plain = _twice(1)
        with pytest.raises(RuntimeError, match="running event loop"):
            asyncio.run(plain)  # the plain way, as the tests called it
        plain.close()
        return aio.run(_twice(4))

    # the caller itself through aio.run: under the whole suite the main thread already runs Playwright's
    # loop, where even this outer asyncio.run would be refused (CI found it)
    assert aio.run(caller()) == 8


def test_the_coroutines_exception_reaches_the_caller():
    with pytest.raises(ValueError, match="no such page"):
        aio.run(_fails())
