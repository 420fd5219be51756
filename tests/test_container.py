"""The container check: what it refuses before any spreadsheet parser runs, and what it learns
from the sheets' XML for the validator.  Each hostile workbook is a real template with its
ZIP edited; it must be refused with a message, never a traceback, and the database unchanged."""

from __future__ import annotations

import pytest

from dashboard.ingest.container import inspect
from dashboard.ingest.problems import Collector
from tests.return_files import edit_part, import_by_cli, rezip, sheet_part

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
    from dashboard.ingest import import_return
    from dashboard.store import Store

    with Store(history) as store:
        outcome = import_return(store, _renamed_sheet_part(good, "xl/worksheets/sheet7", False), "SW01.xlsx",
                                user="tester", dry_run=True)
    assert outcome.status == "valid", [p.line() for p in outcome.errors]


def test_the_good_template_passes_the_container_check(good):
    out = Collector("SW01.xlsx")
    box = inspect(good, "SW01.xlsx", out)
    assert box is not None and out.items == []
    assert set(box.sheet_parts) == {"填报说明", "学习教育", "发展党员", "星级支部", "纪律执纪", "防汛动员", "_模板信息"}
