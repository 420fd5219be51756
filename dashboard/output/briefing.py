"""The quarterly 通报 as an editable Word document, in the manner of a Chinese official circular.

GB/T 9704 conventions: A4, margins 37 mm top, 35 mm bottom, 28 mm left, 26 mm right; the
issuer's name in red over a red rule; the title centred in 小标宋 2号; the 主送 line; body text
仿宋 3号 on a fixed 28 pt line, first lines indented two characters; first-level headings
一、二、三 in 黑体, second-level （一）（二） in 楷体; the issuer and date at the end; page numbers
"— n —" in the footer (a PAGE field), odd pages on the right, even on the left.  The east-asian
font names are written into w:rFonts/@w:eastAsia, so Chinese Word and WPS use them.  The
headings are Word's own Heading 1 / Heading 2 styles and body paragraphs its Body Text, so the
office can restyle and navigate the document.

Charts are the pages' plotly figures drawn to PNG by kaleido in Debian's Chromium
(settings.chromium; never a downloaded browser).  A PDF is LibreOffice's conversion
(settings.soffice).  Names typed by people (units) enter as literal text through safe.printable:
no line break, escape or field comes from them, and plotly draws them through charts.plain.
"""

from __future__ import annotations

import asyncio
import io
import os
import shutil
import subprocess
import tempfile
import threading
from datetime import date
from pathlib import Path

import pandas as pd
from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

from ..domain import figures, periods
from ..i18n import t
from ..settings import current as settings
from . import charts, style
from .safe import printable

SIZE_2 = Pt(22)  # 二号: the title
SIZE_3 = Pt(16)  # 三号: body and headings
SIZE_4 = Pt(14)  # 四号: page numbers
SIZE_5 = Pt(10.5)  # 五号: tables
LINE = Pt(28)  # a fixed line: 22 lines of 3号 on the page, as GB/T 9704 sets
INDENT = Pt(32)  # two characters of 3号
CHART_WIDTH_PX = 1000
CHART_WIDTH = Mm(140)
RED = RGBColor.from_string(style.excel_rgb(style.PARTY_RED))
BLACK = RGBColor(0, 0, 0)
FONTS_CONF = Path(__file__).with_name("fonts.conf")  # the Chinese face names onto installed faces
DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


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


def _rule_under(paragraph, color: str, size_eighths: int = 12) -> None:
    ppr = paragraph._p.get_or_add_pPr()
    border = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for k, v in (("w:val", "single"), ("w:sz", str(size_eighths)), ("w:space", "6"), ("w:color", color)):
        bottom.set(qn(k), v)
    border.append(bottom)
    ppr.append(border)


# --- the document's parts --------------------------------------------------------------------------


class _Writer:
    def __init__(self, b):
        self.b, self.lang = b, b.lang
        self.doc = Document()
        self.numerals = t("brief_numerals", self.lang).split(",")
        self.n_heading = 0

    def t(self, key: str, **fields) -> str:
        return t(key, self.lang, **fields)

    def body(self, text: str, *, indent: bool = True, align=None, color: RGBColor = BLACK):
        p = self.doc.add_paragraph(style="Body Text" if indent else "Normal")
        if align is not None:
            p.alignment = align
        _run(p, text, style.DOC_BODY_FONT, SIZE_3, color=color)
        return p

    def heading(self, title: str) -> None:
        n = self.numerals[self.n_heading] if self.n_heading < len(self.numerals) else str(self.n_heading + 1)
        self.n_heading += 1
        self.n_sub = 0
        p = self.doc.add_paragraph(style="Heading 1")
        _run(p, self.t("brief_heading", n=n, title=title), style.DOC_HEADING_FONT, SIZE_3)

    def subheading(self, title: str) -> None:
        n = self.numerals[self.n_sub] if self.n_sub < len(self.numerals) else str(self.n_sub + 1)
        self.n_sub += 1
        p = self.doc.add_paragraph(style="Heading 2")
        _run(p, self.t("brief_subheading", n=n, title=title), style.DOC_SUBHEADING_FONT, SIZE_3)

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
            _run(c.paragraphs[0], value, style.DOC_HEADING_FONT if head else style.DOC_BODY_FONT, SIZE_5)

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


