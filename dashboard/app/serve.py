"""What `streamlit run` starts (`make run`): the app's script, entry.py, served as an st.App whose
start warms it.

A fresh server used to make its first visitor wait for everything at once: the imports, opening
the database and its tree, and every query and figure of the overview (4–10 s at 5,000–20,000
units, 60× a warm page).  Here, once the runtime is up, the default page is run once in a session
of the server's own (Streamlit's script check: a session with no browser), in the background:
the health check answers from the first moment, and a visitor who comes after the warm-up finds
the imports done and the overview's queries and figures in the caches every session shares.  A
visitor who comes during it is served at once, beside it (the caches hold what either finished).

What is warmed is what that session may see: in the open demo mode the overview for the whole
tree, as a leader opening the address sees it; with sign-in, the sign-in page (the imports, the
database, its tree), since no figure is drawn for no one.  The run is bounded by Streamlit's
check (60 s; past it the rest is computed by the first visitor).  GET /warmup says where it is
({"state": "warming" | "ready" | "error" | "timeout", "seconds": …}): a readiness probe, and how
the benchmark waits for it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from contextlib import asynccontextmanager

import streamlit as st
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from streamlit.runtime import Runtime

LOG = logging.getLogger("dashboard.app")
WARMUP: dict = {"state": "warming", "seconds": None}


async def warm() -> None:
    """Run the default page once in a session of the server's own; say how it went in WARMUP."""
    t0 = time.perf_counter()
    try:
        ok, outcome = await Runtime.instance().does_script_run_without_error()
    except Exception:  # noqa: BLE001 - a failed warm-up costs the first visitor time, nothing else
        LOG.exception("warm-up failed")
        ok, outcome = False, "error"
    WARMUP.update(state="ready" if ok else outcome, seconds=round(time.perf_counter() - t0, 1))
    LOG.info("warm-up of the default page: %s in %s s", WARMUP["state"], WARMUP["seconds"])


@asynccontextmanager
async def lifespan(_app):
    task = asyncio.create_task(warm())  # the server starts listening now; the warm-up runs beside it
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def warmup_state(_request: Request) -> JSONResponse:
    return JSONResponse(WARMUP)


app = st.App("entry.py", lifespan=lifespan, routes=[Route("/warmup", warmup_state)])
