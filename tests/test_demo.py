"""The demo bureau's data: deterministic, at the seeds' magnitudes, with laggards and gaps, and
removed in one step."""

from __future__ import annotations

import pandas as pd

from dashboard.demo import demo_returns, load_demo
from tests.support.figures import iv


def one_fact(unit: str, indicator: str, value: float) -> pd.DataFrame:
    return pd.DataFrame([(unit, indicator, value)], columns=["unit_code", "indicator_code", "value"])


def test_demo_data_is_deterministic(empty_store):
    tree = empty_store.tree()
    first = [(r, q, f.to_csv()) for r, q, f, _ in demo_returns(tree, seed=7)]
    second = [(r, q, f.to_csv()) for r, q, f, _ in demo_returns(tree, seed=7)]
    assert first == second
    assert first != [(r, q, f.to_csv()) for r, q, f, _ in demo_returns(tree, seed=8)]


def test_demo_data_has_the_seeds_magnitudes(demo_store):
    v = iv(demo_store, units=["SW", "SW01"], granularity="year", scope="subtree",
                         indicators=["members_total", "activists", "admitted_probationary",
                                     "branches_4star_share", "temp_branches", "commando_teams", "four_forms_total"],
                         **{"from": "2023Q1", "to": "2023Q4"})
    got = {(r.unit_code, r.indicator_code): r.value for r in v.itertuples()}
    assert 180 <= got[("SW01", "members_total")] <= 250  # seed: ten branches, 213 members
    assert 10 <= got[("SW01", "activists")] <= 40  # seed: 22 activists
    assert 1 <= got[("SW01", "admitted_probationary")] <= 8  # seed: a handful a year
    assert 80 <= got[("SW", "branches_4star_share")] <= 95  # seed: 90%
    assert got[("SW", "temp_branches")] == 2  # the 2023 flood: 2 temporary branches
    assert got[("SW", "commando_teams")] == 10  # and 10 commando teams
    assert 30 <= got[("SW", "four_forms_total")] <= 120  # seed: 60 person-times


def test_demo_has_laggards_and_missing_returns(demo_store):
    subs = demo_store.table("submissions")
    sent = set(subs.loc[(subs["quarter"] == "2024Q4") & (subs["status"] == "active"), "unit_code"])
    missing = {u.code for u in demo_store.tree().kids("SW")} - sent
    assert missing == {"SW08", "SW09"}
    assert demo_store.has_demo()


def test_demo_data_is_removed_in_one_step_leaving_real_returns(demo_store):
    demo_store.submit("SW01", "2025Q1", one_fact("SW0101", "theme_party_days", 3), user="张三")
    assert demo_store.clear_demo() > 100
    assert not demo_store.has_demo()
    left = demo_store.table("submissions")[["unit_code", "submitted_by"]]
    assert left.to_dict("records") == [{"unit_code": "SW01", "submitted_by": "张三"}]
    assert (demo_store.table("rollup")["quarter"] >= "2025Q1").all()
    # and it can be loaded again
    assert load_demo(demo_store) > 100
