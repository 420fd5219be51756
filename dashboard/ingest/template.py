"""The return template: one .xlsx per reporting unit and quarter, generated from the catalog and tree.

Sheets: 填报说明 (what to fill, units of measure, the rules that will be checked, how
messy entries are treated, whom to ask), one sheet per domain (see `layout`), and a
hidden sheet carrying the template version, the reporting unit and the period.  Input
cells are unlocked and carry Excel data validation; everything else is locked (the
sheet protection has no password: it guards against slips, the server re-validates).
"""

from __future__ import annotations

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill, Protection
from openpyxl.worksheet.datavalidation import DataValidation

from .. import clock, i18n
from ..domain import deadlines, periods
from ..domain.catalog import LEVEL_GROUPS, Indicator
from ..domain.tree import BRANCH_LEVELS
from ..output import safe
from ..output.style import PARTY_RED, excel_rgb
from ..settings import current as settings
from .layout import (
    CODE_ROW,
    FIRST_DATA_ROW,
    FIRST_VALUE_COL,
    GUIDE_PERIOD_CELL,
    GUIDE_SHEET,
    GUIDE_UNIT_CELL,
    GUIDE_VERSION_CELL,
    HEADER_ROW,
    META_SHEET,
    TEMPLATE_VERSION,
    UNIT_CODE_HEAD,
    UNIT_NAME_HEAD,
    ReturnLayout,
    address,
    col_letter,
    header,
    layout,
)

__all__ = ["TEMPLATE_VERSION", "build_template", "expected_of"]

RED = excel_rgb(PARTY_RED)
HEAD_FILL = PatternFill("solid", fgColor=RED)
CODE_FILL = PatternFill("solid", fgColor="F2F2F2")
INPUT_FILL = PatternFill("solid", fgColor="FFFFFF")
NOT_APPLICABLE_FILL = PatternFill("solid", fgColor="BFBFBF")
# a committee's own cell of an indicator it may enter as a total (levels branch_or_total): fill
# it only when the branches' figures are not known; the total then stands for them
TOTAL_FILL = PatternFill("solid", fgColor="FFF2CC")
UNLOCKED = Protection(locked=False)
GREY_FONT = Font(color="808080", size=9)


def _num(x: float | None) -> str:
    return "" if x is None else (str(int(x)) if float(x).is_integer() else str(x))


def expected_of(ind: Indicator) -> tuple[str, str]:
    """What a cell of this indicator must hold, in Chinese and English."""
    f = {"min": _num(ind.min), "max": _num(ind.max), "unit": (ind.unit_zh, ind.unit_en)}
    key = {"money": "val_exp_money", "stars": "val_exp_stars", "score": "val_exp_score"}.get(
        ind.value_type, "val_exp_count")
    zh = i18n.t(key, "zh", **{k: (v[0] if isinstance(v, tuple) else v) for k, v in f.items()})
    en = i18n.t(key, "en", **{k: (v[1] if isinstance(v, tuple) else v) for k, v in f.items()})
    return zh, en


def _validation(ind: Indicator) -> DataValidation:
    lo, hi = _num(ind.min), _num(ind.max)
    if ind.value_type == "stars":
        dv = DataValidation(type="list", formula1='"1,2,3,4,5"', allow_blank=True)
    elif ind.value_type == "count":
        dv = DataValidation(type="whole", operator="between", formula1=lo, formula2=hi, allow_blank=True)
    else:  # money, score
        dv = DataValidation(type="decimal", operator="between", formula1=lo, formula2=hi, allow_blank=True)
    zh, en = expected_of(ind)
    dv.error = f"{ind.name_zh}：{zh}"[:255]
    dv.errorTitle = i18n.t("imp_tpl_dv_title")
    dv.prompt = f"{zh}\n{en}"[:255]
    dv.promptTitle = ind.name_zh[:32]
    dv.showErrorMessage = True
    dv.showInputMessage = True
    return dv


def _number_format(ind: Indicator) -> str:
    return {"money": "0.00", "score": "0.0"}.get(ind.value_type, "0")


