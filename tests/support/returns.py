"""Helpers for the ingest tests: fill a generated template the way a reporter would, edit it,
find a cell by unit and indicator code, and dump a database to compare before and after."""

from __future__ import annotations

import io
import re
import warnings
import zipfile
from pathlib import Path

import openpyxl

from dashboard.domain.catalog import Indicator, catalog
from dashboard.domain.tree import read_tree
from dashboard.ingest.layout import GUIDE_SHEET, META_SHEET

# Counts that the cross-field rules and the branch work rules tie together: values that pass.
CONSISTENT = {
    "members_total": lambda i: 60 + i,
    "probationary": lambda i: 2 + i % 3,
    "dues_payers": lambda i: 55 + i,
    "xxqg_registered": lambda i: 50 + i,
    "xxqg_active": lambda i: 40 + i,
    "converted_full": lambda i: 0,
    "clues_received": lambda i: 6 + i,
    "clues_disposed": lambda i: 5 + i,
    "weak_branches": lambda i: 1,
    "branch_elections": lambda i: 1,
    "branch_general_meetings": lambda i: 1 + i % 2,
    "branch_committee_meetings": lambda i: 3,
    "theme_party_days": lambda i: 3 + i % 2,
    "party_lectures": lambda i: 1,
}


def known_value(ind: Indicator, i: int):
    """The value the tests type for indicator `ind` in the i-th unit row: distinct, in bounds."""
    if ind.code in CONSISTENT:
        return CONSISTENT[ind.code](i)
    if ind.value_type == "stars":
        return 1 + i % 5
    if ind.value_type == "score":
        return 60.5 + i
    if ind.value_type == "money":
        return round(1234.56 + 10.01 * i + ind.sort_order, 2)
    return 1 + (i + ind.sort_order) % 7


def domain_sheets(wb):
    return [ws for ws in wb.worksheets if ws.title not in (GUIDE_SHEET, META_SHEET)]


def load(data: bytes):
    return openpyxl.load_workbook(io.BytesIO(data))


def save(wb) -> bytes:
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def is_total_cell(cell) -> bool:
    """A committee's own cell for a total it may enter instead of its branches' figures."""
    from dashboard.ingest.template import TOTAL_FILL

    return cell.fill is not None and cell.fill.fgColor is not None and cell.fill.fgColor.rgb in (
        TOTAL_FILL.fgColor.rgb, "00" + TOTAL_FILL.fgColor.rgb[-6:], "FF" + TOTAL_FILL.fgColor.rgb[-6:])


def input_cells(wb, totals: bool = False):
    """(sheet, cell, unit code, indicator code) of every unlocked cell of the domain sheets; a
    committee's total cells only with `totals` (a reporter who knows the branches' figures
    leaves them blank)."""
    for ws in domain_sheets(wb):
        codes = [c.value for c in ws[2]]
        for row in ws.iter_rows(min_row=3):
            for cell, code in zip(row, codes):
                if cell.protection.locked is False and (totals or not is_total_cell(cell)):
                    yield ws, cell, row[0].value, code


def fill(data: bytes, value=known_value) -> tuple[bytes, dict[tuple[str, str], float]]:
    """Type a value in every input cell; returns the file and {(unit, indicator): value}.  A total
    entered only without its parts (四种形态合计（未分形态时填写）) is left blank: the parts are typed."""
    cat = catalog()
    alone = {r.left[0] for r in cat.totals_of}
    wb = load(data)
    typed = {}
    rows: dict[str, int] = {}
    for _ws, cell, unit, code in input_cells(wb):
        if code in alone:
            continue
        i = rows.setdefault(unit, len(rows))
        v = value(cat[code], i)
        cell.value = v
        typed[(unit, code)] = v
    return save(wb), typed


def edit(data: bytes, change) -> bytes:
    """Apply `change(workbook)` and save."""
    wb = load(data)
    change(wb)
    return save(wb)


def cell_of(wb, sheet: str, unit: str, code: str) -> str:
    """The address of unit's row and indicator's column, e.g. 'E4'."""
    ws = wb[sheet]
    col = next(c.column_letter for c in ws[2] if c.value == code)
    row = next(r[0].row for r in ws.iter_rows(min_row=3) if r[0].value == unit)
    return f"{col}{row}"


def set_value(data: bytes, sheet: str, unit: str, code: str, value) -> tuple[bytes, str]:
    """Type `value` for (unit, indicator); returns the file and the cell's address."""
    wb = load(data)
    where = cell_of(wb, sheet, unit, code)
    wb[sheet][where] = value
    return save(wb), where


def rezip(data: bytes, replace: dict[str, bytes] | None = None, add: dict[str, bytes] | None = None,
          entries: list[tuple[str, bytes]] | None = None) -> bytes:
    """The workbook's parts rewritten: some replaced, some added; or exactly `entries`
    (name, body) in that order, a name given twice written twice."""
    src = zipfile.ZipFile(io.BytesIO(data))
    if entries is None:
        entries = [(i.filename, (replace or {}).get(i.filename, src.read(i))) for i in src.infolist()]
        entries += list((add or {}).items())
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst, warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # zipfile's "Duplicate name": wanted here
        for name, body in entries:
            dst.writestr(zipfile.ZipInfo(name, (2025, 1, 1, 0, 0, 0)), body, zipfile.ZIP_DEFLATED)
    return out.getvalue()


