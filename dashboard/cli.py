"""The command line: `python -m dashboard COMMAND`.  Each command's arguments sit beside its body.

Exit codes (the only definition): 0 done (every file accepted), 1 a file or request was
rejected, 2 bad arguments.  Every command runs as someone (`acting`, read by the audit trail):
its --user where it has one, else the login name of whoever typed it, via "cli" — also when
the running app executes it for a client, which sends its login along.  Output is Chinese with the English after it.  Names that came
from data (units, files, users, a return's cells) reach the terminal through safe.printable,
and CSV cells through safe.cell, so neither a terminal nor a spreadsheet runs them.
"""

from __future__ import annotations

import argparse
import contextlib
import contextvars
import csv
import getpass
import importlib
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from . import i18n
from .domain import periods
from .domain.acting import acting
from .domain.audit import words
from .exits import EXIT_OK, EXIT_REJECTED, EXIT_USAGE
from .output.safe import cell, file_part, printable

# When the running app executes a command for a client (service.py), its store and the client's
# output streams; otherwise unset, and a command opens the file itself and prints to the terminal.
_SHARED_STORE: contextvars.ContextVar = contextvars.ContextVar("shared_store", default=None)
_OUT: contextvars.ContextVar = contextvars.ContextVar("out", default=None)
_ERR: contextvars.ContextVar = contextvars.ContextVar("err", default=None)
# The arguments a command reads files from: the client sends their bytes along.
INPUT_FILES = {"import": "files", "tree": "file", "users": "file"}
# The commands whose --user names who acts (elsewhere --user may be a filter: `audit --user`).
ACTS_AS_USER = ("import", "tree", "users", "anomalies", "remind", "deadline")


def out_stream():
    return _OUT.get() or sys.stdout


def err_stream():
    return _ERR.get() or sys.stderr


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


def _quarter_arg(text: str) -> str:
    try:
        return periods.quarter(text)
    except periods.PeriodError as exc:
        raise argparse.ArgumentTypeError(f"{exc} / 季度格式应为 2024Q3") from exc


def _period_arg(text: str) -> str:
    try:
        return periods.period(text)
    except periods.PeriodError as exc:
        raise argparse.ArgumentTypeError(f"{exc} / 期间格式应为 2024Q4（季度）、2024H1（半年）或 2024（年度）") from exc


class _ServiceUp(Exception):
    """An app came up holding the database while this command waited for it."""


def _db_path(args) -> Path | str:
    from .settings import current as settings
    from .settings import db_location

    return db_location(args.db) if getattr(args, "db", None) else settings().db


def _open_store(args):
    """The store to work on: the app's own (when it runs this command for a client), or the file
    opened here, queueing behind whichever process holds it (and switching to the app if one
    comes up meanwhile)."""
    from . import service
    from .db import Store

    shared = _SHARED_STORE.get()
    if shared is not None:
        return contextlib.nullcontext(shared)
    db = _db_path(args)
    told = []

    def waiting(pid):
        if service.available(db):
            raise _ServiceUp
        if not told:
            echo(i18n.both("svc_waiting", pid=f" {pid}" if pid else ""), err=True)
            told.append(pid)

    return Store(db, waiting=waiting)


def _unit_arg(store, code: str | None) -> str:
    tree = store.tree()
    if code is None:
        return tree.root.code
    if code not in tree:
        raise UsageError(i18n.both("imp_unknown_unit", unit=code))
    return code


def _csv_out(rows) -> None:
    """CSV on stdout: each cell neutralised for a spreadsheet and escaped for the terminal (so
    no field holds a line break either)."""
    writer = csv.writer(out_stream(), lineterminator="\n")
    writer.writerows([printable(cell(v)) for v in row] for row in rows)


def _user(args) -> str:
    """Who runs this command: its --user (import, tree, users), else the login name."""
    given = getattr(args, "user", None) if getattr(args, "command", None) in ACTS_AS_USER else None
    return given or _user_name()


def _user_name() -> str:
    """The login name of whoever runs the command."""
    try:
        return getpass.getuser()
    except Exception:  # no login name in some containers
        return "unknown"


def administrator(login: str):
    """The principal of the command line: the administrator on the server, as `login`."""
    from .domain.access import administrator as admin

    return admin(login)


# --- settings and data ------------------------------------------------------------------------------


def _settings_args(p) -> None:
    p.add_argument("--markdown", action="store_true", help="as README's table: variable, default, what it sets")


@command("settings", "every setting: environment variable, default, value now, what it does", args=_settings_args,
         db=False)
def cmd_settings(args) -> int:
    from .settings import describe, markdown_table

    if args.markdown:
        echo(markdown_table())
        return EXIT_OK
    _csv_out([["variable", "default", "value", "help"], *describe()])
    return EXIT_OK


def _demo_args(p) -> None:
    p.add_argument("--seed", type=int, default=2024)
    p.add_argument("--clear", action="store_true", help="remove all demo data in one step")
    p.add_argument("--if-empty", action="store_true",
                   help="load only into a database with no organisation and no returns yet (make run)")


@command("demo", "load (or --clear) the deterministic demo data", args=_demo_args)
def cmd_demo(args) -> int:
    from .demo import NotTheDemoTree, demo_logins, load_demo

    with _open_store(args) as store:
        if args.clear:
            n = store.clear_demo(users=demo_logins(store))
            echo(f"已删除演示数据 {n} 份报表 / removed {n} demo returns from {store.path}")
        else:
            if args.if_empty and (store.has_tree() or store.has_submissions()):
                echo(i18n.both("demo_not_empty"))
                return EXIT_OK
            try:
                n = load_demo(store, seed=args.seed)
            except NotTheDemoTree as exc:
                echo(f"错误 error: {exc}", err=True)
                return EXIT_REJECTED
            echo(f"已载入演示数据 {n} 份报表 / loaded {n} demo returns into {store.path}")
    return EXIT_OK


@command("units", "the organisation tree as CSV: code,name_zh,level,parent_code")
def cmd_units(args) -> int:
    with _open_store(args) as store:
        _csv_out([["code", "name_zh", "level", "parent_code"],
                  *([u.code, u.name_zh, u.level, u.parent_code or ""] for u in store.tree().units)])
    return EXIT_OK


