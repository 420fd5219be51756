"""The 通报 as an editable Word document, laid out to GB/T 9704-2012 (党政机关公文格式).

- 版心 (7.1–7.2): A4, margins 37 mm top, 35 mm bottom, 28 mm left, 26 mm right (156 × 225 mm);
  a `w:docGrid` of 28 characters × 22 lines (line pitch 28.95 pt, character pitch 15.79 pt).
  LibreOffice puts a 3号 character in two grid cells when the pitch is below its size, so
  paragraphs do not snap to the grid; their characters carry the −0.4 pt spacing that makes the
  same 28 a line in Word, WPS and LibreOffice alike (tests/test_briefing.py counts them in the PDF).
- 版头 (7.2): the 发文机关标志 in red 小标宋, its top 35 mm below the 版心's; two lines under it the
  发文字号 centred (「水党发〔2025〕3号」), the red separator 4 mm under that, as wide as the 版心.
- 主体 (7.3): two blank lines, the title in 小标宋 2号 broken by hand into a pyramid at word
  boundaries (title_lines); a blank line, the 主送 flush left; body 仿宋 3号, first lines indented
  two characters; headings 一、 in 黑体, （一） in 楷体; one blank line, then 署名 and 成文日期 as
  7.3.5.1 sets them for a sealed document: the date two characters… four characters in from the
  right, the issuer centred over it.
- 版记 (7.4): 抄送 (optional), 印发机关 and 印发日期 between a thick rule, a thin rule and a thick
  rule, at the foot of the last page, which is even: the 版记 opens a section that starts on an
  even page (a body ending on an even page leaves a blank page before it, as 7.5 foresees); that
  page and a blank one carry no page number.
- 页码 (7.5): 「— 1 —」 in 4号 宋体, odd pages on the right, even on the left, one character in.
- Language zh-CN (en-US for an English document); east-asian font names in w:rFonts/@w:eastAsia as
  Chinese Word and WPS know them; half-width punctuation next to Chinese text made full-width.
The headings are Word's own Heading 1 / Heading 2 styles and body paragraphs its Body Text, so the
office can restyle and navigate the document.

Charts are the pages' plotly figures drawn to PNG by kaleido in Debian's Chromium
(settings.chromium; never a downloaded browser).  A PDF is LibreOffice's conversion
(settings.soffice).  Names typed by people (units) enter as literal text through safe.printable:
no line break, escape or field comes from them, and plotly draws them through charts.plain.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd
from docx import Document
from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING, WD_TAB_ALIGNMENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

from .. import aio
from ..domain import figures, periods
from ..i18n import t
from ..settings import current as settings
from . import charts, style
from .safe import printable

SIZE_2 = Pt(22)  # 二号: the title
SIZE_3 = Pt(16)  # 三号: body and headings
SIZE_4 = Pt(14)  # 四号: page numbers
SIZE_5 = Pt(10.5)  # 五号: tables
TEXT_WIDTH_MM, TEXT_HEIGHT_MM = 156, 225  # the 版心
CHARS_PER_LINE, LINES_PER_PAGE = 28, 22  # GB/T 9704 7.1
LINE_TWIPS = 579  # 225 mm / 22 lines = 28.99 pt; 579 twips as Word's own 公文 grid has it
LINE = Pt(LINE_TWIPS / 20)
CHAR_SPACING_TWENTIETHS = -8  # 16 pt − 0.4 pt: 28 characters fit 442 pt, 29 do not (−0.25 left 27 in LibreOffice)
GRID_CHAR_SPACE = round((TEXT_WIDTH_MM / 25.4 * 72 / CHARS_PER_LINE - 16) * 4096)  # 4096ths of a point: −849
INDENT = Pt(32)  # two characters of 3号
MASTHEAD_DROP = Mm(35)  # 7.2.2: the 发文机关标志's top edge below the 版心's
SEPARATOR_GAP = Pt(11)  # 7.2.4: the red separator 4 mm under the 发文字号
TITLE_MAX_WIDTH = 18  # characters of 2号 a title line holds: 20 fit 442 pt, less the space beside digits
CHART_WIDTH_PX = 1000
CHART_WIDTH = Mm(140)
RED = RGBColor.from_string(style.excel_rgb(style.PARTY_RED))
BLACK = RGBColor(0, 0, 0)
FONTS_CONF = Path(__file__).with_name("fonts.conf")  # the Chinese face names onto installed faces


class OfficeMissing(Exception):
    """LibreOffice is not installed: no PDF can be made."""


class ConversionFailed(Exception):
    """LibreOffice ran but gave no PDF."""


# --- fonts and paragraphs ------------------------------------------------------------------------


def set_fonts(element, east_asia: str, latin: str = style.DOC_LATIN_FONT) -> None:
    """Name the fonts of a run or style: w:rFonts with ascii/hAnsi `latin` and eastAsia `east_asia`,
    theme fonts removed (they would win over the names)."""
    rpr = element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(attr), None)
    for attr, name in (("w:ascii", latin), ("w:hAnsi", latin), ("w:cs", latin), ("w:eastAsia", east_asia)):
        fonts.set(qn(attr), name)


def _run(paragraph, text: str, east_asia: str, size, *, bold: bool = False, color: RGBColor = BLACK):
    run = paragraph.add_run(text)
    set_fonts(run._element, east_asia, style.DOC_LATIN_FONT if east_asia != style.DOC_NUMBER_FONT else east_asia)
    run.font.size = size
    run.font.bold = bold
    run.font.color.rgb = color
    return run


def _fixed(paragraph, line=LINE, *, indent=None, align=None, before=0, after=0) -> None:
    fmt = paragraph.paragraph_format
    fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    fmt.line_spacing = line
    fmt.space_before, fmt.space_after = Pt(before), Pt(after)
    fmt.first_line_indent = indent
    if align is not None:
        paragraph.alignment = align


def _style(doc, name: str, east_asia: str, size, *, indent=None, keep: bool = False) -> None:
    s = doc.styles[name]
    set_fonts(s.element, east_asia)
    s.font.size, s.font.bold, s.font.italic = size, False, False
    s.font.color.rgb = BLACK
    fmt = s.paragraph_format
    fmt.line_spacing_rule, fmt.line_spacing = WD_LINE_SPACING.EXACTLY, LINE
    fmt.space_before, fmt.space_after = Pt(0), Pt(0)
    fmt.first_line_indent = indent
    fmt.keep_with_next = keep
    ppr = s.element.get_or_add_pPr()
    border = ppr.find(qn("w:pBdr"))
    if border is not None:  # the template's Title has a rule under it
        ppr.remove(border)


def _defaults(doc, lang: str) -> None:
    """The document's defaults (w:docDefaults): 3号, the language (zh-CN: Word and WPS check Chinese,
    not English, spelling), −0.4 pt between characters, and no snapping to the grid."""
    styles = doc.styles.element
    defaults = styles.find(qn("w:docDefaults"))
    rpr = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr"))
    for tag in ("w:rFonts", "w:spacing", "w:sz", "w:szCs", "w:lang"):
        for old in rpr.findall(qn(tag)):
            rpr.remove(old)
    code = "zh-CN" if lang == "zh" else "en-US"
    fonts = OxmlElement("w:rFonts")
    for attr, name in (("w:ascii", style.DOC_LATIN_FONT), ("w:hAnsi", style.DOC_LATIN_FONT),
                       ("w:eastAsia", style.DOC_BODY_FONT), ("w:cs", style.DOC_LATIN_FONT)):
        fonts.set(qn(attr), name)
    spacing = OxmlElement("w:spacing")
    spacing.set(qn("w:val"), str(CHAR_SPACING_TWENTIETHS if lang == "zh" else 0))
    size, size_cs = OxmlElement("w:sz"), OxmlElement("w:szCs")
    size.set(qn("w:val"), "32")
    size_cs.set(qn("w:val"), "32")
    language = OxmlElement("w:lang")
    language.set(qn("w:val"), code)
    language.set(qn("w:eastAsia"), "zh-CN")
    language.set(qn("w:bidi"), "ar-SA")
    for el in (fonts, spacing, size, size_cs, language):  # the schema's order
        rpr.append(el)
    ppr = defaults.find(qn("w:pPrDefault")).find(qn("w:pPr"))
    snap = OxmlElement("w:snapToGrid")
    snap.set(qn("w:val"), "0")
    ppr.insert(0, snap)


def _styles(doc) -> None:
    _style(doc, "Normal", style.DOC_BODY_FONT, SIZE_3)
    _style(doc, "Body Text", style.DOC_BODY_FONT, SIZE_3, indent=INDENT)
    _style(doc, "Heading 1", style.DOC_HEADING_FONT, SIZE_3, indent=INDENT, keep=True)
    _style(doc, "Heading 2", style.DOC_SUBHEADING_FONT, SIZE_3, indent=INDENT, keep=True)
    _style(doc, "Title", style.DOC_TITLE_FONT, SIZE_2)
    doc.styles["Title"].paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    doc.styles["Title"].paragraph_format.line_spacing = Pt(35)


def _page(section) -> None:
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    section.footer_distance = Mm(22)
    sect = section._sectPr
    for old in sect.findall(qn("w:docGrid")):
        sect.remove(old)
    grid = OxmlElement("w:docGrid")  # 28 characters × 22 lines, as Word's Page Setup shows it
    grid.set(qn("w:type"), "linesAndChars")
    grid.set(qn("w:linePitch"), str(LINE_TWIPS))
    grid.set(qn("w:charSpace"), str(GRID_CHAR_SPACE))
    sect.append(grid)


def _field(paragraph, instruction: str, shown: str) -> None:
    """A Word field (begin, instruction, separate, the value shown until it is updated, end)."""
    def char(kind: str):
        run = paragraph.add_run()
        el = OxmlElement("w:fldChar")
        el.set(qn("w:fldCharType"), kind)
        run._element.append(el)
        set_fonts(run._element, style.DOC_NUMBER_FONT, style.DOC_NUMBER_FONT)
        run.font.size = SIZE_4
        return run

    char("begin")
    run = paragraph.add_run()
    instr = OxmlElement("w:instrText")
    instr.set(qn("xml:space"), "preserve")
    instr.text = f" {instruction} "
    run._element.append(instr)
    char("separate")
    _run(paragraph, shown, style.DOC_NUMBER_FONT, SIZE_4)
    char("end")


def _page_numbers(doc, section) -> None:
    """"— n —" in 4号 宋体: odd pages on the right, even on the left, one character in from the edge."""
    doc.settings.odd_and_even_pages_header_footer = True
    for footer, align in ((section.footer, WD_ALIGN_PARAGRAPH.RIGHT), (section.even_page_footer,
                                                                     WD_ALIGN_PARAGRAPH.LEFT)):
        footer.is_linked_to_previous = False
        p = footer.paragraphs[0]
        p.alignment = align
        fmt = p.paragraph_format
        fmt.right_indent = SIZE_4 if align == WD_ALIGN_PARAGRAPH.RIGHT else None
        fmt.left_indent = SIZE_4 if align == WD_ALIGN_PARAGRAPH.LEFT else None
        _run(p, "— ", style.DOC_NUMBER_FONT, SIZE_4)
        _field(p, "PAGE", "1")
        _run(p, " —", style.DOC_NUMBER_FONT, SIZE_4)


def _rules(paragraph, color: str = "000000", *, top: int = 0, bottom: int = 0, space_pt: int = 1) -> None:
    """Rules above and/or below a paragraph, as wide as the 版心 (`top`/`bottom`: eighths of a point)."""
    ppr = paragraph._p.get_or_add_pPr()
    border = OxmlElement("w:pBdr")
    for side, size in (("w:top", top), ("w:bottom", bottom)):
        if not size:
            continue
        el = OxmlElement(side)
        for k, v in (("w:val", "single"), ("w:sz", str(size)), ("w:space", str(space_pt)), ("w:color", color)):
            el.set(qn(k), v)
        border.append(el)
    ppr.append(border)


_CJK = "\u3000-\u303f\u3400-\u9fff\uff00-\uffef"
_FULL = {"(": "（", ")": "）", ",": "，", ":": "：", ";": "；", "?": "？", "!": "！"}


def chinese_punctuation(text: str) -> str:
    """Half-width punctuation in Chinese running text made full-width (GB/T 15834): 「党员总数(含预备)」
    → 「党员总数（含预备）」; a comma or colon between digits (1,272; 10:30), a cell (发展党员!C4) and
    English stay as they are."""
    text = re.sub(f"\\(([^()]*[{_CJK}][^()]*)\\)", "（\\1）", text)
    # a sheet's cell (「发展党员!C4」) keeps its "!": what Excel reads
    return re.sub(f"(?<=[{_CJK}])(?:[,:;?]|!(?![A-Za-z$]))|[,:;?!](?=[{_CJK}])", lambda m: _FULL[m[0]], text)


def text_width(text: str) -> float:
    """A text's width in characters of its size: Chinese and full-width 1, the rest ½."""
    return sum(1.0 if ord(c) >= 0x2E80 else 0.5 for c in text)


