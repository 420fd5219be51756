"""The organisation tree: units with stable codes, parents, levels, and who files which return.

The tree changes: units are renamed, moved, merged, retired; temporary branches live for a
season.  So it is kept per quarter: a `History` holds every *version* of every unit (a `Unit`
whose active_from..active_to is the quarters that version holds), and `History.at(quarter)` is
the `Tree` of that quarter — every figure of a quarter uses the tree of that quarter.
`History.latest()` is each unit at its latest version (names and navigation).

Read from `data/org_tree.csv` (the demo bureau), an administrator's tree file (tree_file.py) or
the database; plain Python.
""" 

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

from .. import i18n
from ..settings import current as settings
from .datafile import read_rows

ORG_TREE = "org_tree.csv"  # in settings.data_dir: the demo bureau
UNIT_LEVELS = ("party_group", "committee", "general_branch", "branch", "temp_branch")
# Levels that file the rows of a committee-level indicator; branches file branch-level ones.
COMMITTEE_LEVELS = frozenset({"party_group", "committee", "general_branch"})
BRANCH_LEVELS = frozenset({"branch", "temp_branch"})
# A unit code travels in addresses, file names, sheets and exports: letters, digits, _ . -,
# starting with a letter or digit (so never with = + - @), at most 32 characters.
UNIT_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,31}")
# A name is shown in pages, charts, workbooks and terminals: it holds no control character
# (Cc), no line or paragraph separator, and none of the bidirectional overrides that make
# text read differently from what it holds.
_NAME_FORBIDDEN = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
MAX_TREE_PROBLEMS = 20  # a tree wrong throughout is told by its first few units and a count


class TreeError(ValueError):
    """The tree breaks one of its own rules (duplicate codes, an unknown parent, a cycle...)."""


@dataclass(frozen=True)
class Unit:
    code: str
    name_zh: str
    name_en: str
    level: str
    parent_code: str | None
    active_from: str | None  # the quarters this unit (this version of it) holds; None: open
    active_to: str | None
    sort_order: int
    reporting: bool | None = None  # files a return of its own; None: the rule (see Tree.is_reporting)
    merged_into: str | None = None  # for a retired unit: the unit that took over its work

    def name(self, lang: str = "zh") -> str:
        return self.name_en if lang == "en" else self.name_zh

    def active_in(self, quarter: str) -> bool:
        return (self.active_from is None or quarter >= self.active_from) and (
            self.active_to is None or quarter <= self.active_to
        )


