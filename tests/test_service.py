"""The command line works while another process holds the database.

- A process holding the store and offering the service (as the app does): commands run through
  it with the same messages and exit codes as alone, files and all.
- No such process: concurrent commands queue on the file's lock instead of failing after a
  fixed wait.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from dashboard.db import Store
from dashboard.ingest import build_template
from tests.conftest import ROOT
from tests.support.figures import submission_rows
from tests.support.returns import fill, set_value


def cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    import os

    return subprocess.run([sys.executable, "-m", "dashboard", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=300, env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})})


@pytest.fixture
def db(demo_db_file, tmp_path):
    path = tmp_path / "held.duckdb"
    shutil.copy(demo_db_file, path)
    return path


def returns(db, folder, pairs) -> list:
    """Filled returns for (reporting unit, quarter) pairs, written to `folder` (templates of `db`,
    the session's demo database: the database under test may be held by another process)."""
    folder.mkdir(exist_ok=True)
    with Store(db) as store:
        files = []
        for unit, quarter in pairs:
            path = folder / f"{unit}_{quarter}.xlsx"
            path.write_bytes(fill(build_template(store, unit, quarter))[0])
            files.append(path)
    return files


@pytest.fixture
def holder(db):
    """A process holding the store and offering the command-line service, as the app does."""
    proc = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(ROOT)!r})
        from dashboard import cli, service
        from dashboard.db import Store
        store = Store({str(db)!r})
        service.start(store, cli.run_for_client)
        print("ready", flush=True)
        sys.stdin.read()  # until the test closes it
    """)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=ROOT)
    assert proc.stdout.readline().strip() == "ready"
    yield proc
    proc.stdin.close()
    proc.wait(timeout=30)


def test_commands_run_through_the_process_that_holds_the_database(db, holder, tmp_path, demo_db_file):
    pairs = [("SW01", "2025Q1"), ("SW02", "2025Q1"), ("SW03", "2025Q1")]
    files = returns(demo_db_file, tmp_path / "in", pairs)
    result = cli("import", "--db", str(db), "--user", "张三", *map(str, files))
    assert result.returncode == 0, result.stderr
    assert "经由应用执行" in result.stderr and f"进程 {holder.pid}" in result.stderr
    assert result.stdout.count("已入库") == 3
    out = tmp_path / "SW01.csv"
    export = cli("export", "--db", str(db), "--unit", "SW01", "--from", "2025Q1", "--to", "2025Q1", "--out",
                 str(out.relative_to(ROOT)) if out.is_relative_to(ROOT) else str(out))
    assert export.returncode == 0 and out.read_bytes().startswith(b"\xef\xbb\xbf")
    history = cli("submissions", "--db", str(db), "--unit", "SW02", "--period", "2025Q1")
    assert history.returncode == 0 and "SW02_2025Q1.xlsx" in history.stdout and "张三" in history.stdout
    usage = cli("export", "--db", str(db), "--unit", "NOPE", "--out", str(tmp_path / "x.csv"))
    assert usage.returncode == 2 and "unknown unit NOPE" in usage.stderr  # the same exit codes


def test_every_command_that_writes_a_file_works_through_the_app(db, holder, tmp_path):
    """Step 1 of the app's own first-start guide (`tree template`), the tree's export, a return's
    template, the 通报 and a summary: each writes its file through the app holding the database,
    its path arguments — a subcommand's too — arriving as paths."""
    made = {
        "tree_template.xlsx": ["tree", "template", "--out"],
        "tree_export.xlsx": ["tree", "export", "--out"],
        "template.xlsx": ["template", "--unit", "SW01", "--period", "2024Q4", "--out"],
        "summary.docx": ["summary", "--unit", "SW01", "--period", "2024", "--out"],
    }
    for name, command in made.items():
        target = tmp_path / name
        result = cli(*command[:2], "--db", str(db), *command[2:], str(target)) if command[0] == "tree" else \
            cli(command[0], "--db", str(db), *command[1:], str(target))
        assert result.returncode == 0, (name, result.stdout, result.stderr)
        assert "经由应用执行" in result.stderr and target.is_file() and target.stat().st_size > 0, name
    added = cli("users", "add", "--db", str(db), "r@x.org", "--role", "reporter", "--unit", "SW02", "--name", "张三")
    assert added.returncode == 0, added.stderr
    zh, en = added.stdout.strip().split(" | ")
    assert "报送人" in zh and "reporter" not in zh and "reporter" in en  # the role in each line's language
    again = cli("users", "--db", str(db), "add", "r@x.org", "--role", "reporter", "--unit", "SW01")
    listed = cli("users", "list", "--db", str(db))
    row = next(line.split() for line in listed.stdout.splitlines() if line.startswith("r@x.org"))
    assert "原为 报送人" in again.stdout.split(" | ")[0]  # an update names the old role in Chinese too
    assert again.returncode == 0 and row[:4] == ["r@x.org", "张三", "reporter", "SW01"]  # a role change keeps the name


