"""催报 in the browser (issue 22): the administrator previews the reminders of 2024Q4 on the 报送情况
page — the two units not in, their reporters, every message — sends them, and the local SMTP and
robot servers receive one message per unit and channel; a second preview the same day says why
nothing more would be sent."""

from __future__ import annotations

import shutil

from dashboard.bench.browser import APP, Server
from dashboard.db import Store
from tests.browser.conftest import page_url, wait_for_app
from tests.support.channels import MailBox, Robots, secrets_file


def test_the_administrator_previews_then_sends_the_reminders(page, demo_db_file, tmp_path, screenshot_dir):
    db = tmp_path / "remind.duckdb"
    shutil.copy(demo_db_file, db)
    with MailBox() as mail, Robots() as robots:
        secrets = secrets_file(tmp_path / "secrets.toml", mail, robots)
        server = Server(APP, {"DANGJIAN_DB": str(db), "DANGJIAN_TODAY": "2025-01-20",
                              "DANGJIAN_APP_URL": "https://dangjian.bureau.example",
                              "DANGJIAN_CONTACT": "局机关党委 李明 0571-87654321"},
                        tmp_path / "app.log", args=("--secrets.files", secrets))
        try:
            page.set_viewport_size({"width": 1440, "height": 1800})
            page.goto(page_url(server, "submissions", "unit=SW&period=2024Q1&period=2024Q4"))
            wait_for_app(page)
            main = page.locator("[data-testid='stMain']")
            assert "2024年第4季度 2025-01-15" in main.inner_text()  # each quarter's deadline, stated
            page.locator(".st-key-remind_preview button").click()
            main.get_by_text("2024年第4季度催报：2 个单位尚未报送").wait_for()
            wait_for_app(page)
            table = page.locator(".st-key-remind_preview_table")
            table.scroll_into_view_if_needed()
            page.screenshot(path=str(screenshot_dir / "submissions_remind_preview.png"), full_page=True)
            assert (len(mail.messages), len(robots.posts)) == (0, 0)  # a preview sends nothing
            page.locator(".st-key-remind_send button").click()
            main.get_by_text("已发送 7 条，失败 0 条").wait_for()
            wait_for_app(page)
            assert sorted(r[0] for r, _ in mail.messages) == ["qian.jieshui@sw.demo.example",
                                                              "sun.zhengfa@sw.demo.example",
                                                              "zhao.jieshui@sw.demo.example"]
            assert len(robots.of("/wecom")) == 2 and len(robots.of("/dingtalk")) == 2
            page.locator(".st-key-remind_preview button").click()  # the same day again
            main.get_by_text("没有要发送的提醒").wait_for()
            wait_for_app(page)
            assert page.locator(".st-key-remind_preview_table").inner_text().count("今日已通过") == 6
            assert page.locator(".st-key-remind_send").count() == 0
            page.screenshot(path=str(screenshot_dir / "submissions_remind_again.png"), full_page=True)
        finally:
            server.stop()
    with Store(db) as store:
        trail = store.table("audit")
        sends = trail[(trail["action"] == "remind.send") & (trail["outcome"] == "ok")]
        assert len(sends) == 6 and set(sends["via"]) == {"app"}