def title_lines(parts: list[str], max_width: float = TITLE_MAX_WIDTH) -> list[str]:
    """The title broken into lines at the boundaries between `parts` (its words: the unit, 关于,
    the period, 党建工作情况的通报 …), as 7.3.1 asks: each line within `max_width`, no line of one
    or two characters, and the shape a pyramid (each line no longer than the next; else a diamond,
    the longest in the middle), the lines as even as that allows.  A part longer than a line is
    broken inside."""
    words: list[str] = []
    for part in parts:
        while text_width(part) > max_width:  # a unit name longer than a line
            cut = 1
            while text_width(part[:cut + 1]) <= max_width:
                cut += 1
            words.append(part[:cut])
            part = part[cut:]
        if part:
            words.append(part)
    whole = "".join(words)
    if text_width(whole) <= max_width:
        return [whole]
    best, best_key = None, None
    n = len(words)
    for mask in range(1, 1 << (n - 1)):  # every way to cut between words (titles have a handful)
        lines, start = [], 0
        for i in range(1, n):
            if mask >> (i - 1) & 1:
                lines.append("".join(words[start:i]))
                start = i
        lines.append("".join(words[start:]))
        widths = [text_width(x) for x in lines]
        if max(widths) > max_width or min(widths) <= 2:
            continue
        pyramid = all(a <= b for a, b in zip(widths, widths[1:]))
        top = widths.index(max(widths))
        diamond = all(a <= b for a, b in zip(widths[:top], widths[1:top + 1])) and \
            all(a >= b for a, b in zip(widths[top:], widths[top + 1:]))
        key = (len(lines), 0 if pyramid else 1 if diamond else 2, max(widths) - min(widths))
        if best_key is None or key < best_key:
            best, best_key = lines, key
    return best or [whole]


