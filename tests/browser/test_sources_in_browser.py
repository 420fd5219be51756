"""The 来源 panel in Chromium: from the overview's 党员总数 card and from a bar of a ranking, on a
desktop and on a phone; screenshots in artifacts/sources/ for a person to look at."""

from __future__ import annotations

import re

from tests.browser.conftest import page_url, wait_for_app
from tests.browser.test_phone import PHONE, PHONE_READY_JS
from tests.conftest import ROOT

SHOTS = ROOT / "artifacts" / "sources"
QUERY = "unit=SW&period=2022Q1&period=2024Q4"


def _panel_text(page) -> str:
    dialog = page.get_by_role("dialog")
    dialog.wait_for()
    wait_for_app(page)
    page.wait_for_function("() => !document.querySelector('[role=dialog] [data-testid=stSkeleton]')")
    return dialog.inner_text()


def _check_members(text: str) -> None:
    assert "党员总数" in text and "1,272" in text
    terms = re.search(r"计入的 (\d+) 个单位：([\d,+ ]+) = 1,272", text)
    assert terms, text[:600]
    values = [int(v.replace(",", "")) for v in terms.group(2).split("+")]
    assert sum(values) == 1272 and len(values) == int(terms.group(1))
    assert "节约用水办公室党总支（未报送）" in text and "水政监察支队党总支（未报送）" in text


def test_the_members_card_opens_its_sources_on_a_desktop_and_on_a_phone(page, app_server):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.goto(page_url(app_server, "overview", QUERY))
    wait_for_app(page)
    page.locator(".st-key-source_SW_members_total").get_by_role("button", name="来源").click()
    _check_members(_panel_text(page))
    page.screenshot(path=str(SHOTS / "panel_desktop.png"))

    page.set_viewport_size(PHONE)
    page.goto(page_url(app_server, "overview", QUERY))
    page.wait_for_function(PHONE_READY_JS, timeout=120_000)
    page.locator(".st-key-source_SW_members_total").get_by_role("button", name="来源").click()
    _check_members(_panel_text(page))
    page.screenshot(path=str(SHOTS / "panel_phone.png"))


def test_a_ranking_bar_opens_the_sources_of_its_unit(page, app_server):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.goto(page_url(app_server, "members", QUERY + "&members_ind=members_total&members_measure=raw"))
    wait_for_app(page)
    box = page.locator(".st-key-members_ranking .trace.bars .point path").first.bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)  # as a person clicks the bar
    text = _panel_text(page)
    page.screenshot(path=str(SHOTS / "panel_from_bar.png"))
    assert "党员总数" in text and "2024年第4季度" in text
    assert "机关党委" in text  # the first bar: the largest committee, and its branches below it
    terms = re.search(r"计入的 (\d+) 个单位：([\d,+ ]+) = 218", text)  # its ten branches, summing to its bar
    assert terms and sum(int(v) for v in terms.group(2).split("+")) == 218, text[:500]
    assert "逐个单元格（10 个数据）" in text


def _click_widest_bar(page, chart_key: str) -> None:
    """Click the widest (or tallest) bar of a chart's first panel, where a person would."""
    bars = page.locator(f".st-key-{chart_key} .trace.bars").first.locator(".point path")
    sizes = [(b["width"] * b["height"] if b else 0) for b in (bars.nth(i).bounding_box() for i in range(bars.count()))]
    widest = bars.nth(sizes.index(max(sizes)))
    widest.scroll_into_view_if_needed()
    box = widest.bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)


def test_the_flood_quarters_panels_and_the_compare_bars_open_their_sources(page, app_server):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.goto(page_url(app_server, "flood", QUERY))
    wait_for_app(page)
    _click_widest_bar(page, "flood_season")
    text = _panel_text(page)
    page.screenshot(path=str(SHOTS / "panel_from_flood.png"))
    assert "党员突击队" in text and "2024年第3季度" in text and "水库管理处党委" in text, text[:300]

    page.goto(page_url(app_server, "compare", "unit=SW01&unit=SW02&period=2022Q1&period=2024Q4"))
    wait_for_app(page)
    _click_widest_bar(page, "compare_chart")
    text = _panel_text(page)
    assert "数据来源" in text and ("机关党委" in text or "供水集团党委" in text), text[:300]
