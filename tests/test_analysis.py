"""The app's plain logic: shared filters, rankings, comparison windows, 三会一课 compliance,
submission status, and the named queries the pages add — no Streamlit involved."""

from __future__ import annotations


import pandas as pd
import pytest

from dashboard import clock
from dashboard.domain import analysis, filters
from dashboard.domain.catalog import catalog
from dashboard.domain.tree import read_tree
from tests.conftest import small_tree
from tests.support import oracles
from tests.support.figures import active_facts

QUARTERS = [f"{y}Q{q}" for y in (2022, 2023, 2024) for q in (1, 2, 3, 4)]


@pytest.fixture(scope="module")
def tree():
    return read_tree()


# --- filters --------------------------------------------------------------------------


def test_filters_default_to_root_and_last_twelve_quarters(tree):
    f = filters.clean({}, tree, QUARTERS)
    assert f.units == ("SW",)
    assert (f.first, f.last, f.granularity, f.lang) == ("2022Q1", "2024Q4", "quarter", "zh")


def test_filters_survive_a_round_trip_through_the_url(tree):
    f = filters.Filters(("SW01", "SW02"), "2023Q1", "2024Q2", "half", "en")
    assert filters.clean(f.to_query(), tree, QUARTERS) == f


def test_bad_url_values_fall_back_to_defaults(tree):
    raw = {"unit": ["SW02", "NOPE", "SW01", "SW01"], "period": ["2024Q2", "2023q1"], "gran": "weekly", "lang": "fr"}
    f = filters.clean(raw, tree, QUARTERS)
    assert f.units == ("SW01", "SW02")  # unknown dropped, duplicates dropped, tree order
    assert (f.first, f.last) == ("2023Q1", "2024Q2")  # normalised and put in order
    assert (f.granularity, f.lang) == ("quarter", "zh")
    bad = filters.clean({"period": ["1999Q1", "x"]}, tree, QUARTERS)
    assert (bad.first, bad.last) == ("2022Q1", "2024Q4")


def test_an_empty_unit_parameter_means_no_unit(tree):
    assert filters.clean({"unit": []}, tree, QUARTERS).units == ()


def test_current_period_follows_granularity():
    f = filters.Filters(("SW",), "2023Q1", "2024Q3", "half")
    assert f.current_period == "2024H2"
    assert filters.Filters(("SW",), "2023Q1", "2024Q3", "year").current_period == "2024"


# --- scope and ranking ------------------------------------------------------------------


def test_one_unit_ranks_its_children_several_rank_themselves(tree):
    assert analysis.scope_units(tree, ["SW08"]) == ["SW0801", "SW0802", "SW0803"]
    assert analysis.scope_units(tree, ["SW09", "SW01"]) == ["SW01", "SW09"]
    assert analysis.scope_units(tree, ["SW0101"]) == ["SW0101"]  # a branch has no children


def test_temporary_branches_count_only_in_their_quarters(tree):
    assert "SW03T1" in analysis.scope_units(tree, ["SW03"], ["2023Q3"])
    assert "SW03T1" not in analysis.scope_units(tree, ["SW03"], ["2024Q1", "2024Q2"])


def test_siblings_of():
    t = small_tree()
    assert analysis.siblings_of(t, ["C1B1", "C2"]) == ["C1B1", "C1B2", "C1", "C2"]


def test_reporting_scope(tree):
    assert analysis.reporting_scope(tree, ["SW0301"]) == ["SW03"]
    assert analysis.reporting_scope(tree, ["SW"])[:3] == ["SW", "SW01", "SW02"]
    assert len(analysis.reporting_scope(tree, ["SW"])) == len(tree.reporting_units)


# --- periods compared -------------------------------------------------------------------


@pytest.mark.parametrize("last, gran, expected", [
    ("2024Q4", "quarter", {"current": ("2024Q4", "2024Q4"), "previous": ("2024Q3", "2024Q3"),
                           "year_before": ("2023Q4", "2023Q4")}),
    ("2024Q3", "half", {"current": ("2024Q3", "2024Q3"), "previous": ("2024Q1", "2024Q1"),
                        "year_before": ("2023Q3", "2023Q3")}),
    ("2024Q2", "year", {"current": ("2024Q1", "2024Q2"), "previous": ("2023Q1", "2023Q2"),
                        "year_before": ("2023Q1", "2023Q2")}),
])
def test_comparison_windows_are_like_for_like(last, gran, expected):
    assert analysis.comparison_windows(last, gran) == expected


def test_reference_quarter_for_indicators_reported_once_a_year():
    assert analysis.reference_quarter("all", "2024Q4") == "2024Q4"
    assert analysis.reference_quarter("Q1", "2024Q4") == "2024Q1"
    assert analysis.reference_quarter("Q3", "2024Q2") == "2023Q3"


