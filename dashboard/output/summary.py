"""The figures section of a 工作总结 as a Word document: the title, one paragraph per domain in the
seeds' style (dashboard/summary.py writes them from the figures layer), and an appendix listing every
figure with the quarters and units it covers.  The page, type and punctuation are the 通报's
(output/briefing.py: GB/T 9704's 版心, 仿宋 3号, 28 × 22), without a 版头: it is pasted into a summary."""

from __future__ import annotations

import io

from docx.enum.text import WD_ALIGN_PARAGRAPH

from ..domain import coverage, figures, periods
from ..domain.catalog import Indicator
from ..domain.phrases import phrases as phrase_of
from ..i18n import t
from . import briefing, charts, style
from .safe import printable


def number(value: float, ind: Indicator, lang: str, approx: bool = False) -> str:
    """A figure as running text writes it: money in 万元 from ten thousand yuan up (「34万元」「1.25万元」),
    else the pages' format with the unit where the phrase does not carry one; an approximation as the
    figures layer writes it (「50余」, 「34万余元」)."""
    if approx:
        said = figures.approx_number(value, ind.value_type, lang)
        return t("summary_yuan", lang, value=said) if ind.value_type == "money" else said
    if ind.value_type == "money":
        if value >= 10000:
            wan = f"{value / 10000:,.2f}".rstrip("0").rstrip(".")
            return t("summary_wan_yuan", lang, value=wan)
        return t("summary_yuan", lang, value=f"{value:,.0f}")
    return format(value, charts.number_format(ind.value_type, [value]))


def phrase(ind: Indicator, value: float, level: str, lang: str, approx: bool = False) -> str:
    said = phrase_of().get(ind.code, {}).get(lang)
    shown = number(value, ind, lang, approx)
    if not said:
        return t("summary_default_phrase", lang, name=ind.name(lang), value=shown, unit=ind.unit(lang))
    body = t(f"summary_body_{level}", lang) if level in ("committee", "party_group") else t("summary_body_other", lang)
    return said.format(value=shown, body=body)


def _said(f) -> bool:
    """A figure the paragraph states: one with a value that is not nought (the appendix lists every one)."""
    return f.value is not None and f.state in figures.WITH_FIGURE and f.value != 0


def coverage_words(f, lang: str) -> str:
    """「13个单位中11个已报送」 for one quarter; 「13个单位中11个报齐全部季度报表」 for several."""
    key = "summary_cover_quarter" if len(f.quarters) <= 1 else "summary_cover_period"
    return t(key, lang, total=f.units_due, done=f.units_in)


def sentences(s) -> list[tuple[str, str]]:
    """One paragraph per domain that has a figure to state: (domain name, text).  Flows for the period
    (「全年召开…」), levels at its end (「截至年底，共有…」), figures asked once a year with their quarter
    (「2024年第一季度评定，…」), then what the figures cover when some returns are missing."""
    lang, kind = s.lang, periods.granularity_of(s.period)
    half = s.period[-1] if kind == "half" else ""
    over = t(f"summary_over_{kind}{half}", lang)
    end = t(f"summary_end_{kind}{half}", lang)
    sep, semi = t("summary_sep", lang), t("summary_semi", lang)
    out = []
    for _code, name, found in s.domains:
        said = [f for f in found if _said(f)]
        if not said:
            continue
        flows = [f for f in said if not coverage.is_stock(s.catalog, f.indicator) and f.indicator.quarters == "all"]
        stocks = [f for f in said if coverage.is_stock(s.catalog, f.indicator) and f.indicator.quarters == "all"]
        yearly = [f for f in said if f.indicator.quarters != "all"]
        clauses = []
        if flows:
            clauses.append(over + sep.join(phrase(f.indicator, f.value, s.level, lang, f.approx) for f in flows))
        if stocks:
            clauses.append(t("summary_as_of", lang, end=end) + sep.join(phrase(f.indicator, f.value, s.level, lang, f.approx)
                                                                        for f in stocks))
        if yearly:
            when = periods.quarter_label(yearly[0].quarters[-1], lang)
            clauses.append(t("summary_rated_in", lang, quarter=when)
                           + sep.join(phrase(f.indicator, f.value, s.level, lang, f.approx) for f in yearly))
        text = t("summary_domain", lang, domain=name, text=semi.join(clauses))
        partial = {coverage_words(f, lang) for f in said if f.units_in < f.units_due}
        if partial:
            text += t("summary_partial", lang, cover=t("summary_list_sep", lang).join(sorted(partial)))
        out.append((name, text))
    return out


