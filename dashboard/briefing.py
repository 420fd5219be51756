"""The 通报 (briefing) of one unit for a quarter, a half-year or a year: its figures, read from the
same named queries as the pages.

`gather(store, unit, period)` collects what the circular says — the headline figures and
their change on the previous quarter (as the overview), how many of the expected returns are
in and who was late or missing (as 报送情况), a ranking of the sub-units by each domain's
headline indicator with the bottom of it (as the domain pages), and the branches short of
三会一课 (as the study page) — as plain data and plotly figures; dashboard/output/briefing.py
turns it into the Word document.  Its headline figures come from
domain/headlines.py, as the overview's and the projector's too (changes like for like: from the returns that came in in both quarters),
so the page and the circular cannot disagree.

`query` is the store's `query` (the command line) or the app's cached state.query (the page).
Plain Python over named queries: no SQL, no duckdb, no Streamlit.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

import pandas as pd

from . import clock
from .domain import analysis, coverage, deadlines, figures, headlines, periods
from .domain.catalog import Catalog, Indicator
from .domain.filters import values_params
from .domain.rules import Rule
from .i18n import t
from .output import charts
from .settings import current as settings

Query = Callable[..., pd.DataFrame]


def headline_figures(query: Query, history, catalog: Catalog, units, last: str,
                     indicators: list[str] | None = None, lang: str = "zh", granularity: str = "quarter") -> pd.DataFrame:
    """headlines.figures for the period ending in quarter `last`, read through `query` (the overview's
    figures, so the page and the circular cannot disagree: changes like for like)."""
    def inputs(us, quarters):
        return coverage.inputs(history, query, us, quarters)

    return headlines.figures(query, inputs, history, catalog, units, last, granularity, indicators, lang)


@dataclass(frozen=True)
class Returns:
    """The returns due from the unit's reporting units in the period's quarters (submission_status)."""
    quarters: tuple[str, ...]
    deadline: date  # the last quarter's
    total: int  # returns due (one quarter: units)
    on_time: int
    late: list[tuple[str, str, str]]  # (unit name, quarter, the day it came in)
    missing: list[tuple[str, str]]  # (unit name, quarter): deadline passed, nothing in
    pending: list[tuple[str, str]]  # (unit name, quarter): not yet due, nothing in

    @property
    def done(self) -> int:
        return self.on_time + len(self.late)


@dataclass
class DomainPart:
    code: str
    name: str
    indicator: Indicator
    period: str  # the period ranked (by quarter, an indicator reported in Q1 only: its latest Q1)
    total: dict | None  # the unit's own figure: value, previous, delta_previous (None: no figure)
    ranking: pd.DataFrame  # figures.ranking's frame: rank, unit_code, unit_name, value, state, behind …
    bottom: list[dict]  # figures.ranking's bottom: who is named as behind
    figure: object | None  # the ranking bar chart (plotly), None when there is nothing to rank
    params: dict = field(default_factory=dict)  # the indicator_values parameters behind the ranking
    unit: str = ""  # the unit of measure of the ranked figure (a rate's: 次/支部·季度 …)
    measure: str = "raw"  # raw / rate


@dataclass(frozen=True)
class Compliance:
    rules: list[Rule]
    branches: int  # branches under the unit that reported any 三会一课 figure this quarter
    ok: int  # of them, meeting every rule
    n_short: int  # falling short of one rule or more
    short: pd.DataFrame  # analysis.compliance_short: the first settings.short_list_limit of them


@dataclass
class Briefing:
    unit_code: str
    unit_name: str
    period: str  # 2024Q4, 2024H1 or 2024
    lang: str
    issued: date
    is_demo: bool
    addressees: list[str]  # the levels of the unit's sub-units (committee, general_branch, ...), in tree order
    headlines: pd.DataFrame  # headline_figures for the unit
    returns: Returns
    domains: list[DomainPart]
    compliance: Compliance
    catalog: Catalog = field(repr=False)
    # the appendix: each headline figure with the returns and cells it was read from
    # (headline rows: indicator_code, period, value, and figures.SOURCE_COLUMNS)
    sources: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)

    @property
    def quarter(self) -> str:
        """The period's last quarter."""
        return periods.quarters_of(self.period)[-1]

    @property
    def granularity(self) -> str:
        return periods.granularity_of(self.period)

    @property
    def period_label(self) -> str:
        return periods.report_label(self.period, self.lang)

    def figures(self) -> dict[str, object]:
        """The charts to draw, by domain code."""
        return {d.code: d.figure for d in self.domains if d.figure is not None}


def _levels(tree, unit: str, quarter: str) -> list[str]:
    kids = [k for k in tree.kids(unit) if k.active_in(quarter)]
    return list(dict.fromkeys(k.level for k in kids))


def _returns(query: Query, history, unit: str, quarters: list[str], lang: str, set_apart: dict) -> Returns:
    status = query("submission_status", **analysis.expected_returns(history, [unit], quarters, whole=True,
                                                                    deadlines=set_apart))
    per_q = [analysis.completeness(status, q) for q in quarters]
    name = "unit_name_en" if lang == "en" else "unit_name_zh"
    late = status[status["status"] == "late"]
    deadline = deadlines.due(quarters[-1], set_apart)

    def of(state: str) -> list[tuple[str, str]]:
        rows = status[status["status"] == state]
        return list(zip(rows[name], rows["quarter"]))

    return Returns(
        quarters=tuple(quarters), deadline=deadline, total=sum(p["total"] for p in per_q),
        on_time=sum(p["submitted"] - p["late"] for p in per_q),
        late=[(r[name], r["quarter"], pd.Timestamp(r["submitted_at"]).date().isoformat()) for _, r in late.iterrows()],
        missing=of("missing"), pending=of("pending"),
    )