def test_a_refused_file_says_the_same_through_the_app_as_alone(db, tmp_path, demo_db_file):
    [good] = returns(demo_db_file, tmp_path / "in", [("SW01", "2025Q1")])
    bad = tmp_path / "bad" / "SW01_2025Q1.xlsx"
    bad.parent.mkdir()
    bad.write_bytes(set_value(good.read_bytes(), "学习教育", "SW0103", "branch_general_meetings", "超过30")[0])
    alone = cli("import", "--db", str(db), str(bad))
    proc = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(ROOT)!r})
        from dashboard import cli, service
        from dashboard.db import Store
        service.start(Store({str(db)!r}), cli.run_for_client)
        print("ready", flush=True)
        sys.stdin.read()
    """)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        assert proc.stdout.readline().strip() == "ready"
        through = cli("import", "--db", str(db), str(bad))
    finally:
        proc.stdin.close()
        proc.wait(timeout=30)
    assert (alone.returncode, through.returncode) == (1, 1)
    assert through.stdout == alone.stdout and "约数" in through.stdout
    with Store(db) as store:
        assert submission_rows(store, quarter="2025Q1").empty


def test_without_an_app_concurrent_imports_queue_instead_of_failing(db, tmp_path, demo_db_file):
    """Six imports started while this test holds the file, with a one-second lock timeout: each
    says it waits, and once the file is free each takes its turn; none is refused."""
    import os

    pairs = [(u, "2025Q1") for u in ("SW01", "SW02", "SW03", "SW04", "SW05", "SW06")]
    files = returns(demo_db_file, tmp_path / "in", pairs)
    held = Store(db)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DANGJIAN_LOCK_TIMEOUT": "1"}
    procs = [subprocess.Popen([sys.executable, "-m", "dashboard", "import", "--db", str(db), "--user", f.stem,
                               str(f)], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for f in files]
    try:
        for proc in procs:  # every one is in the queue before the file is let go
            assert "排队等候" in proc.stderr.readline()
    finally:
        held.close()
    results = [proc.communicate(timeout=300) + (proc.returncode,) for proc in procs]
    assert [r[2] for r in results] == [0] * len(files), results
    with Store(db) as store:
        loaded = submission_rows(store, quarter="2025Q1", status="active")
    assert sorted(loaded["submitted_by"]) == sorted(f.stem for f in files)


def test_a_request_carries_paths_as_paths_and_text_as_text(tmp_path, monkeypatch):
    """The command's arguments travel typed: a path typed relative to the client's folder arrives
    absolute and a Path, a list of paths a list of Paths, a code that looks like a path stays text
    (the app no longer reads the command's parser to guess which is which)."""
    from dashboard import service

    monkeypatch.chdir(tmp_path)
    sent = {"out": Path("组织架构.xlsx"), "files": [Path("a.xlsx"), Path("b/c.xlsx")], "unit": "SW01/x",
            "dry_run": True, "since": None, "n": 3}
    got = service.decode_args(json.loads(json.dumps(service.encode_args(sent), ensure_ascii=False)))
    assert got == {"out": tmp_path / "组织架构.xlsx", "files": [tmp_path / "a.xlsx", tmp_path / "b" / "c.xlsx"],
                   "unit": "SW01/x", "dry_run": True, "since": None, "n": 3}
    assert isinstance(got["unit"], str) and all(isinstance(p, Path) for p in got["files"])
