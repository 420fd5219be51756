"""The oracle itself, on tiny bureaus worked out by hand: if these fail, the oracle is wrong, not
the product."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from tests.oracle import oracle
from tests.oracle.conftest import bureau

Q = ["2024Q1", "2024Q2", "2024Q3", "2024Q4"]
# G (party group) > C1 committee (B1, B2, B3), C2 committee (B1), C3 general branch (B1), C4 committee (none)
TREE = [("G", "party_group", None), ("C1", "committee", "G"), ("C1B1", "branch", "C1"), ("C1B2", "branch", "C1"),
        ("C1B3", "branch", "C1"), ("C2", "committee", "G"), ("C2B1", "branch", "C2"),
        ("C3", "general_branch", "G"), ("C3B1", "branch", "C3"), ("C4", "committee", "G")]
COMMITTEES = ["C1", "C2", "C3", "C4"]


def row(frame, unit):
    got = frame[frame["unit_code"] == unit]
    assert len(got) == 1
    return got.iloc[0]


def load(bureau_store, returns, facts, quarters=Q, rows=TREE):
    return bureau_store.load(bureau(rows, quarters, returns, facts))


def every(quarters=Q, units=("G", "C1", "C2", "C3", "C4"), but=()):
    return [(u, q) for q in quarters for u in units if (u, q) not in but]


def test_stock_with_its_last_quarter_missing_is_missing_not_the_older_value(bureau_store):
    facts = [(b, q, "members_total", v) for q in Q[:3] for b, v in (("C1B1", 20), ("C1B2", 10))]
    facts += [("G", q, "members_total", 3) for q in Q]
    store = load(bureau_store, every(but={("C1", "2024Q4")}), facts)
    got = oracle.ranking(store, ["G", "C1"], Q, "members_total")
    c1 = row(got, "C1")
    assert (c1.state, c1.done, c1.total) == ("missing", 0, 1)
    assert math.isnan(c1.raw) and math.isnan(c1.value) and pd.isna(c1["rank"]) and not c1.behind
    g = row(got, "G")  # due at Q4: every reporting unit, C1's missing; only G's own figure is in
    assert (g.state, g.done, g.total, g.value) == ("partial", 4, 5, 3.0)
    # over the first three quarters the stock is Q3's
    c1_q3 = row(oracle.ranking(store, ["C1"], Q[:3], "members_total"), "C1")
    assert (c1_q3.state, c1_q3.value) == ("reported", 30.0)


def test_partial_year_rate_per_branch_quarter_counts_the_quarters_reported(bureau_store):
    # C1: 3 branches, 2 theme days each in Q1..Q3 (18 in all), its Q4 return missing
    facts = [(b, q, "theme_party_days", 2) for q in Q[:3] for b in ("C1B1", "C1B2", "C1B3")]
    store = load(bureau_store, every(but={("C1", "2024Q4")}), facts)
    c1 = row(oracle.ranking(store, COMMITTEES, Q, "theme_party_days", "rate"), "C1")
    assert (c1.state, c1.done, c1.total, c1.raw) == ("partial", 3, 4, 18.0)
    assert c1.value == pytest.approx(2.0)  # 18 / 3 branches / 3 quarters


def test_rate_per_100_members_and_its_missing_denominator(bureau_store):
    facts = [("C1B1", "2024Q4", "admitted_probationary", 2), ("C1B1", "2024Q4", "members_total", 40),
             ("C2B1", "2024Q4", "admitted_probationary", 1)]  # C2: no members figure
    store = load(bureau_store, every(["2024Q4"]), facts)
    got = oracle.ranking(store, COMMITTEES, ["2024Q4"], "admitted_probationary", "rate")
    assert row(got, "C1").value == pytest.approx(2 / 0.4)  # 2 per 40 members = 5 per 100, one quarter
    c2 = row(got, "C2")
    assert c2.state == "blank" and math.isnan(c2.value) and c2.raw == 1.0  # the members' state: left blank


def test_exact_ties_share_the_rank_and_the_bottom_tie_is_named_whole(bureau_store):
    # theme days in one quarter: C1 3 (3 branches: 1 each), C2 3, C3 1, C4 1 (C4 enters its own)
    facts = [(b, "2024Q4", "theme_party_days", 1) for b in ("C1B1", "C1B2", "C1B3")]
    facts += [("C2B1", "2024Q4", "theme_party_days", 3), ("C3B1", "2024Q4", "theme_party_days", 1),
              ("C4", "2024Q4", "theme_party_days", 1)]
    store = load(bureau_store, every(["2024Q4"]), facts)
    got = oracle.ranking(store, COMMITTEES, ["2024Q4"], "theme_party_days").set_index("unit_code")
    assert got["rank"].tolist() == [1, 1, 3, 3]
    assert got["tied"].tolist() == [2, 2, 2, 2]
    # C3 (1 a quarter on 1 branch) and C4 (no branch) fall short of 3 a branch: behind; C1 and C2 not
    assert got["behind"].tolist() == [False, False, True, True]


def test_a_unit_meeting_its_rule_is_never_behind(bureau_store):
    # one branch each: C1's three 3 + 3 + 3 ... per branch: C1 3, C2 3, C3 4 → C1... worst two meet the rule
    facts = [(b, "2024Q4", "theme_party_days", 3) for b in ("C1B1", "C1B2", "C1B3")]
    facts += [("C2B1", "2024Q4", "theme_party_days", 4), ("C3B1", "2024Q4", "theme_party_days", 5)]
    store = load(bureau_store, every(["2024Q4"]), facts)
    got = oracle.ranking(store, ["C1", "C2", "C3"], ["2024Q4"], "theme_party_days", "rate").set_index("unit_code")
    assert got["value"].tolist() == [3.0, 4.0, 5.0]
    assert got["rank"].tolist() == [3, 2, 1]
    assert not got["behind"].any()  # C1 and C2 are the bottom two, each meets 3 a branch·quarter
    raw = oracle.ranking(store, ["C1", "C2", "C3"], ["2024Q4"], "theme_party_days").set_index("unit_code")
    assert raw["value"].tolist() == [9.0, 4.0, 5.0]
    assert not raw["behind"].any()  # the raw bottom two (C2 4, C3 5) meet it too


def test_rank_none_ranks_descending_and_names_nobody(bureau_store):
    facts = [("C1", "2024Q4", "form1_cases", 2), ("C1", "2024Q4", "form2_cases", 1),
             ("C2", "2024Q4", "form1_cases", 0), ("C3", "2024Q4", "form4_cases", 1), ("C4", "2024Q4", "form3_cases", 0)]
    store = load(bureau_store, every(["2024Q4"]), facts)
    assert oracle.CATALOG["four_forms_total"].rank == "none"
    got = oracle.ranking(store, COMMITTEES, ["2024Q4"], "four_forms_total").set_index("unit_code")
    assert got["value"].tolist() == [3.0, 0.0, 1.0, 0.0]
    assert got["rank"].tolist() == [1, 3, 2, 3]
    assert not got["behind"].any()


def test_blank_na_and_not_asked(bureau_store):
    facts = [("C1B1", "2024Q4", "branch_general_meetings", 1)]
    store = load(bureau_store, every(["2024Q4"]), facts)
    got = oracle.ranking(store, COMMITTEES, ["2024Q4"], "branch_general_meetings").set_index("unit_code")
    assert got["state"].tolist() == ["reported", "blank", "blank", "na"]  # C4 holds no branch
    assert got["value"].isna().tolist() == [False, True, True, True]
    stars = oracle.ranking(store, COMMITTEES, ["2024Q4"], "star_rating")
    assert set(stars["state"]) == {"not_asked"}  # star ratings are asked in Q1 only


def test_a_committee_total_stands_for_its_subtree(bureau_store):
    facts = [("C1", "2024Q4", "members_total", 100), ("C1B1", "2024Q4", "members_total", 20),
             ("C1B2", "2024Q4", "members_total", 10), ("C2B1", "2024Q4", "members_total", 7),
             ("C2", "2024Q4", "theme_party_days", 1), ("C2B1", "2024Q4", "theme_party_days", 2)]
    store = load(bureau_store, every(["2024Q4"]), facts)
    got = oracle.ranking(store, ["G", "C1", "C2"], ["2024Q4"], "members_total").set_index("unit_code")
    assert got["value"].tolist() == [107.0, 100.0, 7.0]
    theme = oracle.ranking(store, ["C2"], ["2024Q4"], "theme_party_days")  # levels all: both count
    assert theme["value"].tolist() == [3.0]


def test_stars_derived_from_the_last_q1(bureau_store):
    facts = [("C1B1", "2024Q1", "star_rating", 5), ("C1B2", "2024Q1", "star_rating", 3),
             ("C2B1", "2024Q1", "star_rating", 4)]
    store = load(bureau_store, every(["2024Q1", "2024Q2"]), facts)
    got = {c: oracle.ranking(store, ["C1", "C2"], ["2024Q1", "2024Q2"], c).set_index("unit_code")["value"].tolist()
           for c in ("star_rating", "branches_rated", "branches_4star", "branches_in_tree", "branches_4star_share")}
    assert got == {"star_rating": [4.0, 4.0], "branches_rated": [2.0, 1.0], "branches_4star": [1.0, 1.0],
                   "branches_in_tree": [3.0, 1.0], "branches_4star_share": [pytest.approx(100 / 3), 100.0]}


def test_a_moved_branch_counts_where_the_quarters_tree_puts_it(bureau_store):
    rows = [("G", "party_group", None), ("C1", "committee", "G"), ("C2", "committee", "G"),
            ("C2B1", "branch", "C2"), ("B", "branch", "C1", None, "2024Q1"), ("B", "branch", "C2", "2024Q2", None)]
    qs = ["2024Q1", "2024Q2"]
    facts = [("B", "2024Q1", "theme_party_days", 5), ("B", "2024Q2", "theme_party_days", 7)]
    store = load(bureau_store, every(qs, ("G", "C1", "C2")), facts, qs, rows)
    got = oracle.ranking(store, ["C1", "C2"], qs, "theme_party_days").set_index("unit_code")
    assert got["value"].tolist() == [5.0, 7.0]
    rate = oracle.ranking(store, ["C1", "C2"], qs, "theme_party_days", "rate").set_index("unit_code")
    # at Q2, the period's end, C1 holds no branch (no rate) and C2 two
    assert math.isnan(rate.loc["C1", "value"]) and rate.loc["C2", "value"] == pytest.approx(7 / 2 / 2)


def test_a_temporary_branch_outside_the_asked_quarter_is_not_asked(bureau_store):
    rows = TREE + [("C4T", "temp_branch", "C4", "2024Q3", "2024Q3")]
    facts = [("C1B1", "2024Q1", "star_rating", 4)]
    store = load(bureau_store, every(), facts, Q, rows)
    got = oracle.ranking(store, ["C4", "C4T", "C1"], Q, "star_rating").set_index("unit_code")
    # C4 holds a branch only in Q3, and star ratings are asked in Q1: nobody under it is asked
    assert got["state"].tolist() == ["na", "na", "reported"]
    members = oracle.ranking(store, ["C4", "C4T"], Q, "theme_party_days").set_index("unit_code")
    assert members["state"].tolist() == ["blank", "blank"]  # asked (Q3), due and in, left blank
    assert members["total"].tolist() == [4, 1]


def test_people_in_a_period_are_each_units_peak_summed(bureau_store):
    # 理论知识测试 (peak over time, sum over units): C1B1 tests 5 in Q1 and 2 in Q2, C1B2 1 then 4.
    # The peak of the quarterly sums is 7; different people took the tests: 5 + 4 = 9.
    qs = ["2024Q1", "2024Q2"]
    facts = [("C1B1", "2024Q1", "theory_test_takers", 5), ("C1B1", "2024Q2", "theory_test_takers", 2),
             ("C1B2", "2024Q1", "theory_test_takers", 1), ("C1B2", "2024Q2", "theory_test_takers", 4),
             ("C2", "2024Q1", "theory_test_takers", 10), ("C2B1", "2024Q1", "theory_test_takers", 3),
             ("C2B1", "2024Q2", "theory_test_takers", 6)]
    store = load(bureau_store, every(qs), facts, qs)
    got = oracle.ranking(store, ["C1", "C2", "G"], qs, "theory_test_takers").set_index("unit_code")["value"]
    # C2's own total of Q1 (10) stands for its branch that quarter; in Q2 its branch's 6 counts
    assert got.to_dict() == {"C1": 9.0, "C2": 16.0, "G": 25.0}
