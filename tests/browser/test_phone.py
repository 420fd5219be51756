"""The app on a phone, 390×844 CSS pixels (a common phone held upright): the notices one line,
the sidebar closed, at least four headline numbers on the first screen, nothing wider than the
screen, and every chart's texts inside the chart and clear of each other (title, legend, ticks,
axis titles, the values on bars and in cells: their boxes compared).  Each page screenshotted
to artifacts/phone/ (the first screen and the whole page) for a person to look at."""

from __future__ import annotations

import pytest

from tests.browser.conftest import APP_READY_JS, page_url
from tests.conftest import ROOT

SHOTS = ROOT / "artifacts" / "phone"
PHONE = {"width": 390, "height": 844}
QUERY = "unit=SW&period=2022Q1&period=2024Q4"

# the run is over and the page is laid out for a phone (viewport.py marks it once the server agrees)
PHONE_READY_JS = "() => (" + APP_READY_JS + ")() && document.body.dataset.layout === 'phone'"

# Elements wider than the screen, or reaching past either edge, that no scrolling box of their own
# holds (a table's grid scrolls inside its box: its cells may run past the screen, the box not).
OVERFLOW_JS = """() => {
  const W = window.innerWidth;
  const clipped = el => {
    for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
      const o = getComputedStyle(a).overflowX;
      if (o === 'auto' || o === 'scroll' || o === 'hidden' || o === 'clip') {
        const r = a.getBoundingClientRect();
        if (r.left >= -1 && r.right <= W + 1) return true;
      }
    }
    return false;
  };
  const out = [];
  for (const el of document.querySelectorAll("[data-testid='stMain'] *")) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0) continue;
    if (r.left < -1 || r.right > W + 1) {
      if (clipped(el)) continue;
      out.push(`${el.tagName}.${el.className && el.className.baseVal !== undefined ? el.className.baseVal : el.className}` +
               ` [${Math.round(r.left)}, ${Math.round(r.right)}] ${(el.innerText || el.textContent || '').slice(0, 30)}`);
    }
  }
  return {scrollWidth: document.documentElement.scrollWidth, bodyScroll: document.body.scrollWidth,
          main: document.querySelector("[data-testid='stMain']").scrollWidth, W, out: out.slice(0, 10)};
}"""

# Every text a chart draws (not the hover layer), with its box; per chart.
CHART_TEXTS_JS = """() => [...document.querySelectorAll("[data-testid='stPlotlyChart']")].map((c, i) => {
  const box = c.querySelector('.main-svg').getBoundingClientRect();
  const texts = [...c.querySelectorAll('.main-svg text')].filter(t => {
    if (!t.textContent.trim() || t.closest('.hoverlayer')) return false;
    const s = getComputedStyle(t);
    if (s.display === 'none' || s.visibility === 'hidden' || s.opacity === '0') return false;
    const r = t.getBoundingClientRect();
    return r.width > 0 && r.height > 0;
  }).map(t => {
    const r = t.getBoundingClientRect();
    const role = t.closest('.xtick, .ytick') ? 'tick' : t.classList.contains('gtitle') ? 'title'
      : t.closest('.legend') ? 'legend' : t.closest('.annotation') ? 'annotation' : t.closest('.g-xtitle, .g-ytitle') ? 'axis'
      : 'value';
    return {text: t.textContent.trim().slice(0, 30), role, l: r.left, r: r.right, t: r.top, b: r.bottom};
  });
  const title = c.querySelector('.gtitle');
  return {i, title: title ? title.textContent : '', box: {l: box.left, r: box.right, t: box.top, b: box.bottom}, texts};
})"""

PAGES = ["overview", "study", "members", "stars", "discipline", "flood", "compare", "submissions"]


def _overlap(a: dict, b: dict) -> float:
    w = min(a["r"], b["r"]) - max(a["l"], b["l"])
    h = min(a["b"], b["b"]) - max(a["t"], b["t"])
    return w * h if w > 0 and h > 0 else 0.0


