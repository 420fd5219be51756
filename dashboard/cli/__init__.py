"""The command line: `python -m dashboard COMMAND`.  This module builds the parser from the commands
registered by the modules beside it (one per group of commands, each command's arguments beside its
body: setup, tree, figures, briefing, returns, users, check, remind, backup, bench; what they share
in common.py) and dispatches: to the running app when it holds the database, else here.  The
command line may import every layer below it (services, ingest, db, output, domain, base) and never
the app or the benchmark (bench.py loads that by name).

Exit codes (the only definition: dashboard/exits.py): 0 done (every file accepted), 1 a file or
request was rejected, 2 bad arguments.  Every command runs as someone (`acting`, read by the audit
trail): its --user where it has one, else the login name of whoever typed it, via "cli" — also when
the running app executes it for a client, which sends its login along.  Output is Chinese with the
English after it.  Names that came from data (units, files, users, a return's cells) reach the
terminal through safe.printable, and CSV cells through safe.cell, so neither a terminal nor a
spreadsheet runs them.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .. import i18n
from ..domain.acting import acting
from ..exits import EXIT_OK, EXIT_REJECTED, EXIT_USAGE

# each module registers its commands in COMMANDS as it is imported: this order is the help's
from . import setup, tree, figures, briefing, returns, users, check, remind, backup, bench  # noqa: F401, I001
from .common import (COMMANDS, ERR, INPUT_FILES, OUT, SHARED_STORE, ServiceUp, UsageError, db_path, echo, err_stream,
                     out_stream, read_bounded, user_of)

__all__ = ["EXIT_OK", "EXIT_REJECTED", "EXIT_USAGE", "build_parser", "main", "run", "run_for_client"]


def _parsers(parser: argparse.ArgumentParser):
    """`parser` and every subcommand's parser under it, at any depth (argparse keeps them in its
    subparsers action's choices; it has no public walk)."""
    yield parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in action.choices.values():
                yield from _parsers(child)


def build_parser() -> argparse.ArgumentParser:
    from ..settings import db_location

    parser = argparse.ArgumentParser(prog="python -m dashboard", description="党建指标看板 Party-building dashboard")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, (help_, configure, run, db) in COMMANDS.items():
        p = sub.add_parser(name, help=help_)
        if db:
            p.add_argument("--db", type=db_location, default=None,
                           help="DuckDB file or postgresql://user@host/name "
                                "(default: $DANGJIAN_DB or data/dangjian.duckdb)")
        configure(p)
        p.set_defaults(func=run)
        if db:  # --db before or after a subcommand, at any depth (`users add --db X LOGIN`, `users --db X add`)
            for child in list(_parsers(p))[1:]:
                if not any("--db" in a.option_strings for a in child._actions):
                    child.add_argument("--db", type=db_location, default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    return parser


def run(args, actor: str | None = None) -> int:
    """Run a parsed command here as `actor` (default: its --user or the login name, see common.user_of), via
    "cli", turning the errors a person can act on into messages."""
    from ..db import StoreUnavailable

    try:
        with acting(actor or user_of(args), "cli"):
            return args.func(args)
    except UsageError as exc:
        echo(f"错误 error: {exc}", err=True)
        return EXIT_USAGE
    except StoreUnavailable as exc:  # the file or the disk is in the way (busy, a folder, read-only, full)
        echo(f"错误 error: {exc}", err=True)
        return EXIT_REJECTED


def _through_app(args) -> int | None:
    """Run the command through the app holding the database, if one does; None otherwise."""
    from .. import service

    db = db_path(args)
    if not isinstance(db, Path):  # PostgreSQL: every process works on the server itself
        return None
    values = {k: v for k, v in vars(args).items() if k not in ("func", "db", INPUT_FILES.get(args.command))}
    files = []
    for path in getattr(args, INPUT_FILES.get(args.command, ""), None) or []:
        if not Path(path).is_file():
            return None  # said here, in the client's terms
        files.append((Path(path).name, read_bounded(Path(path))))
    if not service.available(db):
        return None
    echo(i18n.both("svc_through_app", pid=service._read_info(db)["pid"]), err=True)
    code = service.forward(db, args.command, values, files, out_stream(), err_stream(), actor=user_of(args))
    if code is None:
        echo(f"错误 error: {i18n.both('svc_failed', error='no answer')}", err=True)
        return EXIT_REJECTED
    return code


def run_for_client(command: str, values: dict, files: list[Path], store, out, err, actor: str | None = None) -> int:
    """Run a command the way `main` would, on the app's open store, printing to the client's
    streams, as the client's login `actor` (service.py calls this in the app's process; the
    app's own login is not who acts).  `values`: the arguments the client parsed, typed as it
    parsed them (service.encode_args / decode_args)."""
    func = COMMANDS[command][2]
    args = argparse.Namespace(**values)  # paths came back as paths (service.decode_args)
    args.command, args.func, args.db = command, func, store.path
    if command in INPUT_FILES:
        setattr(args, INPUT_FILES[command], files)
    tokens = [SHARED_STORE.set(store), OUT.set(out), ERR.set(err)]
    try:
        return run(args, actor=actor or "unknown")
    finally:
        for var, token in zip((SHARED_STORE, OUT, ERR), tokens):
            var.reset(token)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if COMMANDS[args.command][3]:  # a command on the database: the running app's, if one holds it
            code = _through_app(args)
            if code is not None:
                return code
        try:
            return run(args)
        except ServiceUp:
            code = _through_app(args)
            return EXIT_REJECTED if code is None else code
    except BrokenPipeError:  # `units | head`: the reader left; not an error
        sys.stderr.close()
        return EXIT_OK