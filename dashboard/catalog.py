"""The indicator catalog and the organisation tree, read from `data/`.

The catalog (`data/catalog.csv`, one line per indicator) is the one place an
indicator is defined: the template, validation, schema, labels and charts all
read it from here.  The tree (`data/org_tree.csv`) holds the units with stable
codes.  Both are plain data; this module parses and checks them.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
CATALOG_CSV = DATA_DIR / "catalog.csv"
DOMAINS_CSV = DATA_DIR / "domains.csv"
ORG_TREE_CSV = DATA_DIR / "org_tree.csv"

VALUE_TYPES = ("count", "money", "stars", "score", "rate")
TIME_AGGS = ("sum", "last", "max", "derived")  # flow, stock, peak, recomputed
UNIT_AGGS = ("sum", "max", "mean", "derived")
LEVEL_GROUPS = ("branch", "committee", "all")  # which units report an indicator
UNIT_LEVELS = ("party_group", "committee", "general_branch", "branch", "temp_branch")
# Levels that file the rows of a committee-level indicator; branches file branch-level ones.
COMMITTEE_LEVELS = frozenset({"party_group", "committee", "general_branch"})
BRANCH_LEVELS = frozenset({"branch", "temp_branch"})
FORMULA_OPS = ("ratio", "sum", "count", "count_high")

_FORMULA_RE = re.compile(r"^(?P<op>[a-z_]+)\((?P<args>[a-z0-9_, ]+)\)$")


@dataclass(frozen=True)
class Domain:
    code: str
    name_zh: str
    name_en: str
    sort_order: int

    def name(self, lang: str = "zh") -> str:
        return self.name_en if lang == "en" else self.name_zh


@dataclass(frozen=True)
class Indicator:
    code: str
    domain: str
    name_zh: str
    name_en: str
    unit_zh: str
    unit_en: str
    value_type: str
    time_agg: str
    unit_agg: str
    formula_op: str | None
    formula_args: tuple[str, ...]
    min: float | None
    max: float | None
    threshold: float | None  # for stars: ratings >= threshold count as "high"
    levels: str
    quarters: str  # "all" or "Q1": the quarters whose template carries it
    sort_order: int
    headline: bool
    lower_is_better: bool

    @property
    def is_derived(self) -> bool:
        return self.formula_op is not None

    @property
    def is_stored(self) -> bool:
        return self.formula_op is None

    @property
    def kind(self) -> str:
        """flow / stock / peak / derived, as a person would say it."""
        return {"sum": "flow", "last": "stock", "max": "peak"}.get(self.time_agg, "derived")

    def name(self, lang: str = "zh") -> str:
        return self.name_en if lang == "en" else self.name_zh

    def unit(self, lang: str = "zh") -> str:
        return self.unit_en if lang == "en" else self.unit_zh

    def reported_by(self, unit_level: str) -> bool:
        if self.levels == "all":
            return True
        if self.levels == "branch":
            return unit_level in BRANCH_LEVELS
        return unit_level in COMMITTEE_LEVELS

    def in_quarter(self, quarter: str) -> bool:
        return self.quarters == "all" or quarter.endswith(self.quarters)


@dataclass(frozen=True)
class Catalog:
    domains: tuple[Domain, ...]
    indicators: tuple[Indicator, ...]
    by_code: dict[str, Indicator] = field(repr=False)

    def domain(self, code: str) -> Domain:
        for d in self.domains:
            if d.code == code:
                return d
        raise KeyError(code)

    def of_domain(self, domain: str) -> list[Indicator]:
        return [i for i in self.indicators if i.domain == domain]

    @property
    def stored(self) -> list[Indicator]:
        return [i for i in self.indicators if i.is_stored]

    def __getitem__(self, code: str) -> Indicator:
        return self.by_code[code]

    def __contains__(self, code: str) -> bool:
        return code in self.by_code


class CatalogError(ValueError):
    """The catalog or tree file breaks one of its own rules."""


def _num(text: str) -> float | None:
    text = text.strip()
    return float(text) if text else None


def parse_formula(text: str) -> tuple[str | None, tuple[str, ...]]:
    text = text.strip()
    if not text:
        return None, ()
    m = _FORMULA_RE.match(text)
    if not m or m["op"] not in FORMULA_OPS:
        raise CatalogError(f"bad formula {text!r}")
    return m["op"], tuple(a.strip() for a in m["args"].split(","))


def _read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def read_catalog(catalog_csv: Path = CATALOG_CSV, domains_csv: Path = DOMAINS_CSV) -> Catalog:
    domains = tuple(
        sorted(
            (Domain(r["code"], r["name_zh"], r["name_en"], int(r["sort_order"])) for r in _read_csv(domains_csv)),
            key=lambda d: d.sort_order,
        )
    )
    indicators = []
    for r in _read_csv(catalog_csv):
        op, args = parse_formula(r["formula"])
        indicators.append(
            Indicator(
                code=r["code"],
                domain=r["domain"],
                name_zh=r["name_zh"],
                name_en=r["name_en"],
                unit_zh=r["unit_zh"],
                unit_en=r["unit_en"],
                value_type=r["value_type"],
                time_agg=r["time_agg"],
                unit_agg=r["unit_agg"],
                formula_op=op,
                formula_args=args,
                min=_num(r["min"]),
                max=_num(r["max"]),
                threshold=_num(r["threshold"]),
                levels=r["levels"],
                quarters=r["quarters"],
                sort_order=int(r["sort_order"]),
                headline=r["headline"].strip() == "1",
                lower_is_better=r["lower_is_better"].strip() == "1",
            )
        )
    indicators.sort(key=lambda i: i.sort_order)
    catalog = Catalog(domains, tuple(indicators), {i.code: i for i in indicators})
    check_catalog(catalog)
    return catalog


def check_catalog(cat: Catalog) -> None:
    """Raise CatalogError listing every rule the catalog breaks."""
    problems = []
    domain_codes = {d.code for d in cat.domains}
    if len(cat.by_code) != len(cat.indicators):
        problems.append("duplicate indicator codes")
    for i in cat.indicators:
        where = f"indicator {i.code}"
        if not re.fullmatch(r"[a-z][a-z0-9_]*", i.code):
            problems.append(f"{where}: code must be lower_snake_case")
        if i.domain not in domain_codes:
            problems.append(f"{where}: unknown domain {i.domain!r}")
        if not (i.name_zh and i.name_en and i.unit_zh and i.unit_en):
            problems.append(f"{where}: names and units in both languages are required")
        if i.value_type not in VALUE_TYPES:
            problems.append(f"{where}: unknown value type {i.value_type!r}")
        if i.time_agg not in TIME_AGGS or i.unit_agg not in UNIT_AGGS:
            problems.append(f"{where}: unknown aggregation {i.time_agg}/{i.unit_agg}")
        if i.levels not in LEVEL_GROUPS:
            problems.append(f"{where}: unknown reporting level {i.levels!r}")
        if i.quarters not in ("all", "Q1", "Q2", "Q3", "Q4"):
            problems.append(f"{where}: quarters must be all or Q1..Q4")
        if i.is_derived:
            if i.time_agg != "derived" or i.unit_agg != "derived":
                problems.append(f"{where}: a derived indicator aggregates as 'derived'")
            for a in i.formula_args:
                part = cat.by_code.get(a)
                # a ratio may divide counts derived from stored values (4-star branches / branches rated)
                countable = part is not None and (part.is_stored or (
                    i.formula_op == "ratio" and part.formula_op in ("count", "count_high")))
                if not countable:
                    problems.append(f"{where}: formula names {a!r}, which is not a stored indicator")
            if i.formula_op == "ratio" and (len(i.formula_args) != 2 or i.value_type != "rate"):
                problems.append(f"{where}: ratio takes numerator and denominator and is a rate")
            if i.formula_op in ("count", "count_high") and len(i.formula_args) != 1:
                problems.append(f"{where}: {i.formula_op} takes one indicator")
            if i.formula_op == "count_high":
                src = cat.by_code.get(i.formula_args[0])
                if src is not None and src.threshold is None:
                    problems.append(f"{where}: source {src.code} has no threshold")
        else:
            if i.time_agg == "derived" or i.unit_agg == "derived":
                problems.append(f"{where}: a stored indicator needs time and unit aggregation rules")
            if i.value_type == "rate":
                problems.append(f"{where}: rates are never stored; derive them from two counts")
            if i.min is None or i.max is None or i.min > i.max:
                problems.append(f"{where}: stored indicators need bounds min <= max")
            if i.value_type == "stars" and (i.min, i.max) != (1, 5):
                problems.append(f"{where}: stars are 1-5")
    if len({i.sort_order for i in cat.indicators}) != len(cat.indicators):
        problems.append("duplicate sort_order")
    if problems:
        raise CatalogError("; ".join(problems))


@cache
def catalog() -> Catalog:
    """The project catalog, read once per process."""
    return read_catalog()


# --- organisation tree ---------------------------------------------------------------


@dataclass(frozen=True)
class Unit:
    code: str
    name_zh: str
    name_en: str
    level: str
    parent_code: str | None
    active_from: str | None  # temporary branches exist only in these quarters
    active_to: str | None
    sort_order: int

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

    def __init__(self, units: list[Unit]):
        self.units = sorted(units, key=lambda u: u.sort_order)
        self.by_code = {u.code: u for u in self.units}
        self.children: dict[str | None, list[Unit]] = {}
        for u in self.units:
            self.children.setdefault(u.parent_code, []).append(u)
        self._depths: dict[str, int] = {}  # filled on demand by depth()
        self._check()

    def _check(self) -> None:
        problems = []
        if len(self.by_code) != len(self.units):
            problems.append("duplicate unit codes")
        roots = self.children.get(None, [])
        if len(roots) != 1:
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
            raise CatalogError("; ".join(problems))

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

    def is_reporting(self, code: str) -> bool:
        u = self.by_code[code]
        p = self.parent(code)
        return u.level == "party_group" or (p is not None and p.level == "party_group")

    @property
    def reporting_units(self) -> list[Unit]:
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


def read_tree(path: Path = ORG_TREE_CSV) -> Tree:
    rows = _read_csv(path)
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
