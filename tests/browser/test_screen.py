"""The projector page at 1920×1080: each slide screenshotted (artifacts/screen/), its figures and
labels large, and the slides turning through the overview and every domain of the catalog."""

from __future__ import annotations

from dashboard.domain.catalog import catalog
from tests.browser.conftest import page_url, wait_for_app
from tests.conftest import ROOT

SHOTS = ROOT / "artifacts" / "screen"

# the slide's title once a new one is drawn whole: the run is over, nothing stale, every chart drawn
NEXT_SLIDE_JS = """(old) => {
  const h = document.querySelector('.st-key-screen_slide h1');
  const app = document.querySelector("[data-testid='stApp']");
  if (!h || h.innerText.trim() === old) return false;
  if (app.getAttribute('data-test-script-state') !== 'notRunning') return false;
  if (document.querySelector("[data-stale='true'], [data-testid='stSkeleton']")) return false;
  const charts = [...document.querySelectorAll("[data-testid='stPlotlyChart']")];
  return charts.every(c => c.querySelector('.main-svg')) ? h.innerText.trim() : false;
}"""

# the font size of every piece of text actually drawn, by role
SIZES_JS = """() => {
  const px = sel => [...document.querySelectorAll(sel)].filter(e => e.innerText.trim())
      .map(e => parseFloat(getComputedStyle(e).fontSize));
  return {
    numbers: px(".st-key-screen_slide [data-testid='stMetricValue'] p"),
    labels: [...px(".st-key-screen_slide [data-testid='stMetricLabel'] p"), ...px('.st-key-screen_bar p'),
             ...px('.st-key-screen_foot p')],
    chart: [...document.querySelectorAll('.st-key-screen_slide .main-svg text')]
      .filter(e => e.textContent.trim()).map(e => parseFloat(getComputedStyle(e).fontSize)),
    sidebar: !!document.querySelector("[data-testid='stSidebar']") &&
      getComputedStyle(document.querySelector("[data-testid='stSidebar']")).display !== 'none',
    widgets: document.querySelectorAll("[data-testid='stMain'] input, [data-testid='stMain'] button").length,
  };
}"""


def test_the_slides_turn_through_every_domain_in_large_type(page, app_server):
    SHOTS.mkdir(parents=True, exist_ok=True)
    cat = catalog()
    domains = [d.name("zh") for d in cat.domains]
    page.set_viewport_size({"width": 1920, "height": 1080})
    page.goto(page_url(app_server, "screen", "unit=SW&period=2023Q1&period=2024Q4&rotate=5"))
    wait_for_app(page)
    title = page.locator(".st-key-screen_slide h1").inner_text().strip()
    seen: list[str] = []
    while title not in seen:  # one full turn: until the first title comes round again
        seen.append(title)
        sizes = page.evaluate(SIZES_JS)
        page.screenshot(path=str(SHOTS / f"{len(seen)}.png"))
        bar = page.locator(".st-key-screen_bar").inner_text()
        assert "市水务局党组" in bar and "2024年第4季度" in bar and "报送" in bar, bar  # unit, period, coverage
        assert sizes["numbers"] and min(sizes["numbers"]) >= 48, (title, sizes["numbers"])
        assert sizes["labels"] and min(sizes["labels"]) >= 24, (title, sizes["labels"])
        assert not sizes["chart"] or min(sizes["chart"]) >= 18, (title, sizes["chart"])
        assert not sizes["sidebar"] and sizes["widgets"] == 0, "no sidebar and no widgets on the projector"
        title = page.wait_for_function(NEXT_SLIDE_JS, arg=title, timeout=120_000).json_value()
    assert seen[0] == "核心指标"
    assert len(seen) == 1 + len(domains)
    for name in domains:
        assert any(t.startswith(name) for t in seen), f"no slide for {name}: {seen}"
