"""Known cases on the demo database (dashboard/demo.py), by the oracle, each checked against the
raw facts as well: the demo's missing returns are SW08 and SW09 in 2024Q4, SW11 in 2023Q2 and
SW12 in 2024Q3."""

from __future__ import annotations

import math

import pytest

from tests.oracle import oracle
from tests.support.figures import active_facts

YEAR = ["2024Q1", "2024Q2", "2024Q3", "2024Q4"]


@pytest.fixture(scope="module")
def demo(demo_db_file):
    """The demo's raw tables, read once (the oracle reads nothing else)."""
    from dashboard.db import Store

    with Store(demo_db_file) as store:
        return oracle.Raw.of(store), store.tree(), active_facts(store)


def kids(tree, code="SW"):
    return [k.code for k in tree.kids(code)]


def test_sw12_a_branch_is_not_asked_the_four_forms(demo):
    raw, tree, _ = demo
    assert tree["SW12"].level == "branch"
    got = oracle.ranking(raw, kids(tree), ["2024Q4"], "four_forms_total").set_index("unit_code")
    assert got.loc["SW12", "state"] == "na"
    assert math.isnan(got.loc["SW12", "value"]) and got.loc["SW12", "total"] == 0


def test_sw08_members_2024_missing_as_its_q4_return_is(demo):
    raw, tree, facts = demo
    assert ("SW08", "2024Q4") not in raw.returns_in and ("SW08", "2024Q3") in raw.returns_in
    got = oracle.ranking(raw, kids(tree), YEAR, "members_total").set_index("unit_code")
    sw08 = got.loc["SW08"]
    assert (sw08["state"], sw08["done"], sw08["total"]) == ("missing", 0, 1)
    assert math.isnan(sw08["value"]) and math.isnan(sw08["raw"])
    # the raw facts hold SW08's subtree's Q3 members, which the year's figure must not show
    q3 = facts[(facts["quarter"] == "2024Q3") & (facts["indicator_code"] == "members_total")
               & facts["unit_code"].isin({u.code for u in tree.subtree("SW08")})]
    assert q3["value"].sum() > 0


def test_sw08_theme_days_2024_per_branch_quarter_over_the_three_quarters_it_reported(demo):
    raw, tree, facts = demo
    sub = {u.code for u in tree.subtree("SW08")}
    mine = facts[(facts["indicator_code"] == "theme_party_days") & facts["unit_code"].isin(sub)
                 & facts["quarter"].isin(YEAR)]
    assert set(mine["quarter"]) == {"2024Q1", "2024Q2", "2024Q3"}
    assert mine["value"].sum() == 18
    got = oracle.ranking(raw, kids(tree), YEAR, "theme_party_days", "rate").set_index("unit_code")
    sw08 = got.loc["SW08"]
    assert (sw08["state"], sw08["done"], sw08["total"], sw08["raw"]) == ("partial", 3, 4, 18.0)
    assert sw08["value"] == pytest.approx(2.0)  # 18 / 3 branches / 3 quarters