def _tree_args(p) -> None:
    actions = p.add_subparsers(dest="action", required=True)
    for name, help_ in (("template", "an empty sheet to fill, with its rules"),
                        ("export", "the tree as the database holds it, every version"),
                        ("import", "check a filled sheet (every problem with its cell), show the changes, load it")):
        a = actions.add_parser(name, help=help_)
        if name == "import":
            a.add_argument("file", nargs=1, type=Path, help="the .xlsx or .csv to load")
            a.add_argument("--dry-run", action="store_true", help="check and show the changes, load nothing")
            a.add_argument("--from", dest="effective", type=_quarter_arg, default=None,
                           help="the quarter a change to a row with no quarters takes effect (default: this quarter)")
            a.add_argument("--rehome", action="store_true",
                           help="carry the rows of active returns that the new tree puts under another "
                                "reporting unit (a moved, merged or no longer reporting unit) into that "
                                "unit's return of the same quarter, created if there is none, in the same "
                                "transaction as the tree; without it such an import is refused, every "
                                "return concerned named. A unit ended with no merged-into unit is refused either way")
            a.add_argument("--user", default=None, help="who makes the change (default: the login name)")
        else:
            a.add_argument("--out", type=Path, required=True, help="the .xlsx to write")


@command("tree", "the organisation: an Excel template, an export of every version, an import", args=_tree_args)
def cmd_tree(args) -> int:
    from .ingest import tree_file, tree_import

    if args.action in ("template", "export"):
        with _open_store(args) as store:
            history = store.history() if args.action == "export" else None
        args.out.write_bytes(tree_file.workbook(history))
        echo(i18n.both("treef_written", path=args.out, n=len(history.versions) if history else 0), err=True)
        return EXIT_OK
    path = Path(args.file[0])
    if not path.is_file():
        raise UsageError(i18n.both("imp_file_missing", path=path))
    data = _read_bounded(path)
    with _open_store(args) as store:
        found = tree_import.prepare(store, data, path.name, effective=args.effective, rehome=args.rehome)
        if found.state == "rejected":
            echo(i18n.both("treef_problems", n=len(found.problems)), err=True)
            for where, message in found.problems:
                echo(f"  {where or '—'}: {printable(message)}", err=True)
            return EXIT_REJECTED
        counts = found.counts
        echo(i18n.both("treef_changes", **counts))
        for c in found.changes:
            arrow = f"{printable(c.before)} → " if c.before else ""
            echo(f"  {i18n.both('treef_kind_' + c.kind)}  {c.code}  {arrow}{printable(c.after)}")
        if found.state == "refused":
            for i, (key, fields) in enumerate(found.refusals):
                shown = {k: printable(v) if isinstance(v, str) else v for k, v in fields.items()}
                heading = key in ("treef_held_refused", "treef_rehome_refused")
                echo(("" if heading else "  ") + i18n.both(key, **shown), err=True)
            return EXIT_REJECTED
        if found.state == "unchanged":
            echo(i18n.both("treef_no_change"))
            return EXIT_OK
        moves = found.moves
        if moves:
            echo(i18n.both("treef_rehome_plan", facts=found.rehomed_facts, moves=len(moves),
                           returns=len({m.held.submission_id for m in moves})))
            for m in moves:
                merged = m.to_unit != m.held.unit
                echo("  " + i18n.both("treef_rehome_move", unit=m.held.unit, quarter=m.held.quarter, n=m.held.n,
                                      reporter=m.held.reporter, to_reporter=m.to_reporter,
                                      as_unit=f"（并入 {m.to_unit}）" if merged else "",
                                      as_unit_en=f" (as {m.to_unit})" if merged else ""))
        if args.dry_run:
            echo(i18n.both("treef_dry_run"))
            return EXIT_OK
        tree_import.apply(store, found)
        if moves:
            echo(i18n.both("treef_rehomed", facts=found.rehomed_facts))
        echo(i18n.both("treef_applied", units=len(found.new.by_code), versions=len(found.new.versions)))
    return EXIT_OK


def _export_args(p) -> None:
    p.add_argument("--domain", default=None)
    p.add_argument("--unit", default=None, help="the unit whose subtree to export (default: the root)")
    p.add_argument("--from", dest="from_", type=_quarter_arg, default=None)
    p.add_argument("--to", type=_quarter_arg, default=None)
    p.add_argument("--granularity", choices=periods.GRANULARITIES, default="quarter")
    p.add_argument("--scope", choices=("subtree", "own"), default="subtree")
    p.add_argument("--layout", choices=("long", "wide"), default="long")
    p.add_argument("--format", choices=("csv", "xlsx"), default=None)
    p.add_argument("--lang", choices=i18n.LANGS, default=i18n.DEFAULT_LANG)
    p.add_argument("--with-source", action="store_true",
                   help="long layout: each figure's returns, reporters, time, template versions and cells")
    p.add_argument("--out", type=Path, required=True)


@command("export", "export figures as CSV (UTF-8 with BOM) or .xlsx", args=_export_args)
def cmd_export(args) -> int:
    from .output.export import export_frame, write_table

    first, last = args.from_, args.to
    if first and last and periods.quarter_index(first) > periods.quarter_index(last):
        raise UsageError(f"--from {first} 晚于 --to {last} / --from is after --to")
    if args.with_source and args.layout != "long":
        raise UsageError("--with-source 只用于 --layout long / --with-source needs --layout long")
    with _open_store(args) as store:
        if args.domain and args.domain not in {d.code for d in store.catalog.domains}:
            known = ", ".join(d.code for d in store.catalog.domains)
            raise UsageError(f"未知领域 unknown domain: {args.domain} (one of {known})")
        unit = _unit_arg(store, args.unit)
        span = store.quarter_span() or (first or last or periods.current_quarter(),) * 2
        first = first or span[0]
        last = last or span[1]
        frame = export_frame(store, unit=unit, first=first, last=last, granularity=args.granularity,
                             scope=args.scope, domain=args.domain, layout=args.layout, lang=args.lang,
                             with_source=args.with_source)
    fmt = args.format or ("xlsx" if str(args.out).lower().endswith(".xlsx") else "csv")
    write_table(frame, args.out, fmt)
    echo(f"已导出 {len(frame)} 行 / wrote {len(frame)} rows to {args.out}", err=True)
    return EXIT_OK


