"""A copied link reproduces the view: in-page choices (the indicator, the ranking period, the
compared units) are in the address, and a fresh browser opening it draws the same figures."""

from __future__ import annotations

from tests.browser.conftest import page_url, wait_for_app

FIGURES_JS = """() => Object.fromEntries([...document.querySelectorAll("[data-testid='stPlotlyChart']")].map((c, i) => {
  const gd = c.querySelector('.js-plotly-plot');
  const key = ((c.closest('[class*=st-key-]') || {}).className || '').match(/st-key-(\\S+)/);
  return [key ? key[1] : String(i), {title: gd.layout.title && gd.layout.title.text,
                                     data: gd.data.map(t => ({x: t.x, y: t.y, name: t.name}))}];
}))"""


def pick(page, key: str, option: str) -> None:
    """Choose `option` in the selectbox or multiselect keyed `key`, as a person does."""
    box = page.locator(f".st-key-{key} input").first
    box.click()
    box.press_sequentially(option[:4])  # the list is long and drawn in part: narrow it as a person types
    page.get_by_role("option", name=option, exact=True).first.click()
    page.keyboard.press("Escape")
    wait_for_app(page)


def reopened(browser, url: str):
    """The link in a new browser context: no cookies, no session, nothing but the address."""
    context = browser.new_context(viewport={"width": 1440, "height": 1000}, locale="zh-CN")
    fresh = context.new_page()
    fresh.goto(url)
    wait_for_app(fresh)
    return context, fresh


def test_a_copied_link_of_a_domain_page_draws_the_same_charts(page, app_server, browser):
    page.goto(page_url(app_server, "study", "unit=SW&period=2023Q1&period=2024Q4"))
    wait_for_app(page)
    before = page.evaluate(FIGURES_JS)
    pick(page, "study_ind", "学习强国参学率（%）")
    page.wait_for_function("() => location.search.includes('study_ind=')")
    pick(page, "study_rank_period", "2023年第2季度")
    page.wait_for_function("() => location.search.includes('study_rank_period=2023Q2')")
    wait_for_app(page)
    shown = page.evaluate(FIGURES_JS)
    assert shown["study_ranking"] != before["study_ranking"]  # the choices changed the view
    assert "2023年第2季度" in shown["study_ranking"]["title"] and "参学率" in shown["study_ranking"]["title"]
    context, fresh = reopened(browser, page.url)
    try:
        assert fresh.evaluate(FIGURES_JS) == shown
    finally:
        context.close()


def test_a_copied_link_of_the_compare_page_keeps_the_units_compared(page, app_server, browser):
    page.goto(page_url(app_server, "compare", "unit=SW&period=2023Q1&period=2024Q4"))
    wait_for_app(page)
    pick(page, "compare_units", "河湖管理中心党委")
    page.wait_for_function("() => location.search.includes('compare_units=SW06')")
    wait_for_app(page)
    shown = page.evaluate(FIGURES_JS)
    names = {x for t in shown["compare_chart"]["data"] for x in t["x"]}  # the units under the bars
    assert "河湖管理中心党委" in names
    context, fresh = reopened(browser, page.url)
    try:
        assert fresh.evaluate(FIGURES_JS) == shown
    finally:
        context.close()
