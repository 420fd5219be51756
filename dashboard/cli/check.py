"""`check`: the health of the database and of the archive of originals, and --repair."""

from __future__ import annotations

from pathlib import Path

from .. import i18n
from ..exits import EXIT_OK, EXIT_REJECTED
from .common import command, echo


def _check_args(p) -> None:
    p.add_argument("--repair", action="store_true",
                   help="move orphaned and temporary archive files aside and rebuild the roll-up; "
                        "never changes a submission or a fact")


@command("check", "verify the database and the archive of originals (exit 0 healthy, 1 problems)", args=_check_args)
def cmd_check(args) -> int:
    from .. import health
    from ..db import Store, StoreUnavailable, default_db_path

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
