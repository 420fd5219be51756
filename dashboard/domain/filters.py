"""The filters every page shares — units, period range, granularity, language — as plain data.

The app keeps them in the URL (`?unit=SW01&unit=SW02&period=2024Q1&period=2024Q4&gran=half&lang=en`)
so a copied link opens the same view.  This module turns whatever arrives there into a valid
`Filters` (unknown units dropped, a reversed range put right, bad values replaced by defaults)
and back; it knows nothing of Streamlit.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..i18n import DEFAULT_LANG, LANGS
from ..settings import current as settings
from . import periods
from .access import within as _within
from .tree import Tree

# URL query-parameter names, which are also the Streamlit widget keys of the sidebar filters.
KEY_UNITS = "unit"
KEY_PERIOD = "period"
KEY_GRAN = "gran"
KEY_LANG = "lang"
DEFAULT_GRANULARITY = "quarter"


@dataclass(frozen=True)
class Filters:
    units: tuple[str, ...]
    first: str  # quarter
    last: str  # quarter
    granularity: str = DEFAULT_GRANULARITY
    lang: str = DEFAULT_LANG

    @property
    def quarters(self) -> list[str]:
        return periods.quarter_range(self.first, self.last)

    @property
    def current_period(self) -> str:
        """The period the range ends in: what 'this period' means on every page."""
        return periods.period_of(self.last, self.granularity)

    def values_params(self, units=None, indicators=(), scope: str = "subtree", first=None, last=None,
                      granularity=None) -> dict:
        """Bound parameters for queries/charts/indicator_values.sql under these filters."""
        return values_params(self.units if units is None else units, first or self.first, last or self.last,
                             granularity or self.granularity, indicators, scope)

    def as_args(self) -> dict:
        """These filters as JSON-able arguments (for a cached builder); Filters.of_args reads them back."""
        return {"units": list(self.units), "first": self.first, "last": self.last,
                "granularity": self.granularity, "lang": self.lang}

    @classmethod
    def of_args(cls, args: dict) -> Filters:
        return cls(**{**args, "units": tuple(args["units"])})

    def to_query(self) -> dict[str, str | list[str]]:
        return {
            KEY_UNITS: list(self.units),
            KEY_PERIOD: [self.first, self.last],
            KEY_GRAN: self.granularity,
            KEY_LANG: self.lang,
        }


def values_params(units, first: str, last: str, granularity: str = DEFAULT_GRANULARITY, indicators=(),
                  scope: str = "subtree") -> dict:
    """Bound parameters for queries/charts/indicator_values.sql: every figure of `units` (their
    subtree's, or exactly their own with scope='own') for `indicators` (all if empty) in the
    quarters first..last rolled into periods of `granularity`."""
    span = periods.period_map(first, last, granularity)
    # whether a period holds more than one quarter: only then do people and teams need each unit's
    # own peak (the query skips reading the facts for it otherwise)
    several = len(set(span["periods"])) < len(span["quarters"])
    return {"units": list(units), "from": first, "to": last, "indicators": list(indicators), "scope": scope,
            "granularity": granularity, "several": several, **span}


def default_range(available: list[str], span: int | None = None) -> tuple[str, str]:
    """The last `span` quarters of the data (the whole of it if shorter); with no data yet, the
    current quarter by the product's clock."""
    span = span or settings().default_span_quarters
    if not available:
        now = periods.current_quarter()
        return (now, now)
    return (available[max(0, len(available) - span)], available[-1])


def fileable_quarters(history, available: list[str]) -> list[str]:
    """The quarters a return may be filed for, the current one first: from the tree's first quarter
    (History.first_quarter; a tree open at its start: the first quarter with data, else the
    current one) to the current quarter by the product's clock."""
    now = periods.current_quarter()
    first = (history.first_quarter() if history is not None else None) or (available[0] if available else now)
    if periods.quarter_index(first) > periods.quarter_index(now):
        return []
    return periods.quarter_range(first, now)[::-1]


def _as_list(value) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value]


def clean(raw: dict, tree: Tree, available: list[str], within: str | None = None) -> Filters:
    """Filters from raw query-parameter values, every bad part replaced by its default.

    `within`: the top of the scope the viewer may see (access.Principal.top; None: the whole
    tree).  Units outside it are dropped; if none of the units asked for is left, the scope's
    top unit is shown instead (a link to another committee opens one's own)."""
    top = within if within in tree else tree.root.code
    asked = _as_list(raw.get(KEY_UNITS))
    units = []
    for code in asked:
        if code in tree and code not in units and (top == tree.root.code or _within(tree, code, top)):
            units.append(code)
    if KEY_UNITS not in raw or (asked and not units and top != tree.root.code):
        units = [top]
    units = units[:settings().sidebar_max_units]
    first, last = default_range(available)
    span = _as_list(raw.get(KEY_PERIOD))
    try:
        chosen = [periods.quarter(q) for q in span]
    except periods.PeriodError:
        chosen = []
    if available:
        chosen = [q for q in chosen if q in available]
    if chosen:
        a, b = chosen[0], chosen[-1]
        if periods.quarter_index(a) > periods.quarter_index(b):
            a, b = b, a
        first, last = a, b
    gran = raw.get(KEY_GRAN)
    gran = gran if gran in periods.GRANULARITIES else DEFAULT_GRANULARITY
    lang = raw.get(KEY_LANG)
    lang = lang if lang in LANGS else DEFAULT_LANG
    return Filters(tuple(sorted(units, key=lambda c: tree[c].sort_order)), first, last, gran, lang)


def unit_options(tree: Tree, selected=(), within: str | None = None) -> list[str]:
    """The units the sidebar's picker offers, tree-aware so it stays small at any scale: the
    top of the scope (`within`, default the root) and its children, and for each selected unit
    its ancestors, its siblings and its children (pick a city bureau and its committees become
    options) — only those within the scope, in the tree's order."""
    top = within if within in tree else tree.root.code
    out = {top}
    out.update(k.code for k in tree.kids(top))
    for code in selected:
        if code not in tree:
            continue
        out.update(a.code for a in tree.ancestors(code))
        parent = tree.parent(code)
        out.update(k.code for k in (tree.kids(parent.code) if parent else [tree[code]]))
        out.update(k.code for k in tree.kids(code))
    if top != tree.root.code:
        out = {c for c in out if _within(tree, c, top)}
    return sorted(out, key=lambda c: tree[c].sort_order)



def unit_label(tree: Tree, code: str, lang: str = DEFAULT_LANG, indent: bool = True) -> str:
    """A unit's name, indented by its depth so the picker reads as the tree."""
    u = tree[code]
    pad = "\u3000" * tree.depth(code) if indent else ""
    return f"{pad}{u.name(lang)}"
