"""The organisation in the browser (issue 22): on an empty database an administrator loads
data/org_tree.csv through the page, sees the change (新增 83), applies it, and the overview offers the
units; on the 组织架构 page a tree file with a cycle shows every problem with its cell and changes
nothing."""

from __future__ import annotations

from playwright.sync_api import expect

from dashboard.bench.browser import APP, Server
from dashboard.db import Store
from dashboard.settings import DATA_DIR
from tests.browser.conftest import page_url, snapshot_db, wait_for_app


def _check(page, path) -> None:
    page.locator(".st-key-org_file input[type=file]").set_input_files(str(path))
    page.locator(".st-key-org_file").get_by_text(path.name).wait_for()
    page.locator(".st-key-org_check button:not([disabled])").click()
    wait_for_app(page)


def test_an_administrator_loads_the_tree_in_the_browser_and_a_cycle_changes_nothing(page, tmp_path, screenshot_dir):
    db = tmp_path / "empty.duckdb"
    secrets = tmp_path / "secrets.toml"
    secrets.write_text("# no [auth]: the demo mode\n", encoding="utf-8")
    server = Server(APP, {"DANGJIAN_DB": str(db), "DANGJIAN_TODAY": "2025-11-20"}, tmp_path / "app.log",
                    args=("--secrets.files", str(secrets)))
    server.db = db
    try:
        page.set_viewport_size({"width": 1440, "height": 1400})
        page.goto(page_url(server, "overview"))
        wait_for_app(page)
        main = page.locator("[data-testid='stMain']")
        assert "还没有组织架构" in main.inner_text() and "python -m" not in main.inner_text()
        _check(page, DATA_DIR / "org_tree.csv")
        main.get_by_text("变更：新增 83，更名 0，调整隶属 0，撤销 0，其他 0。").wait_for()
        wait_for_app(page)
        page.screenshot(path=str(screenshot_dir / "organisation_first_start_diff.png"), full_page=True)
        with Store(snapshot_db(server, tmp_path / "after_check.duckdb")) as store:
            assert not store.has_tree()  # checked, shown, nothing loaded
        page.locator(".st-key-org_apply button").click()
        page.locator(".st-key-org_apply").wait_for(state="detached")  # the first-start page has given way
        wait_for_app(page)
        # the app with its organisation: the overview offers the units (a link choosing two of them)
        page.goto(page_url(server, "overview", "unit=SW01&unit=SW09"))
        wait_for_app(page)
        caption = page.get_by_text("单位：机关党委、水政监察支队党总支").first
        caption.wait_for()

        page.goto(page_url(server, "organisation"))
        wait_for_app(page)
        page.screenshot(path=str(screenshot_dir / "organisation_page.png"), full_page=True)
        with Store(snapshot_db(server, tmp_path / "loaded.duckdb")) as store:
            assert len(store.tree().units) == 83
            before = {k: v for k, v in store.snapshot().items() if k != "audit"}
        cycle = tmp_path / "cycle.csv"
        text = (DATA_DIR / "org_tree.csv").read_text(encoding="utf-8")
        cycle.write_text(text.replace("SW08,节约用水办公室党总支,Water Saving Office General Branch,general_branch,SW,",
                                      "SW08,节约用水办公室党总支,Water Saving Office General Branch,general_branch,SW0801,"),
                         encoding="utf-8")
        _check(page, cycle)
        main.get_by_text("cycle.csv 有 5 处问题，未作任何更改").wait_for()
        wait_for_app(page)  # the run that said it has drawn the problems too (the table comes after the line)
        expect(page.locator(".st-key-org_problems")).to_contain_text("D62")
        problems = page.locator(".st-key-org_problems").inner_text()
        for cell in ("D62", "E62", "E63", "E64", "E65"):
            assert cell in problems
        assert "单位 SW08 的上级链条形成了循环" in problems
        assert page.locator(".st-key-org_apply").count() == 0
        page.locator(".st-key-org_problems").scroll_into_view_if_needed()
        page.screenshot(path=str(screenshot_dir / "organisation_cycle.png"), full_page=True)
    finally:
        server.stop()
    with Store(db) as store:
        assert {k: v for k, v in store.snapshot().items() if k != "audit"} == before
        trail = store.table("audit")
        imports = trail[trail["action"] == "tree.import"]
        assert imports["outcome"].tolist() == ["ok", "rejected"] and imports["target"].tolist() == ["org_tree.csv",
                                                                                                   "cycle.csv"]
