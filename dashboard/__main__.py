"""Command line: python -m dashboard demo|units|export|template|import|submissions|restore|bench

Exit codes: 0 done, 1 a file or request was rejected, 2 bad arguments.
"""

from __future__ import annotations

import argparse
import csv
import importlib
import sys
from pathlib import Path

from . import periods

EXIT_OK, EXIT_REJECTED, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    """Bad arguments: reported on stderr with exit code 2."""


def _quarter_arg(text: str) -> str:
    try:
        return periods.quarter(text)
    except periods.PeriodError as exc:
        raise argparse.ArgumentTypeError(f"{exc} / 季度格式应为 2024Q3") from exc


def _open_store(args):
    from .store import Store

    return Store(args.db)


def _unit_arg(store, code: str | None) -> str:
    tree = store.tree()
    if code is None:
        return tree.root.code
    if code not in tree:
        raise UsageError(f"未知单位 unknown unit: {code} (see `python -m dashboard units`)")
    return code


# --- commands of the indicator store ------------------------------------------------------


def cmd_demo(args) -> int:
    from .demo import load_demo

    with _open_store(args) as store:
        if args.clear:
            n = store.clear_demo()
            print(f"已删除演示数据 {n} 份报表 / removed {n} demo returns from {store.path}")
        else:
            n = load_demo(store, seed=args.seed)
            print(f"已载入演示数据 {n} 份报表 / loaded {n} demo returns into {store.path}")
    return EXIT_OK


def cmd_units(args) -> int:
    with _open_store(args) as store:
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(["code", "name_zh", "level", "parent_code"])
        for u in store.tree().units:
            writer.writerow([u.code, u.name_zh, u.level, u.parent_code or ""])
    return EXIT_OK


def cmd_export(args) -> int:
    from .export import export_frame, write_table

    first, last = args.from_, args.to
    if first and last and periods.quarter_index(first) > periods.quarter_index(last):
        raise UsageError(f"--from {first} 晚于 --to {last} / --from is after --to")
    with _open_store(args) as store:
        if args.domain and args.domain not in {d.code for d in store.catalog.domains}:
            known = ", ".join(d.code for d in store.catalog.domains)
            raise UsageError(f"未知领域 unknown domain: {args.domain} (one of {known})")
        unit = _unit_arg(store, args.unit)
        span = store.cursor().execute("SELECT min(quarter), max(quarter) FROM facts").fetchone()
        first = first or span[0] or "2022Q1"
        last = last or span[1] or first
        frame = export_frame(store, unit=unit, first=first, last=last, granularity=args.granularity,
                             scope=args.scope, domain=args.domain, layout=args.layout, lang=args.lang)
    fmt = args.format or ("xlsx" if str(args.out).lower().endswith(".xlsx") else "csv")
    write_table(frame, args.out, fmt)
    print(f"已导出 {len(frame)} 行 / wrote {len(frame)} rows to {args.out}", file=sys.stderr)
    return EXIT_OK


# Commands whose code lives with its capability: module path and function name.
DELEGATED = {
    "template": ("dashboard.ingest.cli", "cmd_template"),
    "import": ("dashboard.ingest.cli", "cmd_import"),
    "submissions": ("dashboard.ingest.cli", "cmd_submissions"),
    "restore": ("dashboard.ingest.cli", "cmd_restore"),
    "bench": ("dashboard.bench", "cmd_bench"),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m dashboard", description="党建指标看板 Party-building dashboard")
    sub = parser.add_subparsers(dest="command", required=True)

    def with_db(p):
        p.add_argument("--db", type=Path, default=None, help="DuckDB file (default: $DANGJIAN_DB or data/dangjian.duckdb)")
        return p

    p = with_db(sub.add_parser("demo", help="load (or --clear) the deterministic demo data"))
    p.add_argument("--seed", type=int, default=2024)
    p.add_argument("--clear", action="store_true", help="remove all demo data in one step")
    p.set_defaults(func=cmd_demo)

    p = with_db(sub.add_parser("units", help="the organisation tree as CSV: code,name_zh,level,parent_code"))
    p.set_defaults(func=cmd_units)

    p = with_db(sub.add_parser("export", help="export figures as CSV (UTF-8 with BOM) or .xlsx"))
    p.add_argument("--domain", default=None)
    p.add_argument("--unit", default=None, help="the unit whose subtree to export (default: the root)")
    p.add_argument("--from", dest="from_", type=_quarter_arg, default=None)
    p.add_argument("--to", type=_quarter_arg, default=None)
    p.add_argument("--granularity", choices=periods.GRANULARITIES, default="quarter")
    p.add_argument("--scope", choices=("subtree", "own"), default="subtree")
    p.add_argument("--layout", choices=("long", "wide"), default="long")
    p.add_argument("--format", choices=("csv", "xlsx"), default=None)
    p.add_argument("--lang", choices=("zh", "en"), default="zh")
    p.add_argument("--out", type=Path, required=True)
    p.set_defaults(func=cmd_export)

    p = with_db(sub.add_parser("template", help="write the Excel return for a reporting unit and quarter"))
    p.add_argument("--unit", required=True)
    p.add_argument("--period", type=_quarter_arg, required=True)
    p.add_argument("--out", type=Path, required=True)
    p.set_defaults(command_ref="template")

    p = with_db(sub.add_parser("import", help="validate and load filled returns"))
    p.add_argument("--user", default=None, help="who submits (default: the login name)")
    p.add_argument("--dry-run", action="store_true", help="validate only, load nothing")
    p.add_argument("--report", type=Path, default=None, help="also write the validation report as .xlsx")
    p.add_argument("files", nargs="+", type=Path)
    p.set_defaults(command_ref="import")

    p = with_db(sub.add_parser("submissions", help="the history of submissions"))
    p.add_argument("--unit", default=None)
    p.add_argument("--period", type=_quarter_arg, default=None)
    p.set_defaults(command_ref="submissions")

    p = with_db(sub.add_parser("restore", help="make an earlier submission active again"))
    p.add_argument("submission_id", type=int)
    p.set_defaults(command_ref="restore")

    p = sub.add_parser("bench", help="benchmarks at provincial scale against the plain pandas way")
    p.add_argument("--scale", choices=("small", "province"), default="province")
    p.add_argument("--quick", action="store_true", help="a reduced run, under a minute")
    p.add_argument("--json", type=Path, default=None)
    p.add_argument("--no-pages", action="store_true", help="skip the browser page timings")
    p.set_defaults(command_ref="bench")
    return parser


def main(argv: list[str] | None = None) -> int:
    from .store import DatabaseBusy

    parser = build_parser()
    args = parser.parse_args(argv)
    func = getattr(args, "func", None)
    if func is None:
        module, name = DELEGATED[args.command_ref]
        func = getattr(importlib.import_module(module), name)
    try:
        return func(args)
    except UsageError as exc:
        print(f"错误 error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except DatabaseBusy as exc:
        print(f"错误 error: {exc}", file=sys.stderr)
        return EXIT_REJECTED
    except BrokenPipeError:  # `units | head`: the reader left; not an error
        sys.stderr.close()
        return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
