"""Periods follow the clock (issue 22): on a database whose organisation begins in 2025Q1, with the
clock set to 2025-11-20, the upload page offers 2025Q4 (first), 2025Q3, 2025Q2 and 2025Q1, and a
template downloads for each, for that quarter."""

from __future__ import annotations

import io

import openpyxl

from dashboard.bench.browser import APP, Server
from dashboard.ingest.layout import META_SHEET
from tests.browser.conftest import page_url, wait_for_app
from tests.browser.test_upload_export import download
from tests.support.clocked import database_from

OFFERED = ["2025年第4季度", "2025年第3季度", "2025年第2季度", "2025年第1季度"]


def test_the_upload_page_offers_every_quarter_from_the_trees_first_to_today(page, tmp_path, screenshot_dir):
    db = database_from(tmp_path / "from2025.duckdb", "2025Q1")
    secrets = tmp_path / "secrets.toml"
    secrets.write_text("# no [auth]: the demo mode\n", encoding="utf-8")
    server = Server(APP, {"DANGJIAN_DB": str(db), "DANGJIAN_TODAY": "2025-11-20"}, tmp_path / "app.log",
                    args=("--secrets.files", str(secrets)))
    try:
        page.goto(page_url(server, "upload"))
        wait_for_app(page)
        box = page.locator(".st-key-upload_quarter")
        assert box.locator("input").first.input_value() == OFFERED[0]  # the current quarter is chosen at first
        box.locator("input").first.click()
        options = page.get_by_role("option")
        options.first.wait_for()
        assert options.all_inner_texts() == OFFERED
        page.keyboard.press("Escape")
        page.screenshot(path=str(screenshot_dir / "periods_upload_2025.png"), full_page=True)
        for label in OFFERED:
            box.locator("input").first.click()
            page.get_by_role("option", name=label, exact=True).click()
            wait_for_app(page)
            got = download(page, "upload_template")
            quarter = f"2025Q{label[6]}"
            assert got.suggested_filename.endswith(f"_{quarter}.xlsx")
            wb = openpyxl.load_workbook(io.BytesIO(open(got.path(), "rb").read()))
            meta = {r[0]: r[1] for r in wb[META_SHEET].iter_rows(values_only=True)}
            assert meta["period"] == quarter and meta["generated_at"].startswith("2025-11-20")
            assert wb["填报说明"]["B6"].value == {"1": "2025-04-15", "2": "2025-07-15", "3": "2025-10-15",
                                                "4": "2026-01-15"}[label[6]]
    finally:
        server.stop()
