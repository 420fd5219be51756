"""The validation report: as a table (for the app and the CLI) and as a workbook to fix.

`report_workbook` hands the reporter their own file back with every offending cell
filled (red for errors, amber for warnings) and commented, plus a 校验结果 sheet listing
every problem with a link to its cell.  A file that could not be opened safely gets a
fresh workbook holding just the list, and so does one too big to open here: openpyxl
holds some 500 bytes a cell in this process (the validator's reading is done in a worker).
What goes back carries data, never code: the reporter's formulas are replaced by the values
the validator read from them, links to other workbooks are dropped, and every cell is
neutralised (safe.workbook_bytes).
"""

from __future__ import annotations

import io
import warnings

import pandas as pd
from openpyxl import Workbook, load_workbook
from openpyxl.comments import Comment
from openpyxl.formatting.formatting import ConditionalFormattingList
from openpyxl.styles import Alignment, Font, PatternFill

from .. import i18n
from ..domain.catalog import catalog
from ..output import safe
from ..output.style import ERROR_FILL as ERROR_RGB
from ..output.style import PARTY_RED, WARNING_TAB, excel_rgb
from ..output.style import WARNING_FILL as WARNING_RGB
from . import container
from .layout import REPORT_SHEET
from .problems import Collector, Problem

ERROR_FILL = PatternFill("solid", fgColor=ERROR_RGB)
WARNING_FILL = PatternFill("solid", fgColor=WARNING_RGB)
HEAD_FILL = PatternFill("solid", fgColor=excel_rgb(PARTY_RED))
TAB_ERROR, TAB_WARNING = excel_rgb(PARTY_RED), WARNING_TAB
MARK_MAX_CELLS = 100_000  # past this many filled cells, the list alone (a return has some thousands)
HEAD_KEYS = ("val_head_file", "val_head_where", "val_head_unit", "val_head_indicator", "val_head_expected",
             "val_head_found", "val_head_severity", "val_head_message")


def _indicator_label(p: Problem, lang: str) -> str:
    if not p.indicator_code:
        return ""
    name = p.indicator_name
    if lang == "en" and p.indicator_code in catalog():
        name = catalog()[p.indicator_code].name_en
    return f"{name} ({p.indicator_code})"


def problems_frame(outcomes, lang: str = "zh") -> pd.DataFrame:
    """Every problem of every outcome, one row each, with localized column names."""
    rows = []
    for o in outcomes:
        for p in o.problems:
            rows.append((p.file, p.where, f"{p.unit_code} {p.unit_name}".strip(), _indicator_label(p, lang),
                         p.expected(lang), p.found, i18n.t(f"val_sev_{p.severity}", lang), p.message(lang)))
    return pd.DataFrame(rows, columns=[i18n.t(k, lang) for k in HEAD_KEYS])


def _comment_text(problems: list[Problem]) -> str:
    lines = []
    for p in problems:
        sev = f"{i18n.t('val_sev_' + p.severity)} {p.severity}"
        lines.append(f"[{sev}] {p.message_zh}\n{p.message_en}")
        if p.expected_zh:
            lines.append(f"应为 expected: {p.expected_zh}")
    return "\n".join(lines)[:2000]


def _list_sheet(ws, outcome) -> None:
    errors = sum(p.severity == "error" for p in outcome.problems)
    title = i18n.t("val_report_title", file=outcome.file_name, errors=errors, warnings=len(outcome.problems) - errors)
    ws.append([safe.cell(title)])
    ws["A1"].font = Font(bold=True, size=13, color=excel_rgb(PARTY_RED))
    ws.append([safe.cell(i18n.t("val_report_title", "en", file=outcome.file_name, errors=errors,
                                warnings=len(outcome.problems) - errors))])
    frame = problems_frame([outcome], "zh")
    heads = list(frame.columns) + [i18n.t("val_head_message", "en")]
    ws.append(heads)
    for cell in ws[3]:
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = HEAD_FILL
    for p, row in zip(outcome.problems, frame.itertuples(index=False)):
        ws.append([safe.cell(v) for v in row] + [safe.cell(p.message_en)])
        r = ws.max_row
        ws.cell(r, 7).fill = ERROR_FILL if p.severity == "error" else WARNING_FILL
        if p.sheet and p.cell:
            link = ws.cell(r, 2)
            link.hyperlink = f"#'{p.sheet}'!{p.cell}"
            link.font = Font(color="0563C1", underline="single")
    if not outcome.problems:
        ws.append([i18n.t("val_report_none"), i18n.t("val_report_none", "en")])
    for letter, width in zip("ABCDEFGHI", (22, 16, 24, 28, 28, 14, 8, 60, 60)):
        ws.column_dimensions[letter].width = width
    for row in ws.iter_rows(min_row=4):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    ws.freeze_panes = "A4"


def _fresh(outcome) -> bytes:
    wb = Workbook()
    _list_sheet(wb.active, outcome)
    wb.active.title = REPORT_SHEET
    return safe.workbook_bytes(wb)


def report_workbook(data: bytes, outcome) -> bytes:
    """The uploaded workbook with its offending cells marked, plus the 校验结果 sheet."""
    box = container.inspect(data, outcome.file_name, Collector(outcome.file_name))
    if box is None or box.cells > MARK_MAX_CELLS:
        return _fresh(outcome)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            wb = load_workbook(io.BytesIO(data), keep_links=False)
            read = load_workbook(io.BytesIO(data), data_only=True, keep_links=False)
    except Exception:  # anything openpyxl cannot open gets the plain list
        return _fresh(outcome)
    _values_for_formulas(wb, read)
    by_cell: dict[tuple[str, str], list[Problem]] = {}
    for p in outcome.problems:
        if p.sheet in wb.sheetnames:
            by_cell.setdefault((p.sheet, p.cell), []).append(p)
    for (sheet, cell), found in by_cell.items():
        ws = wb[sheet]
        bad = any(p.severity == "error" for p in found)
        if not cell:
            ws.sheet_properties.tabColor = TAB_ERROR if bad else TAB_WARNING
            continue
        target = ws[cell.split(":")[0]]
        if type(target).__name__ == "MergedCell":
            continue
        target.fill = ERROR_FILL if bad else WARNING_FILL
        comment = Comment(safe.cell(_comment_text(found)), "校验 validator")
        comment.width, comment.height = 320, 160
        target.comment = comment
        if bad or ws.sheet_properties.tabColor is None:
            ws.sheet_properties.tabColor = TAB_ERROR if bad else TAB_WARNING
    if REPORT_SHEET in wb.sheetnames:
        del wb[REPORT_SHEET]
    ws = wb.create_sheet(REPORT_SHEET, 0)
    _list_sheet(ws, outcome)
    wb.active = 0
    for other in wb.worksheets[1:]:
        other.sheet_view.tabSelected = False
    return safe.workbook_bytes(wb)


def _values_for_formulas(wb, read) -> None:
    """Every formula of the reporter's workbook becomes the value it had when saved (what the
    validator read: see val_formula), and the workbook-wide formulas that run on opening —
    defined names, conditional formats — are dropped: a template has none of them."""
    for ws in wb.worksheets:
        values = read[ws.title]
        for row in ws.iter_rows():
            for c in row:
                if c.data_type == "f":
                    c.value = values[c.coordinate].value
        ws.conditional_formatting = ConditionalFormattingList()
        for name in list(ws.defined_names):
            del ws.defined_names[name]
    for name in list(wb.defined_names):
        del wb.defined_names[name]
