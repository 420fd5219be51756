"""Files that are not a return at all, or that attack the parser: refused before any spreadsheet
parser runs, with a plain message, exit code 1, and the database unchanged."""

from __future__ import annotations

import functools
import io
import zipfile
from pathlib import Path

import pytest

from dashboard.ingest import import_return
from dashboard.ingest.container import inspect
from dashboard.ingest.problems import Collector
from dashboard.settings import current as settings
from tests.support.returns import add_row, import_by_cli
from tests.test_app import app_db  # noqa: F401 (a fixture: the app on a private copy of the demo database)


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
    return _rezip(good, add={"xl/media/image1.png": bytes(settings().max_uncompressed_bytes + 5 * 1024 * 1024)})


def _billion_laughs(good: bytes) -> bytes:
    styles = zipfile.ZipFile(io.BytesIO(good)).read("xl/styles.xml")
    body = styles.split(b"?>", 1)[1] if styles.startswith(b"<?xml") else styles
    lol = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
           b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>')
    return _rezip(good, replace={"xl/styles.xml": lol + body})


HOSTILE = [
    ("empty", lambda g: b"", "SW01.xlsx", "文件为空"),
    ("over the size limit", lambda g: b"PK\x03\x04" + bytes(settings().max_file_bytes), "SW01.xlsx", "文件过大"),
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
    from dashboard.db import Store

    bomb = _zip_bomb(good)
    opened = []
    real_open = zipfile.ZipFile.open
    monkeypatch.setattr(zipfile.ZipFile, "open", lambda self, *a, **k: opened.append(a) or real_open(self, *a, **k))
    with Store(history) as store:
        outcome = import_return(store, bomb, "bomb.xlsx", user="tester")
    assert outcome.status == "rejected" and opened == []


def test_a_part_that_lies_about_its_size_is_caught_when_inflated(good, history):
    """A header claiming a small size for a big part: the bounded read and CRC check catch it."""
    from dashboard.db import Store

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

    from tests.support.returns import edit_part, sheet_part

    def strip(xml: str) -> str:
        xml = re.sub(r'(<c) r="[A-Z]+[0-9]+"', r"\1", xml)
        return re.sub(r'(<row) r="[0-9]+"', r"\1", xml) if rows else xml

    return edit_part(data, sheet_part(data, sheet), strip)


@pytest.mark.parametrize("rows", [False, True], ids=["cells without r=", "cells and rows without r="])
def test_cells_without_addresses_load_where_the_standard_places_them(rows, good, history):
    from dashboard.db import Store

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

    from dashboard.db import Store
    from tests.support.returns import cell_of, edit_part, load, sheet_part

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

    from tests.support.returns import cell_of, edit_part, load, sheet_part

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
    from dashboard.db import Store

    data, where = _error_value(good, "学习教育", "SW01", "branch_general_meetings", "#N/A")
    with Store(history) as store:
        outcome = import_return(store, data, "SW01.xlsx", user="tester", dry_run=True)
    assert outcome.status == "valid", [p.line() for p in outcome.errors]
    [warning] = [p for p in outcome.warnings if p.where == f"学习教育!{where}"]
    assert "不填报此指标" in warning.message_zh and warning.found == "#N/A"


# --- the second wall: calamine runs in a worker process; whatever it does there, this one survives -----


@pytest.fixture
def past_the_container(monkeypatch):
    """Lift the container's shape bounds, so a dangerous sheet reaches calamine in its worker."""
    for name in ("ROWS", "COLS", "AREA", "CELLS"):
        monkeypatch.setenv(f"DANGJIAN_SHEET_MAX_{name}", str(10**12))


@pytest.fixture
def workers(monkeypatch):
    """A pool of parse workers of the test's own, each worker it starts recorded, to check each is
    gone (killed and reaped) or alive."""
    from dashboard.ingest import safe_read

    started = []

    class Recorded(safe_read._Worker):
        def __init__(self, *a, **k):
            super().__init__(*a, **k)
            started.append(self)

    pool = safe_read._Pool()
    monkeypatch.setattr(safe_read, "_Worker", Recorded)
    monkeypatch.setattr(safe_read, "_POOL", pool)
    yield started
    pool.shutdown()


def _far_corner_extra_sheet(good: bytes, only: bool) -> bytes:
    from tests.test_container import _extra_sheet

    first = "" if only else '<row r="1"><c r="A1"><v>1</v></c></row>'
    return _extra_sheet(good, first + '<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>')


DANGEROUS = [
    # calamine asks for 550 GB, fails and aborts the process (SIGABRT)
    ("XFD1048576 and A1: 550 GB", lambda g: _far_corner_extra_sheet(g, only=False), "内存超过了 512 MB"),
    # calamine panics: pyo3_runtime.PanicException: chunk size must be non-zero
    ("XFD1048576 alone: a panic", lambda g: _far_corner_extra_sheet(g, only=True), "读取程序内部出错"),
    # a 200,000 x 100 grid: some 640 MB, over the worker's 512 MB
    ("CV200000: over the memory limit", lambda g: add_row(g, "学习教育", '<row r="200000"><c r="CV200000"><v>1</v></c></row>'),
     "内存超过了 512 MB"),
]


@pytest.mark.parametrize("case, make, message", DANGEROUS, ids=[d[0] for d in DANGEROUS])
def test_what_kills_calamine_kills_only_its_worker(case, make, message, good, history, tmp_path, capsys,
                                                 past_the_container, workers):

    assert settings().parse_memory_mb == 512
    code, printed, unchanged = import_by_cli(history, tmp_path, make(good), "SW01_2025Q1.xlsx", capsys)
    assert code == 1 and unchanged, printed
    line = next((ln for ln in printed.splitlines() if "文件无法被安全读取" in ln), None)
    assert line is not None and message in line and "could not be read safely" in line, printed
    assert "Traceback" not in printed
    assert workers and all(not w.alive() for w in workers)  # the worker it killed is gone, reaped
    # and the next file is read by a fresh worker, as if nothing had happened
    code, printed, _ = import_by_cli(history, tmp_path, good, "SW01_2025Q1.xlsx", capsys)
    assert code == 0, printed


def test_a_worker_that_aborts_is_a_refusal(good, history, tmp_path, capsys, monkeypatch, workers):
    from dashboard.ingest import safe_read

    aborting = tmp_path / "aborting_worker.py"
    aborting.write_text("import os, sys\nsys.stdin.buffer.read(8)\nos.abort()\n")
    monkeypatch.setattr(safe_read, "WORKER_SCRIPT", aborting)
    code, printed, unchanged = import_by_cli(history, tmp_path, good, "SW01_2025Q1.xlsx", capsys)
    assert code == 1 and unchanged
    assert "文件无法被安全读取（读取程序异常终止）" in printed and "SIGABRT" in printed
    assert [w.alive() for w in workers] == [False]


def test_a_worker_that_never_answers_is_killed_at_the_deadline(good, history, tmp_path, capsys, monkeypatch, workers):
    from dashboard.ingest import safe_read

    silent = tmp_path / "silent_worker.py"
    silent.write_text("import sys\nsys.stdin.buffer.read()\n")  # reads forever, answers never
    monkeypatch.setattr(safe_read, "WORKER_SCRIPT", silent)
    monkeypatch.setenv("DANGJIAN_PARSE_TIMEOUT_S", "1")
    code, printed, unchanged = import_by_cli(history, tmp_path, good, "SW01_2025Q1.xlsx", capsys)
    assert code == 1 and unchanged
    assert "文件无法被安全读取（读取超过了 1 秒）" in printed and "reading it took over 1 s" in printed
    [worker] = workers
    assert not worker.alive()


def test_a_worker_that_died_while_idle_is_replaced_without_a_word(good, history, workers):
    from dashboard.db import Store

    with Store(history) as store:
        assert import_return(store, good, "a.xlsx", user="tester", dry_run=True).status == "valid"
        [first] = workers
        first.proc.kill()
        first.proc.wait()
        assert import_return(store, good, "b.xlsx", user="tester", dry_run=True).status == "valid"
    assert len(workers) == 2 and workers[1].alive()


def test_a_worker_answer_may_hold_plain_values_only():
    import pickle

    from dashboard.ingest.safe_read import _Answer

    class Evil:
        def __reduce__(self):
            return (print, ("pwned",))

    plain = ("ok", [("s", 1, 1, [["x", 1.0, True, __import__("datetime").datetime(2025, 1, 1)]], [])], 1)
    assert _Answer(io.BytesIO(pickle.dumps(plain))).load() == plain
    with pytest.raises(pickle.UnpicklingError):
        _Answer(io.BytesIO(pickle.dumps(Evil()))).load()


def test_an_answer_too_big_for_this_process_is_refused(good, history, tmp_path, capsys, workers):
    """One long shared string in 5,000 cells: some 60 MB once every cell has its copy, within the
    container's bounds and the worker's memory, over what this process takes back."""
    from tests.support.returns import rezip
    from tests.test_container import _extra_sheet

    sst = ('<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1">'
           f'<si><t>{"党建" * 2048}</t></si></sst>')
    rows = "".join(f'<row r="{r}">' + "".join(f'<c r="{c}{r}" t="s"><v>0</v></c>' for c in "ABCDE") + "</row>"
                   for r in range(1, 1001))
    data = rezip(_extra_sheet(good, rows), add={"xl/sharedStrings.xml": sst.encode()})
    code, printed, unchanged = import_by_cli(history, tmp_path, data, "SW01.xlsx", capsys)
    assert code == 1 and unchanged
    assert "文件无法被安全读取（表格内容超过了 32 MB）" in printed
    assert [w.alive() for w in workers] == [False]


def test_imports_at_once_share_the_workers(good, history, workers):
    """As the app's sessions do: several threads read at once, at most settings.parse_workers workers serve them."""
    from concurrent.futures import ThreadPoolExecutor

    from dashboard.ingest import safe_read

    with ThreadPoolExecutor(6) as pool:
        results = list(pool.map(lambda _: safe_read.read_workbook(good), range(12)))
    assert all(r == results[0] for r in results) and "学习教育" in results[0]
    assert 1 <= len(workers) <= settings().parse_workers


def test_the_largest_return_the_container_admits_costs_under_100_mb_to_read(good, tmp_path):
    """A sheet at the container's bounds (100,000 text cells in a 2,500 x 40 range), imported in a
    fresh process: what the import adds to that process's peak, plus its parse worker's peak, stays
    under 100 MB (some 50 MB measured; with the 175 MB the process holds once its libraries are
    loaded, some 225 MB in all: `python -m dashboard.bench.parse_cost FILE`)."""
    from dashboard.bench.parse_cost import peak_rss_mb
    from tests.test_container import _extra_sheet

    def col(n: int) -> str:
        return col((n - 1) // 26) + chr(65 + (n - 1) % 26) if n else ""

    rows = "".join(f'<row r="{r}">' + "".join(f'<c r="{col(c)}{r}" t="inlineStr"><is><t>党建{r:05d}第{c:03d}列</t></is></c>'
                                             for c in range(1, 41)) + "</row>" for r in range(1, 2501))
    path = tmp_path / "largest.xlsx"
    path.write_bytes(_extra_sheet(good, rows))
    assert 2500 * 40 == settings().sheet_max_cells
    peak = peak_rss_mb(path)
    assert peak["status"] == "valid" and peak["worker_mb"] > 0, peak  # read by a worker, validated in full
    assert peak["parent_mb"] - peak["parent_before_mb"] + peak["worker_mb"] < 100, peak


# --- the command line reads no more than the size limit ----------------------------------------------


def test_read_upload_reads_no_more_than_the_limit(tmp_path):
    import tracemalloc

    from dashboard.ingest.pipeline import read_upload

    huge = tmp_path / "huge.xlsx"
    with open(huge, "wb") as f:
        f.truncate(2 * 1024**3)  # 2 GB, sparse: nothing written, everything readable
    exact, over = tmp_path / "exact.xlsx", tmp_path / "over.xlsx"
    exact.write_bytes(b"PK\x03\x04" + bytes(settings().max_file_bytes - 4))
    over.write_bytes(bytes(settings().max_file_bytes + 1))
    tracemalloc.start()
    try:
        assert read_upload(huge) is None
        assert tracemalloc.get_traced_memory()[1] < 1024 * 1024  # refused by its size: nothing read
    finally:
        tracemalloc.stop()
    assert len(read_upload(exact)) == settings().max_file_bytes
    assert read_upload(over) is None


def test_a_2_gb_file_is_refused_by_its_size_and_the_others_still_load(good, history, tmp_path, capsys):
    import shutil

    from dashboard.cli import main
    from tests.support.returns import dump

    db = tmp_path / "db.duckdb"
    shutil.copy(history, db)
    huge = tmp_path / "SW01_huge.xlsx"
    with open(huge, "wb") as f:
        f.truncate(2 * 1024**3)
    ok = tmp_path / "SW01_2025Q1.xlsx"
    ok.write_bytes(good)
    code = main(["import", "--db", str(db), str(huge), str(ok)])
    printed = capsys.readouterr().out
    assert code == 1
    assert "SW01_huge.xlsx · 应为 expected" in printed and "文件过大（2048.0 MB），上限为 5.0 MB" in printed
    assert "已入库 SW01_2025Q1.xlsx" in printed
    assert dump(db)["submissions"] != dump(history)["submissions"]


def test_a_file_that_cannot_be_read_is_refused_and_the_others_still_load(good, history, tmp_path, capsys,
                                                                        monkeypatch):
    import shutil

    from dashboard.cli import main
    from dashboard.ingest import pipeline as cli  # where the command line reads files

    real = cli.read_upload

    def locked(path):
        if path.name == "locked.xlsx":
            raise PermissionError(13, "Permission denied", str(path))
        return real(path)

    monkeypatch.setattr(cli, "read_upload", locked)
    db = tmp_path / "db.duckdb"
    shutil.copy(history, db)
    for name in ("locked.xlsx", "SW01_2025Q1.xlsx"):
        (tmp_path / name).write_bytes(good)
    code = main(["import", "--db", str(db), "--dry-run", str(tmp_path / "locked.xlsx"),
                 str(tmp_path / "SW01_2025Q1.xlsx")])
    printed = capsys.readouterr().out
    assert code == 1
    assert "locked.xlsx · 实际 found: PermissionError" in printed and "无法读取该文件" in printed
    assert "校验通过 SW01_2025Q1.xlsx" in printed


# --- each file stands alone: one that raises is refused, the others are still imported and shown -------


@pytest.fixture
def one_file_raises(monkeypatch):
    """Validation raises (a bug, as far as the importer knows) for files named b.xlsx."""
    from dashboard.ingest import pipeline

    real = pipeline.validate

    def flaky(store, data, file_name):
        if file_name == "b.xlsx":
            raise RuntimeError("a bug")
        return real(store, data, file_name)

    monkeypatch.setattr(pipeline, "validate", flaky)


def test_a_file_that_raises_is_refused_and_the_next_files_still_load(good, history, tmp_path, capsys, caplog,
                                                                     one_file_raises):
    import shutil

    from dashboard.cli import main

    db = tmp_path / "db.duckdb"
    shutil.copy(history, db)
    names = ["a.xlsx", "b.xlsx", "c.xlsx"]
    for name in names:
        (tmp_path / name).write_bytes(good)
    code = main(["import", "--db", str(db), "--dry-run", *(str(tmp_path / n) for n in names)])
    printed = capsys.readouterr().out
    assert code == 1
    assert "b.xlsx · 实际 found: RuntimeError · 错误 error: 内部错误，文件未入库（RuntimeError）" in printed
    assert "Internal error: the file was not loaded (RuntimeError)" in printed
    assert [ln.split()[0] for ln in printed.splitlines() if ln.startswith(("校验通过", "已拒收"))] == [
        "校验通过", "已拒收", "校验通过"]
    assert any(r.levelname == "ERROR" and "b.xlsx" in r.getMessage() and r.exc_info for r in caplog.records)


def test_the_upload_page_shows_every_file_when_one_raises(app_db, one_file_raises):
    from dashboard.ingest import build_template
    from tests.support.returns import fill
    from tests.test_app import app_store, open_app

    data, _ = fill(build_template(app_store(app_db), "SW12", "2024Q3"))
    at = open_app("upload")
    at.text_input(key="upload_user").set_value("李四")
    at.get("file_uploader")[0].set_value([(n, data, "application/octet-stream") for n in ("a.xlsx", "b.xlsx")])
    at.run()
    at.button(key="upload_submit").click().run()
    assert not at.exception, [e.value for e in at.exception]
    summary = at.dataframe[0].value
    assert summary.iloc[:, 0].tolist() == ["a.xlsx", "b.xlsx"]
    assert any("已导入" in s.value for s in at.success) and len(at.error) == 1
    problems = at.dataframe[1].value if len(at.dataframe) > 1 else at.table[0].value
    assert any("内部错误，文件未入库（RuntimeError）" in str(v) for v in problems.to_numpy().ravel())


# --- real workbooks written by other software ------------------------------------------------------

THIRD_PARTY = Path(__file__).resolve().parent / "data" / "third_party_xlsx"
NOT_A_RETURN = "缺少隐藏工作表「_模板信息」"
# Each file and a piece of the message it is refused with: none of them is a return template.
THIRD_PARTY_REFUSALS = {
    "calamine__date_1904.xlsx": NOT_A_RETURN,
    "calamine__encoded_entities.xlsx": NOT_A_RETURN,
    "calamine__errors.xlsx": NOT_A_RETURN,
    "calamine__formula.issue.xlsx": NOT_A_RETURN,
    "calamine__has_x000D_.xlsx": NOT_A_RETURN,
    "calamine__inlineStr_cdata.xlsx": NOT_A_RETURN,
    "calamine__merged_range.xlsx": NOT_A_RETURN,
    "calamine__minimal_package.xlsx": "不是 Excel 工作簿（缺少 xl/workbook.xml）",
    "calamine__nonstandard-xml-ns-prefix.xlsx": NOT_A_RETURN,
    "calamine__pass_protected.xlsx": "加密的工作簿",
    "calamine__richtext-namespaced.xlsx": NOT_A_RETURN,
    "python-calamine__any_sheets.xlsx": NOT_A_RETURN,
    "python-calamine__base.ods": "不是 Excel 工作簿",
    "python-calamine__base.xls": "Excel 97-2003 (.xls)",
    "python-calamine__base.xlsb": "启用宏或二进制工作簿",
    "python-calamine__password.xlsx": "加密的工作簿",
    "python-calamine__table-multiple.xlsx": NOT_A_RETURN,
}


def test_every_third_party_file_is_listed():
    assert sorted(THIRD_PARTY_REFUSALS) == sorted(f.name for f in THIRD_PARTY.iterdir() if f.suffix != ".md")


@pytest.mark.parametrize("dry_run", [True, False], ids=["dry run", "import"])
@pytest.mark.parametrize("name", sorted(THIRD_PARTY_REFUSALS))
def test_a_workbook_from_other_software_is_refused_with_its_message(name, dry_run, history, tmp_path):
    import shutil

    from dashboard.db import Store
    from tests.support.returns import audit_gained, but_audit, dump

    db = tmp_path / "db.duckdb"
    shutil.copy(history, db)
    before = dump(db)
    with Store(db) as store:
        outcome = import_return(store, (THIRD_PARTY / name).read_bytes(), name, user="tester", dry_run=dry_run)
    assert outcome.status == "rejected" and outcome.errors
    assert THIRD_PARTY_REFUSALS[name] in " ".join(p.message_zh for p in outcome.errors)
    assert all(p.message_zh and p.message_en for p in outcome.problems)
    assert not any(("内部错误" in p.message_zh or "无法被安全读取" in p.message_zh) for p in outcome.problems)
    after = dump(db)
    assert but_audit(after) == but_audit(before) and not (tmp_path / "archive").exists()
    # a dry run writes nothing at all; an import writes the refusal, and only it, to the audit trail
    gained = [(e["action"], e["target"], e["outcome"]) for e in audit_gained(before, after)]
    assert gained == ([] if dry_run else [("return.import", name, "rejected")])


def _template_without_addresses(good: bytes) -> bytes:
    for sheet in ("学习教育", "发展党员", "_模板信息"):
        good = _without_addresses(good, sheet, rows=True)
    return good


@pytest.mark.parametrize("name", ["our template", "our template, no cell or row addresses"]
                         + sorted(n for n, why in THIRD_PARTY_REFUSALS.items() if why == NOT_A_RETURN))
def test_calamine_never_finds_more_than_the_container_scan_did(name, good):
    """What calamine allocates for a sheet is never bigger than what the container's scan found
    there (so its bounds hold), on our template and every workbook of other software that reaches
    the worker."""
    import io
    import zipfile

    from dashboard.ingest import safe_read
    from dashboard.ingest.container import scan_sheet

    data = {"our template": good, "our template, no cell or row addresses": _template_without_addresses(good)}.get(
        name) or (THIRD_PARTY / name).read_bytes()
    out = Collector(name)
    box = inspect(data, name, out)
    assert box is not None, [p.line() for p in out.items]
    sheets = safe_read.read_workbook(data)
    parts = zipfile.ZipFile(io.BytesIO(data))
    for sheet_name, sheet in sheets.items():
        if isinstance(sheet, safe_read.Unreadable):
            continue  # a chart sheet and the like: calamine's own refusal
        scan = scan_sheet(box.sheet_parts[sheet_name], parts.read(box.sheet_parts[sheet_name]))
        assert len(sheet.rows) <= scan.rows and max(map(len, sheet.rows), default=0) <= scan.cols, sheet_name
        if name.startswith("our template"):  # every cell holds a value: the same extent exactly
            assert (len(sheet.rows), max(map(len, sheet.rows))) == (scan.rows, scan.cols), sheet_name


def test_the_marked_workbook_of_a_big_file_is_the_list_alone(good, history):
    """openpyxl opens the upload in this process to mark it: past MARK_MAX_CELLS it is not opened."""
    from dashboard.db import Store
    from dashboard.ingest import report_workbook
    from dashboard.ingest.layout import REPORT_SHEET
    from dashboard.ingest.report import MARK_MAX_CELLS
    from tests.support.returns import load
    from tests.test_container import _extra_sheet

    rows = "".join(f'<row r="{r}">' + "".join(f'<c r="{c}{r}"><v>{r}</v></c>' for c in "ABCDEFGHIJKLMNOPQRST")
                   + "</row>" for r in range(1, 3001))  # 60,000 cells a sheet, two sheets
    big = _extra_sheet(_extra_sheet(good, rows, "extra1", 98), rows, "extra2", 99)
    assert 2 * 60_000 > MARK_MAX_CELLS
    with Store(history) as store:
        outcome = import_return(store, big, "big.xlsx", user="tester", dry_run=True)
        assert len(outcome.errors) == 2  # two extra sheets of figures: refused, never ignored
        assert load(report_workbook(big, outcome)).sheetnames == [REPORT_SHEET]
        marked = load(report_workbook(good, import_return(store, good, "good.xlsx", user="tester", dry_run=True)))
    assert marked.sheetnames[0] == REPORT_SHEET and len(marked.sheetnames) > 1


def test_measuring_the_worker_never_reads_a_dangerous_file_in_this_process(good):
    """read_overhead_ms compares with calamine run here: only once a worker has read the file unharmed."""
    from dashboard.ingest.safe_read import read_overhead_ms

    assert read_overhead_ms(_far_corner_extra_sheet(good, only=False), repeats=3) == {}  # it aborts a worker
    cost = read_overhead_ms(good, repeats=3)
    assert set(cost) == {"in_process_ms", "worker_ms", "overhead_ms", "first_read_ms"}
    assert cost["in_process_ms"] > 0 and cost["worker_ms"] > 0
