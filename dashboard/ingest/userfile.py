"""A list of users as a file (`python -m dashboard users import FILE.csv|FILE.xlsx`).

Columns `login,name,role,unit,email,mobile` (a header row; `name`, `email` and `mobile` may be
left out, and so may an administrator's unit).  A CSV is UTF-8 (with or without a BOM) or, as Excel saves it on a
Chinese Windows, GB18030.  A workbook goes through the same walls as a return: the container
check (container.inspect), then a worker process reads its first sheet (safe_read).  What is
wrong with the file itself comes back as problems with no row; the entries are checked by
access.check_entries.
"""

from __future__ import annotations

import csv
import io
from pathlib import PurePosixPath

from .. import i18n
from ..domain import access
from ..domain.tree import Tree
from . import container
from .problems import Collector

COLUMNS = ("login", "name", "role", "unit", "email", "mobile")
REQUIRED = ("login", "role", "unit")


def cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def csv_rows(data: bytes) -> list[list[str]]:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # gb18030 decodes any bytes; kept for the reader's sake
        raise ValueError("not text")
    return [row for row in csv.reader(io.StringIO(text, newline=""))]


def _xlsx_rows(data: bytes, file_name: str) -> tuple[list[list[str]] | None, list[str]]:
    from .safe_read import Unreadable, Unsafe, read_workbook

    found = Collector(file_name)
    if container.inspect(data, file_name, found) is None:
        return None, [p.message_zh + " | " + p.message_en for p in found.items]
    try:
        sheets = read_workbook(data)
    except (Unreadable, Unsafe) as exc:
        return None, [i18n.both("usr_import_unreadable", why=type(exc).__name__)]
    first = next(iter(sheets.values()), None)
    if first is None or isinstance(first, Exception):
        return None, [i18n.both("usr_import_unreadable", why="no sheet")]
    return [[cell_text(v) for v in row] for row in first.rows], []


def read_users(tree: Tree, data: bytes, file_name: str) -> tuple[list[tuple[int, access.UserEntry]],
                                                                  list[tuple[int | None, str]]]:
    """(row number, entry) of every user listed, and what is wrong with the file as a whole
    (problems with row None).  Blank rows are skipped; rows are numbered as a spreadsheet shows
    them (the header is row 1)."""
    if PurePosixPath(file_name.lower()).suffix == ".csv":
        try:
            rows, problems = csv_rows(data), []
        except (ValueError, csv.Error) as exc:
            return [], [(None, i18n.both("usr_import_unreadable", why=str(exc)[:100]))]
    else:
        rows, problems = _xlsx_rows(data, file_name)
        if rows is None:
            return [], [(None, p) for p in problems]
    if not rows:
        return [], [(None, i18n.both("usr_import_empty"))]
    header = [cell_text(h).lower() for h in rows[0]]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        return [], [(1, i18n.both("usr_import_columns", missing=", ".join(missing)))]
    at = {c: header.index(c) for c in COLUMNS if c in header}
    entries = []
    for n, row in enumerate(rows[1:], start=2):
        cells = {c: (cell_text(row[i]) if i < len(row) else "") for c, i in at.items()}
        if not any(cells.values()):
            continue
        entries.append((n, access.clean_entry(tree, cells["login"], cells.get("name", ""), cells["role"],
                                              cells["unit"], cells.get("email", ""), cells.get("mobile", ""))))
    return entries, []
