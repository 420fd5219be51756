"""A database path that cannot be used — a folder, not a database, inside a plain file, read-only,
on a full disk, held by another process — and an archive that is a file: every command says so
in Chinese and English and exits 1, never with a traceback; the app shows a page in words.

The read-only and full-disk cases mount a small tmpfs (root in this sandbox); where mounting is
not allowed they are skipped, and test_health.py still covers a full disk by injecting ENOSPC.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import duckdb
import pytest

from dashboard.db import DatabaseBusy, Store, StoreUnavailable
from dashboard.db.connection import store_fault
from dashboard.ingest import build_template
from tests.conftest import ROOT
from tests.support.apptest import forget, open_app
from tests.support.returns import demo_tree_store, fill

COMMANDS = ("units", "export", "demo", "import", "check")


@pytest.fixture(scope="module")
def a_return(tmp_path_factory) -> Path:
    """A filled return (SW01 2024Q3), for the import command to be given."""
    folder = tmp_path_factory.mktemp("return")
    with demo_tree_store(folder / "t.duckdb") as store:
        data, _ = fill(build_template(store, "SW01", "2024Q3"))
    path = folder / "SW01_2024Q3.xlsx"
    path.write_bytes(data)
    return path


def command_line(name: str, db: Path, a_return: Path, out: Path) -> list[str]:
    extra = {"export": ["--out", str(out)], "import": [str(a_return)]}.get(name, [])
    return [sys.executable, "-m", "dashboard", name, "--db", str(db), *extra]


def run_all(names, db: Path, a_return: Path, tmp_path: Path) -> dict[str, subprocess.CompletedProcess]:
    """Each command as its own process (started together: the machine is small and they mostly wait)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DANGJIAN_LOCK_TIMEOUT": "2"}
    procs = {n: subprocess.Popen(command_line(n, db, a_return, tmp_path / f"{n}.csv"), cwd=ROOT, env=env,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for n in names}
    out = {}
    for n, p in procs.items():
        stdout, stderr = p.communicate(timeout=300)
        out[n] = subprocess.CompletedProcess(p.args, p.returncode, stdout, stderr)
    return out


def assert_told(results: dict[str, subprocess.CompletedProcess], zh: str, en: str) -> None:
    for name, r in results.items():
        assert r.returncode == 1, (name, r.stdout, r.stderr)
        assert "Traceback" not in r.stderr and "Traceback" not in r.stdout, (name, r.stderr)
        assert zh in r.stderr and en in r.stderr, (name, r.stderr)
        told = [ln for ln in r.stderr.splitlines() if "排队等候" not in ln]  # started together: some wait in line
        assert told[0].startswith("错误 error: "), (name, r.stderr)


# --- paths that are not a database --------------------------------------------------------------

# Every command for the two common mistakes; two for the rarer files (each process costs seconds).
NOT_A_DATABASE = {
    "a folder": (lambda p: p.mkdir(), COMMANDS, "是一个文件夹", "is a folder, not a database file"),
    "a text file": (lambda p: p.write_text("会议纪要 minutes\n", encoding="utf-8"), COMMANDS,
                    "不是 DuckDB 数据库文件", "is not a DuckDB database file"),
    "random bytes": (lambda p: p.write_bytes(os.urandom(64 * 1024)), ("units", "import"), "不是 DuckDB 数据库文件",
                     "is not a DuckDB database file"),
    "an empty file": (lambda p: p.write_bytes(b""), ("check", "export"), "不是 DuckDB 数据库文件",
                      "is not a DuckDB database file"),
}


@pytest.mark.parametrize("kind", NOT_A_DATABASE)
def test_every_command_says_the_path_is_not_a_database(kind, a_return, tmp_path):
    make, commands, zh, en = NOT_A_DATABASE[kind]
    db = tmp_path / "x.duckdb"
    make(db)
    before = db.read_bytes() if db.is_file() else None
    assert_told(run_all(commands, db, a_return, tmp_path), zh, en)
    assert (db.read_bytes() if db.is_file() else None) == before  # never overwritten
    assert not (tmp_path / "archive").exists()


def test_a_database_inside_a_plain_file_is_named(a_return, tmp_path):
    (tmp_path / "notes.txt").write_text("x")
    results = run_all(("units", "demo"), tmp_path / "notes.txt" / "x.duckdb", a_return, tmp_path)
    assert_told(results, "不是文件夹", "part of the path is a plain file")


# --- the disk: read-only, full ----------------------------------------------------------------------


@contextlib.contextmanager
def tmpfs(path: Path, size: str):
    path.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)], capture_output=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], capture_output=True)


def remount(path: Path, options: str) -> None:
    subprocess.run(["mount", "-o", f"remount,{options}", str(path)], check=True, capture_output=True)


def test_every_command_says_the_database_is_read_only(a_return, tmp_path):
    """A read-only file system (root ignores mode 0444, so the disk itself is made read-only)."""
    with tmpfs(tmp_path / "ro", "16m") as disk:
        Store(disk / "d.duckdb").close()
        remount(disk, "ro")
        assert_told(run_all(COMMANDS, disk / "d.duckdb", a_return, tmp_path), "只读", "is read-only")
        assert_told(run_all(("units",), disk / "new.duckdb", a_return, tmp_path), "只读", "is read-only")