def _headline_sentence(row, ind, lang: str, say_basis: bool) -> str:
    value = figures.approx_number(row["value"], ind.value_type, lang) if row.get("approx") and not pd.isna(
        row["value"]) else _number(row["value"], ind.value_type)
    change = _change(row, _window(ind), ind, lang, say_basis)
    if ind.quarters == "all":
        return t("brief_headline_item", lang, indicator=ind.name(lang), value=value, unit=ind.unit(lang),
                 change=change)
    return t("brief_headline_item_year", lang, indicator=ind.name(lang), value=value, unit=ind.unit(lang),
             period=periods.quarter_label(row["period"], lang), change=change)


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
        w.body(w.t("brief_returns", total=r.total, done=r.done, late=len(r.late), missing=r.total - r.done))
    else:
        w.body(w.t("brief_no_returns_due"))
    rows = [row for _, row in b.headlines.iterrows() if not pd.isna(row["value"])]
    if not rows:
        w.body(w.t("brief_headline_none"))
        return
    # a like-for-like basis shared by every change against the same window is said once, after the list
    bases: dict[str, set] = {}
    for row in rows:
        window = _window(cat[row["indicator_code"]])
        if not pd.isna(row[f"delta_{window}"]):
            bases.setdefault(window, set()).add(_basis_of(row, window))
    once = {window: next(iter(b)) for window, b in bases.items() if len(b) == 1 and None not in b}
    items = w.t("brief_item_sep").join(
        _headline_sentence(row, cat[row["indicator_code"]], lang, _window(cat[row["indicator_code"]]) not in once)
        for row in rows)
    note = "".join(w.t(f"brief_basis_note_{window}", n=n, total=total) for window, (n, total) in once.items())
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
    lines = [w.t("brief_deadline", date=_date(r.deadline, lang))]
    if r.total and r.on_time == r.total:
        lines.append(w.t("brief_all_on_time"))
    else:
        lines.append(w.t("brief_on_time", n=r.on_time))
        if r.late:
            items = [w.t("brief_late_item", unit=printable(name), date=_date(day, lang)) for name, day in r.late]
            lines.append(w.t("brief_late", n=len(r.late), units=w.t("brief_list_sep").join(items)))
        if r.missing:
            lines.append(w.t("brief_missing", n=len(r.missing), units=_names(r.missing, lang)))
        if r.pending:
            lines.append(w.t("brief_pending", n=len(r.pending), units=_names(r.pending, lang)))
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
        label = periods.quarter_label(d.period, lang)
        if d.total is not None and not pd.isna(d.total.get("value")):
            yearly = ind.quarters != "all"  # set once a year (star ratings): compared with a year before
            change = _change(d.total, "year" if yearly else "previous", ind, lang)
            w.body(w.t("brief_domain_total", scope=printable(b.unit_name), period=label, indicator=ind.name(lang),
                       value=_number(d.total["value"], ind.value_type), unit=ind.unit(lang), change=change,
                       vs=w.t("brief_vs_year" if yearly else "brief_vs_previous")))
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
                 figures.state_text(r.state, lang) if pd.isna(r.value) else
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
        w.body(w.t("brief_comp_rules", rules=rules) + w.t("brief_comp_none"))
        return
    w.body(w.t("brief_comp_rules", rules=rules) + w.t("brief_comp_summary", branches=c.branches, ok=c.ok,
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


def document(b, images: dict[str, bytes] | None = None, chart_problem: tuple[str, dict] | None = None) -> bytes:
    """The circular of `b` (a dashboard.briefing.Briefing) as .docx bytes; `images` are the
    domains' charts as PNG by domain code (chart_images), `chart_problem` why some are missing."""
    w = _Writer(b)
    doc, lang = w.doc, w.lang
    section = doc.sections[0]
    _page(section)
    _styles(doc)
    _page_numbers(doc, section)
    doc.core_properties.title = printable(t("brief_title", lang, unit=b.unit_name, period=b.period_label))
    doc.core_properties.author = t("app_title", lang)
    # the masthead: the issuer in red over a red rule
    head = doc.paragraphs[0] if doc.paragraphs else doc.add_paragraph()
    head.style = doc.styles["Normal"]
    _fixed(head, Pt(48), align=WD_ALIGN_PARAGRAPH.CENTER, after=6)
    _run(head, printable(b.unit_name), style.DOC_TITLE_FONT, Pt(30), color=RED)
    _rule_under(head, style.excel_rgb(style.PARTY_RED), 18)
    gap = doc.add_paragraph(style="Normal")
    _fixed(gap, LINE)
    title = doc.add_paragraph(style="Title")
    _run(title, printable(t("brief_title", lang, unit=b.unit_name, period=b.period_label)), style.DOC_TITLE_FONT,
         SIZE_2)
    gap = doc.add_paragraph(style="Normal")
    _fixed(gap, LINE)
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
    # the issuer and the date, at the end on the right
    gap = doc.add_paragraph(style="Normal")
    _fixed(gap, LINE)
    for text in (printable(b.unit_name), _date(b.issued, lang)):
        p = w.body(text, indent=False, align=WD_ALIGN_PARAGRAPH.RIGHT)
        p.paragraph_format.right_indent = INDENT
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

    result: dict = {}

    def run() -> None:  # its own thread and event loop: safe whether or not the caller runs one
        try:
            result["images"] = asyncio.run(draw())
        except Exception as exc:  # a browser that will not start, a render that times out
            result["error"] = exc

    thread = threading.Thread(target=run, name="briefing-charts", daemon=True)
    thread.start()
    thread.join()
    if "error" in result:
        return {}, ("brief_chart_failed", {"error": printable(result["error"])})
    return result["images"], None


def soffice_path() -> str | None:
    """The LibreOffice program (settings.soffice, a name on PATH or a path), or None."""
    name = settings().soffice
    found = shutil.which(name)
    return found if found else (name if Path(name).is_file() else None)


def to_pdf(docx: bytes) -> bytes:
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


def build(b, fmt: str = "docx") -> tuple[bytes, tuple[str, dict] | None]:
    """The circular as .docx (or .pdf) bytes, its charts drawn; and why the charts are missing, if
    they are.  Raises OfficeMissing / ConversionFailed for a PDF LibreOffice cannot make."""
    images, problem = chart_images(b.figures())
    data = document(b, images, problem)
    return (to_pdf(data) if fmt == "pdf" else data), problem