def _anomalies_args(p) -> None:
    p.add_argument("action", nargs="?", choices=("list", "verify"), default="list",
                   help="list the figures to verify (default), or mark one 已核实")
    p.add_argument("--unit", default=None, help="list: the unit whose subtree to check (default: the root); "
                                                  "verify: the unit of the anomaly")
    p.add_argument("--from", dest="from_", type=_quarter_arg, default=None)
    p.add_argument("--to", type=_quarter_arg, default=None)
    p.add_argument("--domain", default=None)
    p.add_argument("--lang", choices=i18n.LANGS, default=i18n.DEFAULT_LANG)
    p.add_argument("--out", type=Path, default=None, help="write the list as CSV or .xlsx instead of printing it")
    p.add_argument("--kind", default=None, help="verify: the anomaly's kind (see the list's kind column)")
    p.add_argument("--quarter", type=_quarter_arg, default=None, help="verify: its quarter")
    p.add_argument("--indicator", default="", help="verify: its indicator code (none for a whole return)")
    p.add_argument("--note", default="")
    p.add_argument("--user", default=None)


@command("anomalies", "figures that deserve a second look, with their reasons; or mark one 已核实",
         args=_anomalies_args)
def cmd_anomalies(args) -> int:
    from .domain import anomalies
    from .domain.acting import acting
    from .output.export import write_table

    with acting(_user(args), "cli"), _open_store(args) as store:
        if args.action == "verify":
            if not (args.kind in anomalies.KINDS and args.unit and args.quarter):
                raise UsageError(f"verify needs --kind ({', '.join(anomalies.KINDS)}), --unit and --quarter")
            unit = _unit_arg(store, args.unit)
            store.verify_anomaly(args.kind, unit, args.quarter, args.indicator, args.note)
            echo(i18n.both("anomalies_verified_ok"))
            return EXIT_OK
        unit = _unit_arg(store, args.unit)
        span = store.quarter_span()
        if span is None:
            echo(i18n.both("anomalies_none"))
            return EXIT_OK
        last = args.to or span[1]
        first = args.from_ or periods.shift(last, -3)
        facts = store.query("anomaly_facts", units=[unit], **{"from": anomalies.fetch_range(first), "to": last})
        found = anomalies.of_domain(anomalies.find(facts, store.catalog, first, last, store.anomaly_checks()),
                                    store.catalog, args.domain)
        people = anomalies.for_people(found, store.tree(), store.catalog, args.lang)
        people.insert(5, "kind", found["kind"])
        people.insert(4, "indicator_code", found["indicator_code"])
        if args.out is not None:
            fmt = "xlsx" if str(args.out).lower().endswith(".xlsx") else "csv"
            write_table(people, args.out, fmt)
            echo(f"已导出 {len(people)} 行 / wrote {len(people)} rows to {args.out}", err=True)
            return EXIT_OK
        _csv_out([list(people.columns), *people.astype(object).where(people.notna(), "").values.tolist()])
    return EXIT_OK


def _briefing_args(p) -> None:
    p.add_argument("--unit", required=True, help="the unit the circular is about (its sub-units are ranked)")
    p.add_argument("--period", type=_period_arg, required=True,
                   help="a quarter (2024Q4), a half-year (2024H1, 2024H2) or a year (2024)")
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--format", choices=("docx", "pdf"), default=None, help="default: from --out's suffix, else docx")
    p.add_argument("--lang", choices=i18n.LANGS, default=i18n.DEFAULT_LANG)
    p.add_argument("--doc-number", default="",
                   help="the 发文字号: 水党发〔2025〕3号 (any brackets), or only the serial 3 with the 机关代字 "
                        "of DANGJIAN_BRIEFING_DOC_PREFIX; default: the line left blank to write in")
    p.add_argument("--issuer", default="", help="the 发文机关标志 (default: DANGJIAN_BRIEFING_ISSUER, else the unit's name)")
    p.add_argument("--copy-to", default="", help="the 版记's 抄送 (default: DANGJIAN_BRIEFING_COPY_TO, else none)")
    p.add_argument("--printed-by", default="",
                   help="the 版记's 印发机关 (default: DANGJIAN_BRIEFING_PRINTED_BY, else the issuer)")


@command("briefing", "the circular (通报) of a unit for a quarter, a half-year or a year, to GB/T 9704, "
         "as an editable Word document (or PDF)", args=_briefing_args)
