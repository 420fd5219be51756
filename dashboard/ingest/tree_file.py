"""The organisation as a file the administrator keeps (`python -m dashboard tree template|export|import`).

One row a *version* of a unit: code, names, level, parent, whether it files its own return, the
quarters the version holds (valid from / to; blank: open), sort order, and for a retired unit the
unit that took over its work.  A unit renamed or moved has two rows of one code, the first ending
the quarter before the second begins; a temporary branch has one row with both quarters.

An import is read whole and checked whole: every problem comes back with its cell, nothing is
loaded unless none is found.  A unit of the database missing from the file is a problem (history
is never dropped by leaving a row out: retire a unit by giving it a last quarter).  A row with no
quarters for a unit the database already holds is that unit *from now on*: when it differs from
the unit's latest version, the change takes effect in `effective` (default: this quarter).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field, replace
from pathlib import PurePosixPath

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation

from .. import i18n
from ..domain import periods
from ..domain.tree import OPEN_FROM, OPEN_TO, UNIT_CODE, History, Tree, TreeError, Unit
from ..output import safe
from ..output.style import PARTY_RED
from . import container
from .userfile import cell_text as _text
from .userfile import csv_rows

# (key, Chinese heading): the file's columns, in order.  A heading may be either.
COLUMNS = (("code", "单位代码"), ("name_zh", "单位名称"), ("name_en", "英文名称"), ("level", "层级"),
           ("parent_code", "上级单位代码"), ("reporting", "单独报送"), ("valid_from", "起始季度"),
           ("valid_to", "截止季度"), ("sort_order", "排序"), ("merged_into", "并入单位代码"))
REQUIRED = ("code", "name_zh", "level")
ALIASES = {"active_from": "valid_from", "active_to": "valid_to"}  # data/org_tree.csv's headings
LEVEL_NAMES = {"party_group": "党组", "committee": "党委", "general_branch": "党总支", "branch": "党支部",
               "temp_branch": "临时党支部"}
# A unit sits below a unit of a higher rank: 党组 > 党委 > 党总支 > 党支部 (临时党支部 too).
LEVEL_RANK = {"party_group": 0, "committee": 1, "general_branch": 2, "branch": 3, "temp_branch": 3}
YES, NO = ("是", "yes", "y", "true", "1"), ("否", "no", "n", "false", "0")
SHEET = "组织架构"


@dataclass
class Row:
    """One row of the file: where it is, and the version it states."""

    number: int  # as a spreadsheet numbers it (the heading is row 1)
    unit: Unit
    dated: bool  # gave a valid-from or valid-to quarter


@dataclass
class Reading:
    """What a tree file says and what is wrong with it."""

    rows: list[Row] = field(default_factory=list)
    problems: list[tuple[str, str]] = field(default_factory=list)  # (cell or "", message in both languages)
    at: dict[str, int] = field(default_factory=dict)  # column key -> column index
    unreadable: set[str] = field(default_factory=set)  # codes of rows with a problem of their own

    def cell(self, key: str, number: int) -> str:
        """The cell of column `key` in row `number`, as a spreadsheet names it (just the row
        number if the file has no such column)."""
        return f"{_letter(self.at[key])}{number}" if key in self.at else str(number)

    def problem(self, cell: str, key: str, **fields) -> None:
        self.problems.append((cell, i18n.both(key, **fields)))


def _letter(col: int) -> str:
    return chr(ord("A") + col)


def _table(data: bytes, file_name: str) -> tuple[list[list[str]] | None, list[str]]:
    """The cells of the file's first sheet (a workbook through the container check and a worker
    process, like a return) or of a CSV (UTF-8, or GB18030 as a Chinese Windows Excel saves it)."""
    if PurePosixPath(file_name.lower()).suffix == ".csv":
        try:
            return csv_rows(data), []
        except (ValueError, csv.Error) as exc:
            return None, [i18n.both("treef_unreadable", why=str(exc)[:100])]
    from .problems import Collector
    from .safe_read import Unreadable, Unsafe, read_workbook

    found = Collector(file_name)
    if container.inspect(data, file_name, found) is None:
        return None, [f"{p.message_zh} | {p.message_en}" for p in found.items]
    try:
        sheets = read_workbook(data)
    except (Unreadable, Unsafe) as exc:
        return None, [i18n.both("treef_unreadable", why=type(exc).__name__)]
    first = sheets.get(SHEET) or next(iter(sheets.values()), None)
    if first is None or isinstance(first, Exception):
        return None, [i18n.both("treef_unreadable", why="no sheet")]
    return [[_text(v) for v in row] for row in first.rows], []


def read(data: bytes, file_name: str) -> Reading:
    """Every row of the file as a version, with what is wrong in each cell."""
    out = Reading()
    table, problems = _table(data, file_name)
    if table is None:
        out.problems += [("", p) for p in problems]
        return out
    heading_row = next((i for i, r in enumerate(table) if any(r)), None)
    if heading_row is None:
        out.problem("", "treef_empty")
        return out
    names = {k: k for k, _ in COLUMNS} | {zh: k for k, zh in COLUMNS} | ALIASES
    heading = [names.get(_text(h).split("（")[0].strip(), names.get(_text(h).lower())) for h in table[heading_row]]
    at = out.at = {k: heading.index(k) for k, _ in COLUMNS if k in heading}
    missing = [f"{zh}（{k}）" for k, zh in COLUMNS if k in REQUIRED and k not in at]
    if missing:
        out.problem(f"A{heading_row + 1}", "treef_columns", missing="、".join(missing))
        return out
    for i, raw in enumerate(table[heading_row + 1:], start=heading_row + 2):
        cells = {k: (_text(raw[c]) if c < len(raw) else "") for k, c in at.items()}
        if not any(cells.values()):
            continue
        row = _row(i, cells, out)
        if row is not None:
            out.rows.append(row)
    if not out.rows and not out.problems:
        out.problem("", "treef_empty")
    return out


def _row(n: int, cells: dict[str, str], out: Reading) -> Row | None:
    def cell(key: str) -> str:
        return out.cell(key, n)

    before = len(out.problems)
    code = cells["code"]
    if not UNIT_CODE.fullmatch(code):
        out.problem(cell("code"), "treef_bad_code", code=safe.printable(code))
    if not cells["name_zh"]:
        out.problem(cell("name_zh"), "treef_blank", what="单位名称 name_zh")
    level = next((k for k, zh in LEVEL_NAMES.items() if cells["level"] in (k, zh)), None)
    if level is None:
        out.problem(cell("level"), "treef_bad_level", found=safe.printable(cells["level"]),
                    allowed="、".join(f"{zh}（{k}）" for k, zh in LEVEL_NAMES.items()))
    parent = cells.get("parent_code") or None
    if parent is not None and not UNIT_CODE.fullmatch(parent):
        out.problem(cell("parent_code"), "treef_bad_code", code=safe.printable(parent))
    reporting = None
    flag = cells.get("reporting", "").lower()
    if flag in YES:
        reporting = True
    elif flag in NO:
        reporting = False
    elif flag:
        out.problem(cell("reporting"), "treef_bad_yes_no", found=safe.printable(cells["reporting"]))
    quarters = []
    for key in ("valid_from", "valid_to"):
        text = cells.get(key, "")
        try:
            quarters.append(periods.quarter(text) if text else None)
        except periods.PeriodError:
            out.problem(cell(key), "treef_bad_quarter", found=safe.printable(text))
            quarters.append(None)
    if quarters[0] and quarters[1] and quarters[0] > quarters[1]:
        out.problem(cell("valid_to"), "treef_ends_before_start", start=quarters[0], end=quarters[1])
    order = cells.get("sort_order", "")
    try:
        sort_order = int(order) if order else 0
    except ValueError:
        out.problem(cell("sort_order"), "treef_bad_sort", found=safe.printable(order))
        sort_order = 0
    merged = cells.get("merged_into") or None
    if merged is not None and not quarters[1]:
        out.problem(cell("merged_into"), "treef_merged_open", code=code)
    try:
        entry = Unit(code, cells["name_zh"], cells.get("name_en") or cells["name_zh"], level or "", parent,
                     quarters[0], quarters[1], sort_order, reporting, merged)
        # the name rules (no control characters...); code and level are told above
        Tree([replace(entry, parent_code=None, level="branch", code=code if UNIT_CODE.fullmatch(code) else "X")])
    except TreeError as exc:
        out.problems.append((cell("name_zh"), str(exc)))
    if len(out.problems) > before:
        out.unreadable.add(code)
        return None
    return Row(n, entry, dated=bool(quarters[0] or quarters[1]))


def plan(reading: Reading, old: History | None, last_figures: dict[str, str], effective: str, *,
         returns_apart: bool = False) -> History | None:
    """The history the file asks for, given what the database holds; None (and problems added to
    `reading`) if it cannot be loaded.  Sort orders left blank follow the file's row order.
    With `returns_apart`, a unit that ends while active returns of later quarters still hold it
    is not a problem of the file: the caller looks at those returns itself (`misplaced`, which
    names each one and finds the unit a merged unit's rows can go to), as `tree import` does.

    The rows readable on their own are checked together even when others are not, so one run
    tells every problem; a row with a problem of its own is left out of the checks that would
    only repeat it (a missing unit, an unknown parent)."""
    if not reading.rows and reading.problems:
        return None
    old = old if old is not None and old.versions else None
    rows_of: dict[str, list[Row]] = {}
    for r in reading.rows:
        rows_of.setdefault(r.unit.code, []).append(r)
    versions: list[Unit] = []
    where: dict[tuple[str, str | None], Row] = {}  # (code, from) -> the row that stated the version
    for code, rows in rows_of.items():
        before = old.by_code.get(code, []) if old else []
        undated = [r for r in rows if not r.dated]
        if len(rows) > 1 and undated:
            for r in undated:
                reading.problem(reading.cell("valid_from", r.number), "treef_undated_among_versions", code=code)
            rows = undated = undated[:1]  # the rest of the file is still checked against its first row
        if undated and before:  # this unit from now on
            new, last = _ordered(undated[0].unit, undated[0].number), before[-1]
            if _same(new, last):
                versions += before
            elif last.active_to and last.active_to < effective:  # retired: its code stays retired
                reading.problem(reading.cell("code", undated[0].number), "treef_code_reused", code=code,
                                end=last.active_to, start=effective)
                versions += before
            elif last.active_from and last.active_from >= effective:
                versions += [*before[:-1], replace(new, active_from=last.active_from, active_to=last.active_to)]
            else:
                versions += [*before[:-1], replace(last, active_to=periods.shift(effective, -1)),
                             replace(new, active_from=effective, active_to=None)]
            where[code, versions[-1].active_from] = undated[0]
        elif undated:  # a new unit: from now on in a database with an organisation, else always
            unit = _ordered(undated[0].unit, undated[0].number)
            versions.append(replace(unit, active_from=effective) if old else unit)
            where[code, versions[-1].active_from] = undated[0]
        else:
            for r in rows:
                versions.append(_ordered(r.unit, r.number))
                where[code, r.unit.active_from] = r
    if old:
        for code in sorted(set(old.by_code) - set(rows_of) - reading.unreadable):
            reading.problem("", "treef_unit_left_out", code=code, name=old.by_code[code][-1].name_zh)
    _check_versions(versions, where, old, {} if returns_apart else last_figures, reading)
    if reading.problems:
        return None
    try:
        return History(versions)
    except TreeError as exc:
        reading.problems.append(("", str(exc)))
        return None


def _ordered(unit: Unit, number: int) -> Unit:
    return unit if unit.sort_order else replace(unit, sort_order=number)


def _same(a: Unit, b: Unit) -> bool:
    keys = ("name_zh", "name_en", "level", "parent_code", "reporting", "sort_order")
    return all(getattr(a, k) == getattr(b, k) for k in keys)


def _check_versions(versions: list[Unit], where: dict, old: History | None, last_figures: dict[str, str],
                    reading: Reading) -> None:
    """The rules that need the whole file: versions of one code, parents and levels in every
    quarter, no reused code, no unit ended while returns still hold it."""
    by_code: dict[str, list[Unit]] = {}
    for v in sorted(versions, key=lambda v: (v.code, v.active_from or OPEN_FROM)):
        by_code.setdefault(v.code, []).append(v)

    def row(v: Unit) -> int:
        r = where.get((v.code, v.active_from))
        return r.number if r else 0

    def cell(key: str, v: Unit) -> str:
        return reading.cell(key, row(v)) if row(v) else ""

    for code, vs in by_code.items():
        for a, b in zip(vs, vs[1:]):
            if (a.active_to or OPEN_TO) >= (b.active_from or OPEN_FROM):
                reading.problem(cell("valid_from", b), "treef_versions_overlap", code=code, other=row(a))
            elif periods.shift(a.active_to, 1) != b.active_from:
                reading.problem(cell("valid_from", b), "treef_code_reused", code=code, end=a.active_to, start=b.active_from)
        last = vs[-1]
        held = last_figures.get(code)
        if last.active_to and held and held > last.active_to:
            reading.problem(cell("valid_to", last), "treef_ends_with_returns", code=code, end=last.active_to, held=held)
    # parents, levels and cycles, in every span of quarters the tree stands still
    bounds = sorted({v.active_from for v in versions if v.active_from}
                    | {periods.shift(v.active_to, 1) for v in versions if v.active_to})
    told: set[tuple[str, str]] = set()
    for quarter in [OPEN_FROM, *bounds]:
        now = {v.code: v for v in versions if v.active_in(quarter)}
        shown = "" if quarter == OPEN_FROM else quarter
        for v in now.values():
            if v.merged_into and v.merged_into not in {u.code for u in versions}:
                _once(told, reading, (v.code, "merged"), cell("merged_into", v), "treef_unknown_merged",
                      code=v.code, target=v.merged_into)
            if v.parent_code is None:
                continue
            parent = now.get(v.parent_code)
            if parent is None and v.parent_code in reading.unreadable:
                continue  # its row's own problem is told
            if parent is None:
                _once(told, reading, (v.code, "parent"), cell("parent_code", v),
                      "treef_unknown_parent" if shown else "treef_unknown_parent_any", code=v.code,
                      parent=v.parent_code, quarter=shown)
            elif LEVEL_RANK[parent.level] >= LEVEL_RANK[v.level]:
                _once(told, reading, (v.code, "level"), cell("level", v), "treef_level_order", code=v.code,
                      level=LEVEL_NAMES[v.level], parent=parent.code, parent_level=LEVEL_NAMES[parent.level])
        roots = [v for v in now.values() if v.parent_code is None]
        if now and len(roots) != 1 and not (reading.unreadable and not roots):
            _once(told, reading, ("", "roots" + shown), "", "treef_roots", n=len(roots), quarter=shown or "—",
                  codes="、".join(r.code for r in roots[:5]))
        for v in now.values():  # a cycle: walking up never reaches a root
            seen, u = {v.code}, v
            while u.parent_code and u.parent_code in now:
                u = now[u.parent_code]
                if u.code in seen:
                    _once(told, reading, (v.code, "cycle"), cell("parent_code", v), "treef_cycle", code=v.code)
                    break
                seen.add(u.code)


def _once(told: set, reading: Reading, key: tuple, cell: str, text: str, **fields) -> None:
    if key not in told:
        told.add(key)
        reading.problem(cell, text, **fields)


@dataclass(frozen=True)
class Change:
    kind: str  # added | renamed | moved | retired | changed
    code: str
    before: str
    after: str


def diff(old: History | None, new: History) -> list[Change]:
    """What the import changes, unit by unit (latest versions, and which units end)."""
    out = []
    before = {c: vs[-1] for c, vs in (old.by_code.items() if old else [])}
    for code, vs in new.by_code.items():
        last, prev = vs[-1], before.get(code)
        if prev is None:
            out.append(Change("added", code, "", f"{last.name_zh} {_span(last)}"))
            continue
        if last.name_zh != prev.name_zh or last.name_en != prev.name_en:
            out.append(Change("renamed", code, prev.name_zh, f"{last.name_zh} {_from(last)}"))
        if last.parent_code != prev.parent_code:
            out.append(Change("moved", code, prev.parent_code or "—", f"{last.parent_code or '—'} {_from(last)}"))
        if last.active_to and last.active_to != prev.active_to:
            out.append(Change("retired", code, prev.name_zh,
                              f"{last.active_to}" + (f" → {last.merged_into}" if last.merged_into else "")))
        elif (old and [_key(v) for v in old.by_code[code]] != [_key(v) for v in vs]
              and not any(c.code == code for c in out)):
            out.append(Change("changed", code, prev.name_zh, _span(last)))
    return out


def _key(v: Unit) -> tuple:
    return (v.name_zh, v.name_en, v.level, v.parent_code, v.active_from, v.active_to, v.sort_order,
            v.reporting, v.merged_into)


def _span(v: Unit) -> str:
    return f"{v.active_from or '…'}–{v.active_to or '…'}" if v.active_from or v.active_to else ""


def _from(v: Unit) -> str:
    return f"({v.active_from}起)" if v.active_from else ""


# --- writing: the template to fill and the export of what the database holds ----------------------

def workbook(history: History | None) -> bytes:
    """The tree sheet: headings, data validation (levels, 是/否), guidance, and the versions
    of `history` (none: an empty sheet to fill)."""
    wb = Workbook()
    ws = wb.active
    ws.title = SHEET
    ws.append([zh for _, zh in COLUMNS])
    for c in ws[1]:
        c.font = Font(bold=True, color="FFFFFF")
        c.fill = PatternFill("solid", fgColor=PARTY_RED.lstrip("#"))
        c.alignment = Alignment(horizontal="center", vertical="center")
    for v in (history.versions if history else []):
        ws.append([v.code, v.name_zh, v.name_en if v.name_en != v.name_zh else "", LEVEL_NAMES[v.level],
                   v.parent_code or "", "" if v.reporting is None else ("是" if v.reporting else "否"),
                   v.active_from or "", v.active_to or "", v.sort_order, v.merged_into or ""])
    last = 2000
    level = DataValidation(type="list", formula1='"' + ",".join(LEVEL_NAMES.values()) + '"', allow_blank=False,
                           showErrorMessage=True, errorTitle="层级", error="请从列表中选择层级")
    yes_no = DataValidation(type="list", formula1='"是,否"', allow_blank=True, showErrorMessage=True,
                            errorTitle="单独报送", error="请填写“是”或“否”；留空按规则（党组及其直属单位报送）")
    quarter = DataValidation(type="textLength", operator="equal", formula1="6", allow_blank=True,
                             showErrorMessage=True, errorTitle="季度", error="季度写作 2024Q1；留空表示不限")
    for dv in (level, yes_no, quarter):
        ws.add_data_validation(dv)
    letter = {k: _letter(i) for i, (k, _) in enumerate(COLUMNS)}
    for dv, key in ((level, "level"), (yes_no, "reporting"), (quarter, "valid_from"), (quarter, "valid_to")):
        dv.add(f"{letter[key]}2:{letter[key]}{last}")
    widths = (12, 30, 30, 10, 14, 10, 10, 10, 8, 14)
    for i, w in enumerate(widths):
        ws.column_dimensions[_letter(i)].width = w
        for r in range(2, last + 1) if i in (0, 4, 6, 7, 9) else ():
            ws.cell(r, i + 1).number_format = "@"  # codes and quarters are text, never numbers
    ws.freeze_panes = "A2"
    guide = wb.create_sheet("填写说明")
    for line in i18n.t("treef_guide").splitlines():
        guide.append([line])
    guide.column_dimensions["A"].width = 110
    return safe.workbook_bytes(wb)  # a name typed as "=..." stays text


# --- rows of returns a new tree would leave in the wrong return (`tree import --rehome`) -----------

@dataclass(frozen=True)
class Held:
    """Rows an active return holds: submission `submission_id`, of `reporter` for `quarter`,
    holds `n` facts of `unit`."""

    submission_id: int
    reporter: str
    quarter: str
    unit: str
    n: int


@dataclass(frozen=True)
class Move:
    """Rows a new tree leaves in a return that no longer covers their unit, and where they go:
    the return of `to_reporter` for the same quarter, as unit `to_unit` (the unit itself; for a
    unit ended in a merge, the unit it merged into).  `whole`: every row of the source return
    goes, so it is copied and the source superseded, not emptied."""

    held: Held
    to_unit: str
    to_reporter: str
    whole: bool = False


def misplaced(new: History, held: list[Held]) -> tuple[list[Move], list[Held]]:
    """The rows of active returns that the tree `new` puts outside their return: a unit moved to
    another return, a reporting unit that no longer files, a unit ended (merged) before the
    quarter.  Returns (where each can go, the rows that can go nowhere: a unit not in the tree
    of that quarter with no successor there)."""
    covers: dict[tuple[str, str], set[str]] = {}
    moves: list[Move] = []
    stranded: list[Held] = []
    for h in held:
        tree = new.at(h.quarter)
        key = (h.reporter, h.quarter)
        if key not in covers:
            filing = h.reporter in tree and tree.is_reporting(h.reporter)
            covers[key] = {u.code for u in tree.return_units(h.reporter, h.quarter)} if filing else set()
        if h.unit in covers[key]:
            continue
        target = successor(new, h.unit, h.quarter)
        if target is None:
            stranded.append(h)
        else:
            moves.append(Move(h, target, tree.reporting_unit_of(target).code))
    going: dict[int, set[str]] = {}
    for m in moves:
        going.setdefault(m.held.submission_id, set()).add(m.held.unit)
    held_units: dict[int, set[str]] = {}
    for h in held:
        held_units.setdefault(h.submission_id, set()).add(h.unit)
    moves = [replace(m, whole=going[m.held.submission_id] == held_units[m.held.submission_id]) for m in moves]
    return moves, stranded


def successor(history: History, code: str, quarter: str) -> str | None:
    """The unit that holds `code`'s rows in `quarter`: the unit itself if the tree of the quarter
    has it, else the unit it merged into (and on, should that one have merged too); None if
    there is none (a unit retired without a successor, or not yet formed)."""
    seen: set[str] = set()
    while code not in history.at(quarter):
        if code in seen:
            return None
        seen.add(code)
        ended = [v for v in history.by_code.get(code, []) if v.active_to and v.active_to < quarter]
        if not ended or not ended[-1].merged_into:
            return None
        code = ended[-1].merged_into
    return code


@dataclass(frozen=True)
class Clash:
    """Two figures of one unit and indicator a rehome would put into one return."""

    held: Held
    to_unit: str
    to_reporter: str
    indicator: str


def clashes(moves: list[Move], keys: list[tuple[int, str, str]], active: dict[tuple[str, str], int]) -> list[Clash]:
    """Where carrying the rows of `moves` would give a return two figures of one unit and
    indicator (a unit merged into one that has its own figure; two merged units reporting the
    same indicator): `keys` are (submission, unit, indicator) of the sources and destinations,
    `active` (reporter, quarter) -> active submission.  Two figures are never added up here."""
    by_sub: dict[int, set[tuple[str, str]]] = {}
    for sid, unit, indicator in keys:
        by_sub.setdefault(sid, set()).add((unit, indicator))
    leaving = {(m.held.submission_id, m.held.unit) for m in moves if not m.whole}
    into: dict[tuple[str, str], set[tuple[str, str]]] = {}
    out: list[Clash] = []
    for m in moves:
        dest = (m.to_reporter, m.held.quarter)
        if dest not in into:
            sid = active.get(dest)
            into[dest] = {k for k in by_sub.get(sid, set()) if (sid, k[0]) not in leaving} if sid else set()
        for unit, indicator in sorted(by_sub.get(m.held.submission_id, set())):
            if unit != m.held.unit:
                continue
            if (m.to_unit, indicator) in into[dest]:
                out.append(Clash(m.held, m.to_unit, m.to_reporter, indicator))
            into[dest].add((m.to_unit, indicator))
    return out
