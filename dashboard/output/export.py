"""CSV and Excel writers for exported tables, and the long/wide export layouts.

CSV is UTF-8 with a BOM so Excel opens the Chinese correctly.  Every cell goes through
safe.cell (text that begins with = + - @, a tab, CR or LF gets a leading apostrophe) and
CSV rows end in CR LF with line breaks inside a field quoted, so an exported table can
never carry a formula, or a row of its own, into someone's spreadsheet.

Any table exports, whatever its types: `plain_table` first turns it into columns of plain
values — missing values of every kind (None, NaN, pd.NA, NaT) empty, numbers as numbers
(infinities as text, which no spreadsheet holds as a number), dates without a time zone,
anything else (a list, a Period, bytes...) as its text, repeated or non-text headers made
unique text — and both writers take that.  A page calls `plain_table` when it draws the
buttons, so a table that still cannot be exported is said on the page, not on a click.
"""

from __future__ import annotations

import datetime as dt
import math
import numbers
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from ..domain import figures, periods
from . import safe
from .style import PARTY_RED, excel_rgb

LONG_COLUMNS = ["unit_code", "unit_name", "period", "domain", "indicator_code", "indicator_name", "value",
                "unit_of_measure", "state", "shown"]
HEADER_FILL = PatternFill("solid", fgColor=excel_rgb(PARTY_RED))
neutralise = safe.cell  # the one neutralising function, under the name callers knew it by


XLSX_MAX_TEXT = 32767  # the most characters an Excel cell holds; a longer text is cut and marked


