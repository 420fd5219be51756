"""The template / import / submissions / restore commands (wired in dashboard/__main__.py).

Exit codes: 0 done (every file accepted), 1 a file or request was rejected, 2 bad arguments.
Output is Chinese with the English after it, one line per problem.
"""

from __future__ import annotations

import getpass
import sys
from pathlib import Path

import pandas as pd

from .. import i18n
from ..store import Store
from .pipeline import ImportOutcome, import_return, oversized, read_upload, unreadable
from .report import problems_frame, report_workbook
from .layout import layout
from .template import build_template

EXIT_OK, EXIT_REJECTED, EXIT_USAGE = 0, 1, 2
PROGRESS_MIN_FILES = 10  # show a progress bar from this many files (on a terminal)
BULK_MIN_FILES = 20  # from this many files, rebuild the roll-up once after the last one


def _usage(key: str, **fields) -> int:
    print(f"错误 error: {i18n.both(key, **fields)}", file=sys.stderr)
    return EXIT_USAGE


def _user(args) -> str:
    if args.user:
        return args.user
    try:
        return getpass.getuser()
    except Exception:  # no login name in some containers
        return "unknown"


def cmd_template(args) -> int:
    with Store(args.db) as store:
        tree = store.tree()
        if args.unit not in tree:
            return _usage("imp_unknown_unit", unit=args.unit)
        if not tree.is_reporting(args.unit):
            return _usage("imp_not_reporting", unit=args.unit, reporter=tree.reporting_unit_of(args.unit).code)
        data = build_template(store, args.unit, args.period)
        lay = layout(store.catalog, tree, args.unit, args.period)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(data)
    print(i18n.both("imp_tpl_written", unit=args.unit, period=args.period, sheets=len(lay.sheets),
                    units=len(lay.units), out=args.out))
    return EXIT_OK


class _Progress:
    """A one-line progress bar on stderr, shown only for many files on a terminal."""

    def __init__(self, total: int):
        self.total = total
        self.on = total >= PROGRESS_MIN_FILES and sys.stderr.isatty()

    def step(self, done: int, name: str) -> None:
        if self.on:
            width = 30
            fill = width * done // self.total
            sys.stderr.write(f"\r[{'#' * fill}{'.' * (width - fill)}] {done}/{self.total} {name[:40]:<40}")
            sys.stderr.flush()

    def clear(self) -> None:
        if self.on:
            sys.stderr.write("\r" + " " * 80 + "\r")

    def close(self) -> None:
        if self.on:
            sys.stderr.write("\n")


def _print_outcome(o: ImportOutcome) -> None:
    f = {"file": o.file_name, "unit": o.reporting_unit or "", "period": o.quarter or "", "n": o.n_values}
    if o.status == "rejected":
        for p in o.problems:
            print(p.line())
        print(i18n.both("imp_rejected", file=o.file_name, errors=len(o.errors)))
        return
    for p in o.warnings:
        print(p.line())
    if o.status == "loaded":
        line = i18n.t("imp_loaded", id=o.submission_id, **f)
        line_en = i18n.t("imp_loaded", "en", id=o.submission_id, **f)
        if o.superseded_id:
            line += i18n.t("imp_superseded", old=o.superseded_id)
            line_en += " " + i18n.t("imp_superseded", "en", old=o.superseded_id)
        print(f"{line} | {line_en}")
    elif o.status == "duplicate":
        print(i18n.both("imp_duplicate", file=o.file_name, id=o.submission_id))
    else:
        print(i18n.both("imp_valid", **f))


