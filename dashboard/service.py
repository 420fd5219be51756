"""One writer for the whole service: while the app holds the database, commands run through it.

DuckDB lets one process open the file.  A bureau's app runs all the time, so the app offers
its open store to the command line: a small server on 127.0.0.1 (a free port), announced in
`<db>.service` beside the database (PID, port and a random token; readable by its owner only).
`python -m dashboard import|export|restore|backup|...` finds the file, sends its command (with
the bytes of the files it imports, and the client's login: who acts, for the audit trail), and
prints what the app answers as it comes: the same messages and exit codes as when it runs
alone, because the app runs the same command function on its own store.  Writes from pages,
uploads and commands all go through the store's one writer; validation runs before the
writer's lock is taken, so many imports validate at once.

No app running: nothing here is used; commands open the file themselves and queue behind
each other on the file's lock (db/filelock.py) instead of failing after a fixed wait.
"""

from __future__ import annotations

import atexit
import base64
import hmac
import json
import logging
import os
import secrets
import socket
import socketserver
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path

from .exits import EXIT_REJECTED, EXIT_USAGE
from .settings import current as settings

# run(command, args, files, store, out, err, actor=...) -> exit code: the command line's run_for_client
Runner = Callable[..., int]

LOG = logging.getLogger("dashboard.service")
CONNECT_TIMEOUT_S = 5.0


def service_file(db: Path) -> Path:
    db = Path(db).resolve()
    return db.with_name(db.name + ".service")


class _Lines:
    """A text stream whose every write goes to the client as one JSON line, tagged out or err."""

    def __init__(self, wfile, tag: str, lock: threading.Lock):
        self.wfile, self.tag, self.lock = wfile, tag, lock

    def write(self, text: str) -> int:
        if text:
            _send(self.wfile, {self.tag: text}, self.lock)
        return len(text)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False


def encode_args(values: dict) -> dict:
    """A command's parsed arguments as the request carries them: JSON, a path (made absolute on the
    client's side, where it was typed) tagged as one, so the app gets back the same types without
    knowing the command's parser."""
    def enc(v):
        if isinstance(v, Path):
            return {"path": str(v.resolve())}
        if isinstance(v, list):
            return [enc(x) for x in v]
        return v

    return {k: enc(v) for k, v in values.items()}


def decode_args(values: dict) -> dict:
    """encode_args undone: each tagged path a Path again."""
    def dec(v):
        if isinstance(v, dict) and set(v) == {"path"}:
            return Path(v["path"])
        if isinstance(v, list):
            return [dec(x) for x in v]
        return v

    return {k: dec(v) for k, v in values.items()}


def _send(wfile, message: dict, lock: threading.Lock) -> None:
    with lock:
        wfile.write((json.dumps(message, ensure_ascii=False) + "\n").encode("utf-8"))
        wfile.flush()


class _Handler(socketserver.StreamRequestHandler):
    def handle(self) -> None:
        lock = threading.Lock()
        try:
            request = json.loads(self.rfile.read(self.server.max_request).decode("utf-8"))
        except (ValueError, UnicodeDecodeError, OSError):
            _send(self.wfile, {"err": "bad request\n", "exit": EXIT_USAGE}, lock)
            return
        if not hmac.compare_digest(str(request.get("token", "")), self.server.token):
            _send(self.wfile, {"err": "refused\n", "exit": EXIT_USAGE}, lock)
            return
        with tempfile.TemporaryDirectory(prefix="dangjian-cli-") as tmp:
            files = []
            for i, item in enumerate(request.get("files", [])):  # the client's files, under their own names
                folder = Path(tmp) / str(i)
                folder.mkdir()
                path = folder / Path(item["name"]).name
                path.write_bytes(base64.b64decode(item["data"]))
                files.append(path)
            out, err = _Lines(self.wfile, "out", lock), _Lines(self.wfile, "err", lock)
            actor = request.get("actor")  # the client's login: who acts, for the audit trail
            try:
                code = self.server.run(request["command"], decode_args(request["args"]), files, self.server.store, out, err,
                                       actor=actor if isinstance(actor, str) else None)
            except Exception as exc:  # noqa: BLE001 - the client hears of it; the app keeps serving
                LOG.exception("command %s from the command line failed", request.get("command"))
                code = EXIT_REJECTED
                err.write(f"{type(exc).__name__}: {exc}\n")
            _send(self.wfile, {"exit": code}, lock)


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


class Service:
    """The app's command-line service for one store (start() is called once per process)."""

    def __init__(self, store, run: Runner):
        conf = settings()
        self.server = _Server(("127.0.0.1", 0), _Handler)
        self.server.store, self.server.run = store, run
        self.server.token = secrets.token_hex(16)
        # every file an import may carry, base64, and some room for the arguments
        self.server.max_request = int(conf.max_file_bytes * 1.4 * 200) + 1_000_000
        self.file = service_file(store.path)
        self.thread = threading.Thread(target=self.server.serve_forever, name="dashboard-service", daemon=True)

    def start(self) -> Service:
        self.thread.start()
        info = {"pid": os.getpid(), "port": self.server.server_address[1], "token": self.server.token}
        tmp = self.file.with_name(self.file.name + f".{os.getpid()}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            json.dump(info, f)
        os.replace(tmp, self.file)
        atexit.register(self.stop)
        LOG.info("command-line service for %s on 127.0.0.1:%s", self.file.name, info["port"])
        return self

    def stop(self) -> None:
        try:
            if json.loads(self.file.read_text()).get("pid") == os.getpid():
                self.file.unlink()
        except (OSError, ValueError):
            pass
        self.server.shutdown()
        self.server.server_close()


def start(store, run: Runner) -> Service:
    """Offer the command line `store`: each forwarded command runs through `run` (the command line's
    run_for_client, handed in by whoever starts the service, so this module never imports it)."""
    return Service(store, run).start()


def _read_info(db: Path) -> dict | None:
    try:
        info = json.loads(service_file(db).read_text())
        os.kill(int(info["pid"]), 0)  # is it alive?
        return info
    except (OSError, ValueError, KeyError, TypeError):
        return None


def available(db: Path) -> bool:
    """Whether a live app offers its store for this database file."""
    info = _read_info(db)
    if info is None:
        return False
    try:
        with socket.create_connection(("127.0.0.1", int(info["port"])), timeout=CONNECT_TIMEOUT_S):
            return True
    except OSError:
        return False


def forward(db: Path, command: str, args: dict, files: list[tuple[str, bytes]], out, err, *,
            actor: str | None = None) -> int | None:
    """Run a command through the app holding `db` as `actor` (the client's login, for the audit
    trail); its exit code, or None when no app answers (then the caller runs it itself).  What
    the app prints is written to out / err as it comes."""
    info = _read_info(db)
    if info is None:
        return None
    request = {"token": info["token"], "command": command, "args": encode_args(args), "actor": actor,
               "files": [{"name": name, "data": base64.b64encode(data).decode("ascii")} for name, data in files]}
    try:
        sock = socket.create_connection(("127.0.0.1", int(info["port"])), timeout=CONNECT_TIMEOUT_S)
    except OSError:
        return None
    with sock:
        sock.settimeout(None)  # a long import is answered line by line, however long it takes
        sock.sendall(json.dumps(request, ensure_ascii=False).encode("utf-8"))
        sock.shutdown(socket.SHUT_WR)
        code = None
        for line in sock.makefile("rb"):
            message = json.loads(line)
            if "out" in message:
                out.write(message["out"])
                out.flush()
            if "err" in message:
                err.write(message["err"])
                err.flush()
            if "exit" in message:
                code = int(message["exit"])
    return code
