"""`units` (the organisation as CSV) and `tree` (its Excel template, an export of every version, an
import: checked, shown, then loaded)."""

from __future__ import annotations

from pathlib import Path

from .. import i18n
from ..exits import EXIT_OK, EXIT_REJECTED
from ..output.safe import printable
from .common import UsageError, command, csv_out, echo, open_store, quarter_arg, read_bounded


@command("units", "the organisation tree as CSV: code,name_zh,level,parent_code")
def cmd_units(args) -> int:
    with open_store(args) as store:
        csv_out([["code", "name_zh", "level", "parent_code"],
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
            a.add_argument("--from", dest="effective", type=quarter_arg, default=None,
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
    from ..ingest import tree_file, tree_import

    if args.action in ("template", "export"):
        with open_store(args) as store:
            history = store.history() if args.action == "export" else None
        args.out.write_bytes(tree_file.workbook(history))
        echo(i18n.both("treef_written", path=args.out, n=len(history.versions) if history else 0), err=True)
        return EXIT_OK
    path = Path(args.file[0])
    if not path.is_file():
        raise UsageError(i18n.both("imp_file_missing", path=path))
    data = read_bounded(path)
    with open_store(args) as store:
        found = tree_import.prepare(store, data, path.name, effective=args.effective, rehome=args.rehome)
        if found.state == "rejected":
            echo(i18n.both("treef_problems", n=len(found.problems)), err=True)
            for where, message in found.problems:
                echo(f"  {where}: {printable(message)}" if where else f"  {printable(message)}", err=True)
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