def cmd_briefing(args) -> int:
    from . import briefing
    from .output import briefing as document
    from .settings import current as settings

    fmt = args.format or ("pdf" if str(args.out).lower().endswith(".pdf") else "docx")
    if fmt == "pdf" and document.soffice_path() is None:  # said before any work is done
        echo(f"错误 error: {i18n.both('brief_no_soffice', soffice=printable(settings().soffice))}", err=True)
        return EXIT_REJECTED
    year = int(periods.quarters_of(args.period)[-1][:4])
    try:
        number = document.doc_number(args.doc_number, year)
    except ValueError:
        raise UsageError(i18n.both("brief_bad_doc_number", number=printable(args.doc_number))) from None
    masthead = document.Masthead.of_settings(issuer=args.issuer, doc_number=number, copy_to=args.copy_to,
                                             printed_by=args.printed_by)
    with _open_store(args) as store:
        if args.unit not in store.tree():
            raise UsageError(i18n.both("imp_unknown_unit", unit=printable(args.unit)))
        facts = briefing.gather(store, args.unit, args.period, lang=args.lang)
    try:
        data, problem = document.build(facts, fmt, masthead)
    except document.OfficeMissing as exc:
        echo(f"错误 error: {i18n.both('brief_no_soffice', soffice=printable(exc))}", err=True)
        return EXIT_REJECTED
    except document.ConversionFailed as exc:
        echo(f"错误 error: {i18n.both('brief_pdf_failed', error=printable(exc))}", err=True)
        return EXIT_REJECTED
    if problem:
        key, fields = problem
        echo(f"警告 warning: {i18n.both(key, **fields)}", err=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(data)
    echo(i18n.both("brief_written", unit=printable(facts.unit_name), period=facts.period, out=printable(args.out)))
    return EXIT_OK


def _summary_args(p) -> None:
    p.add_argument("--unit", required=True, help="the unit whose summary it is (its own subtree's figures)")
    p.add_argument("--period", type=_period_arg, required=True,
                   help="a year (2024), a half-year (2024H1, 2024H2) or a quarter (2024Q4)")
    p.add_argument("--out", type=Path, required=True, help="the Word file to write (.docx)")
    p.add_argument("--lang", choices=i18n.LANGS, default=i18n.DEFAULT_LANG)


@command("summary", "the figures section of a unit's 工作总结 (half-year or year): one paragraph per domain "
         "and an appendix of every figure's coverage, as a Word document", args=_summary_args)
def cmd_summary(args) -> int:
    from . import summary
    from .output import summary as document

    with _open_store(args) as store:
        if args.unit not in store.tree():
            raise UsageError(i18n.both("imp_unknown_unit", unit=printable(args.unit)))
        facts = summary.gather(store, args.unit, args.period, lang=args.lang)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(document.document(facts))
    echo(i18n.both("summary_written", unit=printable(facts.unit_name), period=facts.period, out=printable(args.out)))
    return EXIT_OK


# --- returns ------------------------------------------------------------------------------------------


def _template_args(p) -> None:
    p.add_argument("--unit", required=True)
    p.add_argument("--period", type=_quarter_arg, required=True)
    p.add_argument("--out", type=Path, required=True)


@command("template", "write the Excel return for a reporting unit and quarter", args=_template_args)
def cmd_template(args) -> int:
    from .ingest import build_template
    from .ingest.layout import layout

    with _open_store(args) as store:
        tree = store.tree_at(args.period)
        if args.unit not in tree:
            raise UsageError(i18n.both("imp_unknown_unit", unit=args.unit))
        if not tree.is_reporting(args.unit):
            raise UsageError(i18n.both("imp_not_reporting", unit=args.unit,
                                       reporter=tree.reporting_unit_of(args.unit).code))
        data = build_template(store, args.unit, args.period)
        lay = layout(store.catalog, tree, args.unit, args.period)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(data)
    echo(i18n.both("imp_tpl_written", unit=args.unit, period=args.period, sheets=len(lay.sheets),
                    units=len(lay.units), out=args.out))
    return EXIT_OK


class _Progress:
    """A one-line progress bar on stderr, shown only for many files on a terminal."""

    def __init__(self, total: int, from_files: int):
        self.total = total
        self.on = total >= from_files and err_stream().isatty()

    def step(self, done: int, name: str) -> None:
        if self.on:
            width = 30
            fill = width * done // self.total
            err_stream().write(f"\r[{'#' * fill}{'.' * (width - fill)}] {done}/{self.total} {printable(name)[:40]:<40}")
            err_stream().flush()

    def clear(self) -> None:
        if self.on:
            err_stream().write("\r" + " " * 80 + "\r")

    def close(self) -> None:
        if self.on:
            err_stream().write("\n")


def _print_outcome(o) -> None:
    name = printable(o.file_name)
    f = {"file": name, "unit": printable(o.reporting_unit or ""), "period": o.quarter or "", "n": o.n_values}
    if o.status == "rejected":
        for p in o.problems:
            echo(p.line())
        echo(i18n.both("imp_rejected", file=name, errors=len(o.errors)))
        return
    for p in o.warnings:
        echo(p.line())
    if o.status == "loaded":
        line = i18n.t("imp_loaded", id=o.submission_id, **f)
        line_en = i18n.t("imp_loaded", "en", id=o.submission_id, **f)
        if o.superseded_id:
            line += i18n.t("imp_superseded", old=o.superseded_id)
            line_en += " " + i18n.t("imp_superseded", "en", old=o.superseded_id)
        echo(f"{line} | {line_en}")
    elif o.status == "duplicate":
        echo(i18n.both("imp_duplicate", file=name, id=o.submission_id))
    else:
        echo(i18n.both("imp_valid", **f))


def _write_reports(path: Path, files: list[Path], blobs: list[bytes], outcomes) -> list[Path]:
    """One file: its own workbook marked.  Several: the combined list at `path`, and a marked
    copy of each file with problems beside it (<report>-<file>.xlsx)."""
    from .ingest import problems_frame, report_workbook
    from .output import export

    path.parent.mkdir(parents=True, exist_ok=True)
    if len(files) == 1:
        path.write_bytes(report_workbook(blobs[0], outcomes[0]))
        return [path]
    frame = problems_frame(outcomes, "zh")
    frame[i18n.t("val_head_message", "en")] = [p.message_en for o in outcomes for p in o.problems]
    path.write_bytes(export.to_xlsx_bytes(frame, "校验结果"))
    written = [path]
    for f, data, o in zip(files, blobs, outcomes):
        if o.problems:
            each = path.with_name(f"{path.stem}-{file_part(f.stem)}.xlsx")
            each.write_bytes(report_workbook(data, o))
            written.append(each)
    return written


def _import_args(p) -> None:
    p.add_argument("--user", default=None, help="who submits (default: the login name)")
    p.add_argument("--dry-run", action="store_true", help="validate only, load nothing")
    p.add_argument("--report", type=Path, default=None, help="also write the validation report as .xlsx")
    p.add_argument("files", nargs="+", type=Path)


@command("import", "validate and load filled returns", args=_import_args)
def cmd_import(args) -> int:
    from collections import Counter

    from .ingest import import_return
    from .ingest.pipeline import oversized, read_upload, record, unreadable
    from .settings import current as settings

    files: list[Path] = list(args.files)
    for f in files:
        if not f.is_file():
            raise UsageError(i18n.both("imp_file_missing", path=f))
    conf = settings()
    user = _user(args)
    admin = administrator(user)  # the command line is the administrator's tool on the server
    outcomes, blobs = [], []
    progress = _Progress(len(files), conf.progress_min_files)
    bulk = len(files) >= conf.bulk_import_min_files  # one roll-up refresh at the end instead of one per file
    with _open_store(args) as store:
        for n, f in enumerate(files, 1):
            never_read = True  # refused before import_return saw it (which records what it sees)
            try:
                data = read_upload(f)  # at most the size limit: a 2 GB file is refused, not read
            except OSError as exc:
                data, outcome = b"", unreadable(f.name, exc)
            else:
                if data is None:
                    data, outcome = b"", oversized(f.name, f.stat().st_size)
                else:  # each file on its own: import_return refuses, never raises, for one file's sake
                    never_read = False
                    outcome = import_return(store, data, f.name, user, dry_run=args.dry_run, refresh=not bulk,
                                            principal=admin)
            if never_read and not args.dry_run:
                record(store, outcome)  # the audit trail hears of it here
            outcomes.append(outcome)
            if args.report:
                blobs.append(data)
            progress.clear()
            _print_outcome(outcome)
            progress.step(n, f.name)
        if bulk and any(o.status == "loaded" for o in outcomes):
            store.refresh_dirty_rollup()
    progress.close()
    counts = Counter(o.status for o in outcomes)
    if len(files) > 1:
        echo(i18n.both("imp_summary", total=len(files), **{s: counts[s] for s in ("loaded", "duplicate", "valid",
                                                                                   "rejected")}))
    if args.report:
        for path in _write_reports(args.report, files, blobs, outcomes):
            echo(i18n.both("imp_report_written", path=printable(path)), err=True)
    return EXIT_OK if all(o.ok for o in outcomes) else EXIT_REJECTED


def _submissions_args(p) -> None:
    p.add_argument("--unit", default=None)
    p.add_argument("--period", type=_quarter_arg, default=None)


@command("submissions", "the history of submissions", args=_submissions_args)
def cmd_submissions(args) -> int:
    import pandas as pd

    from .domain.tree import OPEN_FROM, OPEN_TO

    with _open_store(args) as store:
        code = _unit_arg(store, args.unit)
        tree = store.tree()
        units = [u.code for u in tree.subtree(code) if tree.is_reporting(u.code)] or [tree.reporting_unit_of(code).code]
        frame = store.query("submission_history", units=units, **{"from": args.period or OPEN_FROM,
                                                                   "to": args.period or OPEN_TO})
    if frame.empty:
        echo(i18n.both("imp_no_history"))
        return EXIT_OK
    status = {s: f"{i18n.t('imp_status_' + s)} {s}" for s in ("active", "superseded")}
    out = pd.DataFrame({
        "id": frame["submission_id"],
        "unit": frame["unit_code"] + " " + frame["unit_name_zh"],
        "quarter": frame["quarter"],
        "status": frame["status"].map(lambda s: status.get(s, s)),
        "by": frame["submitted_by"],
        "at": pd.to_datetime(frame["submitted_at"]).dt.strftime("%Y-%m-%d %H:%M:%S"),
        "file": frame["file_name"].fillna(""),
        "sha256": frame["sha256_prefix"].fillna(""),
        "template": frame["template_version"].fillna(""),
        "values": frame["n_values"],
        "warnings": frame["warnings"],
    })
    for col in ("unit", "by", "file"):  # typed by people: shown, never obeyed, by the terminal
        out[col] = out[col].map(printable)
    echo(out.to_string(index=False))
    return EXIT_OK


def _restore_args(p) -> None:
    p.add_argument("submission_id", type=int)


@command("restore", "make an earlier submission active again", args=_restore_args)
def cmd_restore(args) -> int:
    from .db import RowsWouldBeLost

    with _open_store(args) as store:
        found = store.submission(args.submission_id)
        if found is None:
            store.audit("return.restore", str(args.submission_id), "rejected", words(no_such_submission="yes"))
            echo(f"错误 error: {i18n.both('imp_no_submission', id=args.submission_id)}", err=True)
            return EXIT_REJECTED
        unit, quarter, status = found
        try:
            # an active one only acts if another is active too
            previous = store.restore(args.submission_id, principal=administrator(_user(args)))
        except KeyError:  # removed meanwhile (a demo clear): the store has recorded the refusal
            echo(f"错误 error: {i18n.both('imp_no_submission', id=args.submission_id)}", err=True)
            return EXIT_REJECTED
        except RowsWouldBeLost as exc:  # filed under an earlier tree: refused, and recorded
            echo(f"错误 error: {printable(str(exc))}", err=True)
            return EXIT_REJECTED
        if status == "active" and previous is None:
            echo(i18n.both("imp_already_active", id=args.submission_id))
            return EXIT_OK
    unit = printable(unit)
    zh = i18n.t("imp_restored", id=args.submission_id, unit=unit, period=quarter)
    en = i18n.t("imp_restored", "en", id=args.submission_id, unit=unit, period=quarter)
    if previous:
        zh += i18n.t("imp_restore_superseded", old=previous)
        en += i18n.t("imp_restore_superseded", "en", old=previous)
    echo(f"{zh} | {en}")
    return EXIT_OK


# --- users: who may sign in to the app (dashboard/domain/access.py) ------------------------------------


def _users_args(p) -> None:
    from .domain.access import ROLES

    p.add_argument("--user", default=None, help="who makes the change, for the audit trail (default: the login name)")
    sub = p.add_subparsers(dest="action", required=True, metavar="add|list|remove|import")
    add = sub.add_parser("add", help="add a user, or change the role, scope or name of one")
    add.add_argument("login", help="the identity provider's claim: the e-mail address (or sub)")
    add.add_argument("--role", choices=ROLES, required=True)
    add.add_argument("--unit", default=None, help="the unit whose subtree is the scope (an admin's: the root)")
    add.add_argument("--name", default=None, help="the name shown (default: kept for an existing login, else empty)")
    add.add_argument("--email", default=None, help="where e-mail reminders go (default: kept for an existing login, "
                                                   "else the login when it is an address)")
    add.add_argument("--mobile", default=None, help="a mobile number, for the group robots' @-mention "
                                                    "(default: kept for an existing login)")
    sub.add_parser("list", help="every user: login, name, role, scope unit, when added")
    remove = sub.add_parser("remove", help="remove a user")
    remove.add_argument("login")
    imp = sub.add_parser("import", help="add or update every user of a file (columns login,name,role,unit"
                                        "[,email,mobile]), "
                                        "all or none")
    imp.add_argument("file", nargs=1, type=Path, help="a .csv or .xlsx file")


def _width(text: str) -> int:
    """Columns a terminal gives `text` (a Chinese character takes two)."""
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _print_user_problems(problems, file_name: str | None = None) -> None:
    for row, problem in problems:
        where = i18n.both("usr_import_row", file=printable(file_name), row=row) if file_name and row else (
            printable(file_name) if file_name else "")
        echo(f"{where + ' · ' if where else ''}错误 error: {printable(problem)}")


@command("users", "who may sign in: users add LOGIN --role R --unit CODE [--name N] | list | remove LOGIN | "
                  "import FILE", args=_users_args)
def cmd_users(args) -> int:
    from .domain import access
    from .domain.acting import acting
    from .ingest.userfile import read_users

    with acting(_user(args), "cli"), _open_store(args) as store:
        tree = store.tree()
        if args.action == "list":
            users = store.users()
            if not users:
                echo(i18n.both("usr_none"))
                return EXIT_OK
            rows = [["login", "name", "role", "unit", "unit_name", "email", "mobile", "created_at"]]
            rows += [[u.login, u.name, u.role, u.unit, tree[u.unit].name_zh if u.unit in tree else "", u.email,
                      u.mobile, str(u.created_at)[:19]] for u in users]
            shown = [[printable(v) for v in r] for r in rows]
            widths = [max(_width(r[i]) for r in shown) for i in range(len(rows[0]))]
            for r in shown:
                echo("  ".join(v + " " * (w - _width(v)) for v, w in zip(r, widths)).rstrip())
            return EXIT_OK
        if args.action == "remove":
            login = access.normal_login(args.login)
            if not store.remove_user(login):
                echo(f"错误 error: {i18n.both('usr_not_found', login=printable(login))}", err=True)
                return EXIT_REJECTED
            echo(i18n.both("usr_removed", login=printable(login)))
            return EXIT_OK
        if args.action == "add":
            # changing a role or scope keeps the name, e-mail and mobile; only their options change them
            known = {u.login: u for u in store.users()}.get(access.normal_login(args.login))

            def kept(given, field: str) -> str:
                return given if given is not None else (getattr(known, field) if known else "")

            entries = [(None, access.clean_entry(tree, args.login, kept(args.name, "name"), args.role, args.unit,
                                                 kept(args.email, "email"), kept(args.mobile, "mobile")))]
            action, target = "user.add", None
        else:
            path = Path(args.file[0])
            if not path.is_file():
                raise UsageError(i18n.both("imp_file_missing", path=path))
            entries, problems = read_users(tree, _read_bounded(path), path.name)
            if problems:
                _print_user_problems(problems, path.name)
                echo(i18n.both("usr_import_rejected", file=printable(path.name), n=len(problems)))
                store.audit("user.import", path.name, "rejected", f"{len(problems)} problems")
                return EXIT_REJECTED
            action, target = "user.import", path.name
        try:
            done = store.put_users(entries, action=action, target=target)
        except access.UsersRejected as exc:
            _print_user_problems(exc.problems, target)
            if target:
                echo(i18n.both("usr_import_rejected", file=printable(target), n=len(exc.problems)))
            else:
                echo(i18n.both("usr_rejected"))
            return EXIT_REJECTED
    if action == "user.import":
        added = sum(old is None for _, old in done)
        echo(i18n.both("usr_import_done", file=printable(target), added=added, updated=len(done) - added))
        return EXIT_OK
    for e, old in done:
        fields = {"login": printable(e.login), "role": e.role, "unit": e.unit}
        if old is None:
            echo(i18n.both("usr_added", **fields))
        else:
            echo(i18n.both("usr_updated", **fields, old_role=old.role, old_unit=old.unit))
    return EXIT_OK


# --- the health check ------------------------------------------------------------------------------


def _check_args(p) -> None:
    p.add_argument("--repair", action="store_true",
                   help="move orphaned and temporary archive files aside and rebuild the roll-up; "
                        "never changes a submission or a fact")


@command("check", "verify the database and the archive of originals (exit 0 healthy, 1 problems)", args=_check_args)
def cmd_check(args) -> int:
    from . import health
    from .db import Store, StoreUnavailable, default_db_path

    path = args.db or default_db_path()
    if isinstance(path, Path) and not path.exists():  # a check never creates the database it was asked about
        raise StoreUnavailable("db_missing", path)
    with Store(path) as store:
        echo(i18n.both("chk_heading", db=store.location, archive=store.archive_dir))
        report = health.check(store)
        _print_findings(report)
        echo(report.summary())
        if not args.repair or report.healthy:
            return EXIT_OK if report.healthy else EXIT_REJECTED
        echo(i18n.both("chk_repairing"))
        done = health.repair(store, report)
        for line in done or [i18n.both("chk_repair_nothing")]:
            echo(f"  {line}")
        echo(i18n.both("chk_repair_untouched"))
        echo(i18n.both("chk_recheck"))
        report = health.check(store)
        _print_findings(report)
        echo(report.summary())
    return EXIT_OK if report.healthy else EXIT_REJECTED


def _print_findings(report) -> None:
    problem = i18n.both("chk_problem").replace(" | ", " ")
    for finding in report.findings:
        echo(f"{problem}: {finding.line()}")
        for line in finding.detail_lines():
            echo(f"  {line}")


# --- reminders (催报) and deadlines --------------------------------------------------------------------


def _remind_args(p) -> None:
    from .remind import CHANNELS

    p.add_argument("--period", type=_quarter_arg, default=None,
                   help="the quarter whose returns to chase (default: the latest quarter that has ended)")
    p.add_argument("--dry-run", action="store_true", help="list the units, reporters and messages; send nothing")
    p.add_argument("--channel", action="append", choices=CHANNELS, default=None,
                   help="send by this channel only (repeatable; default: every channel configured in "
                        "the secrets file's [remind] section)")
    p.add_argument("--user", default=None, help="who sends, for the audit trail (default: the login name)")


@command("remind", "remind the reporters of every unit whose return is due and not in (e-mail, 企业微信, 钉钉)",
         args=_remind_args)
def cmd_remind(args) -> int:
    from . import remind

    try:
        config = remind.read_config()
    except remind.RemindError as exc:
        echo(f"错误 error: {printable(exc)}", err=True)
        return EXIT_REJECTED
    channels = tuple(args.channel or ()) or remind.configured(config)
    if not channels:
        if not args.dry_run:
            echo(f"错误 error: {i18n.both('remind_no_channel')}", err=True)
            return EXIT_REJECTED
        channels = remind.CHANNELS  # a preview shows what every channel would send
    with _open_store(args) as store:
        try:
            planned = remind.plan(store, args.period, channels)
        except remind.RemindError as exc:
            echo(f"错误 error: {printable(exc)}", err=True)
            return EXIT_REJECTED
        _print_plan(planned, args.dry_run)
        if args.dry_run or not planned.messages:
            if not args.dry_run and planned.units:
                remind.send(store, planned, config)  # nothing to send: the refusals are audited
                echo(i18n.both("remind_nothing_sent"))
            return EXIT_OK
        outcomes = remind.send(store, planned, config)
    for o in outcomes:
        mark = "✓" if o.ok else "✗"
        echo(f"  {mark} {o.message.unit} {i18n.t('remind_channel_' + o.message.channel)} {printable(o.message.to)}"
             + (f"  {printable(o.reason)}" if o.reason else ""))
    failed = sum(not o.ok for o in outcomes)
    echo(i18n.both("remind_sent_line", ok=len(outcomes) - failed, failed=failed))
    return EXIT_REJECTED if failed else EXIT_OK


def _print_plan(planned, dry_run: bool) -> None:
    from . import remind
    from .domain import periods as p

    period = p.label(planned.quarter)
    if not planned.units:
        echo(i18n.t("remind_none_due", period=period))
        return
    days = remind.days_left_of(planned)
    echo(f"{i18n.t('remind_heading', n=len(planned.units), period=period, deadline=planned.deadline.isoformat(), days=remind.days_text(days))}"
         + (i18n.t("remind_dry_run") if dry_run else ""))
    for unit in planned.units:
        who = "、".join(f"{r.name} <{r.email or '—'}>" + (f" {r.mobile}" if r.mobile else "") for r in unit.reporters)
        echo(f"  {unit.code}  {printable(unit.name)}  报送人 reporters: {printable(who) or '—'}")
        for m in (m for m in planned.messages if m.unit == unit.code):
            echo(f"    → {i18n.t('remind_channel_' + m.channel)}  {printable(m.to)}  {printable(m.subject)}")
        for s in (s for s in planned.skipped if s.unit == unit.code):
            channel = f"{i18n.t('remind_channel_' + s.channel)}  " if s.channel else ""
            echo(f"    × {channel}{printable(s.text())}")


def _deadline_args(p) -> None:
    p.add_argument("--period", type=_quarter_arg, default=None, help="the quarter whose deadline to set")
    p.add_argument("--date", type=_date_arg, default=None, help="its deadline, YYYY-MM-DD")
    p.add_argument("--default", action="store_true", help="put the quarter back on the default deadline")
    p.add_argument("--user", default=None, help="who sets it, for the audit trail (default: the login name)")


@command("deadline", "the deadlines of the quarters: list them, or set one quarter's apart from the default",
         args=_deadline_args)
def cmd_deadline(args) -> int:
    from datetime import date as day

    from .domain import deadlines

    with _open_store(args) as store:
        if args.period is None:
            if args.date or args.default:
                raise UsageError("--date / --default 需要 --period / need --period")
            set_apart = store.deadlines()
            span = store.quarter_span()
            quarters = periods.quarter_range(span[0], span[1]) if span else []
            quarters = sorted(set(quarters) | set(set_apart))
            for q in quarters:
                mark = "  （已单独设定 set apart）" if q in set_apart else ""
                echo(f"{q}  {deadlines.due(q, set_apart).isoformat()}{mark}")
            return EXIT_OK
        if bool(args.date) == bool(args.default):
            raise UsageError("--period 需要 --date 或 --default 之一 / --period needs one of --date, --default")
        due = day.fromisoformat(args.date) if args.date else None
        store.set_deadline(args.period, due)
        echo(f"{args.period}  {deadlines.due(args.period, store.deadlines()).isoformat()}")
    return EXIT_OK


# --- the audit trail and backups -----------------------------------------------------------------------

AUDIT_COLUMNS = ("id", "at", "actor", "via", "action", "target", "outcome", "detail")
AUDIT_SINCE_EVER = datetime(1900, 1, 1)


def _date_arg(text: str) -> str:
    """A day written YYYY-MM-DD, checked and kept as text (the service sends arguments as JSON)."""
    try:
        datetime.strptime(text, "%Y-%m-%d")
        return text
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text}: 日期格式应为 2025-01-31 / a date is written 2025-01-31") from exc


