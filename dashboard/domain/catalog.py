"""The indicator catalog, read from `data/`: domains, indicators, each domain's own charts, rules.

`data/catalog.csv` (one line per indicator), `data/domains.csv` (one line per domain),
`data/domain_charts.csv` (the charts a domain shows beside its ranking and trend) and
`data/rules.csv` (every cross-field and compliance rule) are the one place each of these is
defined: the template, the validator, the schema, the labels, the pages and the SQL all read
them from here.  This module parses and checks them; it knows nothing of units (see tree.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path

from ..settings import current as settings
from . import periods
from .datafile import codes, read_rows
from .rules import Rule, read_rules
from .tree import BRANCH_LEVELS, COMMITTEE_LEVELS

CATALOG_FILES = ("catalog.csv", "domains.csv", "domain_charts.csv", "rules.csv")

VALUE_TYPES = ("count", "money", "stars", "score", "rate")
TIME_AGGS = ("sum", "last", "max", "derived")  # flow, stock, peak, recomputed
UNIT_AGGS = ("sum", "max", "mean", "derived")
# which units report an indicator; "branch_or_total": branches report it, and a unit above them
# that knows only its total may enter that on its own row: its figure then stands for its whole
# subtree (the roll-up takes it instead of its units' figures, never both)
LEVEL_GROUPS = ("branch", "committee", "all", "branch_or_total")
# The kinds of chart a domain may show beside its ranking and trend (data/domain_charts.csv);
# the app draws each kind, a test holds every kind to a drawing.
CHART_KINDS = ("compliance", "funnel", "star_heatmap", "star_distribution", "stacked", "season_panels")
# count / count_high: branches rated / rated >= threshold; branches: the branches the tree holds
# (in the quarters the named indicator has figures), the denominator of a share of all branches
FORMULA_OPS = ("ratio", "sum", "count", "count_high", "branches")
# What a size-dependent indicator is divided by to compare units of different sizes fairly:
# per 100 members (the unit's 党员总数 at the period's end) or per branch (its branches then).
RATE_BASES = ("members_total", "branches")
# Which way a unit is behind (docs/reading.md, 看数须知): a low value (higher_better), a high one
# (lower_better), or never named for it at all (none: discipline cases, pure size).
RANK_DIRECTIONS = ("higher_better", "lower_better", "none")

_FORMULA_RE = re.compile(r"^(?P<op>[a-z_]+)\((?P<args>[a-z0-9_, ]+)\)$")


@dataclass(frozen=True)
class Domain:
    code: str
    name_zh: str
    name_en: str
    icon: str  # a Material Symbols name, for the navigation
    sort_order: int
    # on the overview (its headline cards, its bottom list, its link): leadership's choice, so the
    # landing page does not grow with every domain; every domain has its page, template sheet,
    # export, 通报 section and projector slide whatever this says
    on_overview: bool = True
    since: str = ""  # the template version that first has its sheet ("" : every version)

    def name(self, lang: str = "zh") -> str:
        return self.name_en if lang == "en" else self.name_zh

    def new_to(self, version: str) -> bool:
        """Whether a return on template `version` (an earlier one, still accepted) lacks its sheet."""
        return bool(self.since) and version < self.since


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
    rank: str  # one of RANK_DIRECTIONS
    size_dependent: bool = False  # grows with the unit's size: raw sums rank size, not work
    rate_per: str | None = None  # one of RATE_BASES: the fair comparison's denominator
    # the largest figure on the own row of a unit above the branches (a bureau's 专题教育3056次 for
    # the whole system), where it is larger than a branch's `max`; None: `max` for every row
    max_above: float | None = None
    since: str = ""  # the template version that first asks it ("" : every version)

    def new_to(self, version: str) -> bool:
        """Whether a return on template `version` (an earlier one, still accepted) lacks it."""
        return bool(self.since) and version < self.since

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

    @property
    def lower_is_better(self) -> bool:
        return self.rank == "lower_better"

    @property
    def names_laggards(self) -> bool:
        """Whether a unit may be named as behind on this indicator (not a discipline count, not a size)."""
        return self.rank != "none"

    def name(self, lang: str = "zh") -> str:
        return self.name_en if lang == "en" else self.name_zh

    def unit(self, lang: str = "zh") -> str:
        return self.unit_en if lang == "en" else self.unit_zh

    @property
    def total_allowed(self) -> bool:
        """A committee may enter its subtree's total on its own row (levels branch_or_total)."""
        return self.levels == "branch_or_total"

    @property
    def people_in_period(self) -> bool:
        """People or teams counted per quarter that roll up over time as a peak, never a sum."""
        return self.time_agg == "max" and self.unit_agg == "sum"

    def reported_by(self, unit_level: str) -> bool:
        if self.levels in ("all", "branch_or_total"):
            return True
        if self.levels == "branch":
            return unit_level in BRANCH_LEVELS
        return unit_level in COMMITTEE_LEVELS

    def in_quarter(self, quarter: str) -> bool:
        return self.quarters == "all" or quarter.endswith(self.quarters)

    def at_level(self, unit_level: str) -> Indicator:
        """The indicator as a row of `unit_level` is checked: a unit above the branches takes
        `max_above` as its bound (its own row may hold its whole system's figure)."""
        if self.max_above is None or unit_level in BRANCH_LEVELS:
            return self
        return replace(self, max=self.max_above)


