"""The returns: `template` (the Excel to fill), `import` (validate and load filled ones),
`submissions` (their history) and `restore` (an earlier one active again)."""

from __future__ import annotations

from pathlib import Path

from .. import i18n
from ..domain.audit import words
from ..exits import EXIT_OK, EXIT_REJECTED
from ..output.safe import file_part, printable
from .common import UsageError, administrator, command, echo, err_stream, open_store, quarter_arg, unit_arg, user_of


def _template_args(p) -> None:
    p.add_argument("--unit", required=True)
    p.add_argument("--period", type=quarter_arg, required=True)
    p.add_argument("--out", type=Path, required=True)


@command("template", "write the Excel return for a reporting unit and quarter", args=_template_args)
def cmd_template(args) -> int:
    from ..ingest import build_template
    from ..ingest.layout import layout

    with open_store(args) as store:
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
    from ..ingest import problems_frame, report_workbook
    from ..output import export

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

    from ..ingest import import_return
    from ..ingest.pipeline import oversized, read_upload, record, unreadable
    from ..settings import current as settings

    files: list[Path] = list(args.files)
    for f in files:
        if not f.is_file():
            raise UsageError(i18n.both("imp_file_missing", path=f))
    conf = settings()
    user = user_of(args)
    admin = administrator(user)  # the command line is the administrator's tool on the server
    outcomes, blobs = [], []
    progress = _Progress(len(files), conf.progress_min_files)
    bulk = len(files) >= conf.bulk_import_min_files  # one roll-up refresh at the end instead of one per file
    with open_store(args) as store:
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
    p.add_argument("--period", type=quarter_arg, default=None)


@command("submissions", "the history of submissions", args=_submissions_args)
def cmd_submissions(args) -> int:
    import pandas as pd

    from ..domain.tree import OPEN_FROM, OPEN_TO

    with open_store(args) as store:
        code = unit_arg(store, args.unit)
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
    from ..db import RowsWouldBeLost

    with open_store(args) as store:
        found = store.submission(args.submission_id)
        if found is None:
            store.audit("return.restore", str(args.submission_id), "rejected", words(no_such_submission="yes"))
            echo(f"错误 error: {i18n.both('imp_no_submission', id=args.submission_id)}", err=True)
            return EXIT_REJECTED
        unit, quarter, status = found
        try:
            # an active one only acts if another is active too
            previous = store.restore(args.submission_id, principal=administrator(user_of(args)))
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
