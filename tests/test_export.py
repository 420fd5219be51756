"""CSV and Excel bytes of any table: whatever its column types, the file opens and holds the table."""

from __future__ import annotations

import csv
import io
from datetime import datetime

import numpy as np
import openpyxl
import pandas as pd

from dashboard.output import export


def _mixed() -> pd.DataFrame:
    return pd.DataFrame({
        "名次": pd.array([1, None, 3], dtype="Int64"),  # a ranking: units with no figure have no rank
        "单位": ["甲", None, "丙"],
        "数值": [1.5, np.nan, 3.0],
        "是否": pd.array([True, None, False], dtype="boolean"),
        "文本": pd.array(["x", pd.NA, "z"], dtype="string"),
        "时间": [datetime(2024, 1, 2, 3, 4), pd.NaT, datetime(2024, 5, 6)],
        "混合": [1, None, "三"],
    })


def test_an_excel_export_holds_every_kind_of_missing_value_as_an_empty_cell():
    frame = _mixed()
    ws = openpyxl.load_workbook(io.BytesIO(export.to_xlsx_bytes(frame))).active
    rows = list(ws.iter_rows(values_only=True))
    assert list(rows[0]) == list(frame.columns)
    assert rows[1][:3] == (1, "甲", 1.5) and rows[3][:3] == (3, "丙", 3.0)
    assert all(v is None for v in rows[2])  # the middle row is missing in every column
    assert rows[1][3] is True and rows[1][5] == datetime(2024, 1, 2, 3, 4) and rows[3][6] == "三"
    assert rows[1][6] == 1 and rows[3][4] == "z"


def test_a_csv_export_has_a_bom_and_blank_cells_for_missing_values():
    raw = export.to_csv_bytes(_mixed())
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[2] == [""] * 7
    assert rows[1][:3] == ["1", "甲", "1.5"]


def test_whole_numbers_get_a_whole_number_format_in_excel():
    frame = pd.DataFrame({"人数": [213.0, 22.0, np.nan], "金额": [1.5, 2.25, 3.0]})
    ws = openpyxl.load_workbook(io.BytesIO(export.to_xlsx_bytes(frame))).active
    assert ws["A2"].number_format == "#,##0" and ws["B2"].number_format == "#,##0.00"


def test_a_formula_led_text_cell_is_neutralised_in_both():
    frame = pd.DataFrame({"单位": ["=1+2", "+A1", "-3", "@SUM(A1)", "安全"]})
    ws = openpyxl.load_workbook(io.BytesIO(export.to_xlsx_bytes(frame))).active
    assert [c.value for c in ws["A"][1:]] == ["'=1+2", "'+A1", "'-3", "'@SUM(A1)", "安全"]
    assert all(c.data_type != "f" for c in ws["A"])
    text = export.to_csv_bytes(frame).decode("utf-8-sig").splitlines()
    assert text[1:] == ["'=1+2", "'+A1", "'-3", "'@SUM(A1)", "安全"]
