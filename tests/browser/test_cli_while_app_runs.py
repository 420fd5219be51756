"""With the app running, an administrator imports returns from the command line: they go through
the app's store and the app shows them at once."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

from dashboard.bench.browser import APP, Server
from dashboard.db import Store
from dashboard.ingest import build_template
from tests.browser.conftest import page_url, wait_for_app
from tests.browser.test_filters import ranking_bars
from tests.conftest import ROOT
from tests.support.returns import fill


def test_a_command_line_import_while_the_app_runs_shows_in_the_app(page, demo_db_file, tmp_path):
    db = tmp_path / "running.duckdb"
    shutil.copy(demo_db_file, db)
    files, typed = [], {}
    with Store(demo_db_file) as store:
        for unit in ("SW01", "SW02", "SW03"):
            data, values = fill(build_template(store, unit, "2025Q1"))
            path = tmp_path / f"{unit}_2025Q1.xlsx"
            path.write_bytes(data)
            files.append(path)
            typed[store.tree()[unit].name_zh] = sum(v for (u, c), v in values.items() if c == "theme_party_days")
    server = Server(APP, {"DANGJIAN_DB": str(db)}, tmp_path / "app.log")
    try:
        page.goto(page_url(server, "study"))
        wait_for_app(page)  # a visit: the app has opened the database and holds it
        result = subprocess.run([sys.executable, "-m", "dashboard", "import", "--db", str(db), "--user", "管理员",
                                 *map(str, files)], cwd=ROOT, capture_output=True, text=True, timeout=300,
                                env={**os.environ, "PYTHONPATH": str(ROOT)})
        assert result.returncode == 0, result.stderr
        assert "经由应用执行" in result.stderr and result.stdout.count("已入库") == 3
        page.goto(page_url(server, "study", "unit=SW&period=2025Q1&period=2025Q1&study_measure=raw"))  # as typed
        wait_for_app(page)
        bars = ranking_bars(page)
        assert {name: bars[name] for name in typed} == typed  # each committee's return, as typed
    finally:
        server.stop()