# --- the document's parts --------------------------------------------------------------------------


class _Writer:
    def __init__(self, b):
        self.b, self.lang = b, b.lang
        self.doc = Document()
        self.numerals = t("brief_numerals", self.lang).split(",")
        self.n_heading = 0
        kind = periods.granularity_of(b.period)
        self.multi = kind != "quarter"  # a half-year or a year
        first = periods.quarters_of(b.period)[0]
        self.previous = periods.report_label(periods.period_of(periods.shift(first, -{"quarter": 1, "half": 2, "year": 4}[kind]), kind), self.lang)

    def t(self, key: str, **fields) -> str:
        return t(key, self.lang, **fields)

    def tp(self, key: str, **fields) -> str:
        """The text for the period's kind: `key` for a quarter, `key_period` for a half-year or a year."""
        return self.t(f"{key}_period" if self.multi else key, **fields)

    def say(self, text: str) -> str:
        """Text as the document writes it: full-width punctuation in Chinese."""
        return chinese_punctuation(text) if self.lang == "zh" else text

    def body(self, text: str, *, indent: bool = True, align=None, color: RGBColor = BLACK):
        p = self.doc.add_paragraph(style="Body Text" if indent else "Normal")
        if align is not None:
            p.alignment = align
        _run(p, self.say(text), style.DOC_BODY_FONT, SIZE_3, color=color)
        return p

    def heading(self, title: str) -> None:
        n = self.numerals[self.n_heading] if self.n_heading < len(self.numerals) else str(self.n_heading + 1)
        self.n_heading += 1
        self.n_sub = 0
        p = self.doc.add_paragraph(style="Heading 1")
        _run(p, self.say(self.t("brief_heading", n=n, title=title)), style.DOC_HEADING_FONT, SIZE_3)

    def subheading(self, title: str) -> None:
        n = self.numerals[self.n_sub] if self.n_sub < len(self.numerals) else str(self.n_sub + 1)
        self.n_sub += 1
        p = self.doc.add_paragraph(style="Heading 2")
        _run(p, self.say(self.t("brief_subheading", n=n, title=title)), style.DOC_SUBHEADING_FONT, SIZE_3)

    def table(self, header: list[str], rows: list[list[str]], widths_mm: list[float], *, align_right=()) -> None:
        table = self.doc.add_table(rows=1, cols=len(header))
        table.style = self.doc.styles["Table Grid"]
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        table.autofit = False
        for column, width in zip(table.columns, widths_mm):
            column.width = Mm(width)  # the grid, which LibreOffice and WPS read
        self._row(table.rows[0], header, widths_mm, head=True)
        tr_pr = table.rows[0]._tr.get_or_add_trPr()
        repeat = OxmlElement("w:tblHeader")  # the header row again on every page the table runs to
        repeat.set(qn("w:val"), "true")
        tr_pr.append(repeat)
        for values in rows:
            self._row(table.add_row(), values, widths_mm, right=align_right)
        gap = self.doc.add_paragraph(style="Normal")  # a line between a table and what follows
        _fixed(gap, Pt(12))

    def _row(self, row, values, widths_mm, *, head: bool = False, right=()) -> None:
        """Headers centred in 黑体; then the first column centred, figures (`right`) to the right,
        names to the left, in 仿宋."""
        for i, (c, value) in enumerate(zip(row.cells, values)):
            c.width = Mm(widths_mm[i])
            align = (WD_ALIGN_PARAGRAPH.CENTER if head or i == 0 else
                     WD_ALIGN_PARAGRAPH.RIGHT if i in right else WD_ALIGN_PARAGRAPH.LEFT)
            _fixed(c.paragraphs[0], Pt(16), align=align)
            _run(c.paragraphs[0], self.say(value), style.DOC_HEADING_FONT if head else style.DOC_BODY_FONT, SIZE_5)

    def picture(self, png: bytes) -> None:
        p = self.doc.add_paragraph(style="Normal")
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        fmt = p.paragraph_format
        fmt.line_spacing_rule = WD_LINE_SPACING.SINGLE  # a fixed line would crop the picture to one line
        fmt.keep_with_next = True
        p.add_run().add_picture(io.BytesIO(png), width=CHART_WIDTH)