# --- 三会一课 --------------------------------------------------------------------------


RULES = catalog().compliance_rules


def test_the_plain_check_by_hand(small_store):
    """The oracle itself, on figures a person can check: two branches, three quarters."""
    rows = [("C1B1", "2024Q1", 1, 3, 3, 1), ("C1B1", "2024Q2", 0, 3, 3, 1), ("C1B2", "2024Q1", 1, 2, 4, 1)]
    returns: dict[str, list] = {}
    for unit, quarter, gm, cm, td, pl in rows:
        returns.setdefault(quarter, []).extend([
            (unit, "branch_general_meetings", gm), (unit, "branch_committee_meetings", cm),
            (unit, "theme_party_days", td), (unit, "party_lectures", pl)])
    for quarter, facts in returns.items():  # one return of C1 a quarter
        small_store.submit("C1", quarter, facts, user="t")
    per = oracles.branch_quarters(small_store, ["C1"], "2024Q1", "2024Q4", RULES)
    assert per["all_ok"].tolist() == [True, False, False]
    s = oracles.shares(per, RULES).iloc[0]
    assert s["branch_quarters"] == 3
    assert s["branch_general_meetings"] == pytest.approx(66.7)
    assert s["branch_committee_meetings"] == pytest.approx(66.7)
    assert s["theme_party_days"] == 100.0 and s["party_lectures"] == 100.0 and s["all_ok"] == pytest.approx(33.3)


def test_compliance_of_demo_data_puts_the_laggards_last(demo_store):
    groups = [k.code for k in demo_store.tree().kids("SW")]
    params = analysis.compliance_params(groups, "2024Q1", "2024Q4")
    summary = analysis.compliance_shares(demo_store.query("compliance_shares", **params), RULES)
    worst = summary.set_index("group_code")["all_ok"].nsmallest(2).index.tolist()
    assert sorted(worst) == ["SW08", "SW09"]


@pytest.mark.parametrize("unit", ["SW", "SW01", "SW0101"])
def test_compliance_in_sql_equals_the_plain_check_on_every_branch_quarter(demo_store, unit):
    """compliance_shares / compliance_short (what the study page shows) give exactly what the
    plain check of every branch-quarter gives."""
    tree = demo_store.tree()
    groups = [k.code for k in tree.kids(unit)] or [unit]
    params = analysis.compliance_params(groups, "2022Q1", "2024Q4")
    per = oracles.branch_quarters(demo_store, groups, "2022Q1", "2024Q4", RULES)
    want = oracles.shares(per, RULES)
    got = analysis.compliance_shares(demo_store.query("compliance_shares", **params), RULES)
    pd.testing.assert_frame_equal(got[list(want.columns)], want, check_dtype=False)
    short = per[~per["all_ok"]].reset_index(drop=True)
    for limit in (3, 10_000):
        found = demo_store.query("compliance_short", **params, limit=limit)
        assert found["n_short"].eq(len(short)).all()
        shown = analysis.compliance_short(found, RULES)
        cols = ["unit_code", "quarter", *[r.left[0] for r in RULES]]
        pd.testing.assert_frame_equal(shown[cols], short[cols].head(limit), check_dtype=False)


