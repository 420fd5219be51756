"""The one figures layer (dashboard/domain/figures.py): ranks, rates, states and who is behind,
against figures worked out by hand from the demo (dashboard/demo.py: SW08 and SW09 sent no 2024Q4
return, SW12 none for 2024Q3) and small hand-made rankings.  tests/oracle compares every face
with an independent recomputation over generated bureaus."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from dashboard.domain import figures, periods
from dashboard.domain.catalog import catalog
from dashboard.output import briefing as out
from dashboard.output import charts
from tests.support.figures import iv

KIDS = [f"SW{i:02d}" for i in range(1, 13)]


@pytest.fixture(scope="module")
def store(demo_db_file):
    from dashboard.db import Store

    with Store(demo_db_file) as s:
        yield s


@pytest.fixture(scope="module")
def src(store):
    return figures.Source.of_store(store)


def rank_of(src, code, quarters, period, measure=None, units=KIDS):
    return figures.ranking(src, units, quarters, period, code, measure=measure)


# --- stocks, states, rates ------------------------------------------------------------------------


def test_a_year_stock_is_the_year_end_and_the_bars_sum_to_the_total(src, store):
    """SW08 and SW09, with no 2024Q4 return, have no 2024 党员总数 (never their Q3 58 and 91): the bars
    sum to the bureau's 1,272."""
    q = periods.quarter_range("2024Q1", "2024Q4")
    r = rank_of(src, "members_total", q, "2024", measure="raw").frame.set_index("unit_code")
    total = iv(store, units=["SW"], indicators=["members_total"], granularity="year",
               **{"from": "2024Q1", "to": "2024Q4"})["value"].iloc[0]
    assert r["value"].sum() == total == 1272
    assert r.loc[["SW08", "SW09"], "state"].tolist() == ["missing", "missing"]
    assert r.loc[["SW08", "SW09"], "value"].isna().all()
    assert r.loc["SW12", "group"] == "branch" and r.loc["SW12", "n_ranked"] == 1
    assert r.loc["SW01", "group"] == "committee" and r.loc["SW01", "n_ranked"] == 9
    fig = charts.ranking_bar(r.reset_index(), title="t", indicator="党员总数", unit="人", value_type="count")
    bar = fig.data[0]
    assert sum(x for x, txt in zip(bar.x, bar.text) if txt != "未报送") == 1272


def test_a_partial_year_rate_divides_by_the_quarters_reported(src):
    """SW08's 2024 主题党日: 18 over its 3 branches and the 3 quarters it reported = 2.00, not 1.50."""
    q = periods.quarter_range("2024Q1", "2024Q4")
    r = rank_of(src, "theme_party_days", q, "2024", measure="rate").frame.set_index("unit_code")
    assert r.loc["SW08", "raw"] == 18 and r.loc["SW08", "quarters_in"] == 3 and r.loc["SW08", "denominator"] == 3
    assert r.loc["SW08", "value"] == pytest.approx(2.0)
    assert r.loc["SW08", "state"] == "partial"


def test_a_rate_per_member_needs_the_members_of_the_same_period_end(src):
    """SW08's 2024 四种形态 per 100 members: its 2024Q4 members are not reported, so no rate (before, its
    Q3 58 members made it first at 2.59)."""
    q = periods.quarter_range("2024Q1", "2024Q4")
    r = rank_of(src, "four_forms_total", q, "2024", measure="rate").frame.set_index("unit_code")
    assert math.isnan(r.loc["SW08", "value"]) and r.loc["SW08", "state"] == "missing"
    assert pd.isna(r.loc["SW08", "rank"])


def test_discipline_names_nobody_and_a_branch_is_not_applicable(src):
    r = rank_of(src, "four_forms_total", ["2024Q4"], "2024Q4")
    by = r.frame.set_index("unit_code")
    assert by.loc["SW12", "state"] == "na"  # 水利工程质量监督站党支部 did report; discipline is committee-only
    assert by.loc["SW08", "state"] == by.loc["SW09", "state"] == "missing"
    assert not r.frame["behind"].any() and r.bottom == []
    bar = charts.ranking_bar(r.frame, title="t", indicator="四种形态合计", unit="人次", value_type="count").data[0]
    labels = dict(zip(bar.y, bar.text))
    assert labels["水利工程质量监督站党支部"] == "不适用" and labels["节约用水办公室党总支"] == "未报送"


def test_a_tie_at_the_bottom_is_one_entry(src):
    """防汛动员 2024Q3 (raw): 8 committees had no commando team; SW12 sent no return that quarter."""
    r = rank_of(src, "commando_teams", ["2024Q3"], "2024Q3", measure="raw")
    assert len(r.bottom) == 1
    assert r.bottom[0]["value"] == 0 and len(r.bottom[0]["units"]) == 8
    assert set(r.bottom[0]["units"]) == {"SW01", "SW02", "SW04", "SW06", "SW07", "SW08", "SW10", "SW11"}
    assert (r.bottom[0]["rank"], r.bottom[0]["n_ranked"]) == (4, 11)
    assert r.frame.loc[r.frame["state"] == "missing", "unit_code"].tolist() == ["SW12"]  # apart, not as 0


