"""`briefing` (the 通报, GB/T 9704, Word or PDF) and `summary` (the figures of a 工作总结)."""

from __future__ import annotations

from pathlib import Path

from .. import i18n
from ..domain import periods
from ..exits import EXIT_OK, EXIT_REJECTED
from ..output.safe import printable
from .common import UsageError, command, echo, open_store, period_arg


def _briefing_args(p) -> None:
    p.add_argument("--unit", required=True, help="the unit the circular is about (its sub-units are ranked)")
    p.add_argument("--period", type=period_arg, required=True,
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
    from .. import briefing
    from ..output import briefing as document
    from ..settings import current as settings

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
    with open_store(args) as store:
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
    p.add_argument("--period", type=period_arg, required=True,
                   help="a year (2024), a half-year (2024H1, 2024H2) or a quarter (2024Q4)")
    p.add_argument("--out", type=Path, required=True, help="the Word file to write (.docx)")
    p.add_argument("--lang", choices=i18n.LANGS, default=i18n.DEFAULT_LANG)


@command("summary", "the figures section of a unit's 工作总结 (half-year or year): one paragraph per domain "
         "and an appendix of every figure's coverage, as a Word document", args=_summary_args)
def cmd_summary(args) -> int:
    from .. import summary
    from ..output import summary as document

    with open_store(args) as store:
        if args.unit not in store.tree():
            raise UsageError(i18n.both("imp_unknown_unit", unit=printable(args.unit)))
        facts = summary.gather(store, args.unit, args.period, lang=args.lang)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(document.document(facts))
    echo(i18n.both("summary_written", unit=printable(facts.unit_name), period=facts.period, out=printable(args.out)))
    return EXIT_OK