def _audit_args(p) -> None:
    p.add_argument("--since", type=_date_arg, default=None, help="from this day on (YYYY-MM-DD)")
    p.add_argument("--user", dest="login", default=None, help="only what this login did")
    p.add_argument("--out", type=Path, default=None, help="write it as CSV (or .xlsx) instead of a table")
    p.add_argument("--format", choices=("csv", "xlsx"), default=None)
    p.add_argument("--lang", choices=i18n.LANGS, default=i18n.DEFAULT_LANG, help="the language of the table shown")


@command("audit", "the audit trail: who did what, when, from where, and how it ended", args=_audit_args)
def cmd_audit(args) -> int:
    import pandas as pd

    from .output.export import write_table

    with _open_store(args) as store:
        since = datetime.strptime(args.since, "%Y-%m-%d") if args.since else AUDIT_SINCE_EVER
        trail = store.query("audit_list", since=since, actor=args.login or "")
    frame = pd.DataFrame({
        "id": trail["id"], "at": pd.to_datetime(trail["happened_at"]).dt.strftime("%Y-%m-%d %H:%M:%S"),
        **{col: trail[col].fillna("") for col in ("actor", "via", "action", "target", "outcome", "detail")}},
        columns=list(AUDIT_COLUMNS))
    if args.out is not None:
        fmt = args.format or ("xlsx" if str(args.out).lower().endswith(".xlsx") else "csv")
        write_table(frame, args.out, fmt)  # every cell through safe.cell
        echo(i18n.both("aud_written", n=len(frame), path=printable(args.out)), err=True)
        return EXIT_OK
    if frame.empty:
        echo(i18n.both("aud_empty"))
        return EXIT_OK
    from .domain.audit import shown

    for col in ("actor", "target", "detail"):  # typed by people: shown, never obeyed, by the terminal
        trail[col] = trail[col].map(printable)
    echo(shown(trail, args.lang).to_string(index=False))  # headed and worded as the audit page words them
    return EXIT_OK


