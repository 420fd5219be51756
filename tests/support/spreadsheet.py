"""Reading an output the way a spreadsheet does, to find what it would run as a formula.

A spreadsheet opening a CSV ends a row at any line break outside quotes (CR, LF or CR LF:
LibreOffice and Excel both take a bare CR as one) and runs a field that starts with = + - @
(after spaces, or after a tab, CR or LF) unless it is a plain number.  In an .xlsx a cell is a
formula if it is stored as one (openpyxl: data_type "f").
"""

from __future__ import annotations

import io

import openpyxl

LEADS = ("=", "+", "-", "@", "\t", "\r", "\n")


def csv_rows(text: str) -> list[list[str]]:
    """The rows of CSV `text` as a spreadsheet splits them (RFC 4180 quotes; any unquoted CR,
    LF or CR LF ends a row)."""
    rows, row, field = [], [], []
    i, n, quoted = 0, len(text), False
    while i < n:
        ch = text[i]
        if quoted:
            if ch == '"' and i + 1 < n and text[i + 1] == '"':
                field.append('"')
                i += 1
            elif ch == '"':
                quoted = False
            else:
                field.append(ch)
        elif ch == '"' and not field:
            quoted = True
        elif ch == ",":
            row.append("".join(field))
            field = []
        elif ch in "\r\n":
            row.append("".join(field))
            rows.append(row)
            row, field = [], []
            if ch == "\r" and i + 1 < n and text[i + 1] == "\n":
                i += 1
        else:
            field.append(ch)
        i += 1
    if field or row:
        row.append("".join(field))
        rows.append(row)
    return rows


def _number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def formula_led(value) -> bool:
    """True if a spreadsheet would run this cell's text as a formula."""
    if not isinstance(value, str) or _number(value.strip()):
        return False
    return value.startswith(LEADS) or value.lstrip().startswith(LEADS)


def csv_formulas(text: str) -> list[tuple[int, int, str]]:
    """(row, column, text) of every field a spreadsheet would run as a formula."""
    return [(r, c, v) for r, row in enumerate(csv_rows(text)) for c, v in enumerate(row) if formula_led(v)]


def xlsx_formulas(data: bytes) -> list[tuple[str, str, object]]:
    """(sheet, cell, value) of every formula cell, and of every text cell that starts like one."""
    wb = openpyxl.load_workbook(io.BytesIO(data))
    found = []
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                if c.data_type == "f" or formula_led(c.value):
                    found.append((ws.title, c.coordinate, c.value))
    return found
