"""A person opens every page, changes the filters, reloads the link and downloads exports."""

from __future__ import annotations

import csv
import io
import re
from urllib.parse import parse_qs, urlparse

import openpyxl
import pytest

from tests.browser.conftest import page_url, wait_for_app

PAGES = ["overview", "study", "members", "stars", "discipline", "flood", "compare", "explorer", "upload",
         "submissions"]


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