def _domain_sheet(wb: Workbook, lay: ReturnLayout, sheet, depth: dict[str, int]) -> None:
    ws = wb.create_sheet(sheet.name)
    heads = [i18n.t("imp_tpl_unit_col"), i18n.t("imp_tpl_name_col")] + [header(i) for i in sheet.indicators]
    codes = [UNIT_CODE_HEAD, UNIT_NAME_HEAD] + [i.code for i in sheet.indicators]
    ws.append(heads)
    ws.append(codes)
    for cell in ws[HEADER_ROW + 1]:
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = HEAD_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    for cell in ws[CODE_ROW + 1]:
        cell.font = GREY_FONT
        cell.fill = CODE_FILL
        cell.alignment = Alignment(horizontal="center")
    ws.row_dimensions[1].height = 48
    for u in lay.units:
        ws.append([safe.cell(u.code), safe.cell(u.name_zh)])  # names are typed by people: text, never formulas
        ws.cell(ws.max_row, 2).alignment = Alignment(indent=depth[u.code])
    for j, ind in enumerate(sheet.indicators):
        col = FIRST_VALUE_COL + j
        letter = col_letter(col)
        dvs: dict[float | None, DataValidation] = {}  # one per bound: a committee's row may hold more
        fmt = _number_format(ind)
        for r, u in enumerate(lay.units):
            cell = ws.cell(FIRST_DATA_ROW + r + 1, col + 1)
            if ind.reported_by(u.level):
                cell.protection = UNLOCKED
                cell.fill = TOTAL_FILL if ind.total_allowed and u.level not in BRANCH_LEVELS else INPUT_FILL
                cell.number_format = fmt
                leveled = ind.at_level(u.level)
                if leveled.max not in dvs:
                    dvs[leveled.max] = _validation(leveled)
                    ws.add_data_validation(dvs[leveled.max])
                dvs[leveled.max].add(cell.coordinate)
            else:
                cell.fill = NOT_APPLICABLE_FILL
        ws.column_dimensions[letter].width = max(10, min(18, len(ind.name_zh) * 2 + 4))
    ws.column_dimensions["A"].width = 12
    ws.column_dimensions["B"].width = 30
    ws.freeze_panes = address(FIRST_DATA_ROW, FIRST_VALUE_COL)
    ws.protection.sheet = True
    ws.protection.formatColumns = False  # reporters may widen columns
    ws.protection.formatRows = False