def _number(value, value_type: str) -> str:
    if pd.isna(value):
        return "—"
    return format(value, charts.number_format(value_type, [value]))


def _change(row, window: str, ind, lang: str, say_basis: bool = True) -> str:
    """The change against `window` ('previous' or 'year'): '增加 3 次' / '减少 1.2 个百分点' / '持平' /
    '无可比数据'; a change that counts only the returns that came in in both quarters says so
    (unless `say_basis` is False: the paragraph says it once for all its changes)."""
    delta = row[f"delta_{window}"]
    if pd.isna(delta):
        return t("brief_change_none", lang)
    if round(float(delta), 4) == 0:
        said = t("brief_change_same", lang)
    else:
        unit = t("brief_pp", lang) if ind.value_type == "rate" else ind.unit(lang)
        key = "brief_change_up" if delta > 0 else "brief_change_down"
        said = t(key, lang, delta=_number(abs(float(delta)), ind.value_type), unit=unit)
    basis = _basis_of(row, window)
    if basis and say_basis:
        said = t("brief_change_basis", lang, change=said, n=basis[0], total=basis[1])
    return said


def _basis_of(row, window: str) -> tuple[int, int] | None:
    basis = row.get(f"basis_{window}")
    return tuple(basis) if isinstance(basis, (tuple, list)) else None


def _window(ind) -> str:
    """An indicator set once a year (star ratings, in Q1) is compared with the year before, others
    with the previous quarter."""
    return "previous" if ind.quarters == "all" else "year"


def _headline_sentence(w: _Writer, row, ind, say_basis: bool) -> str:
    lang = w.lang
    value = figures.approx_number(row["value"], ind.value_type, lang) if row.get("approx") and not pd.isna(
        row["value"]) else _number(row["value"], ind.value_type)
    change = _change(row, _window(ind), ind, lang, say_basis)
    if ind.quarters == "all":
        return w.tp("brief_headline_item", indicator=ind.name(lang), value=value, unit=ind.unit(lang),
                    change=change, previous=w.previous)
    return t("brief_headline_item_year", lang, indicator=ind.name(lang), value=value, unit=ind.unit(lang),
             period=periods.report_label(row["period"], lang), change=change)


def _names(names, lang: str) -> str:
    return t("brief_list_sep", lang).join(printable(n) for n in names)


def bottom_text(groups, uom: str, fmt: str, lang: str, n_ranked: int, by_group: bool = False) -> str:
    """The bottom of a ranking in words (groups: figures.ranking's bottom, per level group), each
    value in `fmt` (the table's).  A tie is stated whole: a group of up to two units is named, a
    larger one counted ('8 个单位并列为 0次'), never two of eight picked out.  `by_group`: the table
    ranks committees and branches apart, so each item says its group."""
    items = []
    for g in groups:
        value, names = format(g["value"], fmt), g["names"]
        if len(names) == 1:
            item = t("brief_bottom_one", lang, unit=printable(names[0]), value=value, uom=uom)
        elif len(names) <= 2:
            item = t("brief_bottom_tied_named", lang, units=_names(names, lang), value=value, uom=uom)
        else:
            item = t("brief_bottom_tied_count", lang, n=len(names), value=value, uom=uom)
        items.append(t("brief_bottom_in_group", lang, group=t(f"level_group_{g['group']}", lang), item=item)
                     if by_group else item)
    return t("brief_bottom", lang, items=t("brief_list_sep", lang).join(items))