@dataclass(frozen=True)
class DomainChart:
    """A chart a domain shows beside its ranking and trend, of a kind in CHART_KINDS."""

    domain: str
    chart: str
    indicators: tuple[str, ...]
    title_zh: str  # may name {first} and {last} (the period range) or {quarter}
    title_en: str
    note_zh: str
    note_en: str
    sort_order: int

    def title(self, lang: str = "zh", **fields) -> str:
        """The title with its fields; a quarter among them as a person reads it (2024Q3 →
        「2024年第3季度」, as every other title on the page says it), a year as given."""
        shown = {k: periods.label(v, lang) if _is_quarter(v) else v for k, v in fields.items()}
        return (self.title_en if lang == "en" else self.title_zh).format(**shown)

    def note(self, lang: str = "zh") -> str:
        return self.note_en if lang == "en" else self.note_zh


def _is_quarter(value) -> bool:
    try:
        periods.parse_quarter(value)
    except periods.PeriodError:
        return False
    return True


@dataclass(frozen=True)
class Catalog:
    domains: tuple[Domain, ...]
    indicators: tuple[Indicator, ...]
    by_code: dict[str, Indicator] = field(repr=False)
    charts: tuple[DomainChart, ...] = ()
    rules: tuple[Rule, ...] = ()

    @property
    def overview_domains(self) -> list[Domain]:
        """The domains leadership put on the overview (data/domains.csv, column overview)."""
        return [d for d in self.domains if d.on_overview]

    @property
    def headlines(self) -> list[Indicator]:
        """The headline figures of the overview's domains: the overview's cards, the projector's
        first slide, compare's profile and the 通报's opening paragraph."""
        shown = {d.code for d in self.overview_domains}
        return [i for i in self.indicators if i.headline and i.domain in shown]

    def charts_of(self, domain: str) -> list[DomainChart]:
        return [c for c in self.charts if c.domain == domain]

    def chart(self, domain: str, kind: str) -> DomainChart:
        for c in self.charts:
            if c.domain == domain and c.chart == kind:
                return c
        raise KeyError(f"{domain}/{kind}")

    @property
    def cross_field_rules(self) -> list[Rule]:
        return [r for r in self.rules if r.kind == "at_most"]

    @property
    def totals_of(self) -> list[Rule]:
        """Totals a unit may enter without their parts (四种形态 with no form given)."""
        return [r for r in self.rules if r.kind == "total_of"]

    @property
    def compliance_rules(self) -> list[Rule]:
        """三会一课: what one branch must hold in one quarter (支部工作条例)."""
        return [r for r in self.rules if r.kind == "compliance"]

    def headline(self, domain: str) -> str:
        """The indicator a domain is ranked by — its page's default, the overview's bottom list, the
        通报, the projector: its first headline indicator that may name a unit (column `rank`; not
        党员总数, a size); a domain with none (纪律执纪) by its first headline, naming nobody."""
        inds = self.of_domain(domain)
        heads = [i for i in inds if i.headline] or list(inds)
        return next((i for i in heads if i.names_laggards), heads[0]).code

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