def test_a_full_disk_is_named_and_leaves_nothing_half_written(a_return, tmp_path):
    """The demo (152 returns, then the roll-up) does not fit in 2 MB: the write that fails is undone
    whole, and once there is room the check finds the database consistent."""
    with tmpfs(tmp_path / "full", "2m") as disk:
        db = disk / "d.duckdb"
        results = run_all(("demo",), db, a_return, tmp_path)
        assert_told(results, "磁盘空间不足", "The disk is full")
        remount(disk, "size=64m")
        check = run_all(("check",), db, a_return, tmp_path)["check"]
        assert check.returncode == 0, check.stdout + check.stderr
        assert "check done: healthy" in check.stdout


def test_a_full_disk_while_archiving_loads_nothing(a_return, tmp_path):
    with tmpfs(tmp_path / "full", "8m") as disk:
        db = disk / "d.duckdb"
        with demo_tree_store(db) as store:
            store.checkpoint()
        filler = disk / "filler"
        with open(filler, "wb") as f, contextlib.suppress(OSError):
            while True:
                f.write(b"\0" * 65536)
                f.flush()
        results = run_all(("import",), db, a_return, tmp_path)
        assert_told(results, "原始文件无法存入", "the original file cannot be kept")
        filler.unlink()
        with Store(db) as store:
            assert not store.has_submissions()
            assert list(store.archive_dir.iterdir()) == []  # no temporary file left behind


# --- the archive is a file ---------------------------------------------------------------------------


def test_an_archive_that_is_a_file_is_named_by_import_and_check(a_return, tmp_path):
    db = tmp_path / "d.duckdb"
    demo_tree_store(db).close()
    (tmp_path / "archive").write_text("in the way")
    results = run_all(("import", "check", "units"), db, a_return, tmp_path)
    imp, check, units = results["import"], results["check"], results["units"]
    assert imp.returncode == 1 and "Traceback" not in imp.stderr
    assert "不是文件夹" in imp.stderr and "is not a folder" in imp.stderr and "was not loaded" in imp.stderr
    assert check.returncode == 1 and "Traceback" not in check.stderr and "is not a folder" in check.stdout
    assert units.returncode == 0  # what does not need the archive still works
    with Store(db) as store:
        assert not store.has_submissions()


# --- what DuckDB and the system say, translated ---------------------------------------------------------


@pytest.mark.parametrize("error, key", [
    (duckdb.IOException('IO Error: Cannot open file "/x/d.duckdb": Permission denied'), "db_read_only"),
    (duckdb.IOException('IO Error: Cannot open file "/x/d.duckdb": Read-only file system'), "db_read_only"),
    (duckdb.TransactionException('Failed to commit: Could not write file "/x/d.duckdb.wal": No space left on device'),
     "db_disk_full"),
    (duckdb.FatalException("FATAL Error: database has been invalidated because of a previous fatal error"),
     "db_invalidated"),
    (PermissionError(13, "Permission denied"), "db_read_only"),
    (OSError(28, "No space left on device"), "db_disk_full"),
])
def test_faults_of_the_disk_are_translated(error, key):
    fault = store_fault(error, Path("/x/d.duckdb"))
    assert isinstance(fault, StoreUnavailable) and fault.key == key


def test_other_errors_are_bugs_and_surface():
    assert store_fault(duckdb.BinderException("Referenced column x not found"), Path("/x/d.duckdb")) is None
    assert store_fault(ValueError("x"), Path("/x/d.duckdb")) is None


# --- the app ----------------------------------------------------------------------------------------------


@pytest.fixture
def app_on(monkeypatch):
    def on(path: Path, query: dict | None = None, **env):
        monkeypatch.setenv("DANGJIAN_DB", str(path))
        for k, v in env.items():
            monkeypatch.setenv(k, v)
        forget()
        return open_app(**(query or {}))
    yield on
    forget()


def assert_page_in_words(at, *fragments: str, hidden: str) -> None:
    assert not at.exception, [e.value for e in at.exception]
    text = " ".join(e.value for e in at.error)
    assert all(f in text for f in fragments), text
    assert hidden not in text and "Traceback" not in text


def test_the_app_on_a_folder_says_so_in_words(app_on, tmp_path):
    (tmp_path / "d.duckdb").mkdir()
    at = app_on(tmp_path / "d.duckdb")
    assert_page_in_words(at, "看板暂时无法打开数据库", "d.duckdb 是一个文件夹", hidden=str(tmp_path))


def test_the_app_on_a_text_file_says_so_in_the_language_of_the_address(app_on, tmp_path):
    (tmp_path / "d.duckdb").write_text("not a database")
    at = app_on(tmp_path / "d.duckdb", {"lang": "en"})
    assert_page_in_words(at, "cannot open its database", "d.duckdb is not a DuckDB database file",
                         hidden=str(tmp_path))


def test_the_app_on_a_file_another_process_holds_says_to_wait(app_on, tmp_path):
    path = tmp_path / "held.duckdb"
    Store(path).close()
    holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import sys, time
        sys.path.insert(0, {str(ROOT)!r})
        from dashboard.db import Store
        s = Store({str(path)!r})
        print("ready", flush=True)
        time.sleep(120)
    """)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ready"
        at = app_on(path, DANGJIAN_LOCK_TIMEOUT="0.5")
        assert_page_in_words(at, "正被另一个进程", f"PID {holder.pid}", "请稍候片刻再刷新页面", hidden=str(tmp_path))
    finally:
        holder.kill()
        holder.wait()


def test_the_busy_error_keeps_its_command_line_wording():
    busy = DatabaseBusy(Path("/data/d.duckdb"), " (PID 42)")
    assert "占用" in str(busy) and "PID 42" in str(busy) and "Run this again once it has finished" in str(busy)
    assert "Wait a moment" in busy.text("en", app=True) and "/data" not in busy.text("en", app=True)
