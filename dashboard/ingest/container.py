"""Is this upload an .xlsx we are willing to open?  Checked before any spreadsheet parser runs.

Refused, each with its own message: an empty file, one over the size limit, an old
.xls or encrypted workbook (an OLE2 container), a text/CSV file renamed, a damaged
or truncated ZIP, a zip bomb (the declared uncompressed sizes are checked before
anything is inflated, and every part is then inflated with a bound and its CRC
checked), two parts of the same name (which copy a reader takes is its own choice),
a macro-enabled workbook (by its content types and parts, whatever its name), a
binary .xlsb, a DTD or entities in any part whatever its name, and XML that does not
parse.  The XML we read ourselves goes through defusedxml; its errors are refusals.

What passes comes back with the cells that hold formulas, per sheet: python-calamine
returns a formula's cached result and does not say it was a formula.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from defusedxml import DefusedXmlException
from defusedxml import ElementTree as SafeET

from .problems import Collector, expectation

MAX_FILE_BYTES = 5 * 1024 * 1024  # a return is some tens of KB
MAX_UNCOMPRESSED_BYTES = 40 * 1024 * 1024
MAX_PARTS = 500
MAX_RATIO = 200  # a part inflating more than this many times over, past RATIO_FLOOR, is a bomb
RATIO_FLOOR = 1024 * 1024
REFUSED_EXTENSIONS = (".xlsm", ".xltm", ".xlam", ".xlsb")
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06")
_FORMULA_TAG = re.compile(rb"<(?:\w+:)?f[\s>/]")
_UNSAFE_XML = tuple(tag.encode(enc) for tag in ("<!DOCTYPE", "<!ENTITY") for enc in ("ascii", "utf-16-le", "utf-16-be"))
_XML_ERRORS = (DefusedXmlException, SafeET.ParseError, ValueError, UnicodeError)
_REF = re.compile(r"([A-Z]{1,3})([0-9]+)")
_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


@dataclass
class Container:
    sheet_parts: dict[str, str] = field(default_factory=dict)  # sheet name -> part name
    formulas: dict[str, set[tuple[int, int]]] = field(default_factory=dict)  # sheet name -> {(row, col)}


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


def inspect(data: bytes, file_name: str, out: Collector) -> Container | None:
    """Check the container; on refusal add the problem to `out` and return None."""
    exp = expectation("val_exp_xlsx")
    if not data:
        out.add("val_file_empty", expected=exp, found="0 B")
        return None
    if len(data) > MAX_FILE_BYTES:
        out.add("val_file_too_big", expected=exp, found=_size(len(data)), size=_size(len(data)),
                limit=_size(MAX_FILE_BYTES))
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
    if len(infos) > MAX_PARTS:
        out.add("val_zip_too_many", expected=exp, found=len(infos), count=len(infos), limit=MAX_PARTS)
        return None
    total = sum(i.file_size for i in infos)
    bomb = total > MAX_UNCOMPRESSED_BYTES or any(
        i.file_size > RATIO_FLOOR and i.file_size > MAX_RATIO * max(i.compress_size, 1) for i in infos
    )
    if bomb:
        out.add("val_zip_bomb", expected=exp, found=_size(total), size=_size(total),
                limit=_size(MAX_UNCOMPRESSED_BYTES))
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
        for sheet, part in container.sheet_parts.items():
            body = parts.get(part, b"")
            if _FORMULA_TAG.search(body):
                container.formulas[sheet] = {
                    _position(c.get("r", "")) for c in _xml(part, body).iter()
                    if _local(c.tag) == "c" and any(_local(k.tag) == "f" for k in c)
                }
    except _BadXml as bad:
        out.add("val_xml_malformed", expected=exp, found=f"{bad.part}: {type(bad.exc).__name__}: {bad.exc}"[:200],
                part=bad.part)
        return None
    return container


def _position(ref: str) -> tuple[int, int]:
    """'E7' -> (6, 4): 0-based row and column, as the reader indexes cells."""
    m = _REF.fullmatch(ref)
    if not m:
        return (-1, -1)
    col = 0
    for ch in m[1]:
        col = col * 26 + ord(ch) - 64
    return int(m[2]) - 1, col - 1


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
