"""Two app instances on one PostgreSQL database, driven in Chromium: a reporter uploads a return in
instance A and a leader's ranking in instance B shows the typed figure on B's next run; then a
command-line import, made while both run, shows in both.

Each instance is its own `streamlit run` process (its own caches, its own store) on a port of its
own on 127.0.0.1, stopped by its PID; the database is a copy of the demo on the test's throwaway
PostgreSQL server, and the archive of originals one folder both share (DANGJIAN_PG_FOLDER).
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from dashboard.bench.browser import APP, Server, switch
from dashboard.db import Store
from dashboard.ingest import build_template
from tests.browser.conftest import page_url, wait_for_app
from tests.browser.test_filters import ranking_bars
from tests.browser.test_upload_export import filled_template
from tests.conftest import ROOT
from tests.support.returns import fill

VIEW = "unit=SW&period=2024Q3&period=2024Q3&study_measure=raw"  # the bureau's committees, 2024Q3, as typed
SW12 = "水利工程质量监督站党支部"  # a branch filing for itself, with no 2024Q3 return in the demo


@pytest.fixture
def two_apps(pg_server, pg_templates, tmp_path, monkeypatch):
    """Instances A and B on one copy of the demo on the test server, in the open demo mode."""
    db = "two_instances_browser"
    url = pg_server.create(db, template=pg_templates["demo"])
    folder = tmp_path / "shared"
    monkeypatch.setenv("DANGJIAN_PG_FOLDER", str(folder))  # this process's own stores too
    secrets = tmp_path / "secrets.toml"
    secrets.write_text("# no [auth]: the demo mode\n", encoding="utf-8")
    env = {"DANGJIAN_DB": url, "DANGJIAN_PG_FOLDER": str(folder)}
    started = []
    try:
        for name in ("a", "b"):
            started.append(Server(APP, env, tmp_path / f"app_{name}.log", args=("--secrets.files", str(secrets))))
        yield url, started[0], started[1]
    finally:
        for server in started:
            server.stop()
        pg_server.drop(db)


def view_as(page, role: str) -> None:
    """The demo mode's 查看身份 in the sidebar: 领导 or 报送人 (of the whole bureau)."""
    choice = page.locator(".st-key-_view_role").get_by_role("radio", name=role, exact=True)
    choice.click()
    page.locator(".st-key-_view_role [role=radio][aria-checked=true]").get_by_text(role, exact=True).wait_for()
    wait_for_app(page)


def raw_figures(page) -> None:
    """The ranking by the figures as typed (原始数), not per branch: a page reached by the sidebar
    has the default measure."""
    page.locator(".st-key-study_measure").get_by_text("原始数").click()
    # the click's run may not have begun when it returns: wait for the choice in the address (the
    # run writes it), then for the run to end
    page.wait_for_function("() => location.search.includes('study_measure=raw')")
    wait_for_app(page)


def new_page(browser, browser_context_args):
    return browser.new_context(**browser_context_args).new_page()


def test_an_upload_in_one_instance_and_a_command_line_import_show_in_the_other(
        two_apps, browser, browser_context_args, tmp_path):
    url, a, b = two_apps
    leader, reporter = new_page(browser, browser_context_args), new_page(browser, browser_context_args)

    # B: a leader looks at the 2024Q3 ranking: SW12 sent nothing (no bar), SW01 the demo's figure
    leader.goto(page_url(b, "study", VIEW))
    wait_for_app(leader)
    view_as(leader, "领导")
    before = ranking_bars(leader)
    assert SW12 not in before and "机关党委" in before
    switch(leader, b.url, "overview", "overview")  # the leader moves on; B's study page is cached

    # A: a reporter uploads SW12's 2024Q3 return with 7 theme Party days
    path, _ = filled_template(url, tmp_path, "SW12", "2024Q3", {("学习教育", "SW12", "theme_party_days"): 7})
    reporter.goto(page_url(a, "upload", VIEW))
    wait_for_app(reporter)
    view_as(reporter, "报送人")
    reporter.locator(".st-key-upload_user input").fill("王芳")
    reporter.locator(".st-key-upload_user input").press("Enter")
    wait_for_app(reporter)  # the name's rerun is over before the file is chosen
    reporter.locator(".st-key-upload_files input[type=file]").set_input_files(str(path))
    reporter.locator(".st-key-upload_files").get_by_text(path.name).wait_for()
    reporter.locator(".st-key-upload_submit button:not([disabled])").click()
    reporter.locator("[data-testid='stMain']").get_by_text("③ 校验结果").wait_for()
    wait_for_app(reporter)
    assert "已导入" in reporter.locator("[data-testid='stMain']").inner_text()

    # B's next run (the leader clicks 学习教育): the first finished run already holds the figure
    ms, _ = switch(leader, b.url, "study", "overview")
    assert ranking_bars(leader)[SW12] == 7, "instance B shows the return uploaded in instance A"
    print(f"B's next run showed A's upload: {ms:.0f} ms from the click (settled)")

    # the command line imports SW01's 2024Q3 return again, new figures, while both instances run
    with Store(url) as store:
        data, values = fill(build_template(store, "SW01", "2024Q3"))
        typed = sum(v for (_u, code), v in values.items() if code == "theme_party_days")
    assert typed != before["机关党委"], "the new return must change the figure for the test to see it"
    cli_file = tmp_path / "SW01_2024Q3.xlsx"
    cli_file.write_bytes(data)
    result = subprocess.run([sys.executable, "-m", "dashboard", "import", "--db", url, "--user", "管理员",
                             str(cli_file)], cwd=ROOT, capture_output=True, text=True, timeout=300,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert result.returncode == 0, result.stdout + result.stderr
    assert "已入库" in result.stdout

    switch(leader, b.url, "overview", "overview")
    switch(leader, b.url, "study", "overview")
    switch(reporter, a.url, "study", "overview")
    for page in (leader, reporter):
        raw_figures(page)
        bars = ranking_bars(page)
        assert bars["机关党委"] == typed and bars[SW12] == 7  # the command's return and A's upload, in both
