"""A real app server on 127.0.0.1 for the tests (the benchmark's launcher, dashboard/bench/browser.py),
on a private copy of the demo database, stopped by its own PID."""

from __future__ import annotations

import shutil
from pathlib import Path

from dashboard.bench.browser import APP, Server


def demo_app(demo_db_file: Path, folder: Path) -> Server:
    """The app on a copy of the demo in `folder`, in the open demo mode: a secrets file of its own
    with no [auth], whatever .streamlit/secrets.toml a developer keeps.  Its database is `.db`."""
    db = folder / "app.duckdb"
    shutil.copy(demo_db_file, db)
    secrets = folder / "secrets.toml"
    secrets.write_text("# no [auth]: the demo mode\n", encoding="utf-8")
    server = Server(APP, {"DANGJIAN_DB": str(db)}, folder / "app.log", args=("--secrets.files", str(secrets)))
    server.db = db
    return server
