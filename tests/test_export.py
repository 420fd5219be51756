"""CSV and Excel bytes of any table: whatever its column types, the file opens and holds the table."""

from __future__ import annotations

import csv
import io
from datetime import datetime

import numpy as np
import openpyxl
import pandas as pd
import pytest

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


def _awkward() -> dict[str, pd.DataFrame]:
    """Tables a page might hand to an export, each of which made a writer fail or write a file
    Excel refuses before `plain_table`."""
    import datetime as dt
    import decimal
    return {
        "tz-aware times": pd.DataFrame({"时间": pd.to_datetime(["2024-01-01 08:00"]).tz_localize("Asia/Shanghai")}),
        "tz-aware objects": pd.DataFrame({"单位": ["甲", "乙"],
                                         "时间": [dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc), None]}),
        "repeated headers": pd.DataFrame([[1, 2]], columns=["数值", "数值"]),
        "two-level headers": pd.DataFrame([[1, 2]], columns=pd.MultiIndex.from_tuples([("甲", "值"), ("乙", "值")])),
        "number headers": pd.DataFrame({0: [1], 1: ["x"]}),
        "infinities": pd.DataFrame({"比率": [np.inf, -np.inf, np.nan, 1.0]}),
        "lists and dicts": pd.DataFrame({"单位": ["甲", "乙", "丙"], "杂项": [[1, 2], {"a": 1}, None]}),
        "periods and intervals": pd.DataFrame({"期": pd.period_range("2024Q1", periods=2, freq="Q"),
                                             "区间": pd.IntervalIndex.from_breaks([0, 1, 2])}),
        "decimals and bytes": pd.DataFrame({"金额": [decimal.Decimal("1.50"), 2], "字节": [b"ab", None]}),
        "durations": pd.DataFrame({"单位": ["甲", "乙"], "时长": pd.to_timedelta([1, None], unit="D")}),
        "categories": pd.DataFrame({"单位": ["甲", "乙"], "类": pd.Categorical(["x", None])}),
        "complex": pd.DataFrame({"复数": [1 + 2j]}),
        "huge integers": pd.DataFrame({"大": np.array([2**64 - 1], dtype="uint64")}),
        "a text longer than a cell holds": pd.DataFrame({"长": ["字" * 40000]}),
        "no rows": pd.DataFrame(columns=["单位", "数值"]),
        "nothing at all": pd.DataFrame(),
        "a named index": pd.DataFrame({"数值": [1, 2]}, index=["甲", "乙"]),
    }


@pytest.mark.parametrize("name", list(_awkward()))
def test_any_table_exports_to_both_and_the_files_hold_its_rows(name):
    frame = _awkward()[name]
    rows = list(csv.reader(io.StringIO(export.to_csv_bytes(frame).decode("utf-8-sig"))))
    ws = openpyxl.load_workbook(io.BytesIO(export.to_xlsx_bytes(frame))).active
    xrows = list(ws.iter_rows(values_only=True))
    if frame.shape[1]:
        assert len(rows) == len(xrows) == len(frame) + 1
        assert len(set(rows[0])) == frame.shape[1]  # every header there, and told apart
        assert [str(v) for v in xrows[0]] == rows[0]
    for row in xrows[1:]:
        assert all(v is None or isinstance(v, (str, int, float, bool, datetime)) for v in row)
        assert all(len(v) <= export.XLSX_MAX_TEXT for v in row if isinstance(v, str))


def test_awkward_values_read_as_a_person_expects():
    frames = _awkward()
    inf = list(csv.reader(io.StringIO(export.to_csv_bytes(frames["infinities"]).decode("utf-8-sig"))))
    assert [r[0] for r in inf[1:]] == ["∞", "−∞", "", "1"]  # a whole number is written whole
    ws = openpyxl.load_workbook(io.BytesIO(export.to_xlsx_bytes(frames["tz-aware times"]))).active
    assert isinstance(ws["A2"].value, datetime)
    heads = next(csv.reader(io.StringIO(export.to_csv_bytes(frames["repeated headers"]).decode("utf-8-sig"))))
    assert heads == ["数值", "数值 (2)"]