def _overview(w: _Writer) -> None:
    b, lang, cat = w.b, w.lang, w.b.catalog
    w.heading(w.t("brief_sec_overview"))
    r = b.returns
    if r.total:
        w.body(w.tp("brief_returns", total=r.total, done=r.done, late=len(r.late), missing=r.total - r.done,
                    period=b.period_label))
    else:
        w.body(w.tp("brief_no_returns_due", period=b.period_label))
    rows = [row for _, row in b.headlines.iterrows() if not pd.isna(row["value"])]
    if not rows:
        w.body(w.tp("brief_headline_none", period=b.period_label))
        return
    # a like-for-like basis shared by every change against the same window is said once, after the list
    bases: dict[str, set] = {}
    for row in rows:
        window = _window(cat[row["indicator_code"]])
        if not pd.isna(row[f"delta_{window}"]):
            bases.setdefault(window, set()).add(_basis_of(row, window))
    once = {window: next(iter(b)) for window, b in bases.items() if len(b) == 1 and None not in b}
    items = w.t("brief_item_sep").join(
        _headline_sentence(w, row, cat[row["indicator_code"]], _window(cat[row["indicator_code"]]) not in once)
        for row in rows)
    note = "".join(w.tp(f"brief_basis_note_{window}", n=n, total=total, previous=w.previous)
                   for window, (n, total) in once.items())
    w.body(w.t("brief_headlines_intro") + items + w.t("brief_full_stop") + note)
    header = [w.t(k) for k in ("brief_col_indicator", "brief_col_period", "brief_col_value", "brief_col_previous",
                               "brief_col_delta", "brief_col_year_before", "brief_col_delta_year", "brief_col_uom")]
    table = []
    for row in rows:
        ind = cat[row["indicator_code"]]
        table.append([ind.name(lang), str(row["period"]), *(_number(row[c], ind.value_type) for c in (
            "value", "previous", "delta_previous", "year_before", "delta_year")), ind.unit(lang)])
    w.table(header, table, [34, 17, 16, 16, 16, 19, 16, 22], align_right=(2, 3, 4, 5, 6))


def _returns(w: _Writer) -> None:
    r, lang = w.b.returns, w.lang
    w.heading(w.t("brief_sec_submissions"))
    lines = [w.tp("brief_deadline", date=_date(r.deadline, lang), days=settings().deadline_days)]

    def quarter_of(q: str) -> str:
        return periods.quarter_label(q, lang)

    if r.total and r.on_time == r.total:
        lines.append(w.t("brief_all_on_time"))
    else:
        lines.append(w.tp("brief_on_time", n=r.on_time))
        if r.late:
            items = [w.tp("brief_late_item", unit=printable(name), date=_date(day, lang), quarter=quarter_of(q))
                     for name, q, day in r.late]
            lines.append(w.tp("brief_late", n=len(r.late), units=w.t("brief_list_sep").join(items)))
        for key, listed in (("brief_missing", r.missing), ("brief_pending", r.pending)):
            if not listed:
                continue
            items = ([w.t("brief_unit_in_quarter", unit=printable(name), quarter=quarter_of(q)) for name, q in listed]
                     if w.multi else [printable(name) for name, _ in listed])
            lines.append(w.tp(key, n=len(listed), units=w.t("brief_list_sep").join(items)))
    w.body(w.t("brief_sentence_sep").join(lines))


def _date(day, lang: str) -> str:
    if isinstance(day, str):
        day = date.fromisoformat(day)
    return t("brief_date", lang, year=day.year, month=day.month, day=day.day, month_name=day.strftime("%B"))


def _domains(w: _Writer, images: dict[str, bytes], chart_problem: tuple[str, dict] | None) -> None:
    b, lang = w.b, w.lang
    w.heading(w.t("brief_sec_domains"))
    for d in b.domains:
        ind = d.indicator
        w.subheading(d.name)
        label = periods.report_label(d.period, lang)
        if d.total is not None and not pd.isna(d.total.get("value")):
            yearly = ind.quarters != "all"  # set once a year (star ratings): compared with a year before
            change = _change(d.total, "year" if yearly else "previous", ind, lang)
            w.body(w.t("brief_domain_total", scope=printable(b.unit_name), period=label, indicator=ind.name(lang),
                       value=_number(d.total["value"], ind.value_type), unit=ind.unit(lang), change=change,
                       vs=w.t("brief_vs_year") if yearly else w.tp("brief_vs_previous", previous=w.previous)))
        else:
            w.body(w.t("brief_domain_no_data", period=label, indicator=ind.name(lang)))
        if d.ranking.empty:
            w.body(w.t("brief_rank_none"))
            continue
        n_ranked = int(d.ranking["n_ranked"].iloc[0])
        if not n_ranked:
            continue
        intro = w.body(w.t("brief_rank_intro", indicator=ind.name(lang), n=len(d.ranking), period=label))
        intro.paragraph_format.keep_with_next = True  # never the sentence alone at the foot of a page
        if d.code in images:
            w.picture(images[d.code])
        elif chart_problem:
            w.body(w.t("brief_chart_missing", reason=w.t(chart_problem[0], **chart_problem[1])), indent=False,
                   align=WD_ALIGN_PARAGRAPH.CENTER)
        value_type = ind.value_type if d.measure == "raw" else "score"
        fmt = charts.number_format(value_type, d.ranking["value"])  # decimals enough to tell apart what differs
        by_group = d.ranking["group"].nunique() > 1  # committees and branches ranked apart: say which
        header = [w.t("brief_col_rank"), *([w.t("brief_col_group")] if by_group else []), w.t("brief_col_unit"),
                  w.t("brief_col_figure", indicator=ind.name(lang), uom=d.unit)]
        rows = [["—" if pd.isna(r.rank) else str(int(r.rank)),
                 *([t(f"level_group_{r.group}", lang)] if by_group else []), printable(r.unit_name),
                 r.no_figure if pd.isna(r.value) else
                 figures.approx_number(r.value, value_type, lang, fmt) if r.approx else format(r.value, fmt)]
                for r in d.ranking.itertuples()]
        w.table(header, rows, [18, 30, 70, 48] if by_group else [20, 86, 50], align_right=(len(header) - 1,))
        apart = w.t("brief_no_figure", n=len(d.ranking) - n_ranked) if n_ranked < len(d.ranking) else ""
        if not ind.names_laggards:
            w.body(w.t("brief_names_nobody") + apart)
        elif d.bottom:
            w.body(bottom_text(d.bottom, d.unit, fmt, lang, n_ranked, by_group) + apart)
        elif n_ranked >= 2:
            w.body(w.t("brief_nobody_behind") + apart)


