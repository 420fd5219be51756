"""Figures a leader can trust (issue 11): coverage, the three states, like-for-like changes, fair
rankings and rates, honest axes, whole numbers in exports — each against figures worked out by
hand from the demo (dashboard/demo.py: SW08 and SW09 sent no 2024Q4 return, SW12 none for 2024Q3)."""

from __future__ import annotations

import io

import openpyxl
import pandas as pd
import pytest

from dashboard.domain import analysis, coverage
from dashboard.domain.filters import values_params
from dashboard.output import charts, export

# 党员总数 of each reporting unit's subtree, read off the demo (indicator_values per committee):
Q3 = {"SW01": 217, "SW02": 168, "SW03": 156, "SW04": 104, "SW05": 169, "SW06": 120, "SW07": 130, "SW08": 58,
      "SW09": 91, "SW10": 85, "SW11": 93}  # SW12 sent no 2024Q3 return
Q4 = {"SW01": 218, "SW02": 168, "SW03": 157, "SW04": 104, "SW05": 169, "SW06": 121, "SW07": 130, "SW10": 84,
      "SW11": 93, "SW12": 28}  # SW08 and SW09 sent no 2024Q4 return
KIDS = [f"SW{i:02d}" for i in range(1, 13)]


@pytest.fixture(scope="module")
def store(demo_db_file):
    from dashboard.db import Store

    with Store(demo_db_file) as s:
        yield s


def inputs(store, units, quarters):
    history = store.history()
    due = {u: coverage.due_by_quarter(analysis.expected_returns(history, [u], quarters, whole=True)) for u in units}
    status = store.query("submission_status", **analysis.expected_returns(history, units, quarters, whole=True))
    return due, coverage.reported_returns(status)


def members(store, units, first, last, gran="quarter"):
    v = store.query("indicator_values", **values_params(units, first, last, gran, ["members_total"]))
    return dict(zip(v["unit_code"], v["value"]))


def test_the_committee_figures_used_by_hand_are_the_demo_s(store):
    assert members(store, KIDS, "2024Q3", "2024Q3") == pytest.approx(Q3)
    assert members(store, KIDS, "2024Q4", "2024Q4") == pytest.approx(Q4)
    assert members(store, ["SW"], "2024Q4", "2024Q4")["SW"] == sum(Q4.values()) == 1272
    assert members(store, ["SW"], "2024Q3", "2024Q3")["SW"] == sum(Q3.values()) == 1391


def test_2024q4_covers_11_of_13_returns(store):
    due, reported = inputs(store, ["SW"], ["2024Q4"])
    c = coverage.coverage(due["SW"], reported, ["2024Q4"])
    assert (c.done, c.total) == (11, 13)
    assert set(c.units_missing) == {"SW08", "SW09"}
    assert c.text() == "11/13 个单位已报送"


def test_like_for_like_membership_change_counts_the_units_in_both_quarters(store):
    cat = store.catalog
    windows = {"current": ["2024Q4"], "previous": ["2024Q3"], "year_before": ["2023Q4"]}
    due, reported = inputs(store, ["SW"], ["2023Q4", "2024Q3", "2024Q4"])
    parts = store.query("return_parts", units=["SW"], indicators=["members_total"], **{"from": "2023Q4", "to": "2024Q4"})
    plain = {"current": 1272.0, "previous": 1391.0, "year_before": None}
    ch = coverage.like_for_like(cat, cat["members_total"], "SW", windows, due["SW"], reported, parts, plain)
    both = set(Q3) & set(Q4)  # SW01–SW07, SW10, SW11: nine committees (the party group's own row has no members)
    by_hand = sum(Q4[u] for u in both) - sum(Q3[u] for u in both)
    assert by_hand == 1244 - 1242 == 2  # not -119 (1272 - 1391), and not +30 (SW12's 28 are new in the count)
    assert ch["previous"].delta == by_hand
    assert (ch["previous"].current, ch["previous"].earlier) == (1244, 1242)
    assert set(ch["previous"].units) == both | {"SW"}
    assert ch["previous"].text() == "同口径：仅比较两期均报送的 10/13 个单位"


def test_no_common_return_means_no_number(store):
    cat = store.catalog
    due = {"2024Q4": ["SW08"], "2024Q3": ["SW08"]}
    reported = {("SW08", "2024Q3")}
    ch = coverage.like_for_like(cat, cat["members_total"], "SW08", {"current": ["2024Q4"], "previous": ["2024Q3"]},
                                due, reported, None, {"current": None, "previous": 58.0})
    assert ch["previous"].delta is None and ch["previous"].text() == "两期没有共同报送的单位，无法比较"


