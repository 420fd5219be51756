"""The container check: what it refuses before any spreadsheet parser runs, and what it learns
from the sheets' XML for the validator.  Each hostile workbook is a real template with its
ZIP edited; it must be refused with a message, never a traceback, and the database unchanged."""

from __future__ import annotations

import pytest

from dashboard.ingest.container import inspect
from dashboard.ingest.problems import Collector
from dashboard.settings import current as settings
from tests.support.returns import add_row, edit_part, import_by_cli, rezip, sheet_part

DTD = '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'


def _renamed_sheet_part(good: bytes, new_name: str, dtd: bool) -> bytes:
    """The hidden sheet stored under `new_name` and found through workbook.xml.rels, as a reader finds it."""
    import io
    import zipfile

    src = zipfile.ZipFile(io.BytesIO(good))
    old = sheet_part(good, "_模板信息")
    body = src.read(old)
    if dtd:
        body = DTD.encode() + body.replace(b"<v>", b"<v>&xxe;", 1)
    rels = src.read("xl/_rels/workbook.xml.rels").replace(f"/{old}".encode(), f"/{new_name}".encode())
    entries = [(new_name if i.filename == old else i.filename,
                body if i.filename == old else rels if i.filename.endswith("workbook.xml.rels") else src.read(i))
               for i in src.infolist()]
    return rezip(good, entries=entries)


def _utf16_dtd(good: bytes) -> bytes:
    part = sheet_part(good, "_模板信息")
    text = edit_part(good, part, lambda x: x)  # unchanged copy, to read the part back
    import io
    import zipfile

    body = zipfile.ZipFile(io.BytesIO(text)).read(part).decode()
    return rezip(good, replace={part: (DTD.replace("1.0", '1.0" encoding="UTF-16') + body).encode("utf-16")})


def _duplicate_member(good: bytes, dtd_first: bool = True, name_case: str | None = None) -> bytes:
    import io
    import zipfile

    src = zipfile.ZipFile(io.BytesIO(good))
    part = sheet_part(good, "_模板信息")
    entries = []
    for info in src.infolist():
        body = src.read(info)
        if info.filename == part:
            entries.append((name_case or part, DTD.encode() + body if dtd_first else body))
        entries.append((info.filename, body))
    return rezip(good, entries=entries)


def _formula_with_unbound_prefix(good: bytes) -> bytes:
    return edit_part(good, sheet_part(good, "学习教育"),
                     lambda x: x.replace("</sheetData>", '<row r="40"><c r="C40"><f>1+1</f><v>2</v></c>'
                                                         '<q:note>x</q:note></row></sheetData>'))


HOSTILE = [
    ("DTD in a sheet part without .xml", lambda g: _renamed_sheet_part(g, "xl/worksheets/sheet7", True),
     "不安全的 XML"),
    ("DTD in a sheet part named .bin.xml", lambda g: _renamed_sheet_part(g, "xl/worksheets/sheet7.bin.xml", True),
     "不安全的 XML"),
    ("DTD in a UTF-16 part", _utf16_dtd, "不安全的 XML"),
    ("the same member twice, the first with a DTD", _duplicate_member, "两个同名的内部文件"),
    ("the same member twice in another case", lambda g: _duplicate_member(g, False, "XL/worksheets/SHEET7.xml"),
     "两个同名的内部文件"),
    ("workbook.xml not XML", lambda g: rezip(g, replace={"xl/workbook.xml": b"<workbook><sheets>"}),
     "xl/workbook.xml 不是格式正确的 XML"),
    ("relationships not XML", lambda g: rezip(g, replace={"xl/_rels/workbook.xml.rels": b"\x00\x01"}),
     "xl/_rels/workbook.xml.rels 不是格式正确的 XML"),
    ("content types with entities", lambda g: rezip(g, replace={"[Content_Types].xml": b"<Types>&x;</Types>"}),
     "[Content_Types].xml 不是格式正确的 XML"),
    ("a formula sheet with an unbound prefix", _formula_with_unbound_prefix, "不是格式正确的 XML"),
]


