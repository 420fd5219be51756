"""Figures from DataFrames: titles and axis names always, exact values, one palette, Party red first."""

from __future__ import annotations

import pandas as pd

from dashboard.output import charts
from dashboard.output.style import PARTY_RED


def _titles(fig):
    layout = fig.to_plotly_json()["layout"]
    return (layout.get("title", {}).get("text"), layout.get("xaxis", {}).get("title", {}).get("text"),
            layout.get("yaxis", {}).get("title", {}).get("text"))


def test_ranking_bar_carries_exact_values_and_marks_missing_units():
    from tests.test_figures import hand

    rank = hand({"第一党委": 12.0, "第二党总支": 3.0, "一支部": None})
    fig = charts.ranking_bar(rank, title="主题党日排名", indicator="主题党日", unit="次", value_type="count")
    bar = fig.data[0]
    assert list(bar.y) == ["第一党委", "第二党总支", "一支部"]
    assert list(bar.x) == [12.0, 3.0, 0]
    assert bar.text[2] == "未报送"
    assert bar.marker.color[0] == PARTY_RED
    # the hover shows the bar's text: the exact value as formatted (or 未报送 / 不适用) and its unit
    assert "%{text} 次" in bar.hovertemplate and list(bar.text[:2]) == ["12", "3"]
    assert _titles(fig) == ("主题党日排名", "主题党日（次）", "单位")


def test_every_figure_kind_has_a_title_and_named_axes():
    trend = pd.DataFrame({"unit_code": ["A", "A"], "unit_order": [1, 1], "unit_name_zh": ["甲", "甲"],
                          "unit_name_en": ["A", "A"], "period": ["2024Q1", "2024Q2"], "value": [1.0, 2.5]})
    figs = [
        charts.trend_lines(trend, title="趋势", indicator="x", unit="次", value_type="count"),
        charts.heatmap(pd.DataFrame({"2023": [4.5]}, index=["甲"]), title="星级", indicator="星级", unit="星",
                       value_type="stars", x_title="年度"),
        charts.stacked_bars(pd.DataFrame({"unit_name": ["甲"], "form": ["f1"], "value": [2.0]}), series_col="form",
                            series_labels={"f1": "第一种"}, title="四种形态", x_title="人次", unit="人次"),
    ]
    for fig in figs:
        title, x, y = _titles(fig)
        assert title and x and y, fig.layout.title.text
        assert fig.layout.font.size >= 14


def test_a_single_trend_is_party_red_and_decimals_show_when_values_are_not_whole():
    trend = pd.DataFrame({"unit_code": ["A"], "unit_order": [1], "unit_name_zh": ["甲"], "unit_name_en": ["A"],
                          "period": ["2024Q1"], "value": [2.5]})
    fig = charts.trend_lines(trend, title="t", indicator="x", unit="次", value_type="count")
    assert fig.data[0].line.color == PARTY_RED
    assert ",.2f" in fig.data[0].hovertemplate


def test_empty_frames_give_a_titled_figure_saying_so():
    fig = charts.ranking_bar(pd.DataFrame(columns=["rank", "unit_code", "unit_name", "value", "n_ranked"]),
                             title="空", indicator="x", unit="次", value_type="count", lang="en")
    assert fig.layout.title.text == "空"
    assert fig.layout.annotations[0].text == "No data."


def test_tag_records_the_query_behind_a_figure():
    fig = charts.tag(charts.empty_figure("t"), "indicator_values", {"units": ["SW"]}, period="2024Q4")
    assert fig.layout.meta == {"query": "indicator_values", "params": {"units": ["SW"]}, "period": "2024Q4"}