def _domain(src: figures.Source, tree, unit: str, period: str, lang: str, domain, heads: pd.DataFrame) -> DomainPart:
    """One domain's part: the unit's own figure (from `heads`, the circular's headline figures) and
    its sub-units ranked by the figures layer exactly as the pages rank them (the period the pages
    rank in: figures.ranking_period)."""
    catalog = src.catalog
    ind = catalog[catalog.headline(domain.code)]
    granularity, last = periods.granularity_of(period), periods.quarters_of(period)[-1]
    ref = figures.ranking_period(ind, [period], last, granularity)
    quarters = periods.quarters_of(ref)
    own = heads[heads["indicator_code"] == ind.code] if len(heads) and ind.code in set(heads["indicator_code"]) else \
        headline_figures(src.query, src.history, catalog, [unit], last, [ind.code], lang, granularity)
    total = own.iloc[0].to_dict() if len(own) else None
    units = analysis.scope_units(tree, [unit], quarters, src.history)
    params = values_params(units, quarters[0], quarters[-1], periods.granularity_of(ref), [ind.code])
    if units == [unit]:  # nothing under the unit to rank
        rank = figures.ranking(src, [], quarters, ref, ind.code, lang=lang)
        return DomainPart(domain.code, domain.name(lang), ind, ref, total, rank.frame, [], None, params, rank.unit,
                          rank.measure)
    rank = figures.ranking(src, units, quarters, ref, ind.code, lang=lang)
    figure = None
    if rank.n_ranked:
        figure = charts.ranking_bar(rank.frame, title=t("ranking_title", lang, indicator=ind.name(lang), period=ref),
                                    indicator=ind.name(lang), unit=rank.unit,
                                    value_type=ind.value_type if rank.measure == "raw" else "score", lang=lang)
        charts.tag(figure, "indicator_values", params, period=ref, measure=rank.measure)
    return DomainPart(domain.code, domain.name(lang), ind, ref, total, rank.frame, rank.bottom, figure, params,
                      rank.unit, rank.measure)


def _compliance(query: Query, catalog: Catalog, tree, unit: str, quarters: list[str]) -> Compliance:
    rules = catalog.compliance_rules
    groups = analysis.scope_units(tree, [unit], quarters)
    params = analysis.compliance_params(groups, quarters[0], quarters[-1])
    shares = query("compliance_shares", **params)
    every = shares[shares["rule"] == "all_ok"]
    branches, ok = int(every["branch_quarters"].sum()), int(every["n_ok"].sum())
    found = query("compliance_short", **params, limit=settings().short_list_limit)
    n_short = int(found["n_short"].iloc[0]) if len(found) else 0
    return Compliance(rules, branches, ok, n_short, analysis.compliance_short(found, rules))


def gather(store, unit: str, period: str, *, lang: str = "zh", query: Query | None = None,
           issued: date | None = None) -> Briefing:
    """Everything the circular of `unit` for `period` (2024Q4, 2024H1 or 2024) says, read through
    `query` (default: the store's own), with the figures layer's rules for the period (coverage,
    like for like, rates over the quarters reported).  The unit must be in the tree (the caller
    says so in its own words if not)."""
    query = query or store.query
    period = periods.period(period)
    quarters = periods.quarters_of(period)
    last = quarters[-1]
    catalog, tree = store.catalog, store.tree_at(last)  # the units, names and parents at the period's end
    granularity = periods.granularity_of(period)
    heads = headline_figures(query, store.history(), catalog, [unit], last, lang=lang, granularity=granularity)
    src = figures.Source.of_store(store, query)
    return Briefing(
        unit_code=unit, unit_name=tree[unit].name(lang), period=period, lang=lang,
        issued=issued or clock.today(), is_demo=store.has_demo(), addressees=_levels(tree, unit, last),
        headlines=heads,
        returns=_returns(query, store.history(), unit, quarters, lang, store.deadlines()),
        domains=[_domain(src, tree, unit, period, lang, d, heads) for d in catalog.domains],
        compliance=_compliance(query, catalog, tree, unit, quarters),
        catalog=catalog,
        sources=_sources(src, heads, lang),
    )


def _sources(src: figures.Source, heads: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The headline figures that have one, each with where it was read (figures.source_columns,
    as `export --with-source` gives them), for the circular's appendix."""
    if heads.empty:
        return pd.DataFrame()
    shown = heads[heads["state"].isin(figures.WITH_FIGURE)]
    parts = [pd.concat([rows, figures.source_columns(src, rows, periods.quarters_of(period)[0],
                                                     periods.quarters_of(period)[-1], periods.granularity_of(period),
                                                     lang=lang)], axis=1)
             for period, rows in shown.groupby("period", sort=False)]
    return pd.concat(parts).loc[shown.index] if parts else pd.DataFrame()
