"""Read a workbook with python-calamine in a worker process, so no file can hurt this one.

calamine is Rust: a hostile workbook can make it panic, abort the whole process (one cell
at XFD1048576 asks for 550 GB) or allocate without end.  container.py refuses the shapes we
know of before any parser runs; this is the second wall, for what we do not know of.  Each
workbook is read in a long-lived worker (parse_worker.py) whose address space is capped
(settings.parse_memory_mb), against a deadline (settings.parse_timeout_s): a panic, an abort, running out
of memory or of time becomes a refusal (`Unsafe`), the worker is replaced, and this process,
the Streamlit server or the command line, carries on.  Workers are started with subprocess
(fork and exec at once, safe from a threaded server), never with multiprocessing's fork; the
answer comes back as a pickle that may hold plain values only.

    sheets = read_workbook(data)   # {name: Sheet or Unreadable}, in workbook order

What it costs (`python -m dashboard.bench.parse_cost FILE`, SW01's 7-sheet return, on the
2-core project machine while other work ran on it): some 1-5 ms a workbook over reading it in
this process (1.3 ms at the quietest), 60-140 ms once for a new worker; the worker itself holds
some 13 MB for a return, 35 MB for a sheet at the container's bounds.
"""

from __future__ import annotations

import atexit
import datetime
import fcntl
import io
import logging
import os
import pickle
import select
import signal
import struct
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from ..settings import current as settings

LOG = logging.getLogger(__name__)

# Settings (dashboard/settings.py will own these; until then, module constants).
PARSE_WORKER_READS = 500  # a worker is replaced after this many reads, so a slow leak cannot build up
# The largest answer this process takes back (a return's is some hundred KB; a sheet at the
# container's bounds a few MB): what a workbook may make this process hold, whatever the worker can.
PARSE_ANSWER_LIMIT_MB = 32
WORKER_SCRIPT = Path(__file__).with_name("parse_worker.py")
PIPE_BYTES = 1024 * 1024  # Linux's ceiling for a pipe without privileges


@dataclass(frozen=True)
class Sheet:
    """One sheet as calamine read it: rows padded from A1 (to_python(skip_empty_area=False))."""

    name: str
    height: int
    width: int
    rows: list[list]
    merged: list[tuple[tuple[int, int], tuple[int, int]]]


class Unreadable(Exception):
    """calamine cannot read the workbook (or one sheet): a damaged file, not a dangerous one."""

    def __init__(self, kind: str, detail: str):
        super().__init__(kind, detail)
        self.kind, self.detail = kind, detail


class Unsafe(Exception):
    """The worker could not read the file safely: it ran out of time or memory, or died."""

    def __init__(self, key: str, found: str, **fields):
        super().__init__(key, found)
        self.key, self.found, self.fields = key, found, fields  # key: a val_parse_why_* text


class _Lost(Exception):
    """The worker died, or passed the deadline; `sent`: the whole request had reached it."""

    def __init__(self, why: str, sent: bool):
        super().__init__(why)
        self.why, self.sent = why, sent


class _Answer(pickle.Unpickler):
    """Only plain values come back from a worker: nothing in a workbook can make this process build anything else."""

    def find_class(self, module: str, name: str):
        if module == "datetime" and name in ("datetime", "date", "time", "timedelta"):
            return getattr(datetime, name)
        raise pickle.UnpicklingError(f"{module}.{name} is not a plain value")


