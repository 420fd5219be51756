"""A throwaway PostgreSQL server for the tests and the benchmark: Debian's `postgresql` binaries,
a fresh cluster in a temporary folder, listening on 127.0.0.1 at a free port, stopped by its PID at the end.

initdb refuses to run as root: as root, the cluster is made and run by the `postgres` user (or
`nobody`) through runuser.  Without the binaries the tests that need a server are skipped with a
reason (`make test` installs them: the postgres-deps target).
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path


def binaries() -> Path | None:
    """The folder of initdb/pg_ctl/postgres of the newest PostgreSQL 15+ installed, or None."""
    base = Path("/usr/lib/postgresql")
    found = sorted((p for p in base.glob("*/bin") if p.parent.name.isdigit() and int(p.parent.name) >= 15),
                   key=lambda p: int(p.parent.name)) if base.exists() else []
    if found:
        return found[-1]
    initdb = shutil.which("initdb")
    return Path(os.path.realpath(initdb)).parent if initdb else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _runas() -> str | None:
    """The user to run the server as when we are root (initdb refuses root)."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        with contextlib.suppress(KeyError):
            pwd.getpwnam(name)
            return name
    raise RuntimeError("running as root and no postgres/nobody user to run PostgreSQL as")


class Server:
    """A running throwaway cluster; `url(db)` names a database on it, `create(db)` makes one."""

    def __init__(self, bindir: Path, root: Path):
        self.bindir, self.root = bindir, root
        self.data, self.sock = root / "data", root / "sock"
        self.port = _free_port()
        self.user = _runas()
        self.pid: int | None = None

    def _cmd(self, *args: str) -> list[str]:
        return ["runuser", "-u", self.user, "--", *args] if self.user else list(args)

    def start(self) -> Server:
        self.sock.mkdir(parents=True)
        if self.user:
            os.chmod(self.root, 0o755)
            shutil.chown(self.root, self.user)
            shutil.chown(self.sock, self.user)
        subprocess.run(self._cmd(str(self.bindir / "initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust",
                                 "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"),
                       check=True, capture_output=True)
        # small and quick: a test server, never a production one
        options = (f"-k {self.sock} -c listen_addresses=127.0.0.1 -p {self.port} -c fsync=off "
                   "-c synchronous_commit=off -c full_page_writes=off -c max_connections=60 -c shared_buffers=64MB")
        subprocess.run(self._cmd(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-o", options,
                                 "-l", str(self.root / "server.log"), "-w", "start"),
                       check=True, capture_output=True)
        self.pid = int((self.data / "postmaster.pid").read_text().split()[0])
        return self

    def url(self, db: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{db}"

    def create(self, db: str, template: str | None = None) -> str:
        """A new database of that name, empty or a copy of `template`; its URL (with the server's
        own createdb, so nothing outside the database layer needs a driver)."""
        copy = ["-T", template] if template else []
        self._client("createdb", *copy, db)
        return self.url(db)

    def drop(self, db: str) -> None:
        self._client("dropdb", "--if-exists", "--force", db)

    def _client(self, program: str, *args: str) -> None:
        subprocess.run([str(self.bindir / program), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres",
                        *args], check=True, capture_output=True)

    def stop(self) -> None:
        if self.pid is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGINT)  # fast shutdown
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                os.kill(self.pid, 0)
                time.sleep(0.1)
            os.kill(self.pid, signal.SIGKILL)
        self.pid = None


@contextlib.contextmanager
def server():
    """A started throwaway server for the length of the block."""
    bindir = binaries()
    if bindir is None:
        raise FileNotFoundError("PostgreSQL binaries not found (apt-get install postgresql)")
    root = Path(tempfile.mkdtemp(prefix="dangjian-pg-"))
    srv = Server(bindir, root)
    try:
        yield srv.start()
    finally:
        srv.stop()
        shutil.rmtree(root, ignore_errors=True)
