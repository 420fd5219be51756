"""A person opens every page; on each domain page changes a filter and downloads the ranking's
table as CSV and as Excel, and the two files hold the same figures as the chart."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest

from tests.browser.conftest import page_url, wait_for_app
from tests.browser.test_filters import ranking_bars
from tests.browser.test_upload_export import download
from tests.support.apptest import DOMAINS, PAGES


@pytest.mark.parametrize("path", PAGES)
def test_every_page_opens_without_error_and_is_screenshotted(page, app_server, screenshot_dir, path):
    page.set_viewport_size({"width": 1440, "height": 2600})  # the whole page in one screenshot
    page.goto(page_url(app_server, path))
    wait_for_app(page)
    assert page.locator("[data-testid='stException']").count() == 0
    body = page.locator("[data-testid='stMain']").inner_text()
    assert "Page not found" not in page.content()
    assert "演示数据" in body  # the demo banner is on every page
    page.screenshot(path=str(screenshot_dir / f"{path}.png"))


@pytest.mark.parametrize("domain", DOMAINS)
def test_a_changed_filter_and_the_rankings_exports_on_every_domain_page(page, app_server, tmp_path, domain):
    page.goto(page_url(app_server, domain, "unit=SW&period=2023Q1&period=2024Q4"))
    wait_for_app(page)
    page.locator("[data-testid='stSidebar']").get_by_role("radio", name="年度").click()
    page.wait_for_function("() => location.search.includes('gran=year')")
    wait_for_app(page)
    bars = ranking_bars(page, f"{domain}_ranking")
    page.get_by_text("查看数据表并导出").first.click()  # the ranking's table: the first on the page
    raw = open(download(page, f"{domain}_ranking_csv").path(), "rb").read()
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    xlsx = download(page, f"{domain}_ranking_xlsx")  # held NA for units with no figure: failed before
    saved = tmp_path / xlsx.suggested_filename
    xlsx.save_as(saved)
    xrows = [list(r) for r in openpyxl.load_workbook(saved).active.iter_rows(values_only=True)]
    header = rows[0]
    assert [str(h) for h in xrows[0]] == header
    unit, value, period = header.index("单位"), header.index("数值"), header.index("期间")
    assert {r[period] for r in rows[1:]} == {"2024"}  # the changed filter: the year, not a quarter
    from_csv = {r[unit]: float(r[value]) for r in rows[1:] if r[value] != ""}
    from_xlsx = {r[unit]: float(r[value]) for r in xrows[1:] if r[value] is not None}
    # the same figures (a file writes a float to 15 digits; the chart holds all 17)
    assert from_csv == pytest.approx(bars, rel=1e-12) and from_xlsx == pytest.approx(bars, rel=1e-12)
    assert from_csv.keys() == from_xlsx.keys() == bars.keys()
    assert len(rows) == len(xrows)  # units with no figure are rows in both, with the cell empty
