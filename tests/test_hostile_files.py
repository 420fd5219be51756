"""Files that are not a return at all, or that attack the parser: refused before any spreadsheet
parser runs, with a plain message, exit code 1, and the database unchanged."""

from __future__ import annotations

import functools
import io
import zipfile

import pytest

from dashboard.ingest import import_return
from dashboard.ingest.container import MAX_FILE_BYTES, MAX_UNCOMPRESSED_BYTES
from tests.return_files import import_by_cli



def _rezip(data: bytes, add: dict[str, bytes] | None = None, replace: dict[str, bytes] | None = None) -> bytes:
    """The workbook's parts rewritten, some replaced, some added."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, (replace or {}).get(info.filename, src.read(info)))
        for name, body in (add or {}).items():
            dst.writestr(name, body)
    return out.getvalue()


def _macro_workbook(good: bytes) -> bytes:
    types = zipfile.ZipFile(io.BytesIO(good)).read("[Content_Types].xml").replace(
        b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
        b"application/vnd.ms-excel.sheet.macroEnabled.main+xml")
    return _rezip(good, add={"xl/vbaProject.bin": b"\xd0\xcf\x11\xe0" + b"\0" * 512},
                  replace={"[Content_Types].xml": types})


@functools.cache
def _zip_bomb(good: bytes) -> bytes:
    # ~45 MB of zeros squeezed to ~45 KB: over the limit once inflated
    return _rezip(good, add={"xl/media/image1.png": bytes(MAX_UNCOMPRESSED_BYTES + 5 * 1024 * 1024)})


def _billion_laughs(good: bytes) -> bytes:
    styles = zipfile.ZipFile(io.BytesIO(good)).read("xl/styles.xml")
    body = styles.split(b"?>", 1)[1] if styles.startswith(b"<?xml") else styles
    lol = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
           b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>')
    return _rezip(good, replace={"xl/styles.xml": lol + body})


HOSTILE = [
    ("empty", lambda g: b"", "SW01.xlsx", "文件为空"),
    ("over the size limit", lambda g: b"PK\x03\x04" + bytes(MAX_FILE_BYTES), "SW01.xlsx", "文件过大"),
    ("zip bomb", _zip_bomb, "SW01.xlsx", "疑似压缩炸弹"),
    ("macros inside an .xlsx", _macro_workbook, "SW01.xlsx", "含有宏（xl/vbaProject.bin）"),
    ("macro-enabled by name", lambda g: g, "SW01.xlsm", "启用宏或二进制工作簿"),
    ("renamed .xls", lambda g: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(4096), "SW01.xlsx", "Excel 97-2003"),
    ("renamed .csv", lambda g: "单位代码,支部党员大会\nSW0101,1\n".encode(), "SW01.xlsx", "文本/CSV"),
    ("renamed .txt", lambda g: "机关党委2025年第一季度党建工作总结……".encode("gb18030"), "SW01.xlsx", "文本/CSV"),
    ("truncated", lambda g: g[: len(g) // 2], "SW01.xlsx", "已损坏或不完整"),
    ("a zip that is not a workbook", lambda g: _rezip(b"PK\x05\x06" + bytes(18), add={"a.txt": b"hi"}),
     "SW01.xlsx", "不是 Excel 工作簿"),
    ("XML entities", _billion_laughs, "SW01.xlsx", "不安全的 XML"),
    ("binary noise", lambda g: bytes(range(256)) * 8, "SW01.xlsx", "无法识别的文件格式"),
]


@pytest.mark.parametrize("case, make, name, message", HOSTILE, ids=[h[0] for h in HOSTILE])
def test_a_hostile_file_is_refused_plainly_and_changes_nothing(case, make, name, message, good, history, tmp_path,
                                                               capsys):
    code, printed, unchanged = import_by_cli(history, tmp_path, make(good), name, capsys)
    assert code == 1
    line = next((ln for ln in printed.splitlines() if message in ln), None)
    assert line is not None, printed
    assert line.startswith(name) and "错误 error" in line and " | " in line
    assert unchanged


def test_the_zip_bomb_is_refused_before_anything_is_inflated(good, history, monkeypatch):
    """The declared sizes alone condemn it: no part is ever read."""
    from dashboard.store import Store

    bomb = _zip_bomb(good)
    opened = []
    real_open = zipfile.ZipFile.open
    monkeypatch.setattr(zipfile.ZipFile, "open", lambda self, *a, **k: opened.append(a) or real_open(self, *a, **k))
    with Store(history) as store:
        outcome = import_return(store, bomb, "bomb.xlsx", user="tester")
    assert outcome.status == "rejected" and opened == []


def test_a_part_that_lies_about_its_size_is_caught_when_inflated(good, history):
    """A header claiming a small size for a big part: the bounded read and CRC check catch it."""
    from dashboard.store import Store

    data = bytearray(_rezip(good, add={"xl/media/big.bin": bytes(2_000_000)}))
    zf = zipfile.ZipFile(io.BytesIO(bytes(data)))
    info = zf.getinfo("xl/media/big.bin")
    # patch the uncompressed size (offset 24) in the central directory entry to 1000 bytes
    central = bytes(data).rfind(b"PK\x01\x02", 0, len(data))
    while central != -1:
        name_len = int.from_bytes(data[central + 28:central + 30], "little")
        if data[central + 46:central + 46 + name_len] == info.filename.encode():
            data[central + 24:central + 28] = (1000).to_bytes(4, "little")
            break
        central = bytes(data).rfind(b"PK\x01\x02", 0, central)
    with Store(history) as store:
        outcome = import_return(store, bytes(data), "liar.xlsx", user="tester")
    assert outcome.status == "rejected"
    assert any("压缩炸弹" in p.message_zh or "损坏" in p.message_zh for p in outcome.errors)


# --- silent wrong loads: what a reader places where must be what the file says --------------------


def _without_addresses(data: bytes, sheet: str, rows: bool) -> bytes:
    """The sheet with no r= on any cell (and on no row if `rows`): each cell follows the previous
    one in its row, each row the previous row, as the OOXML standard says."""
    import re

    from tests.return_files import edit_part, sheet_part

    def strip(xml: str) -> str:
        xml = re.sub(r'(<c) r="[A-Z]+[0-9]+"', r"\1", xml)
        return re.sub(r'(<row) r="[0-9]+"', r"\1", xml) if rows else xml

    return edit_part(data, sheet_part(data, sheet), strip)


@pytest.mark.parametrize("rows", [False, True], ids=["cells without r=", "cells and rows without r="])
def test_cells_without_addresses_load_where_the_standard_places_them(rows, good, history):
    from dashboard.store import Store

    data = good
    for sheet in ("学习教育", "发展党员", "纪律执纪"):
        data = _without_addresses(data, sheet, rows)
    with Store(history) as store:
        expected = import_return(store, good, "SW01.xlsx", user="tester", dry_run=True)
        from dashboard.ingest.validate import validate

        _, parsed_good = validate(store, good, "SW01.xlsx")
        found, parsed = validate(store, data, "SW01.xlsx")
    assert expected.status == "valid" and not found.errors, [p.line() for p in found.items]
    assert parsed.values == parsed_good.values  # every figure at its own unit and indicator, cell for cell


def test_a_formula_in_a_cell_without_an_address_is_found_at_its_cell(good, history):
    """Its cell is found by position, so the formula warning names the right cell."""
    import re

    from dashboard.store import Store
    from tests.return_files import cell_of, edit_part, load, sheet_part

    where = cell_of(load(good), "学习教育", "SW0102", "party_group_meetings")
    part = sheet_part(good, "学习教育")

    def formula_without_address(xml: str) -> str:
        xml, n = re.subn(rf'<c r="{where}"([^>]*)><v>([^<]*)</v></c>', r'<c\1><f>1+1</f><v>\2</v></c>', xml)
        assert n == 1
        return xml

    with Store(history) as store:
        outcome = import_return(store, edit_part(good, part, formula_without_address), "f.xlsx", user="tester",
                                dry_run=True)
    assert outcome.status == "valid"
    [warning] = outcome.warnings
    assert warning.where == f"学习教育!{where}" and "公式" in warning.message_zh


def _error_value(data: bytes, sheet: str, unit: str, code: str, value: str, formula: bool = True,
                 address: bool = True) -> tuple[bytes, str]:
    """The cell of (unit, indicator) as Excel saves a formula whose result is an error value."""
    import re

    from tests.return_files import cell_of, edit_part, load, sheet_part

    where = cell_of(load(data), sheet, unit, code)
    f = "<f>1/0</f>" if formula else ""
    r = f' r="{where}"' if address else ""

    def change(xml: str) -> str:
        xml, n = re.subn(rf'<c r="{where}"( s="\d+")[^>]*?(?:/>|>.*?</c>)', rf'<c{r}\1 t="e">{f}<v>{value}</v></c>', xml)
        assert n == 1
        return xml

    return edit_part(data, sheet_part(data, sheet), change), where


@pytest.mark.parametrize("value, formula, address", [
    ("#DIV/0!", True, True), ("#N/A", False, True), ("#VALUE!", True, False), ("#REF!", False, False),
], ids=["#DIV/0! from a formula", "#N/A typed", "#VALUE! in a cell without r=", "#REF! in a cell without r="])
def test_an_excel_error_value_is_an_error_at_its_cell_not_a_blank(value, formula, address, good, history, tmp_path,
                                                                 capsys):
    data, where = _error_value(good, "学习教育", "SW0103", "party_lectures", value, formula, address)
    code, printed, unchanged = import_by_cli(history, tmp_path, data, "SW01.xlsx", capsys)
    assert code == 1 and unchanged, printed
    line = next(ln for ln in printed.splitlines() if "Excel 错误值" in ln)
    assert f"学习教育!{where} · SW0103 " in line and f"单元格为 Excel 错误值 {value}，不是数字" in line
    assert f"Excel error value {value}" in line and "party_lectures" in line


def test_an_excel_error_value_in_a_grey_cell_is_ignored_with_a_warning(good, history):
    from dashboard.store import Store

    data, where = _error_value(good, "学习教育", "SW01", "branch_general_meetings", "#N/A")
    with Store(history) as store:
        outcome = import_return(store, data, "SW01.xlsx", user="tester", dry_run=True)
    assert outcome.status == "valid", [p.line() for p in outcome.errors]
    [warning] = [p for p in outcome.warnings if p.where == f"学习教育!{where}"]
    assert "不填报此指标" in warning.message_zh and warning.found == "#N/A"
