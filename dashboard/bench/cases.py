"""Every chart query of the benchmark with the parameters its page passes, and its plain-pandas
twin: what the query run times (run.py) and the growth run repeats (growth.py)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from dashboard import demo
from dashboard.db import Store
from dashboard.domain import analysis, periods
from dashboard.domain.filters import values_params
from dashboard.settings import current as current_settings

from . import baseline as plain
from . import province

FIRST, LAST = province.PROVINCE_FIRST_QUARTER, province.PROVINCE_LAST_QUARTER


@dataclass(frozen=True)
class QueryCase:
    """One chart query with the parameters a page passes, and its plain-pandas twin."""

    name: str
    query: str
    params: dict
    baseline: Callable[[plain.PlainData, dict], object]
    key: tuple[str, ...] = tuple(plain.KEY)
    value: str = "value"


def _iv_plain(data: plain.PlainData, p: dict):
    return plain.indicator_values(data, p["units"], p["from"], p["to"], p["granularity"], p["indicators"],
                                  p["scope"])


def _iv(units, indicators=(), first=FIRST, last=LAST, granularity="quarter", scope="subtree") -> dict:
    return values_params(units, first, last, granularity, indicators, scope)


def query_cases(store: Store, first: str = FIRST, last: str = LAST) -> list[QueryCase]:
    """Every named query behind a chart, with the parameters its page passes when the
    sidebar selects the whole province, one city, or one committee (see dashboard/app), over
    the quarters `first`..`last` (the data's span: the growth run loads longer ones)."""
    tree, cat = store.tree(), store.catalog

    def iv(units, indicators=(), first=first, last=last, **more) -> dict:
        return _iv(units, indicators, first, last, **more)

    root = tree.root.code
    city = tree.kids(root)[0].code
    committee = tree.kids(city)[0].code
    quarters = periods.quarter_range(first, last)
    heads = [i.code for i in cat.headlines]
    study = cat.headline("study")
    season = cat.chart("flood", "season_panels").indicators
    rule_codes = [r.left[0] for r in cat.compliance_rules]  # the plain way applies the rules itself
    needs = [float(r.minimum) for r in cat.compliance_rules]
    cases = []
    for scope, code in (("province", root), ("city", city), ("committee", committee)):
        kids = analysis.scope_units(tree, [code], quarters)
        compliance = analysis.compliance_params(kids, first, last)  # as the study page asks
        cases += [
            QueryCase(f"{scope} · ranking (indicator_values)", "indicator_values", iv(kids, [study]), _iv_plain),
            QueryCase(f"{scope} · trend (indicator_values)", "indicator_values", iv([code], [study]), _iv_plain),
            QueryCase(f"{scope} · headlines (indicator_values)", "indicator_values",
                      iv([code], heads, first=last, last=last), _iv_plain),
            QueryCase(f"{scope} · star heatmap (indicator_values)", "indicator_values",
                      iv(kids, ["star_rating"], granularity="year"), _iv_plain),
            QueryCase(f"{scope} · flood panels (indicator_values)", "indicator_values",
                      iv(kids, season, first=demo.FLOOD_QUARTER, last=demo.FLOOD_QUARTER), _iv_plain),
            QueryCase(f"{scope} · explorer, whole catalog (indicator_values)", "indicator_values",
                      iv([code] + kids), _iv_plain),
            QueryCase(f"{scope} · 三会一课 shares (compliance_shares)", "compliance_shares", compliance,
                      lambda d, p: plain.compliance_shares(d, p["groups"], rule_codes, needs, p["from"],
                                                           p["to"]),
                      key=("group_code", "rule", "branch_quarters"), value="n_ok"),
            QueryCase(f"{scope} · 三会一课 short (compliance_short)", "compliance_short",
                      compliance | {"limit": current_settings().short_list_limit},
                      lambda d, p: plain.compliance_short(d, p["groups"], rule_codes, needs, p["from"],
                                                          p["to"], p["limit"]),
                      key=("group_code", "unit_code", "quarter", "n_short"), value="reported"),
            QueryCase(f"{scope} · star distribution (star_distribution)", "star_distribution",
                      {"groups": kids, "indicator": "star_rating", "from": first, "to": last},
                      lambda d, p: plain.star_distribution(d, p["groups"], p["indicator"], p["from"], p["to"]),
                      key=("group_code", "stars"), value="n_branches"),
            QueryCase(f"{scope} · completeness (submission_status)", "submission_status",
                      analysis.expected_returns(store.history(), [code], quarters, whole=True),
                      lambda d, p: plain.submission_status(d, p["units"], p["quarters"], p["deadlines"],
                                                             p["today"]),
                      key=("unit_code", "quarter"), value="status"),
        ]
    cases.append(QueryCase("committee · own rows (indicator_values)", "indicator_values",
                           iv([u.code for u in tree.return_units(committee)], scope="own"), _iv_plain))
    cases.append(QueryCase("committee · history (submission_history)", "submission_history",
                           {"units": [committee], "from": last, "to": last},
                           lambda d, p: plain.submission_history(d, p["units"], p["from"], p["to"]),
                           key=("submission_id",), value="n_values"))
    return cases