def _backup_args(p) -> None:
    p.add_argument("--out", type=Path, required=True, help="the backup file to write: .tar.gz, .tgz or .tar")


@command("backup", "one consistent backup of the database and its originals, while the app runs", args=_backup_args)
def cmd_backup(args) -> int:
    from . import backup

    if backup.compression(args.out) is None:
        raise UsageError(i18n.both("bk_bad_name", path=printable(args.out)))
    with _open_store(args) as store:
        try:
            made = backup.create(store, args.out)
        except backup.BackupRefused as exc:
            echo(f"错误 error: {exc}", err=True)
            return EXIT_REJECTED
    for missing in made.missing:
        echo(f"警告 warning: {i18n.both('bk_original_' + missing['problem'], file=missing['file'])}", err=True)
    echo(made.summary())
    if made.missing:
        echo(i18n.both("bk_incomplete", n=len(made.missing)), err=True)
        return EXIT_REJECTED
    return EXIT_OK


def _restore_backup_args(p) -> None:
    p.add_argument("file", type=Path, help="the backup file (.tar.gz, .tgz or .tar)")
    p.add_argument("--db", type=Path, default=None,
                   help="the NEW database file to restore into, its originals in archive/ beside it "
                        "(default: $DANGJIAN_DB or data/dangjian.duckdb); never overwritten")