def document(s) -> bytes:
    """The summary's figures section of `s` (a dashboard.summary.Summary) as .docx bytes."""
    w = briefing._Writer(s)
    doc, lang = w.doc, s.lang
    section = doc.sections[0]
    briefing._page(section)
    briefing._defaults(doc, lang)
    briefing._styles(doc)
    briefing._page_numbers(doc, section)
    title_text = t("summary_title", lang, unit=printable(s.unit_name), period=s.period_label)
    doc.core_properties.title = w.say(title_text)
    doc.core_properties.author = t("app_title", lang)
    doc.core_properties.language = "zh-CN" if lang == "zh" else "en-US"
    mark = "\x1f"
    marked = t("summary_title", lang, unit=f"{mark}{printable(s.unit_name)}{mark}", period=f"{mark}{s.period_label}{mark}")
    title = doc.paragraphs[0] if doc.paragraphs else doc.add_paragraph()
    title.style = doc.styles["Title"]
    lines = briefing.title_lines([w.say(x) for x in marked.split(mark) if x])
    for i, line in enumerate(lines):
        run = briefing._run(title, line, style.DOC_TITLE_FONT, briefing.SIZE_2)
        if i < len(lines) - 1:
            run.add_break()
    briefing._fixed(doc.add_paragraph(style="Normal"), briefing.LINE)
    if s.is_demo:
        w.body(t("summary_demo", lang), color=briefing.RED)
    w.body(t("summary_intro", lang, date=briefing._date(s.issued, lang)))
    paragraphs = sentences(s)
    for _name, text in paragraphs:
        w.body(text)
    if not paragraphs:
        w.body(t("summary_nothing", lang, period=s.period_label))
    _appendix(w, s)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def _appendix(w, s) -> None:
    """Every figure: its value (or its state), unit, the quarters it stands on, the units covered
    (those with every return in / those due) and the coverage in the pages' words."""
    lang = s.lang
    p = w.doc.add_paragraph(style="Normal")
    p.paragraph_format.page_break_before = True
    briefing._run(p, w.say(t("summary_appendix", lang)), style.DOC_HEADING_FONT, briefing.SIZE_3)
    p.alignment = WD_ALIGN_PARAGRAPH.LEFT
    header = [t(f"summary_col_{k}", lang) for k in ("domain", "indicator", "value", "uom", "quarters", "units",
                                                     "coverage")]
    rows = []
    for _code, name, found in s.domains:
        for f in found:
            ind = f.indicator
            shown = (number(f.value, ind, lang, f.approx) if f.value is not None and f.state in figures.WITH_FIGURE
                     else figures.state_text(f.state, lang))
            span = _span(f.quarters, lang)
            rows.append([name, ind.name(lang), shown, ind.unit(lang), span,
                         t("summary_units_covered", lang, done=f.units_in, total=f.units_due) if f.units_due else "—",
                         f.coverage])
    w.table(header, rows, [20, 36, 18, 12, 28, 14, 28], align_right=(2, 5))


def _span(quarters, lang: str) -> str:
    """The quarters a figure stands on: 「2024年第一季度」, 「2024年第一至第四季度」."""
    if not quarters:
        return "—"
    if len(quarters) == 1:
        return periods.quarter_label(quarters[0], lang)
    (y1, a), (y2, b) = periods.parse_quarter(quarters[0]), periods.parse_quarter(quarters[-1])
    if y1 != y2:
        return f"{periods.quarter_label(quarters[0], lang)}—{periods.quarter_label(quarters[-1], lang)}"
    numerals = t("brief_numerals", lang).split(",")
    return t("summary_quarters_span", lang, year=y1, first=numerals[a - 1], last=numerals[b - 1])