def _compliance(w: _Writer) -> None:
    c, lang, cat = w.b.compliance, w.lang, w.b.catalog
    w.heading(w.t("brief_sec_compliance"))
    rules = w.t("brief_item_sep").join(r.statement(lang) for r in c.rules)
    if not c.branches:
        w.body(w.t("brief_comp_rules", rules=rules) + w.tp("brief_comp_none", period=w.b.period_label))
        return
    w.body(w.t("brief_comp_rules", rules=rules) + w.tp("brief_comp_summary", branches=c.branches, ok=c.ok,
                                                        period=w.b.period_label,
                                                       short=c.n_short))
    if not c.n_short:
        return
    shown = len(c.short)
    w.body(w.t("brief_comp_list") if shown >= c.n_short else w.t("brief_comp_list_first", n=c.n_short, shown=shown))
    gname, uname = ("group_name_en", "unit_name_en") if lang == "en" else ("group_name_zh", "unit_name_zh")
    codes = [r.left[0] for r in c.rules]
    header = [w.t("brief_col_parent"), w.t("brief_col_branch")] + [
        w.t("brief_col_figure", indicator=cat[code].name(lang), uom=cat[code].unit(lang)) for code in codes]
    rows = [[printable(r[gname]), printable(r[uname])] + [_number(r[code], "count") for code in codes]
            for _, r in c.short.iterrows()]
    rest = (156 - 36 - 44) / max(len(codes), 1)
    w.table(header, rows, [36, 44] + [rest] * len(codes), align_right=tuple(range(2, 2 + len(codes))))


@dataclass(frozen=True)
class Masthead:
    """What the 版头 and 版记 say beyond the figures: the 发文机关标志 (default: the unit's name), the
    发文字号, 抄送 and the 印发机关 (default: the issuer).  From settings or the command line."""
    issuer: str = ""
    doc_number: str = ""
    copy_to: str = ""
    printed_by: str = ""

    @classmethod
    def of_settings(cls, **given) -> Masthead:
        conf = settings()
        base = {"issuer": conf.briefing_issuer, "doc_number": "", "copy_to": conf.briefing_copy_to,
                "printed_by": conf.briefing_printed_by}
        return cls(**{**base, **{k: v for k, v in given.items() if v}})


_DOC_NUMBER = re.compile(r"^\s*(\S*?)\s*[〔\[［(（]\s*(\d{4})\s*[〕\]］)）]\s*(\d+)\s*号?\s*$")


def doc_number(text: str, year: int) -> str:
    """A 发文字号 as 7.2.4 writes it: 「水党发〔2025〕3号」 (六角括号, no leading zero, no 第).  `text` is
    the whole number in any brackets, or only the serial (「3」), which takes settings' 机关代字 and
    `year`.  Raises ValueError for anything else."""
    text = str(text).strip()
    if not text:
        return ""
    if text.isdigit():
        prefix = settings().briefing_doc_prefix
        if not prefix:
            raise ValueError(text)
        return f"{prefix}〔{year}〕{int(text)}号"
    m = _DOC_NUMBER.match(text)
    if not m or not m[1]:
        raise ValueError(text)
    return f"{m[1]}〔{m[2]}〕{int(m[3])}号"


def _masthead(w: _Writer, issuer: str, number: str) -> None:
    """版头: the issuer in red 小标宋 35 mm below the 版心's top, the 发文字号 two lines under it, the red
    separator 4 mm under that."""
    doc = w.doc
    drop = doc.paragraphs[0] if doc.paragraphs else doc.add_paragraph()
    drop.style = doc.styles["Normal"]
    _fixed(drop, MASTHEAD_DROP)  # an empty line 35 mm high: Word and WPS keep it at the top of page 1
    size = Pt(min(42, int(TEXT_WIDTH_MM / 25.4 * 72 / max(text_width(issuer), 1))))  # 初号, or the 版心's width
    head = doc.add_paragraph(style="Normal")
    _fixed(head, size, align=WD_ALIGN_PARAGRAPH.CENTER)
    head.paragraph_format.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    _run(head, w.say(issuer), style.DOC_TITLE_FONT, size, color=RED)
    for _ in range(2):
        _fixed(doc.add_paragraph(style="Normal"), LINE)
    number_line = doc.add_paragraph(style="Normal")
    _fixed(number_line, LINE, align=WD_ALIGN_PARAGRAPH.CENTER)
    if number:
        _run(number_line, number, style.DOC_BODY_FONT, SIZE_3)
    number_line.paragraph_format.space_after = Pt(0)
    _rules(number_line, style.excel_rgb(style.PARTY_RED), bottom=18, space_pt=int(SEPARATOR_GAP.pt))
    for _ in range(2):  # 7.3.1: the title two lines under the separator
        _fixed(doc.add_paragraph(style="Normal"), LINE)


def _title(w: _Writer, b) -> None:
    lang = w.lang
    mark = "\x1f"
    marked = t("brief_title", lang, unit=f"{mark}{printable(b.unit_name)}{mark}", period=f"{mark}{b.period_label}{mark}")
    parts = [w.say(x) for x in marked.split(mark) if x]
    title = w.doc.add_paragraph(style="Title")
    lines = title_lines(parts, TITLE_MAX_WIDTH if lang == "zh" else TITLE_MAX_WIDTH * 2)
    for i, line in enumerate(lines):
        run = _run(title, line, style.DOC_TITLE_FONT, SIZE_2)
        if i < len(lines) - 1:
            run.add_break()  # a line broken by hand (7.3.1), inside the run as Word writes it
    _fixed(w.doc.add_paragraph(style="Normal"), LINE)  # 7.3.2: the 主送 one line under the title