def read_catalog(data_dir: Path) -> Catalog:
    """The catalog held by the four files in `data_dir` (see CATALOG_FILES), checked."""
    domains = tuple(
        sorted(
            (Domain(r["code"], r["name_zh"], r["name_en"], r["icon"], int(r["sort_order"]),
                    (r.get("overview") or "1").strip() == "1", (r.get("since") or "").strip())
             for r in read_rows(data_dir / "domains.csv")),
            key=lambda d: d.sort_order,
        )
    )
    charts = tuple(sorted(
        (DomainChart(r["domain"], r["chart"], codes(r["indicators"]), r["title_zh"], r["title_en"], r["note_zh"],
                     r["note_en"], int(r["sort_order"]))
         for r in read_rows(data_dir / "domain_charts.csv")),
        key=lambda c: (c.domain, c.sort_order)))
    indicators = []
    for r in read_rows(data_dir / "catalog.csv"):
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
                rank=(r.get("rank") or "").strip() or "higher_better",
                size_dependent=(r.get("size_dependent") or "").strip() == "1",
                rate_per=(r.get("rate_per") or "").strip() or None,
                max_above=_num(r.get("max_above") or ""),
                since=(r.get("since") or "").strip(),
            )
        )
    indicators.sort(key=lambda i: i.sort_order)
    catalog = Catalog(domains, tuple(indicators), {i.code: i for i in indicators}, charts,
                      read_rules(data_dir / "rules.csv"))
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
        if i.rank not in RANK_DIRECTIONS:
            problems.append(f"{where}: rank must be one of {', '.join(RANK_DIRECTIONS)}")
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
                    i.formula_op == "ratio" and part.formula_op in ("count", "count_high", "branches")))
                if not countable:
                    problems.append(f"{where}: formula names {a!r}, which is not a stored indicator")
            if i.formula_op == "ratio" and (len(i.formula_args) != 2 or i.value_type != "rate"):
                problems.append(f"{where}: ratio takes numerator and denominator and is a rate")
            if i.formula_op in ("count", "count_high", "branches") and len(i.formula_args) != 1:
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
            if i.max_above is not None and i.max is not None and i.max_above < i.max:
                problems.append(f"{where}: max_above is the larger bound of a unit above the branches")
            if i.value_type == "stars" and (i.min, i.max) != (1, 5):
                problems.append(f"{where}: stars are 1-5")
        if i.rate_per is not None:
            if i.rate_per not in RATE_BASES:
                problems.append(f"{where}: rate_per must be one of {', '.join(RATE_BASES)}")
            if not i.size_dependent or i.value_type not in ("count", "money"):
                problems.append(f"{where}: only a size-dependent count or sum of money has a rate_per")
    if len({i.sort_order for i in cat.indicators}) != len(cat.indicators):
        problems.append("duplicate sort_order")
    if len(domain_codes) != len(cat.domains):
        problems.append("duplicate domain codes")
    for d in cat.domains:
        if not re.fullmatch(r"[a-z][a-z0-9_]*", d.code):
            problems.append(f"domain {d.code!r}: code must be lower_snake_case (it is the page's address)")
        if not cat.of_domain(d.code):
            problems.append(f"domain {d.code}: no indicators")
    for c in cat.charts:
        where = f"chart {c.domain}/{c.chart}"
        if c.domain not in domain_codes:
            problems.append(f"{where}: unknown domain")
        if c.chart not in CHART_KINDS:
            problems.append(f"{where}: unknown chart kind (one of {', '.join(CHART_KINDS)})")
        for code in c.indicators:
            if code not in cat.by_code:
                problems.append(f"{where}: unknown indicator {code!r}")
        if not (c.title_zh and c.title_en):
            problems.append(f"{where}: a title in both languages is required")
        if c.chart == "funnel":
            # a funnel's stages are all flows (entered in the period) or all stocks (held at its
            # end): a stage of one kind beside one of the other makes it widen for no reason
            kinds = {cat.by_code[code].kind for code in c.indicators if code in cat.by_code}
            if len(kinds) > 1:
                problems.append(f"{where}: funnel stages mix {' and '.join(sorted(kinds))}; use one kind")
    problems += [f"rule {r.code}: {p}" for r in cat.rules for p in r.problems(cat.by_code)]
    if len({r.code for r in cat.rules}) != len(cat.rules):
        problems.append("duplicate rule codes")
    if problems:
        raise CatalogError("; ".join(problems))


def catalog() -> Catalog:
    """The catalog of settings.data_dir, read once per process (and folder)."""
    return _catalog_of(settings().data_dir)


@cache
def _catalog_of(data_dir: Path) -> Catalog:
    return read_catalog(data_dir)
