"""The figures section of a 工作总结: what a unit's half-year or year summary says in numbers, each
figure taken from the figures layer (figures.table: the explorer's and the export's rows) with the
returns it covers, so a secretary can paste the paragraphs into the summary and defend every number.

`gather(store, unit, period)` reads the figures; dashboard/output/summary.py writes one paragraph per
domain in the style of the seeds (「全年召开党委会9次，开展主题党日52次……」), with the phrase of
each indicator from data/summary_phrases.csv, and the appendix that lists every figure with its
coverage.  Nothing is invented: a figure whose returns are not all in says how many units it covers;
one with no return says nothing.

Plain Python over named queries: no SQL, no Streamlit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import pandas as pd

from . import clock
from .domain import coverage, figures, periods
from .domain.catalog import Catalog, Indicator


@dataclass(frozen=True)
class Figure:
    indicator: Indicator
    value: float | None  # None: no figure (its state says why)
    state: str
    coverage: str  # figures.table's words: 「11/13 个单位已报送」 …
    quarters: tuple[str, ...]  # the quarters it stands on (a stock: the last asked; star ratings: Q1)
    units_due: int  # reporting units due in those quarters
    units_in: int  # of them, every return in
    approx: bool = False  # includes a figure written as an approximation: said as written (「34万余元」)


@dataclass
class Summary:
    unit_code: str
    unit_name: str
    level: str
    period: str
    lang: str
    issued: date
    is_demo: bool
    domains: list[tuple[str, str, list[Figure]]]  # (code, name, figures in catalog order)
    catalog: Catalog = field(repr=False)

    @property
    def period_label(self) -> str:
        return periods.report_label(self.period, self.lang)


def gather(store, unit: str, period: str, *, lang: str = "zh", query=None, issued: date | None = None) -> Summary:
    """Every figure of `unit` for `period` (2024, 2024H1, 2024Q4), by domain, from figures.table."""
    period = periods.period(period)
    quarters = periods.quarters_of(period)
    src = figures.Source.of_store(store, query)
    cat = src.catalog
    rows = figures.table(src, [unit], quarters[0], quarters[-1], periods.granularity_of(period), [], lang=lang)
    rows = rows.set_index("indicator_code")
    due, reported = src.inputs([unit], quarters)
    mine = due.get(unit, {})
    tree = store.tree_at(quarters[-1])
    domains = []
    for d in cat.domains:
        found = []
        for ind in cat.of_domain(d.code):
            if ind.code not in rows.index:
                continue
            r = rows.loc[ind.code]
            rel = coverage.relevant_quarters(cat, ind, quarters)
            c = coverage.coverage(mine, reported, rel)
            value = None if pd.isna(r["value"]) else float(r["value"])
            found.append(Figure(ind, value, r["state"], r["coverage"], tuple(rel), len(c.units_due),
                                len(c.units_due) - len(c.units_missing), bool(r["approx"])))
        domains.append((d.code, d.name(lang), found))
    return Summary(unit, tree[unit].name(lang), tree[unit].level, period, lang, issued or clock.today(),
                   store.has_demo(), domains, cat)