@pytest.mark.parametrize("case, make, message", HOSTILE, ids=[h[0] for h in HOSTILE])
def test_a_hostile_container_is_refused_with_a_message_and_changes_nothing(case, make, message, good, history,
                                                                           tmp_path, capsys):
    code, printed, unchanged = import_by_cli(history, tmp_path, make(good), "SW01_2025Q1.xlsx", capsys)
    assert code == 1, printed
    assert "Traceback" not in printed
    line = next((ln for ln in printed.splitlines() if message in ln), None)
    assert line is not None, printed
    assert line.startswith("SW01_2025Q1.xlsx") and "错误 error" in line and " | " in line
    assert unchanged


def test_a_sheet_part_under_an_unusual_name_is_read_when_it_is_clean(good, history):
    """The part's name is no reason to refuse: only what is in it."""
    from dashboard.db import Store
    from dashboard.ingest import import_return

    with Store(history) as store:
        outcome = import_return(store, _renamed_sheet_part(good, "xl/worksheets/sheet7", False), "SW01.xlsx",
                                user="tester", dry_run=True)
    assert outcome.status == "valid", [p.line() for p in outcome.errors]


def test_the_good_template_passes_the_container_check(good):
    out = Collector("SW01.xlsx")
    box = inspect(good, "SW01.xlsx", out)
    assert box is not None and out.items == []
    from dashboard.domain.catalog import catalog

    domains = {d.name_zh for d in catalog().domains}  # a sheet a domain (data/domains.csv)
    assert {"填报说明", "学习教育", "发展党员", "星级支部", "纪律执纪", "防汛动员", "_模板信息"} <= set(box.sheet_parts)
    assert set(box.sheet_parts) - {"填报说明", "_模板信息"} <= domains


# --- the shape of every sheet, before calamine allocates it ---------------------------------------

def _one_cell(sheet: str, ref: str, value: str = "<v>1</v>"):
    row = ref.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    return lambda g: add_row(g, sheet, f'<row r="{row}"><c r="{ref}">{value}</c></row>')


def _extra_sheet(good: bytes, rows_xml: str, name: str = "extra", n: int = 99) -> bytes:
    """A fourth kind of sheet: one the template never had, added with its relationship."""
    import io
    import zipfile

    src = zipfile.ZipFile(io.BytesIO(good))
    wb = src.read("xl/workbook.xml").replace(
        b"</sheets>", f'<sheet name="{name}" sheetId="{n}" r:id="rId{n}"/></sheets>'.encode())
    rels = src.read("xl/_rels/workbook.xml.rels").replace(
        b"</Relationships>", b'<Relationship Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                             b'relationships/worksheet" Target="/xl/worksheets/' + f'{name}.xml" Id="rId{n}"/>'.encode()
                             + b"</Relationships>")
    sheet = ('<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
             f'{rows_xml}</sheetData></worksheet>').encode()
    return rezip(good, replace={"xl/workbook.xml": wb, "xl/_rels/workbook.xml.rels": rels},
                 add={f"xl/worksheets/{name}.xml": sheet})


def _many_rows(good: bytes, n: int) -> bytes:
    return _extra_sheet(good, "".join(f'<row r="{r}"><c r="A{r}"><v>{r}</v></c></row>' for r in range(1, n + 1)))


def _declared(good: bytes, ref: str) -> bytes:
    part = sheet_part(good, "_模板信息")
    return edit_part(good, part, lambda x: x.replace('<dimension ref="A1:B4" />', f'<dimension ref="{ref}" />'))