def test_a_figure_meeting_its_rule_is_never_behind(src):
    """主题党日 2024Q4 per branch·quarter: every committee holds at least 3 (the rule), so nobody is
    named, although 排水管理中心党委 has the lowest rate (3.14)."""
    r = rank_of(src, "theme_party_days", ["2024Q4"], "2024Q4")
    by = r.frame.set_index("unit_code")
    assert r.measure == "rate" and by.loc["SW03", "value"] == pytest.approx(22 / 7)
    assert by["meets_rule"][by["value"].notna()].all()
    assert r.bottom == []


def test_a_return_with_the_cell_left_blank_is_not_a_missing_return(src):
    """突击队 2024Q4: every return came in and none filled it in: 已报送·未填写, not 未报送."""
    r = rank_of(src, "commando_teams", ["2024Q4"], "2024Q4").frame.set_index("unit_code")
    assert r.loc["SW01", "state"] == "blank" and r.loc["SW08", "state"] == "missing"
    assert figures.state_text("blank") == "已报送·未填写"


def test_the_star_share_is_ranked_at_its_quarter(src, store):
    ind = store.catalog["branches_4star_share"]
    assert figures.ranking_period(ind, ["2024Q1", "2024Q3"], "2024Q4", "quarter") == "2024Q1"
    assert figures.ranking_period(ind, [], "2024Q4", "quarter") == "2024Q1"  # as its headline card reads it
    assert figures.ranking_period(cat_ind(store, "theme_party_days"), [], "2024Q4", "quarter") is None
    r = rank_of(src, "star_rating", ["2024Q4"], "2024Q4")
    assert set(r.frame["state"]) == {"not_asked"}


def cat_ind(store, code):
    return store.catalog[code]


def test_the_ranking_indicator_never_ranks_by_size_or_discipline():
    cat = catalog()
    picked = {d.code: cat[cat.headline(d.code)].code for d in cat.domains}
    assert picked["members"] == "admitted_probationary"  # 党员总数 is a size
    assert not cat[picked["discipline"]].names_laggards
    overview = {d.code for d in cat.overview_domains}
    assert all(cat[c].names_laggards for d, c in picked.items() if d in overview and d != "discipline")
    assert all(cat[c].domain == d for d, c in picked.items())
    # a domain whose figures name nobody (commendations, cadres) ranks by its headline and names nobody
    assert not cat[picked["honors"]].names_laggards and picked["honors"] == "honored_orgs"


# --- ranks and the bottom, by hand ----------------------------------------------------------------


def hand(values: dict[str, float | None], code="special_party_lectures", meets=()) -> pd.DataFrame:
    rows = [{"unit_code": f"U{i}", "unit_name": name, "current_name": name, "group": "committee", "_order": i,
             "value": math.nan if v is None else float(v), "raw": math.nan if v is None else float(v),
             "denominator": math.nan, "quarters_in": 1, "state": "reported" if v is not None else "missing",
             "done": 1, "total": 1, "coverage": "", "meets_rule": name in meets}
            for i, (name, v) in enumerate(values.items())]
    return figures.rank_rows(pd.DataFrame(rows), catalog()[code])


def test_ranks_are_exact_ties_in_tree_order_missing_last():
    r = hand({"甲": 3.0, "乙": 3.0, "丙": 5.0, "丁": None})
    assert r["unit_name"].tolist() == ["丙", "甲", "乙", "丁"]
    assert r["rank"].tolist()[:3] == [1, 2, 2] and pd.isna(r["rank"].iloc[3])
    assert r["tied"].tolist() == [1, 2, 2, 0]
    close = hand({"甲": 3.2857142857, "乙": 3.2916666667, "丙": 9.0})
    assert close["rank"].tolist() == [1, 2, 3]  # no rounding before ranking
    assert charts.number_format("score", close["value"]) == ".3f"  # shown apart: 3.286 and 3.292
    low = hand({"甲": 1.0, "乙": 2.0, "丙": 3.0}, code="weak_branches")
    assert low["unit_name"].tolist() == ["甲", "乙", "丙"] and low["behind"].tolist() == [False, True, True]


def bottom_words(values, meets=()):
    r = hand(values, meets=meets)
    fmt = charts.number_format("count", r["value"])
    return out.bottom_text(figures.bottom_groups(r), "次", fmt, "zh", int(r["n_ranked"].iloc[0])), r


@pytest.mark.parametrize("values, said, named, unnamed", [
    ({"甲": 5, **{f"乙{i}": 0 for i in range(8)}}, "排名靠后的是：8个单位并列为0次。", [], [f"乙{i}" for i in range(8)]),
    ({"甲": 5, "乙": 3, "丙": 0, "丁": 0}, "排名靠后的是：丙、丁并列为0次。", ["丙", "丁"], ["甲", "乙"]),
    ({"甲": 5, "乙": 3, "丙": 1}, "排名靠后的是：丙（1次）、乙（3次）。", ["乙", "丙"], ["甲"]),
])
def test_bottom_of_a_ranking_in_words(values, said, named, unnamed):
    text, _ = bottom_words(values)
    assert text == said
    assert all(n in text for n in named) and not any(n in text for n in unnamed)