def _guide_sheet(wb: Workbook, lay: ReturnLayout, version: str, rules, due) -> None:
    ws = wb.active
    ws.title = GUIDE_SHEET
    unit = lay.reporting_unit
    bold = Font(bold=True)
    ws["A1"] = safe.cell(i18n.t("imp_tpl_title", unit=unit.name_zh, period=lay.quarter))
    ws["A1"].font = Font(bold=True, size=14, color=RED)
    ws["A2"] = safe.cell(i18n.t("imp_tpl_title", "en", unit=unit.name_en, period=lay.quarter))
    ws["A2"].font = GREY_FONT
    for (r, c), key, value in ((GUIDE_UNIT_CELL, "imp_tpl_unit", unit.code),
                               (GUIDE_PERIOD_CELL, "imp_tpl_period", lay.quarter),
                               (GUIDE_VERSION_CELL, "imp_tpl_version", version)):
        ws.cell(r + 1, c, f"{i18n.t(key)} {i18n.t(key, 'en')}").font = bold
        ws.cell(r + 1, c + 1, safe.cell(value))
    ws.cell(GUIDE_UNIT_CELL[0] + 1, 3, safe.cell(unit.name_zh))
    deadline_row = GUIDE_VERSION_CELL[0] + 2
    ws.cell(deadline_row, 1, f"{i18n.t('imp_tpl_deadline')} {i18n.t('imp_tpl_deadline', 'en')}").font = bold
    ws.cell(deadline_row, 2, due.isoformat())
    ws.cell(deadline_row, 3, i18n.t("imp_tpl_deadline_value", date=f"{due.year}年{due.month}月{due.day}日"))
    row = 7

    def section(key_head: str, key_body: str | None = None) -> None:
        nonlocal row
        ws.cell(row, 1, i18n.t(key_head)).font = Font(bold=True, size=12, color=RED)
        ws.cell(row + 1, 1, i18n.t(key_head, "en")).font = GREY_FONT
        row += 2
        if key_body:
            for zh, en in zip(i18n.t(key_body).splitlines(), i18n.t(key_body, "en").splitlines()):
                ws.cell(row, 1, zh)
                ws.cell(row + 1, 1, en).font = GREY_FONT
                row += 2
        row += 1

    def table(columns_key: str, rows: list[list]) -> None:
        nonlocal row
        for c, name in enumerate(i18n.t(columns_key).split("|"), 1):
            cell = ws.cell(row, c, name)
            cell.font = Font(bold=True, color="FFFFFF")
            cell.fill = HEAD_FILL
        row += 1
        for values in rows:
            for c, v in enumerate(values, 1):
                ws.cell(row, c, v).alignment = Alignment(wrap_text=True, vertical="top")
            row += 1
        row += 1

    section("imp_tpl_steps_head", "imp_tpl_steps")
    section("imp_tpl_indicators_head")
    levels = {g: i18n.t(f"imp_tpl_levels_{g}") for g in LEVEL_GROUPS}
    table("imp_tpl_ind_columns", [
        [sheet.name, i.name_zh, i.code, i.unit_zh, expected_of(i)[0] + (
            i18n.t("imp_tpl_max_above", max=_num(i.max_above)) if i.max_above is not None else ""),
         levels[i.levels], f"{i.name_en} ({i.unit_en})"]
        for sheet in lay.sheets for i in sheet.indicators
    ])
    section("imp_tpl_rules_head", "imp_tpl_rules")
    row -= 1
    for rule in rules:  # data/rules.csv, the rules the validator checks
        kind = "imp_tpl_rule_warning" if rule.kind == "compliance" else "imp_tpl_rule_error"
        ws.cell(row, 1, f"{i18n.t(kind)}：{rule.statement_zh}")
        ws.cell(row + 1, 1, f"{i18n.t(kind, 'en')}: {rule.statement_en}").font = GREY_FONT
        row += 2
    row += 1
    section("imp_tpl_entries_head")
    entries = zip(i18n.t("imp_tpl_entries").splitlines(), i18n.t("imp_tpl_entries", "en").splitlines())
    table("imp_tpl_entries_columns", [zh.split("|") + [en.replace("|", ": ")] for zh, en in entries])
    contact = settings().contact.strip()
    ws.cell(row, 1, i18n.t("imp_tpl_contact_head")).font = Font(bold=True, size=12, color=RED)
    ws.cell(row + 1, 1, i18n.t("imp_tpl_contact_head", "en")).font = GREY_FONT
    ws.cell(row + 2, 1, safe.cell(contact) if contact else i18n.t("imp_tpl_contact_unset"))
    if not contact:
        ws.cell(row + 3, 1, i18n.t("imp_tpl_contact_unset", "en")).font = GREY_FONT
    for letter, width in zip("ABCDEFG", (34, 30, 26, 10, 30, 22, 44)):
        ws.column_dimensions[letter].width = width
    ws.protection.sheet = True


def _meta_sheet(wb: Workbook, lay: ReturnLayout, version: str) -> None:
    ws = wb.create_sheet(META_SHEET)
    for key, value in (("template_version", version), ("reporting_unit", lay.reporting_unit.code),
                       ("period", lay.quarter), ("generated_at", clock.now().isoformat(timespec="seconds"))):
        ws.append([key, safe.cell(value)])
    ws.sheet_state = "hidden"
    ws.protection.sheet = True


def build_template(store, unit_code: str, quarter: str, *, version: str = TEMPLATE_VERSION,
                   principal=None) -> bytes:
    """The .xlsx return of reporting unit `unit_code` for `quarter`.

    Raises KeyError if the unit is unknown or does not file its own return, and
    access.AccessDenied if `principal` (who asks; None: the administrator's own process) may
    not file for it.  (`version` exists so tests can write a retired or unknown version.)
    """
    if principal is not None:
        principal.check_upload(store.tree(), unit_code)
    quarter = periods.quarter(quarter)
    tree = store.tree_at(quarter)  # the units, names and reporters of that quarter
    lay = layout(store.catalog, tree, unit_code, quarter)
    top = tree.depth(unit_code)
    depth = {u.code: tree.depth(u.code) - top for u in lay.units}  # indents the names
    wb = Workbook()
    _guide_sheet(wb, lay, version, store.catalog.rules, deadlines.due(quarter, store.deadlines()))
    for sheet in lay.sheets:
        _domain_sheet(wb, lay, sheet, depth)
    _meta_sheet(wb, lay, version)
    return safe.workbook_bytes(wb)  # a unit named "=..." is text in the template, never a formula

