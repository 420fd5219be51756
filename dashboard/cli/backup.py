"""`audit` (who did what, when), `backup` (one consistent archive while the app runs) and
`restore-backup` (into a new database path)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from .. import i18n
from ..exits import EXIT_OK, EXIT_REJECTED
from ..output.safe import printable
from .common import UsageError, command, date_arg, db_path, echo, open_store

AUDIT_COLUMNS = ("id", "at", "actor", "via", "action", "target", "outcome", "detail")
AUDIT_SINCE_EVER = datetime(1900, 1, 1)


def _audit_args(p) -> None:
    p.add_argument("--since", type=date_arg, default=None, help="from this day on (YYYY-MM-DD)")
    p.add_argument("--user", dest="login", default=None, help="only what this login did")
    p.add_argument("--out", type=Path, default=None, help="write it as CSV (or .xlsx) instead of a table")
    p.add_argument("--format", choices=("csv", "xlsx"), default=None)
    p.add_argument("--lang", choices=i18n.LANGS, default=i18n.DEFAULT_LANG, help="the language of the table shown")


@command("audit", "the audit trail: who did what, when, from where, and how it ended", args=_audit_args)
def cmd_audit(args) -> int:
    import pandas as pd

    from ..output.export import write_table

    with open_store(args) as store:
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
    from ..domain.audit import shown

    for col in ("actor", "target", "detail"):  # typed by people: shown, never obeyed, by the terminal
        trail[col] = trail[col].map(printable)
    echo(shown(trail, args.lang).to_string(index=False))  # headed and worded as the audit page words them
    return EXIT_OK


def _backup_args(p) -> None:
    p.add_argument("--out", type=Path, required=True, help="the backup file to write: .tar.gz, .tgz or .tar")


@command("backup", "one consistent backup of the database and its originals, while the app runs", args=_backup_args)
def cmd_backup(args) -> int:
    from .. import backup

    if backup.compression(args.out) is None:
        raise UsageError(i18n.both("bk_bad_name", path=printable(args.out)))
    with open_store(args) as store:
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
    from .. import backup

    try:
        done = backup.restore(args.file, db_path(args))
    except backup.BackupRefused as exc:
        echo(f"错误 error: {exc}", err=True)
        return EXIT_REJECTED
    missing = done.manifest.get("originals_missing") or []
    if missing:
        echo(i18n.both("bk_restored_missing", n=len(missing), files=", ".join(m["file"] for m in missing)), err=True)
    echo(done.summary())
    return EXIT_OK