class _Worker:
    """One parse worker process and its pipes, all non-blocking, waited on with poll()."""

    def __init__(self, memory_mb: int, script: Path):
        self.memory_mb, self.script, self.reads = memory_mb, script, 0
        self.proc = subprocess.Popen(
            [sys.executable, "-s", "-P", str(script), str(memory_mb * 1024 * 1024)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            env={**os.environ, "RUST_BACKTRACE": "0"},
        )
        for pipe in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            os.set_blocking(pipe.fileno(), False)
        for pipe in (self.proc.stdin, self.proc.stdout):  # a return in one go, not 64 KB at a time
            try:
                fcntl.fcntl(pipe.fileno(), fcntl.F_SETPIPE_SZ, PIPE_BYTES)
            except (OSError, AttributeError):
                pass
        self.stderr = b""

    def alive(self) -> bool:
        return self.proc.poll() is None

    def call(self, data: bytes, deadline: float) -> tuple:
        sent = False
        try:
            self._send(struct.pack("<Q", len(data)) + data, deadline)  # one write: one wake-up
            sent = True
            (size,) = struct.unpack("<Q", self._recv(8, deadline))
            if size > PARSE_ANSWER_LIMIT_MB * 1024 * 1024:
                raise _Lost(f"answer of {size / 1024 / 1024:.0f} MB", sent)
            answer = _Answer(io.BytesIO(self._recv(size, deadline))).load()
        except _Lost as lost:
            lost.sent = sent
            raise
        except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError) as exc:
            raise _Lost(f"unreadable answer: {exc}", sent) from exc
        self.reads += 1
        self.drain()
        return answer

    def _wait(self, fd: int, event: int, deadline: float) -> None:
        poller = select.poll()
        poller.register(fd, event | select.POLLHUP | select.POLLERR)
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise _Lost("timeout", False)
            if poller.poll(left * 1000):
                return

    def _send(self, data: bytes, deadline: float) -> None:
        view, fd = memoryview(data), self.proc.stdin.fileno()
        while view:
            self._wait(fd, select.POLLOUT, deadline)
            try:
                view = view[os.write(fd, view[:1 << 20]):]
            except BlockingIOError:
                continue
            except OSError as exc:  # BrokenPipeError: it is gone
                raise _Lost(f"write: {exc}", False) from exc

    def _recv(self, size: int, deadline: float) -> bytes:
        chunks, fd = [], self.proc.stdout.fileno()
        while size:
            self._wait(fd, select.POLLIN, deadline)
            try:
                chunk = os.read(fd, min(size, 1 << 20))
            except BlockingIOError:
                continue
            if not chunk:
                raise _Lost("exited", False)
            chunks.append(chunk)
            size -= len(chunk)
        return b"".join(chunks)

    def drain(self) -> None:
        """Keep the tail of what the worker wrote to stderr (a panic's message), so the pipe never fills."""
        while True:
            try:
                chunk = os.read(self.proc.stderr.fileno(), 65536)
            except (BlockingIOError, OSError, ValueError):
                return
            if not chunk:
                return
            self.stderr = (self.stderr + chunk)[-4096:]

    def stop(self) -> int | None:
        """Kill it (it may be stuck) and reap it; returns its exit code (negative: the signal)."""
        if self.alive():
            self.proc.kill()
        code = self.proc.wait()
        self.drain()
        self._close()
        return code

    def retire(self) -> None:
        """End an idle worker politely: EOF on its stdin ends it."""
        self._close()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.stop()

    def _close(self) -> None:
        for pipe in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            try:
                pipe.close()
            except OSError:
                pass