def plain_table(frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` as columns of plain values any writer takes (see the module's docstring); index dropped."""
    out = {}
    seen: dict[str, int] = {}
    for i in range(frame.shape[1]):
        name = _header(frame.columns[i])
        seen[name] = seen.get(name, 0) + 1
        if seen[name] > 1:
            name = f"{name} ({seen[name]})"
        col = frame.iloc[:, i]
        if pd.api.types.is_bool_dtype(col.dtype) and not col.isna().any():
            out[name] = col.astype(bool).reset_index(drop=True)
        elif pd.api.types.is_numeric_dtype(col.dtype) and not pd.api.types.is_complex_dtype(col.dtype) \
                and not pd.api.types.is_bool_dtype(col.dtype) and not isinstance(col.dtype, pd.SparseDtype):
            out[name] = _numbers(col)
        else:
            out[name] = pd.Series([_plain(v) for v in col], dtype=object)
    return pd.DataFrame(out, index=pd.RangeIndex(len(frame)))


def _numbers(col: pd.Series) -> pd.Series:
    """A numeric column as whole numbers (nullable) or floats; with infinities or past int64, as plain cells."""
    col = col.reset_index(drop=True)
    try:
        if pd.api.types.is_integer_dtype(col.dtype):
            return col.astype("Int64")
        values = col.astype("float64")
    except (TypeError, ValueError, OverflowError):
        return pd.Series([_plain(v) for v in col], dtype=object)
    if values.isin([math.inf, -math.inf]).any():
        return pd.Series([_plain(v) for v in col], dtype=object)
    return values


def _header(name) -> str:
    if isinstance(name, tuple):
        return " / ".join(str(p) for p in name if not (isinstance(p, float) and math.isnan(p)) and str(p) != "")
    return "" if name is None else str(name)


def _plain(value):
    """One cell as None, bool, int, float, str, a date or a time-zone-free datetime."""
    if value is None or (not isinstance(value, (str, bytes, list, tuple, dict, set)) and pd.isna(value)):
        return None
    if hasattr(value, "item") and not isinstance(value, (str, bytes)) and not isinstance(value, pd.Period):
        try:
            value = value.item()
        except (ValueError, TypeError):
            pass
    if isinstance(value, bool):
        return value
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, float):
        return value if math.isfinite(value) else ("∞" if value > 0 else "−∞")  # U+2212: no formula lead
    if isinstance(value, numbers.Real) and not isinstance(value, numbers.Integral):
        return _plain(float(value))
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None) if value.tzinfo is None else value.astimezone().replace(tzinfo=None)
    if isinstance(value, (dt.date, dt.time)):
        return value.replace(tzinfo=None) if isinstance(value, dt.time) else value
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return value if isinstance(value, str) else str(value)


def to_csv_bytes(frame: pd.DataFrame) -> bytes:
    return safe.csv_text(plain_table(frame)).encode("utf-8-sig")


def to_xlsx_bytes(frame: pd.DataFrame, sheet_name: str = "数据") -> bytes:
    """A formatted workbook: red bold header, frozen top row, fitted columns, number formats."""
    shown = safe.frame_cells(plain_table(frame))
    wb = Workbook()
    whole_cols = {col for col in shown.columns
                  if pd.api.types.is_float_dtype(shown[col])
                  and shown[col].dropna().map(lambda v: float(v).is_integer()).all()}
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
        if pd.api.types.is_float_dtype(values) or values.dtype == object:
            whole = col in whole_cols
            for (cell,) in ws.iter_rows(min_row=2, min_col=idx, max_col=idx):
                if isinstance(cell.value, (int, float)) and not isinstance(cell.value, bool):
                    cell.number_format = "#,##0" if whole or float(cell.value).is_integer() else "#,##0.00"
    return safe.workbook_bytes(wb)


def _cell(value):
    """A value openpyxl can write: missing values of any kind (None, NaN, pd.NA, NaT) are an empty
    cell; numpy scalars become Python numbers; anything else it cannot write becomes its text."""
    if value is None or (not isinstance(value, (str, bytes, list, tuple)) and pd.isna(value)):
        return None
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()
    if isinstance(value, float) and value.is_integer():
        return int(value)  # a whole count is written as 213, never 213.0
    if isinstance(value, str) and len(value) > XLSX_MAX_TEXT:
        return value[:XLSX_MAX_TEXT - 1] + "…"
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
    with_source: bool = False,
) -> pd.DataFrame:
    """Every unit of `unit`'s subtree, every period and indicator, in the chosen layout.  For a
    `principal` (domain/access.Principal), only a subtree within its scope (AccessDenied else).
    `with_source` (long layout): each figure's returns, reporters, time, template versions and
    cells (figures.source_columns)."""
    cat = store.catalog
    indicators = [i.code for i in cat.indicators if domain is None or i.domain == domain]
    units = [u.code for u in store.tree().subtree(unit)]
    src = figures.Source.of_store(store, lambda name, **params: store.query(name, principal, **params))
    rows = figures.table(src, units, periods.quarter(first), periods.quarter(last), granularity, indicators,
                         scope=scope, lang=lang)
    if layout == "long":
        table = long_table(rows, lang)
        if with_source:
            kept = rows.loc[table.index]
            table = pd.concat([table, figures.source_columns(src, kept, periods.quarter(first), periods.quarter(last),
                                                             granularity, scope=scope, lang=lang)], axis=1)
        return table
    if with_source:
        raise ValueError("with_source needs the long layout")
    return wide_table(rows, store, lang)


def long_table(rows: pd.DataFrame, lang: str = "zh", every: bool = False) -> pd.DataFrame:
    """figures.table rows as the long export: one row per unit, period and indicator, the figure
    and its state (已报送 / 部分报送 / 未报送 / 已报送·未填写); a figure not asked of the unit or the
    period (不适用 / 本期无此项) has no row unless `every` (the wide table says it in its cell)."""
    en = lang == "en"
    if not every:
        rows = rows[~rows["state"].isin([figures.NOT_APPLICABLE, figures.NOT_ASKED])]
    return pd.DataFrame(
        {
            "unit_code": rows["unit_code"],
            "unit_name": rows["unit_name_en" if en else "unit_name_zh"],
            "period": rows["period"],
            "domain": rows["domain"],
            "indicator_code": rows["indicator_code"],
            "indicator_name": rows["indicator_name_en" if en else "indicator_name_zh"],
            "value": rows["value"],
            "unit_of_measure": rows["unit_en" if en else "unit_zh"],
            "state": rows["state"].map(lambda st: figures.state_text(st, lang)),
            # the figure as the pages and the 通报 write it: an approximation as bureaus do (「34万余元」)
            "shown": rows["shown"],
        },
        columns=LONG_COLUMNS,
    )


def wide_table(rows: pd.DataFrame, store, lang: str = "zh") -> pd.DataFrame:
    """What a person reads: one row per unit and period, one column per indicator (名称(单位)); a
    cell with no figure says why (its state: 未报送, 不适用 …); the column after the period says which
    returns the row's figures cover (「11/13 个单位已报送」), so a partial year never reads as complete.
    `rows` are figures.table's."""
    cat = store.catalog
    heads = {"zh": ("单位代码", "单位名称", "期间"), "en": ("Unit code", "Unit", "Period")}[lang]
    covered = {"zh": "报送情况", "en": "Coverage"}[lang]
    long = long_table(rows, lang, every=True)
    if long.empty:
        return pd.DataFrame(columns=[*heads, covered])
    shown = long["value"].astype(object).where(long["value"].notna(), long["state"])
    shown = shown.where(long["shown"] == "", long["shown"])  # an approximation as words: 「34万余元」
    wide = long.assign(shown=shown).pivot_table(index=["unit_code", "unit_name", "period"], columns="indicator_code",
                                                values="shown", aggfunc="first", sort=False)
    codes = [i.code for i in cat.indicators if i.code in wide.columns]
    wide = wide[codes].reset_index()  # long_table keeps the tree's order
    # the coverages of the row's figures, the most common first (a stock's may differ: its period's end)
    asked = rows[~rows["state"].isin([figures.NOT_APPLICABLE, figures.NOT_ASKED]) & (rows["coverage"] != "")]
    said = (asked.groupby(["unit_code", "period"], sort=False)["coverage"]
            .agg(lambda c: "；".join(c.value_counts(sort=True).index)))
    wide.columns = list(heads) + [f"{cat[c].name(lang)}({cat[c].unit(lang)})" for c in codes]
    # beside the period, where a reader looks before the figures
    wide.insert(3, covered, [said.get((u, p), "") for u, p in zip(wide[heads[0]], wide[heads[2]])])
    return wide.reset_index(drop=True)
