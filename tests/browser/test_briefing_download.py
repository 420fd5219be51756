"""A leader downloads the quarterly 通报 from the overview, in the browser, and opens it in Word."""

from __future__ import annotations

from docx import Document

from tests.browser.conftest import page_url, wait_for_app


def test_the_overview_downloads_the_quarterly_briefing(page, app_server, tmp_path):
    page.goto(page_url(app_server, "overview", "unit=SW&period=2024Q1&period=2024Q4"))
    wait_for_app(page)
    # the button by what a person reads on it (its help "?" is a button of its own)
    button = page.locator(".st-key-overview_briefing").get_by_role("button", name="下载2024年第四季度通报（Word）")
    button.wait_for(state="visible")
    # made on the server when clicked: the charts are drawn in Chromium, seconds on a busy machine
    with page.expect_download(timeout=240_000) as info:
        button.click()
    download = info.value
    assert download.suggested_filename == "市水务局党组_2024Q4_通报.docx"
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    document = Document(str(path))
    texts = [p.text for p in document.paragraphs]
    assert "市水务局党组关于\n2024年第四季度党建工作情况的通报" in texts  # the title broken by hand (GB/T 9704 7.3.1)
    assert "本季度应报13个单位，已报11个（其中逾期1个），未报2个。" in texts
    assert len(document.inline_shapes) >= 4  # the domains' ranking charts, drawn
