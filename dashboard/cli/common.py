"""What every command shares: where it prints (the terminal, or the client the running app runs it
for), how it opens the database, who it acts as, how it reads a quarter, a period or a day, and how
a command registers itself (`command`) with its arguments beside its body."""

from __future__ import annotations

import argparse
import contextlib
import contextvars
import csv
import getpass
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from .. import i18n
from ..domain import periods
from ..output.safe import cell, printable

# When the running app executes a command for a client (service.py), its store and the client's
# output streams; otherwise unset, and a command opens the file itself and prints to the terminal.
SHARED_STORE: contextvars.ContextVar = contextvars.ContextVar("shared_store", default=None)
OUT: contextvars.ContextVar = contextvars.ContextVar("out", default=None)
ERR: contextvars.ContextVar = contextvars.ContextVar("err", default=None)
# The arguments a command reads files from: the client sends their bytes along.
INPUT_FILES = {"import": "files", "tree": "file", "users": "file"}
# The commands whose --user names who acts (elsewhere --user may be a filter: `audit --user`).
ACTS_AS_USER = ("import", "tree", "users", "anomalies", "remind", "deadline")


def out_stream():
    return OUT.get() or sys.stdout


def err_stream():
    return ERR.get() or sys.stderr


def echo(text: str = "", *, err: bool = False) -> None:
    """Print a line to the terminal, or to the client the app is running this command for."""
    stream = err_stream() if err else out_stream()
    stream.write(f"{text}\n")
    stream.flush()


class UsageError(Exception):
    """Bad arguments: reported on stderr with exit code 2."""


# name -> (help, add its arguments, run it, whether it takes --db)
COMMANDS: dict[str, tuple[str, Callable, Callable, bool]] = {}


def _no_args(p) -> None:
    pass


def command(name: str, help: str, *, args: Callable = _no_args, db: bool = True):
    """Register the decorated function as command `name`; `args(parser)` adds its arguments."""

    def register(run: Callable):
        COMMANDS[name] = (help, args, run, db)
        return run
    return register


def quarter_arg(text: str) -> str:
    try:
        return periods.quarter(text)
    except periods.PeriodError as exc:
        raise argparse.ArgumentTypeError(f"{exc} / 季度格式应为 2024Q3") from exc


def period_arg(text: str) -> str:
    try:
        return periods.period(text)
    except periods.PeriodError as exc:
        raise argparse.ArgumentTypeError(f"{exc} / 期间格式应为 2024Q4（季度）、2024H1（半年）或 2024（年度）") from exc


class ServiceUp(Exception):
    """An app came up holding the database while this command waited for it."""


def db_path(args) -> Path | str:
    from ..settings import current as settings
    from ..settings import db_location

    return db_location(args.db) if getattr(args, "db", None) else settings().db


def open_store(args):
    """The store to work on: the app's own (when it runs this command for a client), or the file
    opened here, queueing behind whichever process holds it (and switching to the app if one
    comes up meanwhile)."""
    from .. import service
    from ..db import Store

    shared = SHARED_STORE.get()
    if shared is not None:
        return contextlib.nullcontext(shared)
    db = db_path(args)
    told = []

    def waiting(pid):
        if service.available(db):
            raise ServiceUp
        if not told:
            echo(i18n.both("svc_waiting", pid=f" {pid}" if pid else ""), err=True)
            told.append(pid)

    return Store(db, waiting=waiting)


def unit_arg(store, code: str | None) -> str:
    tree = store.tree()
    if code is None:
        return tree.root.code
    if code not in tree:
        raise UsageError(i18n.both("imp_unknown_unit", unit=code))
    return code


def csv_out(rows) -> None:
    """CSV on stdout: each cell neutralised for a spreadsheet and escaped for the terminal (so
    no field holds a line break either)."""
    writer = csv.writer(out_stream(), lineterminator="\n")
    writer.writerows([printable(cell(v)) for v in row] for row in rows)


def user_of(args) -> str:
    """Who runs this command: its --user (import, tree, users), else the login name."""
    given = getattr(args, "user", None) if getattr(args, "command", None) in ACTS_AS_USER else None
    return given or login_name()


def login_name() -> str:
    """The login name of whoever runs the command."""
    try:
        return getpass.getuser()
    except Exception:  # no login name in some containers
        return "unknown"


def administrator(login: str):
    """The principal of the command line: the administrator on the server, as `login`."""
    from ..domain.access import administrator as admin

    return admin(login)


def date_arg(text: str) -> str:
    """A day written YYYY-MM-DD, checked and kept as text (the service sends arguments as JSON)."""
    try:
        datetime.strptime(text, "%Y-%m-%d")
        return text
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text}: 日期格式应为 2025-01-31 / a date is written 2025-01-31") from exc


def read_bounded(path: Path) -> bytes:
    """A file's bytes, at most one byte past the largest return accepted (the importer refuses
    what is longer; a huge file is never read whole)."""
    from ..settings import current as settings

    with open(path, "rb") as f:
        return f.read(settings().max_file_bytes + 1)