@command("restore-backup", "check a backup against its manifest and restore it into a new database path",
         args=_restore_backup_args, db=False)
def cmd_restore_backup(args) -> int:
    from . import backup

    try:
        done = backup.restore(args.file, _db_path(args))
    except backup.BackupRefused as exc:
        echo(f"错误 error: {exc}", err=True)
        return EXIT_REJECTED
    missing = done.manifest.get("originals_missing") or []
    if missing:
        echo(i18n.both("bk_restored_missing", n=len(missing), files=", ".join(m["file"] for m in missing)), err=True)
    echo(done.summary())
    return EXIT_OK


# --- the benchmark --------------------------------------------------------------------------------------


def _bench_args(p) -> None:
    p.add_argument("part", nargs="?", choices=("growth",), default=None,
                   help="growth: load time, size, chart queries and app memory at several sizes, on DuckDB and on "
                        "a throwaway PostgreSQL")
    p.add_argument("--sizes", default=None, help="for growth: units x quarters, comma-separated "
                                                 "(default 5000x12,20000x12,80000x12,20000x40)")
    p.add_argument("--backends", default=None, help="for growth: duckdb,postgresql (the default: both)")
    p.add_argument("--scale", choices=("small", "province"), default="province")
    p.add_argument("--quick", action="store_true", help="a reduced run, under a minute")
    p.add_argument("--json", type=Path, default=None)
    p.add_argument("--no-pages", action="store_true", help="skip the browser page timings")
    p.add_argument("--concurrency", action="store_true",
                   help="only: 20 command-line imports and 20 browser uploads at once while the app runs")
    p.add_argument("--load", action="store_true",
                   help="1, 20, 50 and 100 leaders switching pages through Streamlit's own protocol (no browser) "
                        "on one app instance on the DuckDB file and, with --db postgresql://…, on 1, 2 and 4 "
                        "instances on it (--quick: 1 and 2 leaders, 1 and 2 instances)")
    from .settings import db_location

    p.add_argument("--db", type=db_location, default=None,
                   help="also time the chart queries on this PostgreSQL database (postgresql://...; "
                        "the benchmark loads the same data into it, so give it an empty one)")