def test_combine_from_every_return_is_indicator_values(store):
    """The like-for-like arithmetic is the query's: with every return it gives the same figures."""
    cat = store.catalog
    codes = [i.code for i in cat.indicators]
    for gran, first, last in (("year", "2023Q1", "2023Q4"), ("quarter", "2024Q1", "2024Q1")):
        units = ["SW", "SW01", "SW05G1", "SW12"]
        parts = store.query("return_parts", units=units, indicators=coverage.stored_codes(cat, codes),
                            **{"from": first, "to": last})
        mine = coverage.combine(parts, cat, codes).set_index(["unit_code", "indicator_code"])["value"]
        iv = store.query("indicator_values", **values_params(units, first, last, gran, codes))
        theirs = iv.set_index(["unit_code", "indicator_code"])["value"]
        tree_counts = {c for c in codes if coverage.counts_the_tree(cat, cat[c])}  # 支部数 and its share
        assert tree_counts == {"branches_in_tree", "branches_4star_share"}
        theirs = theirs[~theirs.index.get_level_values("indicator_code").isin(tree_counts)]
        assert set(mine.index) == set(theirs.index)
        assert (mine.reindex(theirs.index).round(2) == theirs.round(2)).all()


def test_every_count_axis_starts_at_zero_with_whole_ticks():
    counts = pd.DataFrame({"unit_code": ["A", "A"], "unit_order": [1, 1], "unit_name_zh": ["甲", "甲"],
                           "period": ["2024Q1", "2024Q2"], "value": [33.0, 34.0]})
    trend = charts.trend_lines(counts, title="t", indicator="党员突击队", unit="支", value_type="count").layout.yaxis
    assert trend.rangemode == "tozero" and trend.tick0 == 0 and float(trend.dtick).is_integer()
    assert "（支）" in trend.title.text
    small = counts.assign(value=[0.0, 1.0])
    axis = charts.trend_lines(small, title="t", indicator="临时党支部", unit="个", value_type="count").layout.yaxis
    assert axis.dtick == 1  # never 0.5 个
    rank = pd.DataFrame({"rank": [1, 2], "unit_code": ["A", "B"], "unit_name": ["甲", "乙"], "value": [2.0, 1.0],
                         "n_ranked": [2, 2]})
    x = charts.ranking_bar(rank, title="t", indicator="x", unit="人", value_type="count").layout.xaxis
    assert x.range[0] == 0 and x.dtick == 1 and x.tick0 == 0
    money = charts.trend_lines(counts, title="t", indicator="捐款", unit="元", value_type="money").layout.yaxis
    assert money.rangemode == "tozero"
    assert charts.integer_step(0.4) == 1 and charts.integer_step(34) == 10 and charts.integer_step(213) == 50


def test_incomplete_trend_points_are_hollow():
    frame = pd.DataFrame({"unit_code": ["SW"] * 2, "unit_order": [1, 1], "unit_name_zh": ["局"] * 2,
                          "period": ["2024Q3", "2024Q4"], "value": [1391.0, 1272.0], "complete": [True, False],
                          "coverage": ["12/13 个单位已报送", "11/13 个单位已报送"]})
    trace = charts.trend_lines(frame, title="t", indicator="党员总数", unit="人", value_type="count").data[0]
    assert list(trace.marker.symbol) == ["circle", "circle-open"]
    assert "不完整" in trace.customdata[1][1] and "11/13" in trace.customdata[1][1]


def test_whole_counts_stay_integers_in_csv_and_excel(store):
    frame = export.export_frame(store, unit="SW", first="2024Q4", last="2024Q4", layout="long", domain="members")
    text = export.to_csv_bytes(frame).decode("utf-8-sig")
    row = next(line for line in text.splitlines() if line.startswith("SW,") and ",members_total," in line)
    assert row.split(",")[6] == "1272"
    assert ".0," not in text.replace("\r\n", ",")  # no whole number written with a decimal
    wb = openpyxl.load_workbook(io.BytesIO(export.to_xlsx_bytes(frame)))
    cells = [r for r in wb.active.iter_rows(values_only=True) if r[0] == "SW" and r[4] == "members_total"]
    assert cells[0][6] == 1272 and isinstance(cells[0][6], int)


def test_wide_export_says_not_applicable(store):
    wide = export.export_frame(store, unit="SW", first="2024Q4", last="2024Q4", layout="wide", domain="discipline")
    row = wide[wide["单位代码"] == "SW12"].iloc[0]
    assert row["四种形态合计(人次)"] == "不适用"
    missing = wide[wide["单位代码"] == "SW08"].iloc[0]
    assert missing["四种形态合计(人次)"] == "未报送"  # not reported: said, never 0 and never blank