class Tree:
    """The organisation tree: parent/child navigation and reporting units.

    A unit *reports* (files a return) if it is a party group or sits directly
    under one; its return covers its subtree down to, not including, the next
    reporting unit.  So every unit belongs to exactly one return.
    """

    def __init__(self, units: list[Unit], *, check_entries: bool = True):
        """`check_entries=False` skips the code and name rules (`_check_entries`), for a tree
        read back from a database: it was checked when it was loaded, and a file from before
        the rules must still open (every output neutralises what it shows anyway)."""
        self.units = sorted(units, key=lambda u: u.sort_order)
        self.by_code = {u.code: u for u in self.units}
        self.children: dict[str | None, list[Unit]] = {}
        for u in self.units:
            self.children.setdefault(u.parent_code, []).append(u)
        self._depths: dict[str, int] = {}  # filled on demand by depth()
        self._check(check_entries)

    def _check_entries(self) -> list[str]:
        """Each unit's code matches UNIT_CODE and its names are text a person can read: the
        rules a tree entering the product (a file, an import) must meet, one message a unit."""
        problems = []
        for u in self.units:
            if not isinstance(u.code, str) or not UNIT_CODE.fullmatch(u.code):
                problems.append(i18n.both("tree_bad_code", code=repr(u.code)))
            for field, name in (("name_zh", u.name_zh), ("name_en", u.name_en)):
                if not isinstance(name, str) or not name.strip():
                    problems.append(i18n.both("tree_blank_name", code=repr(u.code), field=field))
                    continue
                if _NAME_FORBIDDEN.search(name):
                    chars = " ".join(sorted({f"U+{ord(ch):04X}" for ch in _NAME_FORBIDDEN.findall(name)}))
                    problems.append(i18n.both("tree_control_in_name", code=repr(u.code), field=field,
                                              name=repr(name), chars=chars))
        if len(problems) > MAX_TREE_PROBLEMS:
            problems[MAX_TREE_PROBLEMS:] = [i18n.both("tree_more_problems", n=len(problems) - MAX_TREE_PROBLEMS)]
        return problems

    def _check(self, check_entries: bool = True) -> None:
        problems = self._check_entries() if check_entries else []
        if len(self.by_code) != len(self.units):
            problems.append("duplicate unit codes")
        roots = self.children.get(None, [])
        if len(roots) != 1 and self.units:  # an empty tree: the quarters before an organisation began
            problems.append(f"expected one root, found {len(roots)}")
        for u in self.units:
            if u.level not in UNIT_LEVELS:
                problems.append(f"unit {u.code}: unknown level {u.level!r}")
            if u.parent_code is not None and u.parent_code not in self.by_code:
                problems.append(f"unit {u.code}: parent {u.parent_code} not in tree")
        seen: set[str] = set()
        stack = [r.code for r in roots]
        while stack:
            c = stack.pop()
            seen.add(c)
            stack.extend(k.code for k in self.children.get(c, []))
        if not problems and len(seen) != len(self.units):
            problems.append("the tree has a cycle or unreachable units")
        if problems:
            raise TreeError("; ".join(problems))

    @property
    def root(self) -> Unit:
        return self.children[None][0]

    def __getitem__(self, code: str) -> Unit:
        return self.by_code[code]

    def __contains__(self, code: str) -> bool:
        return code in self.by_code

    def parent(self, code: str) -> Unit | None:
        p = self.by_code[code].parent_code
        return self.by_code[p] if p else None

    def kids(self, code: str) -> list[Unit]:
        return self.children.get(code, [])

    def ancestors(self, code: str) -> list[Unit]:
        """From the unit's parent up to the root."""
        out, u = [], self.parent(code)
        while u is not None:
            out.append(u)
            u = self.parent(u.code)
        return out

    def depth(self, code: str) -> int:
        """Levels above the unit (the root is 0); remembered, as the unit picker asks for
        every unit's depth on every rerun (20,000 units: 21 ms a rerun without it, 9 with)."""
        d = self._depths.get(code)
        if d is None:
            parent = self.by_code[code].parent_code
            d = self._depths[code] = 0 if parent is None else self.depth(parent) + 1
        return d

    def subtree(self, code: str) -> list[Unit]:
        """The unit and all its descendants, in display order."""
        out, stack = [], [self.by_code[code]]
        while stack:
            u = stack.pop()
            out.append(u)
            stack.extend(self.kids(u.code))
        return sorted(out, key=lambda u: u.sort_order)

    def subtree_size(self, code: str) -> int:
        """How many units the unit's subtree holds (itself included); remembered per unit."""
        memo = self.__dict__.setdefault("_sizes", {})
        got = memo.get(code)
        if got is None:
            got = memo[code] = 1 + sum(self.subtree_size(k.code) for k in self.kids(code))
        return got

    def units_covered(self, codes) -> int:
        """How many units the subtrees of `codes` hold together, a unit under two of them once
        (asked on every run of a page: a province's 20,000-unit subtree walked and sorted took 19 ms)."""
        picked = {c for c in codes if c in self.by_code}
        tops = [c for c in picked if not any(a.code in picked for a in self.ancestors(c))]
        return sum(self.subtree_size(c) for c in tops)

    def levels_under(self, code: str) -> frozenset[str]:
        """The levels of the unit and its descendants (which indicators its subtree reports);
        remembered per unit, as every ranking asks it of each unit it ranks."""
        memo = self.__dict__.setdefault("_levels", {})
        got = memo.get(code)
        if got is None:
            got = memo[code] = frozenset({self.by_code[code].level}).union(
                *(self.levels_under(k.code) for k in self.kids(code)))
        return got

    def is_reporting(self, code: str) -> bool:
        """Whether the unit files a return: as its `reporting` says, else by the rule — a party
        group, or a unit directly under one."""
        u = self.by_code[code]
        if u.reporting is not None:
            return u.reporting or u.parent_code is None
        p = self.parent(code)
        return u.level == "party_group" or (p is not None and p.level == "party_group")

    @functools.cached_property
    def reporting_units(self) -> list[Unit]:
        """In display order; worked out once per tree (a province's 20,000 units take 20 ms)."""
        return [u for u in self.units if self.is_reporting(u.code)]

    def return_units(self, reporting_code: str, quarter: str | None = None) -> list[Unit]:
        """The units whose rows a reporting unit's return carries (active in the quarter)."""
        if not self.is_reporting(reporting_code):
            raise KeyError(f"{reporting_code} is not a reporting unit")
        out, stack = [], [self.by_code[reporting_code]]
        while stack:
            u = stack.pop()
            out.append(u)
            stack.extend(k for k in self.kids(u.code) if not self.is_reporting(k.code))
        if quarter is not None:
            out = [u for u in out if u.active_in(quarter)]
        return sorted(out, key=lambda u: u.sort_order)

    def reporting_unit_of(self, code: str) -> Unit:
        u = self.by_code[code]
        while not self.is_reporting(u.code):
            u = self.parent(u.code)
        return u


