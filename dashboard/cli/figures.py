"""`export` (figures as CSV or .xlsx) and `anomalies` (figures to verify, or mark one 已核实)."""

from __future__ import annotations

from pathlib import Path

from .. import i18n
from ..domain import periods
from ..exits import EXIT_OK
from .common import UsageError, command, csv_out, echo, open_store, quarter_arg, unit_arg, user_of


def _export_args(p) -> None:
    p.add_argument("--domain", default=None)
    p.add_argument("--unit", default=None, help="the unit whose subtree to export (default: the root)")
    p.add_argument("--from", dest="from_", type=quarter_arg, default=None)
    p.add_argument("--to", type=quarter_arg, default=None)
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
    from ..output.export import export_frame, write_table

    first, last = args.from_, args.to
    if first and last and periods.quarter_index(first) > periods.quarter_index(last):
        raise UsageError(f"--from {first} 晚于 --to {last} / --from is after --to")
    if args.with_source and args.layout != "long":
        raise UsageError("--with-source 只用于 --layout long / --with-source needs --layout long")
    with open_store(args) as store:
        if args.domain and args.domain not in {d.code for d in store.catalog.domains}:
            known = ", ".join(d.code for d in store.catalog.domains)
            raise UsageError(f"未知领域 unknown domain: {args.domain} (one of {known})")
        unit = unit_arg(store, args.unit)
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
    p.add_argument("--from", dest="from_", type=quarter_arg, default=None)
    p.add_argument("--to", type=quarter_arg, default=None)
    p.add_argument("--domain", default=None)
    p.add_argument("--lang", choices=i18n.LANGS, default=i18n.DEFAULT_LANG)
    p.add_argument("--out", type=Path, default=None, help="write the list as CSV or .xlsx instead of printing it")
    p.add_argument("--kind", default=None, help="verify: the anomaly's kind (see the list's kind column)")
    p.add_argument("--quarter", type=quarter_arg, default=None, help="verify: its quarter")
    p.add_argument("--indicator", default="", help="verify: its indicator code (none for a whole return)")
    p.add_argument("--note", default="")
    p.add_argument("--user", default=None)


@command("anomalies", "figures that deserve a second look, with their reasons; or mark one 已核实",
         args=_anomalies_args)
def cmd_anomalies(args) -> int:
    from ..domain import anomalies
    from ..domain.acting import acting
    from ..output.export import write_table

    with acting(user_of(args), "cli"), open_store(args) as store:
        if args.action == "verify":
            if not (args.kind in anomalies.KINDS and args.unit and args.quarter):
                raise UsageError(f"verify needs --kind ({', '.join(anomalies.KINDS)}), --unit and --quarter")
            unit = unit_arg(store, args.unit)
            store.verify_anomaly(args.kind, unit, args.quarter, args.indicator, args.note)
            echo(i18n.both("anomalies_verified_ok"))
            return EXIT_OK
        unit = unit_arg(store, args.unit)
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
        csv_out([list(people.columns), *people.astype(object).where(people.notna(), "").values.tolist()])
    return EXIT_OK