@command("bench", "benchmarks at provincial scale against the plain pandas way", args=_bench_args, db=False)
def cmd_bench(args) -> int:
    # The product imports nothing of the benchmark; it is loaded by name only when asked for.
    return importlib.import_module("dashboard.bench.run").main(args)


def _parsers(parser: argparse.ArgumentParser):
    """`parser` and every subcommand's parser under it, at any depth (argparse keeps them in its
    subparsers action's choices; it has no public walk)."""
    yield parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in action.choices.values():
                yield from _parsers(child)


def build_parser() -> argparse.ArgumentParser:
    from .settings import db_location

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
    """Run a parsed command here as `actor` (default: its --user or the login name, see _user), via
    "cli", turning the errors a person can act on into messages."""
    from .db import StoreUnavailable

    try:
        with acting(actor or _user(args), "cli"):
            return args.func(args)
    except UsageError as exc:
        echo(f"错误 error: {exc}", err=True)
        return EXIT_USAGE
    except StoreUnavailable as exc:  # the file or the disk is in the way (busy, a folder, read-only, full)
        echo(f"错误 error: {exc}", err=True)
        return EXIT_REJECTED


def _through_app(args) -> int | None:
    """Run the command through the app holding the database, if one does; None otherwise."""
    from . import service

    db = _db_path(args)
    if not isinstance(db, Path):  # PostgreSQL: every process works on the server itself
        return None
    values = {k: (str(Path(v).resolve()) if isinstance(v, Path) else v) for k, v in vars(args).items()
              if k not in ("func", "db", INPUT_FILES.get(args.command))}
    files = []
    for path in getattr(args, INPUT_FILES.get(args.command, ""), None) or []:
        if not Path(path).is_file():
            return None  # said here, in the client's terms
        files.append((Path(path).name, _read_bounded(Path(path))))
    if not service.available(db):
        return None
    echo(i18n.both("svc_through_app", pid=service._read_info(db)["pid"]), err=True)
    code = service.forward(db, args.command, values, files, out_stream(), err_stream(), actor=_user(args))
    if code is None:
        echo(f"错误 error: {i18n.both('svc_failed', error='no answer')}", err=True)
        return EXIT_REJECTED
    return code


def _read_bounded(path: Path) -> bytes:
    """A file's bytes, at most one byte past the largest return accepted (the importer refuses
    what is longer; a huge file is never read whole)."""
    from .settings import current as settings

    with open(path, "rb") as f:
        return f.read(settings().max_file_bytes + 1)


def run_for_client(command: str, values: dict, files: list[Path], store, out, err, actor: str | None = None) -> int:
    """Run a command the way `main` would, on the app's open store, printing to the client's
    streams, as the client's login `actor` (service.py calls this in the app's process; the
    app's own login is not who acts)."""
    help_, configure, func, db = COMMANDS[command]
    parser = argparse.ArgumentParser()
    configure(parser)
    # the client sent paths as text, a subcommand's too (`tree template --out F`)
    paths = {a.dest for p in _parsers(parser) for a in p._actions if a.type is Path}
    args = argparse.Namespace(**{k: (Path(v) if k in paths and isinstance(v, str) else v) for k, v in values.items()})
    args.command, args.func, args.db = command, func, store.path
    if command in INPUT_FILES:
        setattr(args, INPUT_FILES[command], files)
    tokens = [_SHARED_STORE.set(store), _OUT.set(out), _ERR.set(err)]
    try:
        return run(args, actor=actor or "unknown")
    finally:
        for var, token in zip((_SHARED_STORE, _OUT, _ERR), tokens):
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
        except _ServiceUp:
            code = _through_app(args)
            return EXIT_REJECTED if code is None else code
    except BrokenPipeError:  # `units | head`: the reader left; not an error
        sys.stderr.close()
        return EXIT_OK
