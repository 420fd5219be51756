"""Every export button on every page of the demo: each file arrives, opens (pandas for CSV,
openpyxl for Excel) and holds as many rows as the table beside the buttons shows."""

from __future__ import annotations

import re

import openpyxl
import pandas as pd
import pytest
from playwright.sync_api import expect

from dashboard.app.registry import BARE
from tests.browser.conftest import page_url, wait_for_app
from tests.browser.test_upload_export import download
from tests.support.apptest import PAGES

# a wide selection, so that every page has tables: the whole bureau over two years
QUERY = "unit=SW&period=2023Q1&period=2024Q4"


def export_keys(page) -> list[str]:
    """The key of every CSV/Excel pair on the page (`<key>_csv`, `<key>_xlsx`)."""
    classes = page.locator("[data-testid='stDownloadButton']").evaluate_all(
        "els => els.map(e => (e.closest('[class*=st-key-]') || e).className)")
    keys = []
    for cls in classes:
        m = re.search(r"st-key-(\S+)_csv\b", cls)
        if m and m[1] not in keys:
            keys.append(m[1])
    return keys


ROWS_SAID = re.compile(r"共 (\d+) 行")


def rows_shown(page, key: str) -> int:
    """Rows of the table the buttons belong to, as the page says under it (「共 12 行」).  Opening
    an expander starts no run for wait_for_app to wait on, so the words are waited for (once, in
    CI, the caption was read before it said them)."""
    caption = page.locator(f".st-key-{key}_table_grid [data-testid='stCaptionContainer']").first
    expect(caption).to_have_text(ROWS_SAID, timeout=60_000)
    return int(ROWS_SAID.search(caption.inner_text())[1])


def open_every_table(page) -> None:
    for summary in page.locator("[data-testid='stExpander'] summary").all():
        details = summary.locator("xpath=..")
        if details.get_attribute("open") is None:
            summary.click()
    wait_for_app(page)


# the upload page exports nothing before a file is checked; the users page lists who may sign in
# and exports nothing (the demo has no users)
@pytest.mark.parametrize("path", [p for p in PAGES if p not in BARE and p not in ("upload", "users")])
def test_every_export_button_gives_a_file_holding_the_rows_shown(page, app_server, tmp_path, path):
    page.set_viewport_size({"width": 1400, "height": 900})
    page.goto(page_url(app_server, path, QUERY))
    wait_for_app(page)
    open_every_table(page)
    keys = export_keys(page)
    assert keys, f"{path}: no table to export"
    for key in keys:
        shown = rows_shown(page, key)
        csv_file = tmp_path / f"{key}.csv"
        download(page, f"{key}_csv").save_as(csv_file)
        frame = pd.read_csv(csv_file, encoding="utf-8-sig", keep_default_na=False)
        xlsx_file = tmp_path / f"{key}.xlsx"
        download(page, f"{key}_xlsx").save_as(xlsx_file)
        ws = openpyxl.load_workbook(xlsx_file).active
        xrows = [r for r in ws.iter_rows(values_only=True) if any(v is not None for v in r)]
        assert len(frame) == shown, f"{path} {key}: CSV rows {len(frame)} != shown {shown}"
        assert len(xrows) - 1 == shown, f"{path} {key}: Excel rows {len(xrows) - 1} != shown {shown}"
        assert [str(v) for v in xrows[0]] == list(frame.columns), f"{path} {key}: headers differ"


def test_the_buttons_read_in_full_at_1400_by_900(page, app_server):
    """「下载 CSV」「下载 Excel」 under a half-width chart are not cut to 「下.」."""
    page.set_viewport_size({"width": 1400, "height": 900})
    page.goto(page_url(app_server, "study", QUERY))
    wait_for_app(page)
    page.get_by_text("查看数据表并导出").first.click()
    wait_for_app(page)
    for key, label in (("study_ranking_csv", "下载 CSV"), ("study_ranking_xlsx", "下载 Excel")):
        p = page.locator(f".st-key-{key} button p").first
        p.scroll_into_view_if_needed()
        assert p.inner_text().strip() == label
        fits = p.evaluate("e => e.scrollWidth <= e.clientWidth + 1")
        assert fits, f"{label} is cut"