def sheet_part(data: bytes, sheet: str) -> str:
    """The ZIP part holding `sheet`, as the template writes it (sheet N in workbook order is sheetN.xml)."""
    names = re.findall(r'<sheet\b[^>]*\bname="([^"]+)"', zipfile.ZipFile(io.BytesIO(data)).read("xl/workbook.xml").decode())
    return f"xl/worksheets/sheet{names.index(sheet) + 1}.xml"


def edit_part(data: bytes, part: str, change) -> bytes:
    """The workbook with one part's text replaced by `change(text)`."""
    body = zipfile.ZipFile(io.BytesIO(data)).read(part).decode("utf-8")
    return rezip(data, replace={part: change(body).encode("utf-8")})


def add_row(data: bytes, sheet: str, row_xml: str) -> bytes:
    """`row_xml` (one or more <row> elements) appended to the end of the sheet's data."""
    return edit_part(data, sheet_part(data, sheet), lambda x: x.replace("</sheetData>", row_xml + "</sheetData>", 1))


def dump(path: Path) -> dict[str, list[tuple]]:
    """Every table of the database, every row, in a fixed order."""
    from dashboard.db import Store

    with Store(path) as store:
        return store.snapshot()


AUDIT_FIELDS = ("id", "happened_at", "actor", "via", "action", "target", "outcome", "detail")


def but_audit(tables: dict[str, list[tuple]]) -> dict[str, list[tuple]]:
    """Every table of a dump or snapshot except the audit trail (which every write, and every
    refusal, appends to)."""
    return {name: rows for name, rows in tables.items() if name != "audit"}


def audit_gained(before: dict[str, list[tuple]], after: dict[str, list[tuple]]) -> list[dict]:
    """The audit entries `after` holds beyond `before`'s, as dicts; asserts that every entry of
    `before` is still there, unchanged (the trail is append-only; rows are ordered by id)."""
    old, new = before["audit"], after["audit"]
    assert new[: len(old)] == old, "an audit entry was changed or removed"
    return [dict(zip(AUDIT_FIELDS, row)) for row in new[len(old):]]


def only_refusal_recorded(before, after, file_name: str, *, via: str = "cli") -> bool:
    """True if nothing but the audit trail changed between the two dumps, and it gained exactly
    one entry: `file_name` refused (return.import, rejected)."""
    gained = audit_gained(before, after)
    return but_audit(after) == but_audit(before) and [
        (e["action"], e["target"], e["outcome"], e["via"]) for e in gained] == [
        ("return.import", file_name, "rejected", via)]


# --- the corpus runner: a bad file through the command line, the database compared ------------

REPORTER = "SW01"
QUARTER = "2025Q1"
PREVIOUS = "2024Q4"


def demo_tree_store(path: Path):
    """A store on `path` holding the demo tree (a new database holds no organisation)."""
    from dashboard.db import Store

    store = Store(path)
    if not store.has_tree():
        store.load_tree(read_tree())
    return store


def history_db(folder: Path) -> Path:
    """A database holding SW01's accepted 2024Q4 return: the quarter before the corpus's one,
    so the rules that look back (conversions, leads carried over) have something to check."""
    from dashboard.db import Store
    from dashboard.ingest import build_template, import_return

    path = folder / "history.duckdb"
    with Store(path) as store:
        store.load_tree(read_tree())
        data, _ = fill(build_template(store, REPORTER, PREVIOUS))
        assert import_return(store, data, "SW01_2024Q4.xlsx", user="历史 history").status == "loaded"
        store.checkpoint()
    return path


def good_return(db: Path) -> bytes:
    """SW01's 2025Q1 return, every input cell filled with values that pass."""
    from dashboard.db import Store
    from dashboard.ingest import build_template

    with Store(db) as store:
        return fill(build_template(store, REPORTER, QUARTER))[0]


def import_by_cli(db_template: Path, folder: Path, data: bytes, name: str, capsys) -> tuple[int, str, bool]:
    """Import one file with `python -m dashboard import` into a copy of `db_template`.

    Returns (exit code, what it printed, unchanged): unchanged is True if every table but the
    audit trail is unchanged, row for row, the audit trail gained exactly one entry — this file
    refused — and no archive folder was made.
    """
    import shutil

    from dashboard.cli import main

    db = folder / "db.duckdb"
    shutil.copy(db_template, db)
    before = dump(db)
    f = folder / name
    f.write_bytes(data)
    code = main(["import", "--db", str(db), str(f)])
    captured = capsys.readouterr()
    unchanged = only_refusal_recorded(before, dump(db), Path(name).name) and not (folder / "archive").exists()
    return code, captured.out + captured.err, unchanged