def _signature(w: _Writer, issuer: str, issued) -> None:
    """7.3.5.1: one line under the text, the date four characters in from the right and the issuer
    centred over it (a seal goes over both)."""
    _fixed(w.doc.add_paragraph(style="Normal"), LINE)
    day = _date(issued, w.lang)
    name, dated = text_width(issuer), text_width(day)
    for text, right in ((issuer, 4 + max(dated - name, 0) / 2), (day, 4)):
        p = w.body(text, indent=False, align=WD_ALIGN_PARAGRAPH.RIGHT)
        p.paragraph_format.right_indent = Pt(16 * right)
        p.paragraph_format.keep_with_next = True


def _colophon(w: _Writer, m: Masthead, issuer: str, issued) -> None:
    """版记 (7.4) on the last page, which is even, at its foot: 抄送 (if any) and 印发机关 … 印发日期,
    between a thick rule, a thin one and a thick one; no page number on that page."""
    doc = w.doc
    section = doc.add_section(WD_SECTION.EVEN_PAGE)
    for footer in (section.footer, section.even_page_footer, section.first_page_footer):
        footer.is_linked_to_previous = False
        for p in footer.paragraphs:
            for r in list(p.runs):
                r._element.getparent().remove(r._element)
    lines = 2 if m.copy_to else 1
    spacer = doc.add_paragraph(style="Normal")
    _fixed(spacer, Pt(LINE.pt * (LINES_PER_PAGE - lines) - 8))  # the rest of the 版心 (less the rules' own height)
    thick, thin = 8, 6  # 0.35 mm and 0.25 mm, in eighths of a point (1 pt, 0.75 pt)
    if m.copy_to:
        copy = doc.add_paragraph(style="Normal")
        _fixed(copy, LINE)
        fmt = copy.paragraph_format
        fmt.left_indent, fmt.right_indent, fmt.first_line_indent = SIZE_4, SIZE_4, None
        _run(copy, w.say(t("brief_copy_to", w.lang, units=m.copy_to)), style.DOC_BODY_FONT, SIZE_4)
        _rules(copy, top=thick, bottom=thin)
    printed = doc.add_paragraph(style="Normal")
    _fixed(printed, LINE)
    fmt = printed.paragraph_format
    fmt.left_indent, fmt.right_indent = SIZE_4, SIZE_4
    tabs = fmt.tab_stops  # the issuer flush left, the date flush right
    tabs.add_tab_stop(Mm(TEXT_WIDTH_MM) - SIZE_4 * 2, alignment=WD_TAB_ALIGNMENT.RIGHT)
    _run(printed, w.say(m.printed_by or issuer), style.DOC_BODY_FONT, SIZE_4)
    _run(printed, "\t" + w.say(t("brief_printed_on", w.lang, date=_date(issued, w.lang))), style.DOC_BODY_FONT,
         SIZE_4)
    _rules(printed, top=0 if m.copy_to else thick, bottom=thick)


def _appendix_note(w: _Writer) -> None:
    """7.3.6 附件说明: one line under the text, two characters in, 「附件：核心指标数据来源」."""
    if w.b.sources is None or w.b.sources.empty:
        return
    _fixed(w.doc.add_paragraph(style="Normal"), LINE)
    w.body(w.t("brief_appendix_title"))


def _appendix(w: _Writer) -> None:
    """The 附件 itself (7.3.9): on a page of its own after the date, 「附件」 in 黑体 flush left, its
    name centred, then each headline figure with the returns and cells it was read from (the 来源 of
    the app, figures.source_columns)."""
    src = w.b.sources
    if src is None or src.empty:
        return
    label = w.doc.add_paragraph(style="Normal")
    label.paragraph_format.page_break_before = True
    _run(label, w.t("brief_annex_label"), style.DOC_HEADING_FONT, SIZE_3)
    _fixed(w.doc.add_paragraph(style="Normal"), LINE)
    name = w.doc.add_paragraph(style="Title")
    _run(name, w.say(w.t("brief_annex_name")), style.DOC_TITLE_FONT, SIZE_2)
    _fixed(w.doc.add_paragraph(style="Normal"), LINE)
    cat = w.b.catalog
    rows = []
    for r in src.itertuples():
        ind = cat[r.indicator_code]
        rows.append([ind.name(w.lang), f"{_number(r.value, ind.value_type)} {ind.unit(w.lang)}", r.period,
                     printable(r.source_cells) or w.t("brief_appendix_none"), printable(r.source_submitted_at)])
    w.table([w.t(k) for k in ("brief_appendix_indicator", "brief_appendix_value", "brief_appendix_period",
                              "brief_appendix_cells", "brief_appendix_at")], rows, [34, 18, 16, 64, 24],
            align_right=(1,))


def document(b, images: dict[str, bytes] | None = None, chart_problem: tuple[str, dict] | None = None,
             masthead: Masthead | None = None) -> bytes:
    """The circular of `b` (a dashboard.briefing.Briefing) as .docx bytes; `images` are the
    domains' charts as PNG by domain code (chart_images), `chart_problem` why some are missing,
    `masthead` the issuer, 发文字号, 抄送 and 印发机关 (default: from settings)."""
    m = masthead or Masthead.of_settings()
    w = _Writer(b)
    doc, lang = w.doc, w.lang
    issuer = w.say(printable(m.issuer or b.unit_name))
    section = doc.sections[0]
    _page(section)
    _defaults(doc, lang)
    _styles(doc)
    _page_numbers(doc, section)
    doc.core_properties.title = w.say(printable(t("brief_title", lang, unit=b.unit_name, period=b.period_label)))
    doc.core_properties.author = t("app_title", lang)
    doc.core_properties.language = "zh-CN" if lang == "zh" else "en-US"
    _masthead(w, issuer, printable(m.doc_number))
    _title(w, b)
    if b.addressees:
        levels = t("brief_list_sep", lang).join(t(f"brief_level_{lv}", lang) for lv in b.addressees)
        w.body(t("brief_to", lang, levels=levels), indent=False)
    else:
        w.body(t("brief_to_self", lang, unit=printable(b.unit_name)), indent=False)
    if b.is_demo:
        w.body(t("brief_demo", lang), color=RED)
    w.body(t("brief_opening", lang, period=b.period_label))
    _overview(w)
    _returns(w)
    _domains(w, images or {}, chart_problem)
    _compliance(w)
    w.heading(w.t("brief_sec_next"))
    w.body(w.t("brief_next_placeholder"))
    _appendix_note(w)
    _signature(w, issuer, b.issued)
    _appendix(w)
    _colophon(w, m, issuer, b.issued)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


