"""Is this upload an .xlsx we are willing to open?  Checked before any spreadsheet parser runs.

Refused, each with its own message: an empty file, one over the size limit, an old
.xls or encrypted workbook (an OLE2 container), a text/CSV file renamed, a damaged
or truncated ZIP, a zip bomb (the declared uncompressed sizes are checked before
anything is inflated, and every part is then inflated with a bound and its CRC
checked), two parts of the same name (which copy a reader takes is its own choice),
a macro-enabled workbook (by its content types and parts, whatever its name), a
binary .xlsb, a DTD or entities in any part whatever its name, and XML that does not
parse.  The XML we read ourselves goes through defusedxml; its errors are refusals.

Every worksheet part (every part holding sheet data, whatever its name) is then scanned
for its shape: a sheet whose declared <dimension> or whose cells reach beyond any return
template's shape is refused here, since calamine allocates its whole rectangle at once (one
cell at XFD1048576 asks for 550 GB and aborts the process).  The scan places each cell where
calamine places it (by its r= address, or after the previous one when it has none): plain
files go through a few regular expressions, anything else through a strict XML parser whose
errors are refusals, so no cell is guessed at.

What passes comes back with the cells that hold formulas and the cells that hold Excel
error values, per sheet: python-calamine returns a formula's cached result and does not
say it was a formula, and returns an error value as a blank.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from xml.parsers import expat

from defusedxml import DefusedXmlException
from defusedxml import ElementTree as SafeET

from ..settings import current as settings
from .problems import Collector, expectation

# The size limits are settings (dashboard/settings.py): max_file_mb, max_uncompressed_mb,
# max_zip_parts, max_zip_ratio and the sheet_max_* bounds, read when a file is checked.
RATIO_FLOOR = 1024 * 1024  # a part must inflate past this before its ratio counts as a bomb
REFUSED_EXTENSIONS = (".xlsm", ".xltm", ".xlam", ".xlsb")
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06")
# Any sheet, before the validator knows how many units the return has: a return's domain sheet
# has 2 header rows, one row per unit (a few hundred at most) and settings.sheet_extra_rows of slack,
# at most settings.sheet_max_cols columns, some thousands of cells; the guide and the hidden sheet are
# smaller.  validate.py then checks each sheet against its own return's shape.  At these bounds
# an import peaks at some 225 MB, this process and its parse worker together (bench/parse_cost.py).
_UNSAFE_XML = tuple(tag.encode(enc) for tag in ("<!DOCTYPE", "<!ENTITY") for enc in ("ascii", "utf-16-le", "utf-16-be"))
_XML_ERRORS = (DefusedXmlException, SafeET.ParseError, ValueError, UnicodeError)
_REF = re.compile(r"([A-Z]{1,3})([0-9]+)")
_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_SHEET_DATA = tuple("sheetData".encode(enc) for enc in ("ascii", "utf-16-le", "utf-16-be"))
# The sheet scan's plain path: a cell tag as every writer we know writes it (r= first, then
# double-quoted attributes with no markup inside), so its extent and its address are exactly
# what any XML parser sees.  Anything else goes to the strict path.
_C_PLAIN = re.compile(rb'<c\s+r="([A-Z]{1,3})([1-9][0-9]{0,6})"(?:\s+(?!r=)[\w:.-]+="[^"<>]*")*\s*(/?)>')
_CELL_STARTS = (b"<c ", b"<c\t", b"<c\n", b"<c\r")  # with b"<c>" and b"<c/" ruled out: every cell tag
_BIG_SHEET_BYTES = 512 * 1024  # past this, the plain scan walks the cells one by one: flat memory
_FORMULA = re.compile(rb"<f[\s/>]")
_PREFIXED_CELL_OR_FORMULA = re.compile(rb":[cf][\s/>]")
_DECL = re.compile(rb"(?:\xef\xbb\xbf)?\s*<\?xml(?:\s+[\w:.-]+\s*=\s*(?:\"[^\"]*\"|'[^']*'))*\s*\?>")
_ENCODING = re.compile(rb"encoding\s*=\s*[\"']([^\"']*)")
_DIMENSION = re.compile(rb'<(?:[^\s<>/!?:="\']+:)?dimension(?:\s+[\w:.-]+="[^"<>]*")*?\s+ref="([^"<>]*)"')


@dataclass
class Container:
    sheet_parts: dict[str, str] = field(default_factory=dict)  # sheet name -> part name
    formulas: dict[str, set[tuple[int, int]]] = field(default_factory=dict)  # sheet name -> {(row, col)}
    errors: dict[str, dict[tuple[int, int], str]] = field(default_factory=dict)  # sheet -> {(row, col): '#N/A'}
    cells: int = 0  # cells holding a value or a formula, all sheets together


@dataclass
class SheetScan:
    """What calamine will find in one worksheet part: its extent as counts from A1, and the
    formula and error cells at 0-based (row, col), as the validator indexes them."""

    rows: int = 0  # the last row holding a value or a formula, 0 if none
    cols: int = 0
    cells: int = 0
    declared: str = ""  # <dimension ref="...">, as written
    declared_rows: int = 0
    declared_cols: int = 0
    formulas: set[tuple[int, int]] = field(default_factory=set)
    errors: dict[tuple[int, int], str] = field(default_factory=dict)
    twice: str = ""  # the first cell given twice (which copy a reader keeps is its own choice)

    def too_big(self) -> bool:
        return (self.rows > settings().sheet_max_rows or self.cols > settings().sheet_max_cols or self.rows * self.cols > settings().sheet_max_area
                or self.cells > settings().sheet_max_cells)

    def declared_too_big(self) -> bool:
        return (self.declared_rows > settings().sheet_max_rows or self.declared_cols > settings().sheet_max_cols
                or self.declared_rows * self.declared_cols > settings().sheet_max_area)


class _BadXml(Exception):
    """A part we read ourselves does not parse, or holds what defusedxml forbids."""

    def __init__(self, part: str, exc: Exception):
        super().__init__(part, exc)
        self.part, self.exc = part, exc


def _xml(part: str, body: bytes):
    try:
        return SafeET.fromstring(body)
    except _XML_ERRORS as exc:
        raise _BadXml(part, exc) from exc


def _size(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MB" if n >= 1024 * 1024 else f"{n / 1024:.0f} KB"


def _looks_like_text(head: bytes) -> bool:
    for enc in ("utf-8-sig", "gb18030", "utf-16"):
        try:
            text = head.decode(enc)
        except UnicodeDecodeError:
            continue
        printable = sum(ch.isprintable() or ch in "\r\n\t" for ch in text)
        return bool(text) and printable / len(text) > 0.95
    return False


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _part_key(name: str) -> str:
    """Part names are case-insensitive in a package; a reader may also forgive a backslash or a leading '/'."""
    return name.replace("\\", "/").lstrip("/").casefold()


def too_big(size: int, out: Collector) -> None:
    """The refusal of a file over settings().max_file_bytes (also for one never read: pipeline.read_upload)."""
    out.add("val_file_too_big", expected=expectation("val_exp_xlsx"), found=_size(size), size=_size(size),
            limit=_size(settings().max_file_bytes))


def inspect(data: bytes, file_name: str, out: Collector) -> Container | None:
    """Check the container; on refusal add the problem to `out` and return None."""
    exp = expectation("val_exp_xlsx")
    if not data:
        out.add("val_file_empty", expected=exp, found="0 B")
        return None
    if len(data) > settings().max_file_bytes:
        too_big(len(data), out)
        return None
    ext = PurePosixPath(file_name.lower()).suffix
    if ext in REFUSED_EXTENSIONS:
        out.add("val_macro_name", expected=exp, found=ext, ext=ext)
        return None
    if data.startswith(OLE2_MAGIC):
        out.add("val_file_xls", expected=exp, found="OLE2 (.xls)")
        return None
    if not data.startswith(ZIP_MAGICS):
        if _looks_like_text(data[:4096]):
            out.add("val_file_text", expected=exp, found=data[:40].decode("utf-8", "replace").splitlines()[0])
        else:
            out.add("val_file_unknown", expected=exp, found=data[:8].hex(" "))
        return None
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError):
        out.add("val_file_truncated", expected=exp, found=_size(len(data)))
        return None
    with zf:
        return _inspect_zip(zf, infos, exp, out)


def _inspect_zip(zf: zipfile.ZipFile, infos: list[zipfile.ZipInfo], exp, out: Collector) -> Container | None:
    if len(infos) > settings().max_zip_parts:
        out.add("val_zip_too_many", expected=exp, found=len(infos), count=len(infos), limit=settings().max_zip_parts)
        return None
    total = sum(i.file_size for i in infos)
    bomb = total > settings().max_uncompressed_bytes or any(
        i.file_size > RATIO_FLOOR and i.file_size > settings().max_zip_ratio * max(i.compress_size, 1) for i in infos
    )
    if bomb:
        out.add("val_zip_bomb", expected=exp, found=_size(total), size=_size(total),
                limit=_size(settings().max_uncompressed_bytes))
        return None
    seen: dict[str, str] = {}
    for info in infos:
        key = _part_key(info.filename)
        if key in seen:
            out.add("val_zip_duplicate", expected=exp, found=info.filename, part=info.filename, other=seen[key])
            return None
        seen[key] = info.filename
    names = {i.filename for i in infos}
    macro = next((n for n in names if n.lower().endswith("vbaproject.bin") or n.startswith("xl/macrosheets/")), None)
    if macro:
        out.add("val_macro", expected=exp, found=macro, part=macro)
        return None
    if "xl/workbook.xml" not in names:
        key = "val_macro_name" if "xl/workbook.bin" in names else "val_file_not_workbook"
        out.add(key, expected=exp, found=", ".join(sorted(names)[:3]), ext=".xlsb")
        return None
    parts: dict[str, bytes] = {}
    try:
        for info in infos:
            if info.is_dir():
                continue
            with zf.open(info) as f:
                body = f.read(info.file_size + 1)  # bounded by the checked size; CRC checked at the end
            if len(body) > info.file_size:
                out.add("val_zip_bomb", expected=exp, found=info.filename, size=_size(len(body)),
                        limit=_size(info.file_size))
                return None
            parts[info.filename] = body
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError, RuntimeError):
        out.add("val_file_truncated", expected=exp, found=_size(sum(len(b) for b in parts.values())))
        return None
    for name, body in parts.items():  # whatever its name: a reader follows the relationships, not the suffix
        if any(tag in body for tag in _UNSAFE_XML):
            out.add("val_xml_unsafe", expected=exp, found=name, part=name)
            return None
    try:
        for el in _xml("[Content_Types].xml", parts.get("[Content_Types].xml", b"<Types/>")):
            ctype = el.get("ContentType", "")
            if "macroEnabled" in ctype or "vbaProject" in ctype:
                out.add("val_macro", expected=exp, found=ctype, part=el.get("PartName") or el.get("Extension"))
                return None
        container = Container(sheet_parts=_sheet_parts(parts))
        sheet_of = {part: sheet for sheet, part in container.sheet_parts.items()}
        for part, body in parts.items():  # every sheet calamine may read, found by its content too
            if part not in sheet_of and not any(tag in body for tag in _SHEET_DATA):
                continue
            sheet = sheet_of.get(part, part)
            scan = scan_sheet(part, body)
            if not _shape_ok(scan, sheet, exp, out):
                return None
            container.cells += scan.cells
            if scan.formulas:
                container.formulas[sheet] = scan.formulas
            if scan.errors:
                container.errors[sheet] = scan.errors
    except _BadXml as bad:
        out.add("val_xml_malformed", expected=exp, found=f"{bad.part}: {type(bad.exc).__name__}: {bad.exc}"[:200],
                part=bad.part)
        return None
    return container


def _shape_ok(scan: SheetScan, sheet: str, exp, out: Collector) -> bool:
    limits = {"name": sheet, "max_rows": settings().sheet_max_rows, "max_cols": settings().sheet_max_cols, "max_area": settings().sheet_max_area,
              "max_cells": settings().sheet_max_cells}
    if scan.declared_too_big():
        out.add("val_sheet_declared", sheet=sheet, expected=exp, found=scan.declared, ref=scan.declared,
                rows=scan.declared_rows, cols=scan.declared_cols, **limits)
        return False
    if scan.too_big():
        corner = _address(scan.rows - 1, scan.cols - 1)
        out.add("val_sheet_span", sheet=sheet, expected=exp, found=f"{corner} ({scan.cells})", corner=corner,
                rows=scan.rows, cols=scan.cols, cells=scan.cells, **limits)
        return False
    if scan.twice:
        out.add("val_cell_twice", sheet=sheet, cell=scan.twice, expected=exp, found=scan.twice, name=sheet,
                cell_ref=scan.twice)
        return False
    return True


def _position(ref: str) -> tuple[int, int]:
    """'E7' -> (6, 4): 0-based row and column, as the reader indexes cells."""
    m = _REF.fullmatch(ref)
    if not m:
        return (-1, -1)
    col = 0
    for ch in m[1]:
        col = col * 26 + ord(ch) - 64
    return int(m[2]) - 1, col - 1


def _col_number(letters: bytes | str) -> int:
    """b'XFD' -> 16384."""
    n = 0
    for ch in letters.encode() if isinstance(letters, str) else letters:
        n = n * 26 + ch - 64
    return n


def _address(row: int, col: int) -> str:
    """0-based (row, col) -> 'E7' (layout.address, without importing the template's modules)."""
    letters, col = "", col + 1
    while col > 0:
        col, rem = divmod(col - 1, 26)
        letters = chr(65 + rem) + letters
    return f"{letters}{row + 1}"


def _span(ref: str) -> tuple[int, int]:
    """'A1:P13' -> (13, 16): the last row and column a <dimension ref> declares; (0, 0) if unreadable
    (calamine then refuses the sheet itself)."""
    last = ref.strip().upper().replace("$", "").rsplit(":", 1)[-1]
    m = _REF.fullmatch(last)
    if not m or len(m[2]) > 9:
        return 0, 0
    return int(m[2]), _col_number(m[1])


# --- the sheet scan ---------------------------------------------------------------------------


def scan_sheet(part: str, body: bytes) -> SheetScan:
    """The shape, formulas and error values of one worksheet part, cells placed as calamine places
    them.  Raises _BadXml for XML a strict parser refuses."""
    scan = _scan_plain(body)
    return scan if scan is not None else _scan_strict(part, body)


def _scan_plain(body: bytes) -> SheetScan | None:
    """The common case at the cost of a few regular expressions: UTF-8; no comment, CDATA or
    processing instruction; no formula, no error value; every cell tag plain with its address, none
    prefixed.  None when any of that does not hold: the strict scan decides.  Unlike the strict
    scan it does not check that the XML is well-formed: calamine does not either, and where every
    cell carries its address, what calamine places where is what these expressions find."""
    decl = _DECL.match(body)
    start = decl.end() if decl else 0
    if decl and (enc := _ENCODING.search(decl.group())) and enc[1].lower() not in (b"utf-8", b"utf8"):
        return None
    if b"\x00" in body[:64] or b"<!" in body or body.find(b"<?", start) != -1:
        return None  # UTF-16, a comment or CDATA, a processing instruction
    if (_FORMULA.search(body) or b't="e"' in body or b"<c>" in body or b"<c/" in body
            or _PREFIXED_CELL_OR_FORMULA.search(body)):
        return None  # formulas, error values, cells without an address, prefixed cells: the strict scan
    if len(body) > _BIG_SHEET_BYTES:
        scan = _walk_plain(body)
    else:
        tags = _C_PLAIN.findall(body)
        if len(tags) != _cell_tags(body):
            return None  # a cell without r=, or written in a way only a parser reads right
        filled = [(col, row) for col, row, empty in tags if not empty]
        scan = SheetScan(cells=len(filled))
        if filled:
            if len(set(filled)) != len(filled):
                return None  # the strict scan names the cell given twice
            cols, rows = zip(*filled)
            scan.rows = max(map(int, set(rows)))
            scan.cols = max(map(_col_number, set(cols)))
    if scan is None:
        return None
    at = body.find(b"dimension")
    if at != -1:
        dim = _DIMENSION.match(body, body.rfind(b"<", 0, at))
        if dim is None:
            return None
        scan.declared = dim[1].decode("ascii", "replace")
        scan.declared_rows, scan.declared_cols = _span(scan.declared)
    return scan


def _cell_tags(body: bytes) -> int:
    return sum(body.count(start) for start in _CELL_STARTS)


def _walk_plain(body: bytes) -> SheetScan | None:
    """The plain scan of a big sheet, one cell tag at a time: no cell given twice is checked by
    the order every writer keeps (row by row, left to right); out of order, the strict scan decides."""
    scan = SheetScan()
    tags, last_row, last_col, numbers = 0, 0, 0, {}
    for m in _C_PLAIN.finditer(body):
        tags += 1
        letters, digits, empty = m.groups()
        if empty:
            continue
        row = int(digits)
        col = numbers.get(letters) or numbers.setdefault(letters, _col_number(letters))
        if row < last_row or (row == last_row and col <= last_col):
            return None
        last_row, last_col = row, col
        scan.cells += 1
        scan.cols = max(scan.cols, col)
    if tags != _cell_tags(body):
        return None
    scan.rows = last_row
    return scan


class _Strict:
    """expat handlers that follow calamine's reading of a worksheet: <dimension> before the first
    <sheetData>; inside it, <row> and <c> by local name; a <row> without r= is the one after the
    previous, a <c> without r= the column after the previous cell's; a <c> holding <v>, <is> or
    <f> is a cell (calamine keeps those)."""

    def __init__(self):
        self.scan = SheetScan()
        self.phase = 0  # 0 before <sheetData>, 1 inside, 2 after
        self.row = self.col = 0  # calamine's running position, 0-based
        self.cell: tuple[int, int] | None = None  # the open <c>
        self.depth = 0  # elements open inside it
        self.filled = self.formula = self.error = False
        self.text: list[str] | None = None  # an error cell's <v> text
        self.seen: set[tuple[int, int]] = set()

    def start(self, name: str, attrs: dict) -> None:
        local = name.rpartition(" ")[2]
        if self.phase != 1:
            if self.phase == 0 and local == "dimension" and not self.scan.declared:
                self.scan.declared = attrs.get("ref", "")
                self.scan.declared_rows, self.scan.declared_cols = _span(self.scan.declared)
            elif self.phase == 0 and local == "sheetData":
                self.phase = 1
            return
        if self.cell is not None:
            self.filled = True
            self.formula = self.formula or local == "f"
            if self.error and self.depth == 0 and local == "v":
                self.text = []
            self.depth += 1
        elif local == "row":
            r = attrs.get("r")
            if r is not None:
                if not (r.isascii() and r.isdigit() and 0 < len(r) <= 9 and int(r) > 0):
                    raise ValueError(f"row r={r!r}")
                self.row = int(r) - 1
        elif local == "c":
            ref = attrs.get("r")
            if ref is not None:
                row, col = _position(ref)
                if row < 0 or col < 0 or len(ref) > 12:
                    raise ValueError(f"cell r={ref!r}")
                self.col = col
                self.cell = (row, col)
            else:
                self.cell = (self.row, self.col)
            self.depth, self.filled, self.formula = 0, False, False
            self.error, self.text = attrs.get("t") == "e", None

    def end(self, name: str) -> None:
        if self.phase != 1:
            return
        local = name.rpartition(" ")[2]
        if self.cell is not None:
            if self.depth:
                self.depth -= 1
                return
            if self.filled:
                self._keep(self.cell)
            self.cell = None
            self.col += 1
        elif local == "row":
            self.row += 1
            self.col = 0
        elif local == "sheetData":
            self.phase = 2

    def chars(self, data: str) -> None:
        if self.text is not None and self.depth == 1:
            self.text.append(data)

    def _keep(self, pos: tuple[int, int]) -> None:
        scan = self.scan
        if pos in self.seen:
            scan.twice = scan.twice or _address(*pos)
        self.seen.add(pos)
        scan.cells += 1
        scan.rows, scan.cols = max(scan.rows, pos[0] + 1), max(scan.cols, pos[1] + 1)
        if self.formula:
            scan.formulas.add(pos)
        if self.error:
            scan.errors[pos] = "".join(self.text or ()).strip() or "#?"


def _refuse_dtd(*_args) -> None:
    raise ValueError("DTD or entity declaration")


def _scan_strict(part: str, body: bytes) -> SheetScan:
    handler = _Strict()
    parser = expat.ParserCreate(namespace_separator=" ")
    parser.buffer_text = True
    parser.StartElementHandler = handler.start
    parser.EndElementHandler = handler.end
    parser.CharacterDataHandler = handler.chars
    parser.StartDoctypeDeclHandler = parser.EntityDeclHandler = _refuse_dtd
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    try:
        parser.Parse(body, True)
    except (expat.ExpatError, ValueError, UnicodeError) as exc:
        raise _BadXml(part, exc) from exc
    return handler.scan


def _sheet_parts(parts: dict[str, bytes]) -> dict[str, str]:
    """Sheet name -> the ZIP part holding it, from workbook.xml and its relationships, the
    targets resolved as calamine resolves them (so the part we check is the part it reads)."""
    wb = _xml("xl/workbook.xml", parts["xl/workbook.xml"])
    rels_xml = parts.get("xl/_rels/workbook.xml.rels")
    targets = {}
    if rels_xml:
        for rel in _xml("xl/_rels/workbook.xml.rels", rels_xml):
            target = rel.get("Target", "")
            target = target[1:] if target.startswith("/xl/") else target if target.startswith("xl/") else f"xl/{target}"
            targets[rel.get("Id")] = target
    out = {}
    for el in wb.iter():
        if _local(el.tag) == "sheet":
            rid = el.get(f"{{{_REL_NS}}}id") or next((v for k, v in el.attrib.items() if _local(k) == "id"), None)
            if rid in targets:
                out[el.get("name")] = targets[rid]
    return out