def test_a_rule_with_nothing_required_is_always_met_in_sql(demo_store, tmp_path, monkeypatch):
    """data/rules.csv with two 三会一课 rules, theme days needing 0: every branch-quarter meets it
    (SW08's meet none of the 3 the real rule asks), and meeting all is meeting the other."""
    import shutil

    from dashboard.db import Store
    from dashboard.settings import DATA_DIR

    params = analysis.compliance_params(["SW08"], "2024Q1", "2024Q4")
    before = analysis.compliance_shares(demo_store.query("compliance_shares", **params), RULES).iloc[0]
    assert before["theme_party_days"] == 0.0
    data_dir = tmp_path / "data"
    shutil.copytree(DATA_DIR, data_dir)
    lines = (data_dir / "rules.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    kept = [line for line in lines if not line.startswith(("committee_meetings,", "lectures,"))]
    kept = [line.replace(",theme_party_days,,,,,3,", ",theme_party_days,,,,,0,") for line in kept]
    assert len(kept) == len(lines) - 2
    (data_dir / "rules.csv").write_text("".join(kept), encoding="utf-8")
    monkeypatch.setenv("DANGJIAN_DATA_DIR", str(data_dir))
    demo_store.close()
    with Store(demo_store.url) as store:
        rules = store.catalog.compliance_rules
        assert [(r.left[0], r.minimum) for r in rules] == [("branch_general_meetings", 1), ("theme_party_days", 0)]
        got = analysis.compliance_shares(store.query("compliance_shares", **params), rules).iloc[0]
    assert got["theme_party_days"] == 100.0
    assert got["all_ok"] == got["branch_general_meetings"] == before["branch_general_meetings"] < 100.0


# --- queries the pages add ----------------------------------------------------------------


def test_submission_status_marks_missing_and_late_returns(demo_store):
    due = analysis.expected_returns(demo_store.history(), ["SW08", "SW09", "SW12"], ["2024Q3", "2024Q4"],
                                    whole=True)
    assert due == {"units": ["SW08", "SW09", "SW12"] * 2, "quarters": ["2024Q3"] * 3 + ["2024Q4"] * 3,
                   "deadlines": ["2024-10-15"] * 3 + ["2025-01-15"] * 3,  # 15 days after each quarter
                   "today": clock.today().isoformat()}
    status = demo_store.query("submission_status", **due)
    by = status.set_index(["unit_code", "quarter"])
    assert by.loc[("SW08", "2024Q4"), "status"] == "missing"
    assert by.loc[("SW12", "2024Q3"), "status"] == "missing"
    submitted = status[status["submission_id"].notna()]
    assert submitted["is_demo"].all()
    for r in submitted.itertuples():  # late means after the 15th day after the quarter's end
        assert (r.status == "late") == (pd.Timestamp(r.submitted_at).normalize() > pd.Timestamp(r.deadline))
    assert str(by.loc[("SW08", "2024Q3"), "deadline"])[:10] == "2024-10-15"
    done = analysis.completeness(status, "2024Q4")
    assert (done["submitted"], done["total"], done["missing_codes"]) == (1, 3, ["SW08", "SW09"])


def test_status_matrix_has_a_row_per_unit_and_a_column_per_quarter(demo_store):
    status = demo_store.query("submission_status", **analysis.expected_returns(
        demo_store.history(), ["SW", "SW08"], ["2024Q3", "2024Q4"], whole=False))
    status = status[status["unit_code"].isin(["SW", "SW08"])]
    m = analysis.status_matrix(status)
    assert m["unit_code"].tolist() == ["SW", "SW08"]
    assert m.loc[1, "2024Q4"] == "missing" and m.loc[0, "2024Q4"].endswith("+demo")


def test_star_distribution_counts_every_rated_branch_once(demo_store):
    tree = demo_store.tree()
    dist = demo_store.query("star_distribution", groups=["SW01", "SW08"], indicator="star_rating",
                            **{"from": "2022Q1", "to": "2024Q4"})
    per_group = dist.groupby("group_code")["n_branches"].sum().to_dict()
    assert per_group == {"SW01": len(tree.kids("SW01")), "SW08": len(tree.kids("SW08"))}
    assert dist["stars"].between(1, 5).all()


def test_submission_history_and_diff_after_a_resubmission(demo_store):
    sw12 = {u.code for u in demo_store.tree().return_units("SW12")}
    facts = active_facts(demo_store)
    facts = facts[facts["unit_code"].isin(sw12) & (facts["quarter"] == "2024Q2")].copy()
    facts.loc[facts["indicator_code"] == "theme_party_days", "value"] = 9.0
    result = demo_store.submit("SW12", "2024Q2", facts, user="测试", file_name="again.xlsx", sha256="x" * 64)
    history = demo_store.query("submission_history", units=["SW12"], **{"from": "2024Q2", "to": "2024Q2"})
    assert history["status"].tolist() == ["active", "superseded"]
    assert history["submitted_by"].iloc[0] == "测试"
    diff = demo_store.query("submission_diff", new_id=result.submission_id, old_id=result.superseded_id)
    assert diff["indicator_code"].tolist() == ["theme_party_days"] and diff["new_value"].iloc[0] == 9.0


# --- the unit picker and the submission matrix's scope ----------------------------------------


def test_unit_options_are_the_tree_around_the_selection(tree):
    from dashboard.domain import filters as flt

    top = flt.unit_options(tree, [])
    assert top == ["SW"] + [k.code for k in tree.kids("SW")]
    deep = flt.unit_options(tree, ["SW0301"])
    assert {"SW", "SW03", "SW0301"} <= set(deep)
    assert {k.code for k in tree.kids("SW03")} <= set(deep)  # siblings
    assert {k.code for k in tree.kids("SW0301")} <= set(deep)  # children
    assert deep == sorted(deep, key=lambda c: tree[c].sort_order)
    assert flt.unit_options(tree, ["nope"]) == top


def test_reporting_of_scope_is_the_returns_behind_the_ranked_units(tree):
    assert analysis.reporting_of_scope(tree, ["SW0301"]) == ["SW03"]
    assert analysis.reporting_of_scope(tree, ["SW"]) == ["SW"] + [k.code for k in tree.kids("SW")]
    assert set(analysis.reporting_of_scope(tree, ["SW"])) <= set(analysis.reporting_scope(tree, ["SW"]))