def chart_problems(charts: list[dict]) -> list[str]:
    """Texts outside their chart, and pairs of texts drawn over each other (more than 4 px²: two
    glyph boxes touching at an edge are not an overlap a reader sees)."""
    problems = []
    for c in charts:
        box, texts = c["box"], c["texts"]
        for x in texts:
            if x["l"] < box["l"] - 1 or x["r"] > box["r"] + 1 or x["t"] < box["t"] - 1 or x["b"] > box["b"] + 1:
                problems.append(f"chart {c['i']} 「{c['title']}」: {x['role']} 「{x['text']}」 outside the chart")
        for i, a in enumerate(texts):
            for b in texts[i + 1:]:
                if _overlap(a, b) > 4:
                    problems.append(f"chart {c['i']} 「{c['title']}」: {a['role']} 「{a['text']}」 over "
                                    f"{b['role']} 「{b['text']}」")
    return problems


def open_on_phone(page, server, path: str) -> None:
    page.set_viewport_size(PHONE)
    page.goto(page_url(server, path, QUERY))
    page.wait_for_function(PHONE_READY_JS, timeout=120_000)


@pytest.fixture
def phone(page):
    SHOTS.mkdir(parents=True, exist_ok=True)
    return page


@pytest.mark.parametrize("path", PAGES)
def test_a_phone_reads_the_page_without_sideways_scrolling_or_overlapping_text(phone, app_server, path):
    open_on_phone(phone, app_server, path)
    phone.screenshot(path=str(SHOTS / f"{path}_first_screen.png"))
    sidebar = phone.locator("[data-testid='stSidebar']")
    assert sidebar.count() == 0 or sidebar.bounding_box() is None or sidebar.bounding_box()["x"] + \
        sidebar.bounding_box()["width"] <= 1, "the sidebar is closed on a phone"
    wide = phone.evaluate(OVERFLOW_JS)
    assert wide["scrollWidth"] <= PHONE["width"] and wide["main"] <= PHONE["width"], wide
    assert not wide["out"], wide["out"]
    charts = phone.evaluate(CHART_TEXTS_JS)
    problems = chart_problems(charts)
    # the whole page, drawn at once for the screenshot (the app scrolls inside its main box)
    height = phone.evaluate('() => document.querySelector("[data-testid=stMainBlockContainer]").scrollHeight')
    phone.set_viewport_size({"width": PHONE["width"], "height": min(height + 120, 16_000)})
    phone.wait_for_function(PHONE_READY_JS, timeout=120_000)
    phone.screenshot(path=str(SHOTS / f"{path}_whole.png"))
    assert not problems, "\n".join(problems[:20])
    if path != "overview":
        assert charts, f"{path}: no chart drawn"


def test_the_first_screen_of_the_overview_holds_four_headline_numbers_and_one_notice_line(phone, app_server):
    open_on_phone(phone, app_server, "overview")
    numbers = phone.evaluate("""() => [...document.querySelectorAll("[data-testid='stMetricValue']")]
        .map(e => e.getBoundingClientRect()).filter(r => r.top >= 0 && r.bottom <= window.innerHeight).length""")
    assert numbers >= 4, f"{numbers} headline numbers on the first screen"
    notices = phone.locator("[data-testid='stMain'] [data-testid='stAlert']")
    assert notices.count() == 0 or not notices.first.is_visible(), "the notices are folded into one line"
    line = phone.locator("[data-testid='stMain'] [data-testid='stExpander'] summary").first
    assert "演示" in line.inner_text() and line.bounding_box()["height"] < 60
    line.click()
    phone.get_by_text("正式部署请配置").wait_for()
    # each card's coverage is inside the card, on one line
    card = phone.locator("[class*='st-key-headline_cards'] [data-testid='stColumn']").first
    caption = card.locator("[data-testid='stCaptionContainer']").last
    assert "已报送" in caption.inner_text()
    one_line = caption.locator("p").evaluate("p => p.getBoundingClientRect().height < 1.6 * parseFloat(getComputedStyle(p).lineHeight || 20)")
    assert one_line, "the coverage is one line"
