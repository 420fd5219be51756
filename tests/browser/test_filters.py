"""Filters: a bookmarked link opens the same view, a changed filter changes the charts and the URL."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest

from dashboard.db import Store
from tests.browser.conftest import page_url, snapshot_db, wait_for_app
from tests.support.figures import iv


UNRANKED = ("未报送", "不适用", "已报送·未填写", "本期无此项")


def ranking_bars(page, key: str = "study_ranking") -> dict[str, float]:
    """A chart's bars as the browser holds them, found by the chart's key (the ranking, never the
    trend beside it): label -> value (plotly's own data)."""
    data = page.locator(f".st-key-{key} .js-plotly-plot").evaluate(
        "gd => gd.data.map(t => ({x: t.x, y: t.y, o: t.orientation, text: t.text}))")
    bars = {}
    for trace in data:
        labels, values = (trace["y"], trace["x"]) if trace["o"] == "h" else (trace["x"], trace["y"])
        texts = trace["text"] if isinstance(trace["text"], list) else [None] * len(labels or [])
        for label, value, text in zip(labels or [], values or [], texts):
            if value is not None and text not in UNRANKED:  # no figure: a labelled gap
                bars[label] = value
    return bars


def expected_ranking(db, parent: str, period_first: str, period_last: str, granularity: str, period: str):
    with Store(db) as store:
        kids = [u.code for u in store.tree().kids(parent)]
        df = iv(store, units=kids, indicators=["theme_party_days"], granularity=granularity,
                         scope="subtree", **{"from": period_first, "to": period_last})
    df = df[df.period == period]
    return dict(zip(df.unit_name_zh, df.value))


@pytest.fixture
def db_copy(app_server, tmp_path):
    """The app's figures as they are now: a copy of its database (the app holds the file)."""
    return snapshot_db(app_server, tmp_path / "view.duckdb")


def test_a_bookmarked_link_opens_that_unit_and_period(page, app_server, db_copy, screenshot_dir):
    page.goto(page_url(app_server, "study", "unit=SW01&period=2024Q1&period=2024Q4&gran=quarter"))
    wait_for_app(page)
    bars = ranking_bars(page)
    expected = expected_ranking(db_copy, "SW01", "2024Q1", "2024Q4", "quarter", "2024Q4")
    assert bars == expected  # the chart's numbers are the database's, branch by branch
    assert "办公室党支部" in bars
    page.screenshot(path=str(screenshot_dir / "filters_bookmark_SW01.png"))


def test_changing_the_granularity_changes_the_chart_and_the_url_and_survives_reload(page, app_server, db_copy):
    page.goto(page_url(app_server, "study", "unit=SW&period=2023Q1&period=2024Q4&study_measure=raw"))
    wait_for_app(page)
    quarter_bars = ranking_bars(page)
    assert quarter_bars == expected_ranking(db_copy, "SW", "2023Q1", "2024Q4", "quarter", "2024Q4")

    page.locator("[data-testid='stSidebar']").get_by_role("radio", name="年度").click()
    page.wait_for_function("() => location.search.includes('gran=year')")
    wait_for_app(page)
    year_bars = ranking_bars(page)
    assert year_bars == expected_ranking(db_copy, "SW", "2023Q1", "2024Q4", "year", "2024")
    assert year_bars != quarter_bars
    query = parse_qs(urlparse(page.url).query)
    assert query["gran"] == ["year"] and query["unit"] == ["SW"] and query["period"] == ["2023Q1", "2024Q4"]
    assert query["study_measure"] == ["raw"]  # the measure chosen, kept in the link too

    page.reload()
    wait_for_app(page)
    assert ranking_bars(page) == year_bars
    assert parse_qs(urlparse(page.url).query)["gran"] == ["year"]


def test_choosing_another_unit_in_the_sidebar_ranks_its_branches(page, app_server, db_copy):
    page.goto(page_url(app_server, "study", "unit=SW&period=2024Q1&period=2024Q4"))
    wait_for_app(page)
    sidebar = page.locator("[data-testid='stSidebar']")
    field = sidebar.locator("[data-testid='stMultiSelect'] input").first
    field.click()
    field.press("Backspace")  # drop the bureau, then pick the water-supply committee
    page.wait_for_function("() => !location.search.includes('unit=')")
    wait_for_app(page)
    field.fill("供水集团")
    page.get_by_role("option").filter(has_text="供水集团党委").first.click()
    page.keyboard.press("Escape")
    page.wait_for_function("() => location.search.includes('unit=SW02')")
    wait_for_app(page)
    bars = ranking_bars(page)
    assert "第一水厂党支部" in bars
    assert bars == expected_ranking(db_copy, "SW02", "2024Q1", "2024Q4", "quarter", "2024Q4")
