"""The disagreements the property tests (test_faces.py) found between the figures layer and the
oracle, each reduced by hand to a bureau of a few units, so that each says in one line what
the product answers and what the spec asks (the spec: tests/oracle/oracle.py's brief, docs/reading.md's
看数须知).  Each compares figures.ranking with the oracle AND states the spec's answer itself."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from dashboard.domain import figures
from tests.oracle import oracle
from tests.oracle.conftest import bureau

Q4 = ["2024Q4"]
# four committees directly under the party group; C2 holds two branches, the others one
TREE = [("G", "party_group", None), ("C1", "committee", "G"), ("C1B1", "branch", "C1"),
        ("C2", "committee", "G"), ("C2B1", "branch", "C2"), ("C2B2", "branch", "C2"),
        ("C3", "committee", "G"), ("C3B1", "branch", "C3"), ("C4", "committee", "G"), ("C4B1", "branch", "C4")]
COMMITTEES = ["C1", "C2", "C3", "C4"]
ALL_IN = [(u, "2024Q4") for u in ("G", *COMMITTEES)]


def both(bureau_store, facts, code, measure=None, units=COMMITTEES, quarters=Q4, returns=ALL_IN, rows=TREE):
    store = bureau_store.load(bureau(rows, quarters, returns, facts))
    expected = oracle.ranking(store, units, quarters, code, measure).set_index("unit_code")
    period = quarters[0] if len(quarters) == 1 else quarters[0][:4]
    got = figures.ranking(figures.Source.of_store(store), units, quarters, period, code,
                          measure=measure or "raw").frame.set_index("unit_code")
    return expected, got


def test_a_unit_meeting_its_rule_is_never_behind_even_tied_with_one_that_does_not(bureau_store):
    # theme days 2024Q4: C1 3 on its one branch (3 a branch: meets the rule of 3), C2 3 on two
    # branches (1.5: short), C3 5, C4 6.  The bottom tie at 3 is named; C1 meets its rule.
    facts = [("C1B1", "2024Q4", "theme_party_days", 3), ("C2B1", "2024Q4", "theme_party_days", 2),
             ("C2B2", "2024Q4", "theme_party_days", 1), ("C3B1", "2024Q4", "theme_party_days", 5),
             ("C4B1", "2024Q4", "theme_party_days", 6)]
    expected, got = both(bureau_store, facts, "theme_party_days")
    assert expected["behind"].to_dict() == {"C1": False, "C2": True, "C3": False, "C4": False}
    assert got["behind"].to_dict() == expected["behind"].to_dict(), "figures names C1, which meets its rule"


def test_a_ratio_whose_parts_came_in_is_reported_without_a_value_not_blank(bureau_store):
    # 学习强国 2024Q4: C1's branch entered its active users and left registered users blank; C2
    # entered 0 registered.  Returns in, figures entered: 已报送, and no rate to show (no rank).
    facts = [("C1B1", "2024Q4", "xxqg_active", 5), ("C2B1", "2024Q4", "xxqg_active", 0),
             ("C2B1", "2024Q4", "xxqg_registered", 0), ("C3B1", "2024Q4", "xxqg_active", 3),
             ("C3B1", "2024Q4", "xxqg_registered", 4)]
    expected, got = both(bureau_store, facts, "xxqg_rate")
    assert expected["state"].to_dict() == {"C1": "reported", "C2": "reported", "C3": "reported", "C4": "blank"}
    assert math.isnan(expected.loc["C1", "value"]) and math.isnan(expected.loc["C2", "value"])
    assert got["state"].to_dict() == expected["state"].to_dict(), "figures calls C1 and C2 已报送·未填写"


def test_figures_are_exact_never_rounded(bureau_store):
    # 学习强国 2024Q4: 2 active of 3 registered = 66.666…% (indicator_values.sql rounds to 4 places)
    facts = [("C1B1", "2024Q4", "xxqg_active", 2), ("C1B1", "2024Q4", "xxqg_registered", 3)]
    expected, got = both(bureau_store, facts, "xxqg_rate")
    assert expected.loc["C1", "value"] == 200 / 3
    assert got.loc["C1", "value"] == pytest.approx(200 / 3, rel=1e-12), "figures rounds to 4 places: 66.6667"


def test_the_bottom_walk_stops_at_a_unit_meeting_its_rule(bureau_store):
    # theme days 2024Q4, raw: C1 3 on one branch (meets 3 a branch), C2 4 on two (2: short),
    # C3 5, C4 6.  The worst, C1, meets its rule: nobody above it is behind (choice 4), so nobody
    # is named — C2 has more theme days than C1 and is not "behind" it.
    facts = [("C1B1", "2024Q4", "theme_party_days", 3), ("C2B1", "2024Q4", "theme_party_days", 2),
             ("C2B2", "2024Q4", "theme_party_days", 2), ("C3B1", "2024Q4", "theme_party_days", 5),
             ("C4B1", "2024Q4", "theme_party_days", 6)]
    expected, got = both(bureau_store, facts, "theme_party_days")
    assert expected["behind"].to_dict() == {"C1": False, "C2": False, "C3": False, "C4": False}
    assert got["behind"].to_dict() == expected["behind"].to_dict()



def test_a_rate_without_members_at_the_period_end_says_why_as_the_members_do(bureau_store):
    # 2024Q4: C1's branch admitted 2 and left its members blank; C2's admitted 1 with 40 members.
    # A rate per 100 members whose members figure has none takes the members' state (choice 7):
    # 已报送·未填写 here (the return came, the members were left blank), not 未报送.
    facts = [("C1B1", "2024Q4", "admitted_probationary", 2), ("C2B1", "2024Q4", "admitted_probationary", 1),
             ("C2B1", "2024Q4", "members_total", 40)]
    expected, got = both(bureau_store, facts, "admitted_probationary", "rate")
    assert expected.loc["C1", "state"] == "blank" and math.isnan(expected.loc["C1", "value"])
    assert expected.loc["C2", "value"] == pytest.approx(2.5)
    assert got["state"].to_dict() == expected["state"].to_dict()


def test_the_first_ranked_unit_is_never_named_behind(bureau_store):
    # theme days 2024Q4: C2 5 on two branches (2.5 a branch: short, yet the best), C1 3 on one
    # (meets 3), C3 3 on two (1.5: short).  The bottom tie at 3 is named (2 units): C3 behind, C1
    # meets its rule.  The figures layer counts only the units short of their
    # rule and walks on (main a718caf), so it names C2 — ranked first — behind.
    rows = [("G", "party_group", None), ("C1", "committee", "G"), ("C1B1", "branch", "C1"),
            ("C2", "committee", "G"), ("C2B1", "branch", "C2"), ("C2B2", "branch", "C2"),
            ("C3", "committee", "G"), ("C3B1", "branch", "C3"), ("C3B2", "branch", "C3")]
    facts = [("C1B1", "2024Q4", "theme_party_days", 3), ("C2B1", "2024Q4", "theme_party_days", 3),
             ("C2B2", "2024Q4", "theme_party_days", 2), ("C3B1", "2024Q4", "theme_party_days", 2),
             ("C3B2", "2024Q4", "theme_party_days", 1)]
    expected, got = both(bureau_store, facts, "theme_party_days", units=["C1", "C2", "C3"],
                         returns=[(u, "2024Q4") for u in ("G", "C1", "C2", "C3")], rows=rows)
    assert expected["rank"].to_dict() == {"C1": 2, "C2": 1, "C3": 2}
    assert expected["behind"].to_dict() == {"C1": False, "C2": False, "C3": True}
    assert got["behind"].to_dict() == expected["behind"].to_dict(), "figures names C2, ranked first"


def test_branches_are_those_whose_return_came_in(bureau_store):
    # 2024Q1: C1 (2 branches) rated them 5 and 3; C2's return (1 branch) never came in.  G's share
    # counts the branches the returns that came in speak for (choice 10): 2, and 1 of 2 rated 4+ —
    # C2's missing return is not one more unrated branch (that would read 33.3%).
    rows = [("G", "party_group", None), ("C1", "committee", "G"), ("C1B1", "branch", "C1"),
            ("C1B2", "branch", "C1"), ("C2", "committee", "G"), ("C2B1", "branch", "C2")]
    facts = [("C1B1", "2024Q1", "star_rating", 5), ("C1B2", "2024Q1", "star_rating", 3)]
    returns = [("G", "2024Q1"), ("C1", "2024Q1")]
    for code, want in (("branches_in_tree", 2.0), ("branches_4star_share", 50.0)):
        expected, got = both(bureau_store, facts, code, units=["G"], quarters=["2024Q1"], returns=returns, rows=rows)
        assert expected.loc["G", "state"] == "partial" and expected.loc["G", "value"] == pytest.approx(want)
        assert got.loc["G", "value"] == pytest.approx(want), f"figures gives {code} {got.loc['G', 'value']}"

# --- the export (dashboard/output/export.py) ------------------------------------------------------


def export_value(store, unit, first, last, granularity, code):
    from dashboard.output.export import export_frame

    long = export_frame(store, unit=unit, first=first, last=last, granularity=granularity, layout="long")
    got = long[(long["unit_code"] == unit) & (long["indicator_code"] == code)]["value"]
    return float(got.iloc[0]) if len(got) and not pd.isna(got.iloc[0]) else None


def test_export_of_a_year_has_no_stock_when_its_last_quarter_is_missing(demo_store):
    # the demo: SW08's 2024Q4 return never came in; its subtree's members were 58 in Q3
    expected = oracle.ranking(demo_store, ["SW08"], ["2024Q1", "2024Q2", "2024Q3", "2024Q4"], "members_total")
    assert expected["state"].tolist() == ["missing"]
    assert export_value(demo_store, "SW08", "2024Q1", "2024Q4", "year", "members_total") is None, \
        "the export gives 2024 Q3's 58 members"


def test_export_ratio_of_stocks_is_of_one_quarter(bureau_store):
    rows = [("G", "party_group", None), ("C1", "committee", "G"), ("C1B1", "branch", "C1")]
    year = ["2024Q1", "2024Q2", "2024Q3", "2024Q4"]
    returns = [(u, q) for q in year for u in ("G", "C1")]
    facts = [("C1B1", "2024Q3", "xxqg_registered", 20), ("C1B1", "2024Q3", "xxqg_active", 10),
             ("C1B1", "2024Q4", "xxqg_active", 15)]  # Q4: registered left blank
    store = bureau_store.load(bureau(rows, year, returns, facts))
    expected = oracle.ranking(store, ["C1"], year, "xxqg_rate").iloc[0]
    assert expected["state"] == "reported" and math.isnan(expected["value"])
    assert export_value(store, "C1", "2024Q1", "2024Q4", "year", "xxqg_rate") is None, \
        "the export divides Q4's 15 active by Q3's 20 registered: 75%"


def test_a_unit_with_nothing_to_divide_by_says_so_on_the_bar(bureau_store):
    # theme days 2024Q4 per branch: C5, a general branch with no branch under it, reported 1 theme
    # day; C1 …C4 one each.  C5's return is in (已报送) but there is no rate: its bar says why
    # (无下属支部), not 已报送 beside a grey 0 (found by test_page_faces on a generated bureau).
    from dashboard.output import charts

    rows = TREE + [("C5", "general_branch", "G")]
    units = COMMITTEES + ["C5"]
    facts = [(b, "2024Q4", "theme_party_days", 1) for b in ("C1B1", "C2B1", "C3B1", "C4B1", "C5")]
    expected, got = both(bureau_store, facts, "theme_party_days", measure="rate", units=units, rows=rows,
                         returns=ALL_IN + [("C5", "2024Q4")])
    assert expected.loc["C5", "state"] == got.loc["C5", "state"] == "reported"
    assert math.isnan(expected.loc["C5", "value"]) and math.isnan(got.loc["C5", "value"])
    bar = charts.ranking_bar(got.reset_index(), title="t", indicator="主题党日", unit="次/支部·季度",
                             value_type="score").data[0]
    assert {c[2]: txt for c, txt in zip(bar.customdata, bar.text)}["C5"] == "无下属支部"
