"""Uploads that kill a spreadsheet parser, through the upload page of a running app: each is
refused in words, the server keeps answering /_stcore/health, and the next good return loads.

The server runs with the container's shape bounds lifted (DANGJIAN_SHEET_MAX_*), so the
dimension bombs get past the first wall and reach calamine in its worker process — the second
wall this test proves from the outside; with the default bounds the container refuses them
before any parser runs (tests/test_container.py).
"""

from __future__ import annotations

import shutil
import urllib.request

import pytest

from dashboard.bench.browser import APP, Server
from tests.browser.conftest import page_url, wait_for_app
from tests.browser.test_upload_export import upload
from tests.test_hostile_files import DANGEROUS


def healthy(server) -> bool:
    with urllib.request.urlopen(f"{server.url}/_stcore/health", timeout=30) as r:
        return server.proc.poll() is None and r.read().strip() == b"ok"


@pytest.fixture(scope="module")
def bounds_lifted_server(demo_db_file, tmp_path_factory):
    db = tmp_path_factory.mktemp("hostile") / "app.duckdb"
    shutil.copy(demo_db_file, db)
    env = {"DANGJIAN_DB": str(db), **{f"DANGJIAN_SHEET_MAX_{n}": str(10**12) for n in ("ROWS", "COLS", "AREA", "CELLS")}}
    server = Server(APP, env, db.with_suffix(".log"))
    server.db = db
    yield server
    server.stop()


def test_uploads_that_kill_a_parser_are_refused_and_the_server_lives(page, bounds_lifted_server, good, tmp_path,
                                                                    screenshot_dir):
    server = bounds_lifted_server
    for n, (case, make, message) in enumerate(DANGEROUS):
        path = tmp_path / f"bomb{n}.xlsx"
        path.write_bytes(make(good))
        upload(page, server, [path])
        shown = page.locator("[data-testid='stMain']").inner_text()
        assert "文件无法被安全读取" in shown and message in shown, case
        assert healthy(server), case
    page.screenshot(path=str(screenshot_dir / "upload_bomb.png"))
    path = tmp_path / "SW01_2025Q1.xlsx"
    path.write_bytes(good)
    upload(page, server, [path])
    assert "未导入任何数据" not in page.locator("[data-testid='stMain']").inner_text()
    page.goto(page_url(server, "submissions"))
    wait_for_app(page)
    assert healthy(server)
