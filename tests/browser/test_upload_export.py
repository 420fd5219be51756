"""A reporter uploads returns in the browser; a reader downloads the tables behind the charts."""

from __future__ import annotations

import csv
import io

import openpyxl

from dashboard.db import Store
from dashboard.ingest import build_template
from dashboard.ingest.layout import CODE_ROW, FIRST_DATA_ROW
from tests.browser.conftest import page_url, snapshot_db, wait_for_app
from tests.browser.test_filters import ranking_bars
from tests.support.figures import iv, submission_rows


def filled_template(db, tmp_path, unit: str, quarter: str, values: dict[tuple[str, str, str], object]) -> tuple:
    """The real template for unit and quarter with some cells typed in: (sheet, unit, indicator) -> value.

    Returns the file and each typed cell's address as the validator names it (`学习教育!E6`).
    """
    with Store(db) as store:
        data = build_template(store, unit, quarter)
    path = tmp_path / f"{unit}_{quarter}.xlsx"
    path.write_bytes(data)
    wb = openpyxl.load_workbook(path)
    addresses = {}
    for (sheet, unit_code, indicator), value in values.items():
        ws = wb[sheet]
        cols = {c.value: c.column_letter for c in ws[CODE_ROW + 1]}
        rows = {ws.cell(r, 1).value: r for r in range(FIRST_DATA_ROW + 1, ws.max_row + 1)}
        cell = f"{cols[indicator]}{rows[unit_code]}"
        ws[cell] = value
        addresses[(sheet, unit_code, indicator)] = f"{sheet}!{cell}"
    wb.save(path)
    return path, addresses


def download(page, button_key: str, attempts: int = 3):
    """Click a download button and return the download.  The file is made on the server when
    the button is clicked; a click that lands while the session is between runs is sometimes
    lost, and a person would click again, so the test does too (and fails if none arrives)."""
    button = page.locator(f".st-key-{button_key} button")
    button.wait_for(state="visible")
    for attempt in range(attempts):
        try:
            with page.expect_download(timeout=10_000) as info:
                button.click()
            return info.value
        except Exception:  # noqa: BLE001 - the last attempt re-raises
            if attempt == attempts - 1:
                raise
    raise AssertionError("unreachable")


def upload(page, app_server, files, user="王芳"):
    page.set_viewport_size({"width": 1440, "height": 2000})  # the whole report in the screenshot
    page.goto(page_url(app_server, "upload"))
    wait_for_app(page)
    page.locator(".st-key-upload_user input").fill(user)
    page.locator(".st-key-upload_user input").press("Enter")
    page.locator(".st-key-upload_files input[type=file]").set_input_files([str(f) for f in files])
    for f in files:  # each file listed by the uploader before the button is pressed
        page.locator(".st-key-upload_files").get_by_text(f.name).wait_for()
    page.locator(".st-key-upload_submit button:not([disabled])").click()
    # the run the click starts ends with a line per file; then everything is drawn
    page.locator("[data-testid='stMain']").get_by_text("③ 校验结果").wait_for()
    wait_for_app(page)


def test_a_good_return_shows_on_the_matching_chart(page, app_server, tmp_path, screenshot_dir):
    # SW12 (a branch filing for itself) sent nothing for 2024Q3 in the demo data
    db = snapshot_db(app_server, tmp_path / "before.duckdb")
    path, _ = filled_template(db, tmp_path, "SW12", "2024Q3", {("学习教育", "SW12", "theme_party_days"): 7})
    page.goto(page_url(app_server, "study", "unit=SW&period=2024Q3&period=2024Q3"))
    wait_for_app(page)
    assert "水利工程质量监督站党支部" not in ranking_bars(page)  # drawn as 未报送

    upload(page, app_server, [path])
    body = page.locator("[data-testid='stMain']").inner_text()
    assert "已导入" in body, body[:2000]
    page.screenshot(path=str(screenshot_dir / "upload_good.png"))

    page.goto(page_url(app_server, "study", "unit=SW&period=2024Q3&period=2024Q3"))
    wait_for_app(page)
    assert ranking_bars(page)["水利工程质量监督站党支部"] == 7  # the number typed in the cell
    with Store(snapshot_db(app_server, tmp_path / "after.duckdb")) as store:
        who = submission_rows(store, unit_code="SW12", quarter="2024Q3", status="active")
    assert who[["submitted_by", "file_name"]].to_dict("records") == [{"submitted_by": "王芳", "file_name": path.name}]


def test_a_bad_return_lists_every_problem_with_its_cell_and_loads_nothing(page, app_server, tmp_path,
                                                                          screenshot_dir):
    db = snapshot_db(app_server, tmp_path / "before.duckdb")
    path, cells = filled_template(db, tmp_path, "SW01", "2024Q4", {
        ("学习教育", "SW0103", "branch_general_meetings"): "30余",
        ("学习教育", "SW0105", "theme_party_days"): -3,
        ("发展党员", "SW0102", "members_total"): "X",
    })
    upload(page, app_server, [path])
    page.screenshot(path=str(screenshot_dir / "upload_bad.png"))
    shown = page.locator("[data-testid='stMain']").inner_text()
    assert "未导入任何数据" in shown
    grid_text = page.locator("[data-testid='stTable']").inner_text()  # the problem list
    for address in cells.values():
        assert address in grid_text, f"{address} not in the problem list"
    assert "30余" in grid_text and "-3" in grid_text
    assert page.locator("[class*='st-key-upload_report_'] button").count() == 1  # the marked workbook
    with Store(snapshot_db(app_server, tmp_path / "after.duckdb")) as store:
        assert submission_rows(store, file_name=path.name).empty


def test_the_table_behind_a_chart_downloads_as_csv_and_xlsx_with_the_databases_numbers(page, app_server,
                                                                                         tmp_path):
    page.goto(page_url(app_server, "study", "unit=SW01&period=2024Q4&period=2024Q4"))
    wait_for_app(page)
    page.get_by_text("查看数据表并导出").first.click()
    raw = open(download(page, "study_ranking_csv").path(), "rb").read()
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM: Excel opens the Chinese correctly
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    xlsx = download(page, "study_ranking_xlsx")
    saved = tmp_path / xlsx.suggested_filename
    xlsx.save_as(saved)
    assert saved.suffix == ".xlsx"
    ws = openpyxl.load_workbook(saved).active
    xrows = [list(r) for r in ws.iter_rows(values_only=True)]
    assert [str(h) for h in xrows[0]] == rows[0]

    with Store(snapshot_db(app_server, tmp_path / "now.duckdb")) as store:
        kids = [u.code for u in store.tree().kids("SW01")]
        db = iv(store, units=kids, indicators=["theme_party_days"], granularity="quarter",
                         scope="subtree", **{"from": "2024Q4", "to": "2024Q4"})
    expected = dict(zip(db.unit_name_zh, db.value))
    header = rows[0]
    name_col, value_col = header.index("单位"), header.index("数值")
    from_csv = {r[name_col]: float(r[value_col]) for r in rows[1:] if r[value_col] not in ("", None)}
    from_xlsx = {r[name_col]: float(r[value_col]) for r in xrows[1:] if r[value_col] is not None}
    assert from_csv == expected
    assert from_xlsx == expected
