"""CSV and Excel writers for exported tables, and the long/wide export layouts.

CSV is UTF-8 with a BOM so Excel opens the Chinese correctly.  Every cell goes through
safe.cell (text that begins with = + - @, a tab, CR or LF gets a leading apostrophe) and
CSV rows end in CR LF with line breaks inside a field quoted, so an exported table can
never carry a formula, or a row of its own, into someone's spreadsheet.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from ..domain import periods
from ..domain.filters import values_params
from . import safe
from .style import PARTY_RED, excel_rgb

LONG_COLUMNS = ["unit_code", "unit_name", "period", "domain", "indicator_code", "indicator_name", "value",
                "unit_of_measure"]
HEADER_FILL = PatternFill("solid", fgColor=excel_rgb(PARTY_RED))
neutralise = safe.cell  # the one neutralising function, under the name callers knew it by


def to_csv_bytes(frame: pd.DataFrame) -> bytes:
    return safe.csv_text(frame).encode("utf-8-sig")


def to_xlsx_bytes(frame: pd.DataFrame, sheet_name: str = "数据") -> bytes:
    """A formatted workbook: red bold header, frozen top row, fitted columns, number formats."""
    shown = safe.frame_cells(frame)
    wb = Workbook()
    ws = wb.active
    ws.title = sheet_name[:31]
    ws.append(list(shown.columns))
    for row in shown.itertuples(index=False):
        ws.append([_cell(v) for v in row])
    for cell in ws[1]:
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    ws.freeze_panes = "A2"
    for idx, col in enumerate(shown.columns, start=1):
        values = shown[col]
        width = max([_display_width(str(col))] + [_display_width(str(v)) for v in values.head(200)])
        ws.column_dimensions[get_column_letter(idx)].width = min(max(8, width + 2), 48)
        if pd.api.types.is_float_dtype(values):
            whole = values.dropna().map(lambda v: float(v).is_integer()).all()
            for (cell,) in ws.iter_rows(min_row=2, min_col=idx, max_col=idx):
                cell.number_format = "#,##0" if whole else "#,##0.00"
    return safe.workbook_bytes(wb)


def _cell(value):
    """A value openpyxl can write: missing values of any kind (None, NaN, pd.NA, NaT) are an empty
    cell; numpy scalars become Python numbers; anything else it cannot write becomes its text."""
    if value is None or (not isinstance(value, (str, bytes, list, tuple)) and pd.isna(value)):
        return None
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()
    if isinstance(value, (str, int, float, bool)) or hasattr(value, "isoformat"):
        return value
    return str(value)


def _display_width(text: str) -> int:
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def write_table(frame: pd.DataFrame, out: Path, fmt: str) -> None:
    data = to_csv_bytes(frame) if fmt == "csv" else to_xlsx_bytes(frame)
    Path(out).write_bytes(data)


# --- the export command's layouts ----------------------------------------------------


def export_frame(
    store,
    *,
    unit: str,
    first: str,
    last: str,
    granularity: str = "quarter",
    scope: str = "subtree",
    domain: str | None = None,
    layout: str = "long",
    lang: str = "zh",
    principal=None,
) -> pd.DataFrame:
    """Every unit of `unit`'s subtree, every period and indicator, in the chosen layout.  For a
    `principal` (domain/access.Principal), only a subtree within its scope (AccessDenied else)."""
    cat = store.catalog
    indicators = [i.code for i in cat.indicators if domain is None or i.domain == domain]
    units = [u.code for u in store.tree().subtree(unit)]
    values = store.query("indicator_values", principal, **values_params(
        units, periods.quarter(first), periods.quarter(last), granularity, indicators, scope))
    en = lang == "en"
    long = pd.DataFrame(
        {
            "unit_code": values["unit_code"],
            "unit_name": values["unit_name_en" if en else "unit_name_zh"],
            "period": values["period"],
            "domain": values["domain"],
            "indicator_code": values["indicator_code"],
            "indicator_name": values["indicator_name_en" if en else "indicator_name_zh"],
            "value": values["value"],
            "unit_of_measure": values["unit_en" if en else "unit_zh"],
        },
        columns=LONG_COLUMNS,
    )
    if layout == "long":
        return long
    return wide_table(long, store, lang)


def wide_table(long: pd.DataFrame, store, lang: str = "zh") -> pd.DataFrame:
    """What a person reads: one row per unit and period, one column per indicator (名称(单位))."""
    cat = store.catalog
    heads = {"zh": ("单位代码", "单位名称", "期间"), "en": ("Unit code", "Unit", "Period")}[lang]
    if long.empty:
        return pd.DataFrame(columns=list(heads))
    order = {u.code: u.sort_order for u in store.tree().units}
    wide = long.pivot_table(index=["unit_code", "unit_name", "period"], columns="indicator_code", values="value",
                            aggfunc="first", sort=False)
    codes = [i.code for i in cat.indicators if i.code in wide.columns]
    wide = wide[codes].reset_index()
    wide = wide.sort_values(["unit_code", "period"], key=lambda s: s.map(order) if s.name == "unit_code" else s)
    wide.columns = list(heads) + [f"{cat[c].name(lang)}({cat[c].unit(lang)})" for c in codes]
    return wide.reset_index(drop=True)