def test_a_whole_tie_or_a_figure_meeting_its_rule_names_nobody():
    _, r = bottom_words({"甲": 2, "乙": 2, "丙": 2})
    assert not r["behind"].any()
    _, r = bottom_words({"甲": 5, "乙": 4, "丙": 3}, meets=("乙", "丙"))
    assert not r["behind"].any()
    r = hand({"甲": 5, "乙": 4, "丙": 3}, code="four_forms_total")
    assert not r["behind"].any()  # a discipline count names nobody
    _, r = bottom_words({"甲": 5, "乙": 3, "丙": 3}, meets=("乙",))
    assert r.loc[r["behind"], "unit_name"].tolist() == ["丙"]  # 乙 meets its rule at 3: nobody above is behind


def test_a_missing_return_is_not_read_as_unrated_branches(demo_db_file, tmp_path):
    """The four-star share with SW01's 2024Q1 return withdrawn: the branches the other returns speak
    for (51 of 57), not 51 of all 67 the tree holds."""
    import shutil

    import duckdb

    from dashboard.db import Store

    path = tmp_path / "d.duckdb"
    shutil.copy(demo_db_file, path)
    with Store(path) as s:
        before = figures.values_of(figures.Source.of_store(s), ["SW"], ["2024Q1"], "2024Q1",
                                   s.catalog["branches_4star_share"])["SW"]
    with duckdb.connect(str(path)) as con:  # the return withdrawn, as if it never came in
        con.execute("UPDATE submissions SET status = 'superseded' WHERE unit_code = 'SW01' AND quarter = '2024Q1'")
    with Store(path) as s:
        s.rebuild_rollup()
        src = figures.Source.of_store(s)
        got = {c: figures.values_of(src, ["SW"], ["2024Q1"], "2024Q1", s.catalog[c])["SW"]
               for c in ("branches_4star", "branches_in_tree", "branches_4star_share")}
    assert before == pytest.approx(100 * 61 / 67)
    assert (got["branches_4star"], got["branches_in_tree"]) == (51, 57)
    assert got["branches_4star_share"] == pytest.approx(100 * 51 / 57)  # 89.5%, not 76.1%


def test_the_year_export_of_the_children_adds_up_to_the_bureau(store):
    """2024 党员总数 in the year export: the bureau's 1,272 is its committees' year-end figures added up;
    SW08 and SW09 (no 2024Q4 return) read 未报送 with no figure, never their Q3 58 and 91."""
    from dashboard.output import export

    frame = export.export_frame(store, unit="SW", first="2024Q1", last="2024Q4", granularity="year",
                                layout="long", domain="members")
    members = frame[frame["indicator_code"] == "members_total"].set_index("unit_code")
    kids = [k.code for k in store.tree().kids("SW")]
    assert members.loc["SW", "value"] == 1272 and members.loc["SW", "state"] == "部分报送"
    assert members.loc[kids, "value"].sum() == 1272
    assert members.loc[["SW08", "SW09"], "state"].tolist() == ["未报送", "未报送"]
    assert members.loc[["SW08", "SW09"], "value"].isna().all()


def test_people_in_a_year_are_each_units_peak_added_up(store):
    """理论知识测试人数 of the bureau in 2024: each unit's own largest quarter, added up (1,325), not the
    largest quarterly sum (1,293): units test different people."""
    year = iv(store, units=["SW"], indicators=["theory_test_takers"], granularity="year",
              **{"from": "2024Q1", "to": "2024Q4"})["value"].iloc[0]
    quarters = iv(store, units=["SW"], indicators=["theory_test_takers"], **{"from": "2024Q1", "to": "2024Q4"})
    assert year == 1325 and quarters["value"].max() == 1293


def test_a_change_says_why_it_has_no_number_and_shows_the_like_for_like_figure(store):
    from dashboard import briefing

    h = briefing.headline_figures(store.query, store.history(), store.catalog, ["SW"], "2024Q4",
                                  ["members_total", "commando_teams"]).set_index("indicator_code")
    members = h.loc["members_total"]
    assert (members["value"], members["current_lfl_previous"], members["previous"]) == (1272, 1244, 1242)
    assert members["delta_previous"] == members["current_lfl_previous"] - members["previous"] == 2
    teams = h.loc["commando_teams"]  # every return in both quarters; none filled it in in Q4
    assert teams["state"] == "blank" and pd.isna(teams["delta_previous"])
    assert teams["lfl_previous"] == "两期都报送的单位中，有一期未填此项，无法比较"


def test_a_percentage_axis_runs_from_0_to_100():
    trend = pd.DataFrame({"unit_code": ["A", "A"], "unit_order": [1, 1], "unit_name_zh": ["甲", "甲"],
                          "period": ["2024Q1", "2024Q2"], "value": [86.6, 91.0]})
    y = charts.trend_lines(trend, title="t", indicator="参学率", unit="%", value_type="rate").layout.yaxis
    assert tuple(y.range) == (0, 100)