# --- charts, PDF --------------------------------------------------------------------------------------


def chart_images(figures: dict) -> tuple[dict[str, bytes], tuple[str, dict] | None]:
    """The figures drawn to PNG by kaleido in Debian's Chromium (settings.chromium), one browser
    for all of them; and why none were drawn, if so, as a text key and its fields (no Chromium,
    or kaleido failed)."""
    if not figures:
        return {}, None
    conf = settings()
    if not Path(conf.chromium).is_file():
        return {}, ("brief_no_chromium", {"path": printable(conf.chromium)})
    try:
        import kaleido
    except ImportError as exc:  # pragma: no cover - kaleido is a dependency
        return {}, ("brief_chart_failed", {"error": printable(exc)})

    async def draw() -> dict[str, bytes]:
        out = {}
        # mathjax=False: nothing is fetched from a CDN; plotly.js comes from the plotly package
        async with kaleido.Kaleido(n=1, mathjax=False, path=str(conf.chromium), timeout=conf.office_timeout_s) as k:
            for code, fig in figures.items():
                height = fig.layout.height or 500
                out[code] = await k.calc_fig(fig, opts={"format": "png", "width": CHART_WIDTH_PX, "height": height,
                                                        "scale": 2})
        return out

    try:
        return aio.run(draw()), None
    except Exception as exc:  # a browser that will not start, a render that times out
        return {}, ("brief_chart_failed", {"error": printable(exc)})


def soffice_path() -> str | None:
    """The LibreOffice program (settings.soffice, a name on PATH or a path), or None."""
    name = settings().soffice
    found = shutil.which(name)
    return found if found else (name if Path(name).is_file() else None)


def _convert(docx: bytes) -> bytes:
    """The document converted by LibreOffice (`soffice --headless --convert-to pdf`), with a
    private profile so conversions never wait on each other or on a desktop LibreOffice."""
    soffice = soffice_path()
    if soffice is None:
        raise OfficeMissing(settings().soffice)
    with tempfile.TemporaryDirectory(prefix="briefing-") as tmp:
        src = Path(tmp) / "briefing.docx"
        src.write_bytes(docx)
        cmd = [soffice, f"-env:UserInstallation={(Path(tmp) / 'profile').as_uri()}", "--headless", "--norestore",
               "--convert-to", "pdf", "--outdir", tmp, str(src)]
        try:
            done = subprocess.run(cmd, capture_output=True, text=True, timeout=settings().office_timeout_s,
                                  env={**os.environ, "FONTCONFIG_FILE": str(FONTS_CONF)})
        except subprocess.TimeoutExpired as exc:
            raise ConversionFailed(f"timeout after {exc.timeout:.0f} s") from exc
        pdf = Path(tmp) / "briefing.pdf"
        if not pdf.is_file():
            raise ConversionFailed((done.stderr or done.stdout or f"exit {done.returncode}").strip()[-300:])
        return pdf.read_bytes()


def pdf_pages(pdf: bytes) -> int:
    """The pages of a PDF LibreOffice wrote (its page objects are plain, never in object streams)."""
    return len(re.findall(rb"/Type\s*/Page(?![s\w])", pdf))


def _colophon_on_next_page(docx: bytes) -> bytes | None:
    """The document with a blank page before its 版记 section (None: it has no 版记).  Word and WPS
    start an even-page section on an even page by themselves; LibreOffice does not, so the PDF,
    laid out once, is laid out again with the blank page 7.5 foresees."""
    doc = Document(io.BytesIO(docx))
    body = list(doc.element.body.iterchildren())
    for i, el in enumerate(body[:-1]):
        if el.tag == qn("w:p") and el.find(f"{qn('w:pPr')}/{qn('w:sectPr')}") is not None:
            nxt = body[i + 1]
            if nxt.tag != qn("w:p"):
                return None
            ppr = nxt.find(qn("w:pPr"))
            brk = OxmlElement("w:pageBreakBefore")
            ppr.insert(1 if ppr.find(qn("w:pStyle")) is not None else 0, brk)
            nxt.addprevious(OxmlElement("w:p"))  # the blank page: an empty line, then the 版记 on the next page
            out = io.BytesIO()
            doc.save(out)
            return out.getvalue()
    return None


def to_pdf(docx: bytes) -> bytes:
    """The document as PDF (LibreOffice), its 版记 on an even, last page."""
    pdf = _convert(docx)
    if pdf_pages(pdf) % 2:
        again = _colophon_on_next_page(docx)
        if again is not None:
            pdf = _convert(again)
    return pdf


def build(b, fmt: str = "docx", masthead: Masthead | None = None) -> tuple[bytes, tuple[str, dict] | None]:
    """The circular as .docx (or .pdf) bytes, its charts drawn; and why the charts are missing, if
    they are.  Raises OfficeMissing / ConversionFailed for a PDF LibreOffice cannot make."""
    images, problem = chart_images(b.figures())
    data = document(b, images, problem, masthead)
    return (to_pdf(data) if fmt == "pdf" else data), problem