def _write_reports(path: Path, files: list[Path], blobs: list[bytes], outcomes: list[ImportOutcome]) -> list[Path]:
    """One file: its own workbook marked.  Several: the combined list at `path`, and a marked
    copy of each file with problems beside it (<report>-<file>.xlsx)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if len(files) == 1:
        path.write_bytes(report_workbook(blobs[0], outcomes[0]))
        return [path]
    from .. import export

    frame = problems_frame(outcomes, "zh")
    frame[i18n.t("val_head_message", "en")] = [p.message_en for o in outcomes for p in o.problems]
    path.write_bytes(export.to_xlsx_bytes(frame, "校验结果"))
    written = [path]
    for f, data, o in zip(files, blobs, outcomes):
        if o.problems:
            each = path.with_name(f"{path.stem}-{f.stem}.xlsx")
            each.write_bytes(report_workbook(data, o))
            written.append(each)
    return written


def cmd_import(args) -> int:
    files: list[Path] = list(args.files)
    for f in files:
        if not f.is_file():
            return _usage("imp_file_missing", path=f)
    user = _user(args)
    outcomes: list[ImportOutcome] = []
    blobs: list[bytes] = []
    progress = _Progress(len(files))
    bulk = len(files) >= BULK_MIN_FILES  # one roll-up rebuild at the end instead of one per file
    with Store(args.db) as store:
        for n, f in enumerate(files, 1):
            try:
                data = read_upload(f)  # at most the size limit: a 2 GB file is refused, not read
            except OSError as exc:
                data, outcome = b"", unreadable(f.name, exc)
            else:
                if data is None:
                    data, outcome = b"", oversized(f.name, f.stat().st_size)
                else:  # each file on its own: import_return refuses, never raises, for one file's sake
                    outcome = import_return(store, data, f.name, user, dry_run=args.dry_run, refresh=not bulk)
            outcomes.append(outcome)
            if args.report:
                blobs.append(data)
            progress.clear()
            _print_outcome(outcome)
            progress.step(n, f.name)
        if bulk and any(o.status == "loaded" for o in outcomes):
            store.refresh_dirty_rollup()
    progress.close()
    counts = pd.Series([o.status for o in outcomes]).value_counts()
    if len(files) > 1:
        print(i18n.both("imp_summary", total=len(files), **{s: int(counts.get(s, 0))
                                                           for s in ("loaded", "duplicate", "valid", "rejected")}))
    if args.report:
        for path in _write_reports(args.report, files, blobs, outcomes):
            print(i18n.both("imp_report_written", path=path), file=sys.stderr)
    return EXIT_OK if all(o.ok for o in outcomes) else EXIT_REJECTED


def cmd_submissions(args) -> int:
    with Store(args.db) as store:
        tree = store.tree()
        if args.unit is not None and args.unit not in tree:
            return _usage("imp_unknown_unit", unit=args.unit)
        code = args.unit or tree.root.code
        units = [u.code for u in tree.subtree(code) if tree.is_reporting(u.code)] or [tree.reporting_unit_of(code).code]
        frame = store.query("submission_history", units=units, **{"from": args.period or "0000Q1",
                                                                   "to": args.period or "9999Q4"})
    if frame.empty:
        print(i18n.both("imp_no_history"))
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
    print(out.to_string(index=False))
    return EXIT_OK


def cmd_restore(args) -> int:
    with Store(args.db) as store:
        row = store.query("ingest_submission", id=args.submission_id)
        if row.empty:
            print(f"错误 error: {i18n.both('imp_no_submission', id=args.submission_id)}", file=sys.stderr)
            return EXIT_REJECTED
        unit, quarter, status = row.iloc[0][["unit_code", "quarter", "status"]]
        if status == "active":
            print(i18n.both("imp_already_active", id=args.submission_id))
            return EXIT_OK
        previous = store.restore(args.submission_id)
    zh = i18n.t("imp_restored", id=args.submission_id, unit=unit, period=quarter)
    en = i18n.t("imp_restored", "en", id=args.submission_id, unit=unit, period=quarter)
    if previous:
        zh += i18n.t("imp_restore_superseded", old=previous)
        en += i18n.t("imp_restore_superseded", "en", old=previous)
    print(f"{zh} | {en}")
    return EXIT_OK