def read_tree(path: Path | None = None) -> Tree:
    """The tree of a CSV file (default: org_tree.csv of settings.data_dir)."""
    path = path or settings().data_dir / ORG_TREE
    rows = read_rows(path)
    return Tree(
        [
            Unit(
                code=r["code"],
                name_zh=r["name_zh"],
                name_en=r.get("name_en") or r["name_zh"],
                level=r["level"],
                parent_code=r["parent_code"] or None,
                active_from=r.get("active_from") or None,
                active_to=r.get("active_to") or None,
                sort_order=int(r["sort_order"]),
            )
            for r in rows
        ]
    )


OPEN_FROM, OPEN_TO = "0000Q1", "9999Q4"  # the bounds of a version open at either end (text order)


class History:
    """Every version of every unit: the tree as it was in each quarter.

    Versions of one code never overlap.  Quarters between the changes form *epochs* in which the
    tree stands still; `closure()` gives each ancestor-descendant pair with the quarters it holds
    (what the roll-up joins facts to), `at(q)` the tree of a quarter.
    """

    def __init__(self, versions: list[Unit], *, check_entries: bool = True):
        self.versions = sorted(versions, key=lambda v: (v.code, v.active_from or OPEN_FROM))
        self.by_code: dict[str, list[Unit]] = {}
        for v in self.versions:
            self.by_code.setdefault(v.code, []).append(v)
        self._trees: dict[str, Tree] = {}
        self._check(check_entries)

    def _check(self, check_entries: bool) -> None:
        problems = []
        for code, versions in self.by_code.items():
            for v in versions:
                if v.active_from and v.active_to and v.active_from > v.active_to:
                    problems.append(f"unit {code}: from {v.active_from} after to {v.active_to}")
            for a, b in zip(versions, versions[1:]):
                if (a.active_to or OPEN_TO) >= (b.active_from or OPEN_FROM):
                    problems.append(f"unit {code}: versions from {a.active_from or '—'} and "
                                    f"{b.active_from or '—'} overlap")
        if problems:
            raise TreeError("; ".join(problems))
        for start, _ in self.epochs():  # every quarter's tree must stand on its own
            self.at(start, check_entries=check_entries)

    def boundaries(self) -> list[str]:
        """The quarters at which some version starts or (the quarter after it) ends, in order."""
        from . import periods

        out = set()
        for v in self.versions:
            if v.active_from:
                out.add(v.active_from)
            if v.active_to:
                out.add(periods.shift(v.active_to, 1))
        return sorted(out)

    def epochs(self) -> list[tuple[str, str]]:
        """(first, last) quarters of each span in which the tree stands still, covering all time."""
        from . import periods

        starts = [OPEN_FROM, *self.boundaries()]
        return [(a, periods.shift(b, -1) if b != OPEN_TO else OPEN_TO)
                for a, b in zip(starts, [*starts[1:], OPEN_TO])]

    def at(self, quarter: str, *, check_entries: bool = False) -> Tree:
        """The tree of one quarter: each unit in the version that holds the quarter."""
        tree = self._trees.get(quarter)
        if tree is None:
            units = [v for v in self.versions if v.active_in(quarter)]
            tree = self._trees[quarter] = Tree(units, check_entries=check_entries)
        return tree

    def first_quarter(self) -> str | None:
        """The quarter the organisation begins in: its root's first version's; None when the tree is
        open at its start (it has held since before any quarter it names)."""
        roots = [v for v in self.versions if v.parent_code is None]
        starts = [v.active_from for v in roots]
        return None if not starts or None in starts else min(starts)

    def latest(self) -> Tree:
        """Every unit once, in its latest version, active over its whole life (names, navigation)."""
        units = []
        for versions in self.by_code.values():
            last = versions[-1]
            units.append(Unit(last.code, last.name_zh, last.name_en, last.level, last.parent_code,
                              versions[0].active_from, last.active_to, last.sort_order, last.reporting,
                              last.merged_into))
        return Tree(units, check_entries=False)

    def closure(self) -> list[tuple[str, str, int, str, str]]:
        """(ancestor, descendant, distance, first quarter, last quarter) of every pair, a pair
        holding over consecutive epochs written once."""
        open_pairs: dict[tuple[str, str, int], list[str]] = {}
        out = []
        for first, last in self.epochs():
            tree = self.at(first)
            now = set()
            for u in tree.units:
                now.add((u.code, u.code, 0))
                for d, a in enumerate(tree.ancestors(u.code), 1):
                    now.add((a.code, u.code, d))
            for pair in list(open_pairs):
                if pair not in now:
                    span = open_pairs.pop(pair)
                    out.append((*pair, span[0], span[1]))
            for pair in now:
                if pair in open_pairs:
                    open_pairs[pair][1] = last
                else:
                    open_pairs[pair] = [first, last]
        out += [(*pair, span[0], span[1]) for pair, span in open_pairs.items()]
        return sorted(out)
