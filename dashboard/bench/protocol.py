"""A leader's browser tab without the browser: Streamlit's own wire protocol, for the load run.

The frontend talks to the server over one websocket, `/_stcore/stream` (subprotocol "streamlit"),
in protobufs of the installed streamlit package: it sends `BackMsg`s, the server answers with
`ForwardMsg`s.  This client says what the frontend says (its `sendRerunBackMsg`):

- open: a `rerun_script` with the address's page name (`""` for the default page, `study` for
  /study) and no page hash, as a first visit to an address does;
- switch: a `rerun_script` with the target page's `page_script_hash`, taken from the
  `navigation` message the server sent, as a click on a sidebar link does;
- both carry the hashes of the big elements it holds (`cached_message_hashes`), so the server
  sends a `ref_hash` instead of an element already sent, as it does to a browser.

A run is over at the `script_finished` message (FINISHED_SUCCESSFULLY; one that finished early
for a rerun is followed by the rerun's).  The time is from the send to that message: the server's
work and the wire, none of a browser's drawing, so many leaders cost the machine the servers' work
and a little parsing here.  Each run also counts what came (elements, plotly charts, the h1 title,
exceptions) so a caller can check the page is real, not an error.

The client sends no widget states: every run sees the filters' defaults (the whole province,
the latest quarter), as a leader who has just opened the page does.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from dataclasses import dataclass, field

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

STREAM = "/_stcore/stream"
FINISHED = ForwardMsg.ScriptFinishedStatus
LOCALE, TIMEZONE = "zh-CN", "Asia/Shanghai"


@dataclass
class Run:
    """One script run as the client saw it."""

    page: str
    ms: float
    elements: int = 0
    charts: int = 0
    title: str = ""
    exceptions: list[str] = field(default_factory=list)
    kinds: Counter = field(default_factory=Counter)
    status: str = ""
    bytes: int = 0  # what came over the wire for this run (what a browser would have to take in)

    @property
    def ok(self) -> bool:
        return self.status == "FINISHED_SUCCESSFULLY" and not self.exceptions and self.elements > 0


class ProtocolError(RuntimeError):
    """The server answered what a browser would show as an error (page not found, a compile error)."""


class Session:
    """One tab: a websocket to one app instance.  `await Session.open(base, page)` connects and
    runs the page named by its address (`""` or a url path); `await s.switch(page)` runs another."""

    def __init__(self, ws, base: str):
        self.ws, self.base = ws, base
        self.pages: dict[str, str] = {}  # url path ("" for the default page) -> page_script_hash
        self.cache: dict[str, ForwardMsg] = {}  # hash -> element message, as the frontend's message cache
        self.page = ""

    @classmethod
    async def open(cls, base: str, page: str = "", *, timeout_s: float = 300) -> tuple[Session, Run]:
        ws_url = base.replace("http://", "ws://", 1).replace("https://", "wss://", 1).rstrip("/") + STREAM
        # No keepalive pings: a busy server answers them late and the library would drop the
        # connection (the frontend sends none either); no Origin header, as a non-browser client.
        ws = await websockets.connect(ws_url, subprotocols=["streamlit"], max_size=None, ping_interval=None,
                                      open_timeout=timeout_s, close_timeout=5)
        session = cls(ws, base)
        try:
            run = await session._run(page, page_name=page, timeout_s=timeout_s)
        except BaseException:
            await ws.close()
            raise
        return session, run

    async def switch(self, page: str, *, timeout_s: float = 300) -> Run:
        if page not in self.pages:
            raise ProtocolError(f"no page {page!r} in the navigation the server sent ({sorted(self.pages)})")
        return await self._run(page, page_script_hash=self.pages[page], timeout_s=timeout_s)

    async def close(self) -> None:
        await self.ws.close()

    async def _run(self, page: str, *, page_name: str = "", page_script_hash: str = "", timeout_s: float) -> Run:
        msg = BackMsg()
        rerun = msg.rerun_script
        rerun.query_string = ""
        rerun.page_name = page_name
        rerun.page_script_hash = page_script_hash
        rerun.cached_message_hashes.extend(self.cache)
        rerun.context_info.locale = LOCALE
        rerun.context_info.timezone = TIMEZONE
        rerun.context_info.timezone_offset = -480
        rerun.context_info.url = f"{self.base}/{page}"
        run = Run(page=page, ms=0.0)
        t0 = time.perf_counter()
        await self.ws.send(msg.SerializeToString())
        deadline = t0 + timeout_s
        while True:
            left = deadline - time.perf_counter()
            if left <= 0:
                raise TimeoutError(f"page {page!r}: no script_finished after {timeout_s:.0f} s")
            data = await _recv(self.ws, left)
            run.bytes += len(data)
            fwd = ForwardMsg()
            fwd.ParseFromString(data)
            kind = fwd.WhichOneof("type")
            if kind == "script_finished":
                status = FINISHED.Name(fwd.script_finished)
                if fwd.script_finished in (FINISHED.FINISHED_EARLY_FOR_RERUN,
                                           FINISHED.FINISHED_FRAGMENT_RUN_SUCCESSFULLY):
                    continue  # a rerun (or a fragment's own run) follows within this one
                run.ms = (time.perf_counter() - t0) * 1000
                run.status = status
                if fwd.script_finished == FINISHED.FINISHED_WITH_COMPILE_ERROR:
                    raise ProtocolError(f"page {page!r}: the script did not compile")
                self.page = page
                return run
            if kind == "navigation":
                self.pages = {p.url_pathname: p.page_script_hash for p in fwd.navigation.app_pages}
            elif kind == "page_not_found":
                raise ProtocolError(f"page {page!r} not found: {fwd.page_not_found.page_name}")
            elif kind == "ref_hash":
                cached = self.cache.get(fwd.ref_hash)
                if cached is None:
                    raise ProtocolError(f"page {page!r}: the server referred to an element never sent")
                self._count(cached, run)
            elif kind == "delta":
                if fwd.metadata.cacheable and fwd.hash:
                    self.cache[fwd.hash] = fwd
                self._count(fwd, run)

    @staticmethod
    def _count(fwd: ForwardMsg, run: Run) -> None:
        if fwd.delta.WhichOneof("type") != "new_element":
            return
        element = fwd.delta.new_element
        kind = element.WhichOneof("type")
        run.elements += 1
        run.kinds[kind] += 1
        if kind == "plotly_chart":
            run.charts += 1
        elif kind == "heading" and element.heading.tag == "h1" and not run.title:
            run.title = element.heading.body
        elif kind == "exception":
            run.exceptions.append(f"{element.exception.type}: {element.exception.message}"[:300])


async def _recv(ws, timeout_s: float) -> bytes:
    data = await asyncio.wait_for(ws.recv(), timeout=timeout_s)
    if isinstance(data, str):
        raise ProtocolError("the server sent a text frame; Streamlit speaks binary protobufs")
    return data
