"""What leaves the product carries data, never code: spreadsheet cells, CSV rows, terminal lines.

Unit names, file names, user names and the text of a reporter's cells are whatever someone
typed.  A spreadsheet runs a cell that starts with = + - @ as a formula (after a tab, a
carriage return or leading spaces too), a bare carriage return in a CSV field starts a new
row, and a terminal obeys escape sequences.  So:

- `cell` is the one neutralising function every CSV, Excel workbook, template and report
  cell goes through: formula-led text gets a leading apostrophe, characters an .xlsx cannot
  hold are written as visible escapes; numbers stay numbers;
- `frame_cells` applies it to a whole table, headers included;
- `csv_text` writes rows with CR LF line ends, so the csv module quotes every field holding
  a CR or LF and no field can start a row;
- `workbook_bytes` saves an openpyxl workbook after passing every cell through `cell`, so no
  string beginning with "=" is ever stored as a formula;
- `printable` escapes control characters for the terminal (ESC, CR, bidirectional overrides);
- `file_part` makes a name typed by someone fit to be part of a file name we write.
"""

from __future__ import annotations

import csv
import io
import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pandas is imported where a frame is handled: the command line's start needs only `printable`
    import pandas as pd

# A spreadsheet starts a formula (or a DDE call) with these; tab, CR and LF lead into one.
FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r", "\n")
# What an .xlsx (XML 1.0) cell cannot hold: openpyxl refuses these characters.
_NOT_IN_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
# Control characters (C0, DEL, C1), line and paragraph separators, and the bidirectional
# embeddings, overrides and isolates that make text read differently from what it holds.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
CSV_LINE_END = "\r\n"  # RFC 4180, as Excel writes; with it the csv module quotes any field holding CR or LF


def _escaped(match: re.Match) -> str:
    code = ord(match.group())
    return {"\t": "\\t", "\n": "\\n", "\r": "\\r"}.get(match.group()) or (
        f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")


def formula_led(text: str) -> bool:
    """True if a spreadsheet would read `text` as a formula: it starts with = + - @, tab, CR or
    LF, possibly after whitespace."""
    return text.startswith(FORMULA_LEADS) or text.lstrip().startswith(FORMULA_LEADS)


def cell(value):
    """A value safe to put in any spreadsheet cell (CSV or .xlsx).  Text that would start a
    formula gets a leading apostrophe; characters an .xlsx cannot hold become visible escapes
    (\\x1b); anything not text is returned as it is."""
    if not isinstance(value, str):
        return value
    if _NOT_IN_XML.search(value):
        value = _NOT_IN_XML.sub(_escaped, value)
    return "'" + value if formula_led(value) else value


def frame_cells(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of `frame` with every text cell and every header passed through `cell`."""
    import pandas as pd

    out = frame.copy()
    for col in out.columns:
        if isinstance(out[col].dtype, pd.CategoricalDtype):
            out[col] = out[col].astype(object)
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = pd.Series([cell(v) for v in out[col]], index=out.index, dtype=object)
    out.columns = [cell(str(c)) for c in out.columns]
    return out


def whole_numbers(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of `frame` where a float that is a whole number is an int (213, not 213.0): a count
    stays a count in a CSV or a workbook.  Other numbers and missing values are left as they are."""
    import pandas as pd

    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object:
            out[col] = pd.Series([int(v) if isinstance(v, float) and v.is_integer() else v for v in out[col]],
                                 index=out.index, dtype=object)
        elif pd.api.types.is_float_dtype(out[col]):
            values = out[col]
            if values.dropna().map(float.is_integer).all():
                out[col] = values.astype("Int64")
            else:
                out[col] = pd.Series([int(v) if isinstance(v, float) and v.is_integer() else v
                                      for v in values.astype(object)], index=out.index, dtype=object)
    return out


def csv_text(frame: pd.DataFrame) -> str:
    """The table as CSV text: cells neutralised, CR LF line ends, any field holding a line break
    quoted, whole numbers written as integers."""
    return frame_cells(whole_numbers(frame)).to_csv(index=False, lineterminator=CSV_LINE_END, quoting=csv.QUOTE_MINIMAL)


def workbook_bytes(wb) -> bytes:
    """Save an openpyxl workbook with every cell passed through `cell` first.

    openpyxl stores any string beginning with "=" as a formula; here every string cell is
    re-set through `cell`, and a formula cell (which the product never writes) becomes its
    neutralised text."""
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                value = c.value
                if c.data_type == "f":
                    c.value = cell(str(getattr(value, "text", value) or ""))
                elif isinstance(value, str):
                    safe = cell(value)
                    if safe is not value:
                        c.value = safe
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def printable(text) -> str:
    """`text` for a terminal: control characters (ESC, CR, LF, tab...) and bidirectional
    overrides are shown escaped (\\x1b, \\r, \\u202e) instead of acting."""
    text = str(text)
    return _CONTROL.sub(_escaped, text) if _CONTROL.search(text) else text


def file_part(text) -> str:
    """`text` as part of a file name the product writes (a report named after the return it
    marks): control characters, bidirectional overrides and path separators become "_"."""
    return re.sub(r"[/\\]", "_", _CONTROL.sub("_", str(text)))