class _Pool:
    """Up to settings.parse_workers workers; a dead one is replaced by a fresh one on the next read."""

    def __init__(self):
        self._reset()

    def _reset(self) -> None:
        self._idle: list[_Worker] = []
        self._lock = threading.Lock()
        self._slots = threading.BoundedSemaphore(settings().parse_workers)
        self.last_peak_kb = 0  # the worker's peak RSS after the last read (bench/parse_cost.py)

    def read(self, data: bytes) -> tuple:
        conf = settings()
        memory_mb, timeout, script = conf.parse_memory_mb, conf.parse_timeout_s, WORKER_SCRIPT
        with self._slots:
            while True:
                worker, fresh = self._take(memory_mb, script)
                try:
                    answer = worker.call(data, time.monotonic() + timeout)
                except _Lost as lost:
                    code = worker.stop()
                    if not lost.sent and not fresh and lost.why != "timeout":
                        continue  # it had died while idle: the file never reached it
                    raise _unsafe(lost, code, worker.stderr, timeout, memory_mb) from None
                except BaseException:  # interrupted mid-read: its answer would never be read
                    worker.stop()
                    raise
                self.last_peak_kb = answer[-1] if isinstance(answer[-1], int) else 0
                if answer[0] == "failed":
                    worker.stop()  # it exits after a panic: its state is not to be trusted
                elif worker.reads >= PARSE_WORKER_READS:
                    worker.retire()
                else:
                    with self._lock:
                        self._idle.append(worker)
                return answer

    def _take(self, memory_mb: int, script: Path) -> tuple[_Worker, bool]:
        with self._lock:
            while self._idle:
                worker = self._idle.pop()
                if worker.alive() and (worker.memory_mb, worker.script) == (memory_mb, script):
                    return worker, False
                worker.stop()
        return _Worker(memory_mb, script), True

    def shutdown(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for worker in idle:
            worker.retire()

    def forget(self) -> None:
        """In a child forked from this process: the workers are the parent's; leave them alone."""
        for worker in self._idle:
            worker._close()  # our copies of the pipes only; the parent keeps its own
        self._reset()


def _unsafe(lost: _Lost, code: int | None, stderr: bytes, timeout: float, memory_mb: int) -> Unsafe:
    said = [ln for ln in stderr.decode("utf-8", "replace").splitlines()
            if ln.strip() and not ln.startswith(("note:", "stack backtrace", " "))]
    last = said[-1][:200] if said else ""
    LOG.warning("parse worker lost (%s, exit code %s): %s", lost.why, code, last)
    if lost.why == "timeout":
        return Unsafe("val_parse_why_timeout", f"> {timeout:g} s", seconds=f"{timeout:g}")
    if lost.why.startswith("answer of"):
        return Unsafe("val_parse_why_answer", f"{lost.why} > {PARSE_ANSWER_LIMIT_MB} MB", mb=PARSE_ANSWER_LIMIT_MB)
    if any("memory allocation of" in ln or "MemoryError" in ln for ln in said):
        return Unsafe("val_parse_why_memory", f"> {memory_mb} MB: {last}"[:200], mb=memory_mb)
    how = signal.Signals(-code).name if code is not None and code < 0 and -code in signal.valid_signals() else code
    return Unsafe("val_parse_why_crash", f"{how}: {last}"[:200] if last else str(how))


_POOL = _Pool()
atexit.register(_POOL.shutdown)
os.register_at_fork(after_in_child=_POOL.forget)


def read_workbook(data: bytes) -> dict[str, Sheet | Unreadable]:
    """Every sheet of the workbook, or for a sheet calamine refuses, why.

    Raises Unreadable if calamine cannot open the workbook at all, Unsafe if it could not be
    read safely (the worker ran out of time or memory, panicked or died)."""
    answer = _POOL.read(data)
    if answer[0] == "unreadable":
        raise Unreadable(answer[1], answer[2])
    if answer[0] == "failed":
        if answer[1] == "MemoryError":
            memory_mb = settings().parse_memory_mb
            raise Unsafe("val_parse_why_memory", f"> {memory_mb} MB", mb=memory_mb)
        LOG.warning("parse worker failed: %s: %s", answer[1], answer[2])
        raise Unsafe("val_parse_why_panic", f"{answer[1]}: {answer[2]}"[:200])
    out: dict[str, Sheet | Unreadable] = {}
    for entry in answer[1]:
        if len(entry) == 5:
            out[entry[0]] = Sheet(*entry)
        else:
            out[entry[0]] = Unreadable(entry[1], entry[2])
    return out


# --- what it costs: `python -m dashboard.ingest.safe_read FILE...` ---------------------------------


def _read_in_process(data: bytes) -> dict[str, Sheet | Unreadable]:
    """What the worker does, done here (the way the validator read a workbook before the worker):
    only for measuring the worker's overhead, never for an upload."""
    import python_calamine

    book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    out: dict[str, Sheet | Unreadable] = {}
    for name in book.sheet_names:
        sheet = book.get_sheet_by_name(name)
        out[name] = Sheet(name, sheet.height, sheet.width, sheet.to_python(skip_empty_area=False),
                          list(sheet.merged_cell_ranges or ()))
    return out


def read_overhead_ms(data: bytes, repeats: int = 200) -> dict[str, float]:
    """Median ms to read `data` in this process and through a worker, alternating so both see the
    same machine; and the first read of a new pool (a worker started for it).  Only for a file a
    worker has read without harm: the comparison runs calamine here (an empty dict otherwise)."""
    pool = _Pool()
    try:
        started = time.perf_counter()
        try:
            answer = pool.read(data)
        except Unsafe:
            return {}
        cold = time.perf_counter() - started
        if answer[0] != "ok":
            return {}
        here, there = [], []
        for _ in range(repeats):
            started = time.perf_counter()
            _read_in_process(data)
            here.append(time.perf_counter() - started)
            started = time.perf_counter()
            pool.read(data)
            there.append(time.perf_counter() - started)
    finally:
        pool.shutdown()
    here.sort(), there.sort()
    return {"in_process_ms": 1000 * here[repeats // 2], "worker_ms": 1000 * there[repeats // 2],
            "overhead_ms": 1000 * (there[repeats // 2] - here[repeats // 2]), "first_read_ms": 1000 * cold}
