"""The shape of a return workbook, computed from the catalog and the tree.

The template writer and the validator both read the layout from here, so what the
template offers and what the validator expects can never drift apart.

A domain sheet:
    row 1   单位代码 | 单位名称 | <indicator name>（<unit of measure>） ...
    row 2   unit_code | unit_name | <indicator code> ...     (columns are found by this row)
    row 3+  one row per unit of the return, column A its code, column B its name
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cached_property

from ..domain.catalog import Catalog, Indicator
from ..domain.tree import Tree, Unit

# The layout this code writes and reads.  Bump when the sheet layout changes, keep the one before
# in PREVIOUS_TEMPLATE_VERSIONS for a year, and say what changed (text key val_version_changes).
# DJ-2026.1: committees may enter their totals of members and member development, theory test
# takers, Xuexi Qiangguo users and dues (white cells on their own rows); test takers, commando
# and youth teams and retirees are people or teams in a period (a peak, never a sum of quarters);
# money may be written with 万.
# DJ-2026.2: the domains and indicators of data/ whose `since` is DJ-2026.2 (主题教育 … 干部队伍, the four
# forms total entered without the forms); a return on DJ-2026.1 lacks them and still loads (a warning).
TEMPLATE_VERSION = "DJ-2026.2"
# The versions before, and the last day a return on each is accepted (with a warning saying what changed).
PREVIOUS_TEMPLATE_VERSIONS = {"DJ-2026.1": date(2027, 12, 31), "DJ-2025.1": date(2027, 12, 31)}
# Layouts we once issued and no longer read (the reporter must download a new template).
RETIRED_TEMPLATE_VERSIONS = frozenset({"DJ-2024.1", "DJ-2024.2", *PREVIOUS_TEMPLATE_VERSIONS})

GUIDE_SHEET = "填报说明"
META_SHEET = "_模板信息"
REPORT_SHEET = "校验结果"
HEADER_ROW = 0  # 0-based rows, as the reader returns them
CODE_ROW = 1
FIRST_DATA_ROW = 2
UNIT_COL = 0
NAME_COL = 1
FIRST_VALUE_COL = 2
UNIT_CODE_HEAD = "unit_code"
UNIT_NAME_HEAD = "unit_name"
# Cells of the guide sheet a reporter can see (row, col, 0-based); the period is re-checked.
GUIDE_UNIT_CELL = (2, 1)
GUIDE_PERIOD_CELL = (3, 1)
GUIDE_VERSION_CELL = (4, 1)
# Keys of the hidden sheet, column A; values in column B.
META_KEYS = ("template_version", "reporting_unit", "period", "generated_at")


@dataclass(frozen=True)
class DomainSheet:
    name: str  # the sheet name: the domain's Chinese name
    domain: str
    indicators: tuple[Indicator, ...]


@dataclass(frozen=True)
class ReturnLayout:
    reporting_unit: Unit
    quarter: str
    units: tuple[Unit, ...]
    sheets: tuple[DomainSheet, ...]

    @cached_property
    def unit_codes(self) -> frozenset[str]:
        return frozenset(u.code for u in self.units)

    def cells(self) -> dict[tuple[str, str], tuple[str, str]]:
        """(unit, indicator) -> (sheet, cell) where the template puts each value (学习教育, E7)."""
        return {(u.code, ind.code): (sheet.name, address(FIRST_DATA_ROW + r, FIRST_VALUE_COL + j))
                for sheet in self.sheets for j, ind in enumerate(sheet.indicators) for r, u in enumerate(self.units)}


def layout(catalog: Catalog, tree: Tree, reporting_unit: str, quarter: str) -> ReturnLayout:
    """Which sheets, columns and rows the return of `reporting_unit` for `quarter` has.

    A domain sheet carries the stored indicators of that domain asked for in the
    quarter and reported by at least one unit of the return; a domain with none
    (the star ratings outside Q1 for a unit with no committee) has no sheet.
    """
    units = tuple(tree.return_units(reporting_unit, quarter))
    levels = {u.level for u in units}
    sheets = []
    for d in catalog.domains:
        inds = tuple(
            i for i in catalog.of_domain(d.code)
            if i.is_stored and i.in_quarter(quarter) and any(i.reported_by(lv) for lv in levels)
        )
        if inds:
            sheets.append(DomainSheet(d.name_zh, d.code, inds))
    return ReturnLayout(tree[reporting_unit], quarter, units, tuple(sheets))


def header(ind: Indicator) -> str:
    """The column heading a reporter reads: 支部党员大会（次）."""
    return f"{ind.name_zh}（{ind.unit_zh}）"


def col_letter(col: int) -> str:
    """0-based column index -> Excel letters (0 -> A, 26 -> AA)."""
    out = ""
    col += 1
    while col:
        col, rem = divmod(col - 1, 26)
        out = chr(65 + rem) + out
    return out


def address(row: int, col: int) -> str:
    """0-based row and column -> 'E7'."""
    return f"{col_letter(col)}{row + 1}"
