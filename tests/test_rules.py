"""Every rule is defined once (data/rules.csv) and every place that applies it agrees: the
validator, the study page's 三会一课 figures and the template's 填报说明."""

from __future__ import annotations

import random

from dashboard.domain import analysis
from dashboard.domain.catalog import catalog
from dashboard.ingest import build_template, import_return
from dashboard.ingest.layout import GUIDE_SHEET
from tests.support.returns import fill, known_value, load

RULES = catalog().compliance_rules
CODES = {r.left[0] for r in RULES}


def test_the_validator_warns_about_exactly_the_branches_the_study_page_counts_short(empty_store):
    """A generated quarter: SW01's branches get random 三会一课 figures, some blank, some short.
    The branches the upload warns about are the branches compliance_short lists."""
    rng = random.Random(2024)
    picks: dict[tuple[int, str], object] = {}

    def value(ind, i):
        if ind.code not in CODES:
            return known_value(ind, i)
        if (i, ind.code) not in picks:
            blank_row = i % 5 == 4  # every fifth unit leaves all four blank: not a branch-quarter at all
            picks[(i, ind.code)] = None if blank_row or rng.random() < 0.15 else rng.choice([0, 1, 2, 3, 3, 4])
        return picks[(i, ind.code)]

    data, typed = fill(build_template(empty_store, "SW01", "2024Q3"), value)
    outcome = import_return(empty_store, data, "SW01_2024Q3.xlsx", user="tester")
    assert outcome.status == "loaded", [p.message_en for p in outcome.errors]
    warned = {p.unit_code for p in outcome.warnings if p.indicator_code in CODES}
    params = analysis.compliance_params(["SW01"], "2024Q3", "2024Q3")
    short = set(empty_store.query("compliance_short", **params, limit=10_000)["unit_code"])
    assert warned == short
    branches = {u for (u, c), v in typed.items() if c in CODES and v is not None}
    assert short and branches - short, "the generated quarter has branches both short and not"


def test_the_template_guide_states_every_rule_of_the_data(empty_store):
    wb = load(build_template(empty_store, "SW01", "2024Q3"))
    text = "\n".join(str(c.value) for row in wb[GUIDE_SHEET].iter_rows() for c in row if c.value)
    for rule in catalog().rules:
        assert rule.statement_zh in text and rule.statement_en in text, rule.code
