"""Read a return with python-calamine (in a worker process: safe_read.py) and check every cell
against the catalog and the tree.

Every problem is collected, never only the first.  The policy for what real returns
contain (also printed in the template's 填报说明):

    blank                          not reported, nothing loaded
    "5次", "60场次", "1名"           warning, read as the number (a measure word of the column's kind, UNIT_WORDS)
    "１２" (full width)             warning, read as 12
    '12 (text)                     warning, read as 12
    "X", "—", "/", "无"            warning, read as not reported
    "34万元", "34.1万" (money)      warning, read as 340000 / 341000 元 (the warning shows the 元)
    "50余", "约50", "50多", "34万余元", "300余万元"  warning: the number, stored marked approximate
                                   (shown 「50余次」「34万余元」; a total including one is marked too)
    "超过50", "50以上", "5~8"         error (a bound or a range is not a figure)
    "90%"                          error (rates are derived)
    negative, decimals in a count, out of the catalog's bounds, stars outside 1-5: error
    money with more than 2 decimals: warning, rounded
    formula with a cached result: warning, the result is read; without one: error
    an Excel error value (#DIV/0!, #N/A): error (calamine reads it as a blank; the container finds it)
    merged cells across the input rows: error
    dates, TRUE/FALSE: error
    a figure (not 0) in a grey (not applicable) cell: error; 0, words: warning, ignored
    a column of another quarter's template (star ratings in Q4): error naming the quarter and column
    a figure in a column or sheet the template does not have: error; words there: warning, ignored
    cross-field rules (data/rules.csv, kind at_most): error
    compliance shortfalls (data/rules.csv, kind compliance): warning, never a refusal
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from .. import clock
from ..domain import periods
from ..domain.catalog import Indicator
from ..domain.figures import figure_text
from ..domain.rules import Rule
from ..domain.tree import BRANCH_LEVELS, Tree, Unit
from ..settings import current as settings
from . import container as container_mod
from . import safe_read
from .layout import (
    CODE_ROW,
    FIRST_DATA_ROW,
    FIRST_VALUE_COL,
    GUIDE_PERIOD_CELL,
    GUIDE_SHEET,
    HEADER_ROW,
    META_SHEET,
    PREVIOUS_TEMPLATE_VERSIONS,
    REPORT_SHEET,
    RETIRED_TEMPLATE_VERSIONS,
    TEMPLATE_VERSION,
    UNIT_COL,
    DomainSheet,
    ReturnLayout,
    address,
    header,
    layout,
)
from .problems import ERROR, WARNING, Collector, expectation, show
from .template import expected_of

# The current version, and the one before it until its last day (PREVIOUS_TEMPLATE_VERSIONS).
SUPPORTED_TEMPLATE_VERSIONS = frozenset({TEMPLATE_VERSION, *PREVIOUS_TEMPLATE_VERSIONS})
PLACEHOLDERS = frozenset({"x", "×", "—", "——", "-", "--", "/", "\\", "无", "空", "暂无", "n/a", "na", "null", "none",
                          "…", "...", "－", "―", "_"})
# The measure words a number may carry, by the indicator's unit of measure (catalog unit_zh): a
# word of the same kind is read (「60场次」 for a count of events, 「1名」 for people); another kind
# (「5人」 for meetings) is not a figure of that indicator.  A unit not listed takes its own word.
_EVENTS = ("次", "场", "场次", "期", "轮", "批", "起", "回")
_PEOPLE = ("人", "名", "位", "人次")
_ITEMS = ("个", "项", "件", "条", "篇", "处", "家", "户")
UNIT_WORDS = {
    "次": _EVENTS, "场": _EVENTS, "场次": _EVENTS, "轮": _EVENTS,
    "人": _PEOPLE, "名": _PEOPLE, "人次": _PEOPLE, "户": ("户", "家", "人"),
    "个": _ITEMS, "项": _ITEMS, "件": _ITEMS, "条": _ITEMS,
    "支": ("支", "个", "队"),
    "元": ("元",),
    "天": ("天", "日"),
    "人·天": ("人·天", "人天", "人日"),
    "星": ("星", "颗星", "星级"),
    "分": ("分",),
}
_NUM = r"[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?"
_NUM_RE = re.compile(_NUM)
_SUFFIX_RE = re.compile(rf"({_NUM})\s*(\S+?)")
# an approximate figure as bureaus write one: 「约50」「近50」「50余」「50多」「50来」「50左右」, with a
# measure word or 万 where the indicator allows them (「30余天」「300余万元」「34万余元」「约3万元」)
_APPROX_RE = re.compile(rf"(?P<pre>约|大约|大概|近|将近|逾)?\s*(?P<num>{_NUM})\s*(?P<wan1>万)?\s*"
                        rf"(?P<post>余|多|来|左右|上下)?\s*(?P<wan2>万)?\s*(?P<word>\S*?)\s*(?P<tail>左右|上下)?")
# a bound or a range is not a figure: 「超过50」「50以上」「不到5」「5+」「几十」「5~8」
_BOUND_RE = re.compile(rf"(?:超过|不到|不足|几)\s*{_NUM}.*|{_NUM}\s*(?:以上|以下|\+|几|~|～|-|—).*")
_PERCENT_RE = re.compile(rf"{_NUM}\s*%")
# a figure as a reporter may type one, in a column or sheet the template does not have
_FIGURE_RE = re.compile(rf"(?:约|大约|近|将近)?\s*{_NUM}\s*(?:(?![年月日号])\S{{1,4}})?")
# money as Chinese offices write it: "34万元", "34.1万" (1 万 = 10,000 元)
_WAN_RE = re.compile(rf"({_NUM})\s*万\s*元?")
WAN = 10_000


# --- the result ---------------------------------------------------------------------------------


@dataclass
class Parsed:
    reporting_unit: str | None = None
    quarter: str | None = None
    version: str | None = None
    # (unit, indicator) -> (value, sheet, cell)
    values: dict[tuple[str, str], tuple[float, str, str]] = field(default_factory=dict)
    # (unit, indicator) of the values written as approximations (「50余」): stored with their 约 mark
    approx: set[tuple[str, str]] = field(default_factory=set)

    def facts(self) -> list[tuple[str, str, float, str, str]]:
        """(unit, indicator, value, sheet, cell): each value and where it was read."""
        return [(u, i, v[0], v[1], v[2]) for (u, i), v in self.values.items()]


# --- one cell ---------------------------------------------------------------------------------


def _fmt(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else f"{v:g}"


def read_cell(raw, ind: Indicator) -> tuple[float | None, list[tuple[str, str, dict]]]:
    """A cell's value for `ind`, and the problems it raises as (text key, severity, fields).

    Returns (None, []) for a blank cell; (None, [errors...]) for a cell that cannot be read.
    """
    notes: list[tuple[str, str, dict]] = []
    if isinstance(raw, bool):
        return None, [("val_bool", ERROR, {})]
    if isinstance(raw, (datetime, date, time, timedelta)):
        return None, [("val_date", ERROR, {})]
    if isinstance(raw, (int, float)):
        v = float(raw)
    else:
        text = str(raw).strip()
        if not text:
            return None, []
        norm = unicodedata.normalize("NFKC", text).strip()
        changed = norm != text
        if norm.lower() in PLACEHOLDERS or text in PLACEHOLDERS:
            return None, [("val_placeholder", WARNING, {"text": text})]
        if _NUM_RE.fullmatch(norm):
            v = float(norm.replace(",", ""))
            notes.append(("val_fullwidth" if changed else "val_text_number", WARNING, {"value": _fmt(v)}))
        elif ind.value_type == "money" and _WAN_RE.fullmatch(norm):
            v = round(float(_WAN_RE.fullmatch(norm)[1].replace(",", "")) * WAN, 2)
            notes.append(("val_wan", WARNING, {"text": text, "value": f"{v:,.2f}"}))
        elif _PERCENT_RE.fullmatch(norm):
            return None, [("val_percent", ERROR, {})]
        elif _BOUND_RE.fullmatch(norm):
            return None, [("val_bound", ERROR, {})]
        else:
            v, key, fields = _with_words(norm, ind)
            if v is None:
                return None, [(key, ERROR, fields)]
            notes.append((key, WARNING, fields))
    if not math.isfinite(v):
        return None, [("val_not_number", ERROR, {})]
    if v < 0:
        return None, [("val_negative", ERROR, {})]
    if ind.value_type == "stars":
        if not v.is_integer() or not 1 <= v <= 5:
            return None, [("val_stars", ERROR, {})]
    elif ind.value_type == "count" and not v.is_integer():
        return None, [("val_not_whole", ERROR, {})]
    if ind.value_type == "money":
        r = round(v, 2)
        if abs(r - v) > 1e-9:
            notes.append(("val_money_rounded", WARNING, {"value": f"{r:.2f}"}))
        v = r
    if (ind.min is not None and v < ind.min) or (ind.max is not None and v > ind.max):
        return None, [("val_out_of_range", ERROR, {})]
    return v, notes


def unit_words(ind: Indicator) -> tuple[str, ...]:
    """The measure words a figure of `ind` may carry after its number (UNIT_WORDS)."""
    return UNIT_WORDS.get(ind.unit_zh, (ind.unit_zh,))


def _with_words(norm: str, ind: Indicator) -> tuple[float | None, str, dict]:
    """A number written with words around it: a measure word of the indicator's unit (「60场次」),
    万 for money, an approximation (「50余」「约50」「34万余元」): (value, text key, fields); the value
    None when the words are not a figure of `ind` (the key then says why)."""
    m = _APPROX_RE.fullmatch(norm)
    if m is None:
        return None, "val_not_number", {}
    word = m["word"] or ""
    wan = bool(m["wan1"] or m["wan2"]) or word.startswith("万")
    word = word.removeprefix("万")
    if (wan and ind.value_type != "money") or (word and word not in unit_words(ind)) or (m["wan1"] and m["wan2"]):
        return None, "val_not_number", {}
    approx = bool(m["pre"] or m["post"] or m["tail"])
    v = float(m["num"].replace(",", ""))
    if wan:
        v = round(v * WAN, 2)
    if approx:
        if ind.value_type not in ("count", "money"):
            return None, "val_approx_kind", {}
        shown = figure_text(v, ind, approx=True)
        return v, "val_approx", {"text": norm, "value": f"{v:,.2f}" if ind.value_type == "money" else _fmt(v),
                                 "shown": shown, "uom": (ind.unit_zh, ind.unit_en)}
    if wan:
        return v, "val_wan", {"text": norm, "value": f"{v:,.2f}"}
    if not word:
        return None, "val_not_number", {}
    return v, "val_suffix", {"suffix": word, "value": _fmt(v)}


def _plain_number(raw, ind: Indicator) -> float | None:
    """The value of a cell holding a plain number that `read_cell` accepts without a word, or
    None when the cell needs `read_cell` (text, a date, a bool, anything it would report).

    The common case, checked first and cheaply; whatever it accepts, `read_cell` accepts with
    the same value and no problem (tests/test_validate.py holds the two to that).
    """
    kind = type(raw)
    if kind is not float and kind is not int:
        return None  # bool is a subclass of int, not int itself: read_cell reports it
    v = float(raw)
    if not (0 <= v < math.inf):  # NaN, negative, infinite
        return None
    vt = ind.value_type
    if vt == "stars":
        if not v.is_integer() or not 1 <= v <= 5:
            return None
    elif vt == "count":
        if not v.is_integer():
            return None
    elif vt == "money":
        r = round(v, 2)
        if abs(r - v) > 1e-9:
            return None
        v = r
    if (ind.min is not None and v < ind.min) or (ind.max is not None and v > ind.max):
        return None
    return v


# --- the workbook -------------------------------------------------------------------------------


def _text(v) -> str:
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    return unicodedata.normalize("NFKC", str(v)).strip() if v is not None else ""


class _Book:
    """The workbook as the parse worker read it (safe_read): each sheet's cells, or why calamine
    could not read that sheet, raised when the validator asks for it."""

    def __init__(self, sheets: dict[str, safe_read.Sheet | safe_read.Unreadable]):
        self.names = list(sheets)
        self._sheets = sheets

    def sheet(self, name: str) -> safe_read.Sheet:
        sheet = self._sheets[name]
        if isinstance(sheet, safe_read.Unreadable):
            raise sheet
        return sheet


def validate(store, data: bytes, file_name: str, *, today: date | None = None) -> tuple[Collector, Parsed]:
    """Check one uploaded return; the collector holds every problem, `Parsed` what can be loaded.
    `today` (default: the real date) decides which quarters are still in the future."""
    out = Collector(file_name)
    parsed = Parsed()
    box = container_mod.inspect(data, file_name, out)
    if box is None:
        return out, parsed
    try:
        wb = _Book(safe_read.read_workbook(data))  # calamine, in a worker process: it may crash, we may not
        names = wb.names
    except safe_read.Unsafe as exc:  # the worker ran out of time or memory, or died
        out.add("val_parse_unsafe", expected=expectation("val_exp_xlsx"), found=exc.found,
                why=expectation(exc.key, **exc.fields))
        return out, parsed
    except safe_read.Unreadable as exc:  # a damaged workbook
        out.add("val_file_unreadable", expected=expectation("val_exp_xlsx"), found=exc.kind, detail=exc.detail[:200])
        return out, parsed
    try:
        _check_workbook(store, wb, names, box, out, parsed, today or clock.today())
    except safe_read.Unreadable as exc:  # a sheet that cannot be parsed, found late
        parsed.values.clear()
        out.add("val_file_unreadable", expected=expectation("val_exp_xlsx"), found=exc.kind, detail=exc.detail[:200])
    return out, parsed


def _check_workbook(store, wb: _Book, names: list[str], box, out: Collector, parsed: Parsed, today: date) -> None:
    lay = _check_meta(wb, names, store, out, parsed, today)
    if lay is None:
        return
    tree = store.tree_at(lay.quarter)
    _check_guide(wb, names, parsed, out)
    expected = {s.name: s for s in lay.sheets}
    extra = [n for n in names if n not in expected and n not in (GUIDE_SHEET, META_SHEET, REPORT_SHEET)]
    grids: dict[str, list[list]] = {}
    for name in extra:
        grids[name] = _grid(wb, name, lay, out, check=False)
    for sheet in lay.sheets:
        if sheet.name in names:
            grid = _grid(wb, sheet.name, lay, out)
            if grid is not None:
                _check_sheet(wb, sheet, grid, lay, tree, box.formulas.get(sheet.name, set()),
                             box.errors.get(sheet.name, {}), store.catalog, out, parsed)
            continue
        codes = {i.code for i in sheet.indicators}
        renamed = next((n for n in extra if grids.get(n) and len(grids[n]) > CODE_ROW
                        and len(codes & {_text(v) for v in grids[n][CODE_ROW]}) * 2 >= len(codes)), None)
        if renamed:
            extra.remove(renamed)
            out.add("val_sheet_renamed", sheet=renamed, found=renamed, expected=(sheet.name, sheet.name),
                    other_name=renamed, name=sheet.name)
        elif store.catalog.domain(sheet.domain).new_to(parsed.version or ""):
            out.warn("val_sheet_not_in_version", sheet=sheet.name, name=sheet.name, version=parsed.version)
        else:
            out.add("val_sheet_missing", sheet=sheet.name, expected=(sheet.name, sheet.name), name=sheet.name)
    for name in extra:
        _foreign_sheet(wb.sheet(name).rows, name, lay, store.catalog, out)
    _check_rules(store, lay, tree, parsed, out)
    _check_totals_of(store.catalog, lay, parsed, out)
    _check_totals(store.catalog, lay, tree, parsed, out)
    if not parsed.values and not out.errors:
        out.add("val_no_values")


def _stock_expected(ind: Indicator, unit: Unit) -> bool:
    """A period-end level (members, activists) the unit's row is expected to hold: blank, the unit
    reads 已报送·未填写 for the quarter, never 0 and never the quarter before.  A committee's row of
    an indicator it may enter as a total is left blank when its branches give theirs."""
    return ind.time_agg == "last" and not (ind.total_allowed and unit.level not in BRANCH_LEVELS)


def _check_totals(cat, lay: ReturnLayout, tree: Tree, parsed: Parsed, out: Collector) -> None:
    """A committee's own total (合计) of an indicator it may enter as a total (levels
    branch_or_total) beside figures of units below it: the roll-up takes the total, never both, so
    the reporter is told which figure counts (a warning); a total smaller than what the units below
    it add up to (their totals, else their own figures) cannot be their total: an error at its cell."""
    values = parsed.values

    def below_sum(code: str, ind_code: str) -> float:
        out_ = 0.0
        for kid in tree.kids(code):
            got = values.get((kid.code, ind_code))
            out_ += got[0] if got else below_sum(kid.code, ind_code)
        return out_

    for (code, ind_code), (value, sheet, cell) in list(values.items()):
        ind = cat[ind_code]
        unit = tree.by_code.get(code)
        if not ind.total_allowed or unit is None or unit.level in BRANCH_LEVELS:
            continue
        below = [u for u in tree.subtree(code) if u.code != code and (u.code, ind_code) in values]
        if not below:
            continue
        parts = below_sum(code, ind_code)
        if ind.unit_agg == "sum" and value < parts - 1e-9:
            out.add("val_total_smaller", sheet=sheet, cell=cell, unit=unit, indicator=ind,
                    expected=expectation("val_exp_at_least", minimum=_fmt(parts)), found=_fmt(value),
                    value=_fmt(value), n=len(below), parts=_fmt(parts))
        else:
            out.warn("val_total_and_branches", sheet=sheet, cell=cell, unit=unit, indicator=ind, found=_fmt(value),
                     value=_fmt(value), n=len(below), parts=_fmt(parts))


def _check_totals_of(cat, lay: ReturnLayout, parsed: Parsed, out: Collector) -> None:
    """A total entered without its parts (data/rules.csv, kind total_of: 四种形态 60 人次, no form
    given) is the figure; entered beside parts, they must add up to it (an error at the total's
    cell), and when they do, the parts stand for it (the derived total is their sum: never twice)."""
    values = parsed.values
    for rule in cat.totals_of:
        code = rule.left[0]
        for u in lay.units:
            total = values.get((u.code, code))
            parts = [values[(u.code, c)][0] for c in rule.right if (u.code, c) in values]
            if total is None or not parts:
                continue
            value, sheet, cell = total
            if abs(sum(parts) - value) > 1e-9:
                out.add(rule.message, sheet=sheet, cell=cell, unit=u, indicator=cat[code],
                        expected=expectation("val_exp_equal", value=_fmt(sum(parts))), found=_fmt(value),
                        total=_fmt(value), parts=_fmt(sum(parts)), n=len(parts))
            else:
                out.warn(f"{rule.message}_same", sheet=sheet, cell=cell, unit=u, indicator=cat[code],
                         found=_fmt(value), total=_fmt(value))
                del values[(u.code, code)]
                parsed.approx.discard((u.code, code))


def _check_meta(wb, names, store, out: Collector, parsed: Parsed, today: date) -> ReturnLayout | None:
    tree = store.tree()
    if META_SHEET not in names:
        out.add("val_meta_missing", sheet=META_SHEET, expected=expectation("val_exp_xlsx"), name=META_SHEET)
        return None
    rows = wb.sheet(META_SHEET).rows[:20]
    meta = {_text(r[0]): _text(r[1]) for r in rows if len(r) >= 2}
    version = parsed.version = meta.get("template_version", "")
    where = {"sheet": META_SHEET}
    until = PREVIOUS_TEMPLATE_VERSIONS.get(version)
    if until is not None and today <= until:
        out.warn("val_version_previous" if version == "DJ-2025.1" else "val_version_previous_2026_1", cell="B1", expected=(TEMPLATE_VERSION, TEMPLATE_VERSION), found=version,
                 version=version, current=TEMPLATE_VERSION, until=until.isoformat(), **where)
    elif version not in SUPPORTED_TEMPLATE_VERSIONS or until is not None:
        key = "val_version_retired" if version in RETIRED_TEMPLATE_VERSIONS else "val_version_unknown"
        out.add(key, cell="B1", expected=(TEMPLATE_VERSION, TEMPLATE_VERSION), found=version, version=version,
                current=TEMPLATE_VERSION, **where)
        return None
    unit = meta.get("reporting_unit", "")
    try:
        quarter = periods.quarter(meta.get("period", ""))
    except periods.PeriodError:
        quarter = None
    # who may file, and for which units, is the tree of the return's own quarter
    tree = store.tree_at(quarter) if quarter else store.tree()
    if unit not in tree:
        key = "val_meta_unit_not_then" if quarter and unit in store.tree() else "val_meta_unit_unknown"
        out.add(key, cell="B2", unit_code=unit, found=unit, code=unit, period=quarter or "", **where)
        return None
    if not tree.is_reporting(unit):
        out.add("val_meta_unit_not_reporting", cell="B2", unit=tree[unit], found=unit, code=unit,
                reporter=tree.reporting_unit_of(unit).code, **where)
        return None
    if quarter is None:
        out.add("val_meta_period_bad", cell="B3", found=meta.get("period", ""), period=meta.get("period", ""), **where)
        return None
    parsed.reporting_unit, parsed.quarter = unit, quarter
    if periods.quarter_index(quarter) > periods.quarter_index(periods.quarter_of(today)):
        out.add("val_period_future", cell="B3", found=quarter, period=quarter, **where)
    return layout(store.catalog, tree, unit, quarter)


def _check_guide(wb, names, parsed: Parsed, out: Collector) -> None:
    if GUIDE_SHEET not in names:
        out.warn("val_sheet_missing", sheet=GUIDE_SHEET, name=GUIDE_SHEET)
        return
    r, c = GUIDE_PERIOD_CELL
    rows = wb.sheet(GUIDE_SHEET).rows[:r + 1]
    found = _text(rows[r][c]) if len(rows) > r and len(rows[r]) > c else ""
    try:
        same = periods.quarter(found) == parsed.quarter
    except periods.PeriodError:
        same = False
    if not same:
        out.add("val_period_mismatch", sheet=GUIDE_SHEET, cell=address(r, c),
                expected=(parsed.quarter, parsed.quarter), found=found, period=parsed.quarter, text=found)


def _grid(wb, name: str, lay: ReturnLayout, out: Collector, check: bool = True) -> list[list] | None:
    sheet = wb.sheet(name)
    conf = settings()
    limit = FIRST_DATA_ROW + len(lay.units) + conf.sheet_extra_rows
    rows, cols = sheet.height, sheet.width
    if rows > limit or cols > conf.sheet_max_cols:
        if check:
            out.add("val_sheet_too_big", sheet=name, found=f"{rows}×{cols}", rows=rows, cols=cols,
                    template_rows=FIRST_DATA_ROW + len(lay.units), name=name)
        return None
    return sheet.rows


def _check_sheet(wb, sheet: DomainSheet, grid: list[list], lay: ReturnLayout, tree: Tree,
                 formulas: set[tuple[int, int]], errors: dict[tuple[int, int], str], catalog,
                 out: Collector, parsed: Parsed) -> None:
    compliance = catalog.compliance_rules
    name = sheet.name
    for (r0, c0), (r1, c1) in wb.sheet(name).merged:
        if r1 >= FIRST_DATA_ROW:
            rng = f"{address(r0, c0)}:{address(r1, c1)}"
            out.add("val_merged", sheet=name, cell=address(r0, c0), found=rng, range=rng)
    heads = grid[HEADER_ROW] if len(grid) > HEADER_ROW else []
    codes = grid[CODE_ROW] if len(grid) > CODE_ROW else []
    by_code = {i.code: i for i in sheet.indicators}
    columns: dict[str, int] = {}
    for c in range(FIRST_VALUE_COL, len(codes)):
        code = _text(codes[c])
        ind = by_code.get(code)
        if ind is None:
            _foreign_column(grid, c, code, name, lay, catalog, out)
            continue
        if code in columns:
            out.add("val_col_duplicate", sheet=name, cell=address(CODE_ROW, c), indicator=ind, found=code, code=code,
                    other=address(CODE_ROW, columns[code]))
            continue
        columns[code] = c
        head = _text(heads[c]) if len(heads) > c else ""
        if head not in (_text(header(ind)), _text(ind.name_zh)):
            out.warn("val_col_renamed", sheet=name, cell=address(HEADER_ROW, c), indicator=ind,
                     expected=(header(ind), f"{ind.name_en} ({ind.unit_en})"), found=head, heading=head, code=code)
    for ind in sheet.indicators:
        if ind.code not in columns and ind.new_to(parsed.version or ""):
            out.warn("val_col_not_in_version", sheet=name, indicator=ind, code=ind.code, version=parsed.version)
        elif ind.code not in columns:
            out.add("val_col_missing", sheet=name, indicator=ind, expected=(ind.code, ind.code), code=ind.code)
    cols = [(by_code[code], c) for code, c in columns.items()]
    letters = {c: address(0, c)[:-1] for _, c in cols}  # column letters, as address() writes them
    by_level: dict[str, list] = {}  # unit level -> [(indicator, column, letters, reported by it)]
    compliance_cols = {ind.code: (ind, c) for ind, c in cols}
    unit_codes = lay.unit_codes
    seen: dict[str, int] = {}
    values = parsed.values
    for r in range(FIRST_DATA_ROW, len(grid)):
        row = grid[r]
        code = _text(row[UNIT_COL]) if row else ""
        if not code:
            if any(len(row) > c and _text(row[c]) for _, c in cols):
                out.add("val_unit_blank", sheet=name, cell=address(r, UNIT_COL),
                        expected=expectation("val_exp_unit_in_return"))
            continue
        if code not in tree:
            out.add("val_unit_unknown", sheet=name, cell=address(r, UNIT_COL), unit_code=code,
                    expected=expectation("val_exp_unit_in_return"), found=code, code=code)
            continue
        unit = tree[code]
        if code not in unit_codes:
            exp_unit = expectation("val_exp_unit_in_return")
            owner = tree.reporting_unit_of(code).code
            if owner == lay.reporting_unit.code:
                span = f"{unit.active_from or ''}–{unit.active_to or ''}"
                out.add("val_unit_inactive", sheet=name, cell=address(r, UNIT_COL), unit=unit, expected=exp_unit,
                        found=code, code=code, period=lay.quarter, span=span)
            else:
                out.add("val_unit_outside", sheet=name, cell=address(r, UNIT_COL), unit=unit, expected=exp_unit,
                        found=code, code=code, reporter=lay.reporting_unit.code, owner=owner)
            continue
        if code in seen:
            out.add("val_unit_duplicate", sheet=name, cell=address(r, UNIT_COL), unit=unit, found=code, code=code,
                    other=seen[code] + 1)
            continue
        seen[code] = r
        filled = False
        unreadable: set[str] = set()
        level_cols = by_level.get(unit.level)
        if level_cols is None:
            level_cols = by_level[unit.level] = [(ind.at_level(unit.level), c, letters[c], ind.reported_by(unit.level))
                                                 for ind, c in cols]
        n_row = len(row)
        row_number = str(r + 1)
        for ind, c, letter, reported in level_cols:
            raw = row[c] if n_row > c else ""
            if reported and not formulas:  # the common case: a plain number, nothing to say
                v = _plain_number(raw, ind)
                if v is not None:
                    values[(code, ind.code)] = (v, name, letter + row_number)
                    filled = True
                    continue
            is_formula = (r, c) in formulas
            if raw == "" or raw is None:
                error_value = errors.get((r, c)) if errors else None
                if error_value is None:
                    if is_formula:
                        out.add("val_formula_no_value", sheet=name, cell=address(r, c), unit=unit, indicator=ind,
                                expected=expected_of(ind), found="=…")
                    elif reported and _stock_expected(ind, unit):
                        out.warn("val_blank_stock", sheet=name, cell=letter + row_number, unit=unit, indicator=ind,
                                 expected=expected_of(ind), found="", what=(ind.name_zh, ind.name_en))
                    continue
                raw = error_value  # calamine read it as a blank
                if reported:
                    unreadable.add(ind.code)
                    out.add("val_excel_error", sheet=name, cell=letter + row_number, unit=unit, indicator=ind,
                            expected=expected_of(ind), found=raw, value=raw)
                    continue
            cell = letter + row_number
            if not reported:
                # a figure other than 0 is never dropped with only a warning: the reporter says where it belongs
                figure = _figure_in(raw) and not (isinstance(raw, (int, float)) and raw == 0)
                out.add("val_not_applicable_figure" if figure else "val_not_applicable", ERROR if figure else WARNING,
                        sheet=name, cell=cell, unit=unit, indicator=ind, expected=expectation("val_exp_blank"),
                        found=raw, value=show(raw))
                continue
            v, notes = read_cell(raw, ind)
            if v is None and notes:
                unreadable.add(ind.code)
            for key, severity, fields in notes:
                if key == "val_approx":
                    parsed.approx.add((code, ind.code))
                out.add(key, severity, sheet=name, cell=cell, unit=unit, indicator=ind, expected=expected_of(ind),
                        found=raw, **fields)
            if v is None:
                continue
            if is_formula:
                out.warn("val_formula", sheet=name, cell=cell, unit=unit, indicator=ind, expected=expected_of(ind),
                         found=raw, value=_fmt(v))
            values[(code, ind.code)] = (v, name, cell)
            filled = True
        if filled and unit.level == "branch":
            _check_compliance(unit, r, compliance, compliance_cols, name, values, unreadable, out)
    for u in lay.units:
        if u.code not in seen:
            out.warn("val_unit_missing", sheet=name, unit=u, code=u.code)


def _figure_in(raw) -> bool:
    """Whether a cell holds a figure (a number, or a number as reporters write one: 「5次」「30余」
    「34万余元」), which is never dropped with only a warning; words (remarks) are not figures."""
    if isinstance(raw, bool) or raw is None:
        return False
    if isinstance(raw, (int, float)):
        return math.isfinite(raw)
    return bool(_FIGURE_RE.fullmatch(unicodedata.normalize("NFKC", str(raw)).strip()))


def _first_figure(grid: list[list], c: int, first_row: int = FIRST_DATA_ROW) -> tuple[int, object] | None:
    for r in range(first_row, len(grid)):
        row = grid[r]
        if len(row) > c and _figure_in(row[c]):
            return r, row[c]
    return None


def _foreign_column(grid: list[list], c: int, code: str, sheet: str, lay: ReturnLayout, catalog,
                    out: Collector) -> None:
    """A column the template of this return does not have.  Another quarter's column (the star
    ratings in a Q4 return) means the file is another quarter's template with its quarter edited:
    refused, naming the quarter and the column.  A figure in any other such column is refused too
    (a typed figure is never dropped with a warning); a column of words or headings only is a warning."""
    ind = catalog.by_code.get(code) if code else None
    if ind is not None and ind.is_stored and not ind.in_quarter(lay.quarter):
        quarter = expectation("val_quarter_of_year", n=ind.quarters[1:])
        out.add("val_col_other_quarter", sheet=sheet, cell=address(CODE_ROW, c), indicator=ind, found=code,
                expected=expectation("val_exp_blank"), code=code, name=(ind.name_zh, ind.name_en), quarter=quarter,
                period=lay.quarter)
        return
    figure = _first_figure(grid, c)
    if figure is not None:
        r, raw = figure
        out.add("val_col_extra_figures", sheet=sheet, cell=address(r, c), indicator=ind, found=raw, code=code,
                value=show(raw))
    elif code or any(len(row) > c and _text(row[c]) for row in grid[FIRST_DATA_ROW:]):
        out.warn("val_col_extra", sheet=sheet, cell=address(CODE_ROW, c), found=code, code=code)


def _foreign_sheet(grid: list[list], name: str, lay: ReturnLayout, catalog, out: Collector) -> None:
    """A sheet the template of this return does not have: a sheet of indicator columns (row 2 holds
    catalog codes) is read column by column as above; any other sheet with a figure below its
    headings is refused; a sheet of remarks is a warning."""
    codes = [_text(v) for v in grid[CODE_ROW]] if len(grid) > CODE_ROW else []
    if any(code in catalog.by_code for code in codes):
        before = len(out.items)
        for c in range(FIRST_VALUE_COL, len(codes)):
            if codes[c] or _first_figure(grid, c) is not None:
                _foreign_column(grid, c, codes[c], name, lay, catalog, out)
        if any(p.severity == ERROR for p in out.items[before:]):
            return
    else:
        for c in range(max((len(row) for row in grid), default=0)):
            figure = _first_figure(grid, c, first_row=CODE_ROW)
            if figure is not None:
                r, raw = figure
                out.add("val_sheet_extra_figures", sheet=name, cell=address(r, c), found=raw, name=name,
                        value=show(raw))
                return
    out.warn("val_sheet_extra", sheet=name, found=name, name=name)


def _check_compliance(unit: Unit, r: int, rules: list[Rule], where: dict, sheet: str, values,
                      unreadable: set[str], out: Collector) -> None:
    """Shortfalls against the branch work rules (data/rules.csv, kind compliance): warnings, never a
    reason to refuse a return.  A branch is checked when it reported at least one of the rules'
    figures (the study page counts the same branch-quarters, queries/charts/compliance_*.sql);
    then a blank counts as none held.  A cell that could not be read is already an error.
    `where`: indicator code -> (indicator, column) of the sheet."""
    if not any((unit.code, r.left[0]) in values for r in rules):
        return
    for rule in rules:
        code = rule.left[0]
        if code not in where or code in unreadable:
            continue
        ind, c = where[code]
        got = values.get((unit.code, code))
        v = got[0] if got else 0
        if v < rule.minimum:
            minimum = _fmt(rule.minimum)
            # a blank is counted as none held, and says so: 「支委会 0 次」 beside an empty cell read as a misreading
            key, names = (rule.message, {}) if got else ("val_comp_blank", {"name": (ind.name("zh"), ind.name("en"))})
            out.warn(key, sheet=sheet, cell=address(r, c), unit=unit, indicator=ind,
                     expected=expectation("val_exp_at_least", minimum=minimum), found=got[0] if got else "",
                     value=_fmt(v), minimum=minimum, **names)


# --- rules across cells ---------------------------------------------------------------------------


def _check_rules(store, lay: ReturnLayout, tree: Tree, parsed: Parsed, out: Collector) -> None:
    """The cross-field rules of data/rules.csv (kind at_most) on each unit of the return."""
    cat = store.catalog
    values = parsed.values
    prior: dict | None = None
    history = False
    for rule in cat.cross_field_rules:
        for u in lay.units:
            lefts = [values.get((u.code, c)) for c in rule.left]
            if all(x is None for x in lefts):
                continue
            rights = [values.get((u.code, c)) for c in rule.right]
            if any(x is None for x in rights):
                continue
            left = sum(x[0] for x in lefts if x is not None)
            right = sum(x[0] for x in rights)
            fields: dict = {}
            if rule.needs_history:
                if left <= right + 1e-9 and (rule.plus_carried or left == 0):
                    continue  # holds whatever earlier quarters say: no need to ask the database
                if prior is None:
                    prior, history = _prior(store, lay, cat)
                if rule.plus_previous:
                    start = prior.get((u.code, rule.plus_previous), (None, None))[0]
                    if start is None:
                        continue
                    right += start
                    what = expectation("val_what_prev_probationary")
                if rule.plus_carried:
                    plus = prior.get((u.code, rule.plus_carried[0]), (None, 0))[1] or 0
                    minus = prior.get((u.code, rule.plus_carried[1]), (None, 0))[1] or 0
                    carried = max(0.0, plus - minus)
                    fields = {"received": _fmt(right), "carried": _fmt(carried)}
                    right += carried
                    what = expectation("val_what_received_carried")
            elif rule.plus_branches:
                right += sum(1 for x in tree.subtree(u.code) if x.level in BRANCH_LEVELS and x.active_in(lay.quarter))
                what = expectation("val_what_branches")
                ind = cat[rule.left[0]]
                fields = {"ind_name": (ind.name_zh, ind.name_en)}
            elif len(rule.right) == 1:
                what = (cat[rule.right[0]].name_zh, cat[rule.right[0]].name_en)
            else:
                what = expectation("val_what_total")
            if left <= right + 1e-9:
                continue
            key, severity = rule.message, ERROR
            if rule.plus_carried and not history:
                key, severity = f"{rule.message}_no_history", WARNING
            first = next(x for x in lefts if x is not None)
            out.add(key, severity, sheet=first[1], cell=first[2], unit=u, indicator=cat[rule.left[0]],
                    expected=expectation("val_exp_le", limit=_fmt(right), what=what), found=_fmt(left),
                    left=_fmt(left), right=_fmt(right), **fields)


def _prior(store, lay: ReturnLayout, cat) -> tuple[dict, bool]:
    """The earlier quarters' figures the history-reading rules need, for this return's units."""
    codes = sorted({c for r in cat.cross_field_rules if r.needs_history
                    for c in ([r.plus_previous] if r.plus_previous else []) + list(r.plus_carried or ())})
    units = [u.code for u in store.tree_at(lay.quarter).return_units(lay.reporting_unit.code)]
    return store.prior_values(lay.reporting_unit.code, lay.quarter, periods.shift(lay.quarter, -1), codes, units)