SHAPES = [
    ("one cell at XFD1048576 on the hidden sheet", _one_cell("_模板信息", "XFD1048576"), "_模板信息", "XFD1048576"),
    ("one cell at XFD1048576 on the guide", _one_cell("填报说明", "XFD1048576"), "填报说明", "XFD1048576"),
    ("one cell at XFD1048576 on an extra sheet",
     lambda g: _extra_sheet(g, '<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>'), "extra", "XFD1048576"),
    ("one cell at CV200000 on a domain sheet", _one_cell("学习教育", "CV200000"), "学习教育", "CV200000"),
    ("a 1,000,000-row sheet", _one_cell("学习教育", "A1000000"), "学习教育", "1000000"),
    ("a text cell far to the right", _one_cell("学习教育", "KO3", '<is><t>x</t></is>'), "学习教育", "KO"),
    ("a formula far below", _one_cell("发展党员", "A5001", "<f>1+1</f>"), "发展党员", "5001"),
    ("a row far below without r= on its cell",
     lambda g: add_row(g, "_模板信息", '<row r="1048576"><c><v>1</v></c></row>'), "_模板信息", "B1048576"),
    ("a cell far right placed after one without a value",
     lambda g: add_row(g, "_模板信息", '<row r="9"><c r="XFC9"/><c><v>1</v></c></row>'), "_模板信息", "XFD9"),
    ("150,000 rows of one cell each", lambda g: _many_rows(g, 150_000), "extra", "150000"),
    ("a rectangle of 5,000 rows x 300 columns, two cells",
     lambda g: _extra_sheet(g, '<row r="1"><c r="KN1"><v>1</v></c></row><row r="5000"><c r="A5000"><v>1</v></c></row>'),
     "extra", "KN5000"),
]


@pytest.mark.parametrize("case, make, sheet, found", SHAPES, ids=[s[0] for s in SHAPES])
def test_a_sheet_beyond_any_template_is_refused_before_calamine_sees_it(case, make, sheet, found, good, history,
                                                                       tmp_path, capsys, monkeypatch):
    import dashboard.ingest.validate as validate_mod

    seen = []  # no spreadsheet parser may run: the container refuses first
    monkeypatch.setattr(validate_mod, "_Book", lambda *a: seen.append(a))
    code, printed, unchanged = import_by_cli(history, tmp_path, make(good), "SW01_2025Q1.xlsx", capsys)
    assert code == 1 and unchanged and seen == [], printed
    line = next(ln for ln in printed.splitlines() if "数据范围过大" in ln)
    assert f" · {sheet} · " in line and found in line and "Traceback" not in printed
    assert "spans too far" in line


def test_a_declared_dimension_beyond_any_template_is_refused(good, history, tmp_path, capsys):
    code, printed, unchanged = import_by_cli(history, tmp_path, _declared(good, "A1:XFD1048576"), "SW01.xlsx", capsys)
    assert code == 1 and unchanged
    assert "声明的数据范围 A1:XFD1048576（1048576 行 × 16384 列）" in printed


def test_a_cell_given_twice_is_refused(good, history, tmp_path, capsys):
    data = add_row(good, "_模板信息", '<row r="9"><c r="A9"><v>1</v></c><c r="A9"><v>2</v></c></row>')
    code, printed, unchanged = import_by_cli(history, tmp_path, data, "SW01.xlsx", capsys)
    assert code == 1 and unchanged
    assert "单元格 A9 出现了两次" in printed


@pytest.mark.parametrize("far", ["CV5000", "KN1666"], ids=["5,000 rows x 100 columns", "1,666 rows x 300 columns"])
def test_sheets_up_to_the_bounds_pass_the_container(good, far):

    conf = settings()
    assert (conf.sheet_max_rows, conf.sheet_max_cols, conf.sheet_max_area) == (5000, 300, 500_000)
    row = far.lstrip("CVKN")
    data = _extra_sheet(good, f'<row r="{row}"><c r="{far}"><v>1</v></c></row>')
    out = Collector("x.xlsx")
    assert inspect(data, "x.xlsx", out) is not None, [p.line() for p in out.items]


# --- the scan places cells as calamine does: plain and strict agree -------------------------------

def _strip_addresses(xml: str, rows: bool) -> str:
    """Every cell's r= removed (and every row's too if `rows`): cells then follow one another."""
    import re

    xml = re.sub(r'(<c) r="[A-Z]+[0-9]+"', r"\1", xml)
    return re.sub(r'(<row) r="[0-9]+"', r"\1", xml) if rows else xml


@pytest.mark.parametrize("sheet, rows", [("填报说明", False), ("学习教育", True), ("发展党员", True), ("_模板信息", True)])
def test_the_plain_and_the_strict_scan_agree_on_the_template(good, sheet, rows):
    """`rows`: the sheet's rows follow one another, so they can lose their r= too (the guide skips some)."""
    import io
    import zipfile

    from dashboard.ingest.container import _scan_plain, _scan_strict

    body = zipfile.ZipFile(io.BytesIO(good)).read(sheet_part(good, sheet))
    plain = _scan_plain(body)
    assert plain is not None  # the template takes the fast path
    assert plain == _scan_strict("x", body)
    # the same sheet with no address on any cell (or row): the strict scan places them all the same
    bare = _strip_addresses(body.decode(), rows=rows).encode()
    assert _scan_plain(bare) is None
    strict = _scan_strict("x", bare)
    assert (strict.rows, strict.cols, strict.cells) == (plain.rows, plain.cols, plain.cells)


def test_formulas_and_error_values_are_found_at_their_cells_with_or_without_addresses():
    from dashboard.ingest.container import scan_sheet

    xml = ('<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><dimension ref="A1:E3"/>'
           '<sheetData><row r="1"><c r="A1"><v>1</v></c><c r="C1"><f>A1*2</f><v>2</v></c></row>'
           '<row r="3"><c r="B3" t="e"><f>1/0</f><v>#DIV/0!</v></c><c t="e"><v>#N/A</v></c><c/><c><f>B3</f></c>'
           '</row></sheetData></worksheet>')
    scan = scan_sheet("x", xml.encode())
    assert scan.formulas == {(0, 2), (2, 1), (2, 4)}
    assert scan.errors == {(2, 1): "#DIV/0!", (2, 2): "#N/A"}
    assert (scan.rows, scan.cols, scan.cells, scan.declared) == (3, 5, 5, "A1:E3")
    bare = scan_sheet("x", _strip_addresses(xml, rows=False).replace('<row r="3">', "<row/><row>").encode())
    assert bare.errors == {(2, 0): "#DIV/0!", (2, 1): "#N/A"}  # cells follow one another from column A
    assert bare.formulas == {(0, 1), (2, 0), (2, 3)}


@pytest.mark.parametrize("xml, why", [
    ('<worksheet><sheetData><row><q:c r="A1"/></row></sheetData></worksheet>', "unbound prefix"),
    ('<worksheet><sheetData><row r="x"><c><v>1</v></c></row></sheetData></worksheet>', "a row number that is not one"),
    ('<worksheet><sheetData><row><c r="1A"><v>1</v></c></row></sheetData></worksheet>', "a cell address"),
    ('<worksheet><sheetData><row><c r="A1"><v>1</v></row></sheetData></worksheet>', "unclosed"),
    ('<worksheet><sheetData><row><c r="A1" r="B1"><v>1</v></c></row></sheetData></worksheet>', "r twice"),
])
def test_what_the_strict_scan_cannot_read_is_refused_not_guessed(xml, why):
    """(The plain scan never sees these: a prefixed or unaddressed cell, or an r= it cannot read,
    sends a sheet to the strict scan; a tag left open is calamine's own error.)"""
    from dashboard.ingest.container import _BadXml, _scan_strict

    with pytest.raises(_BadXml):
        _scan_strict("x", xml.encode())
