"""The health check (dashboard/health.py, `python -m dashboard check`): what it finds when a
problem is planted, that healthy databases pass, what --repair does and never does, the archive
that never trusts a name, and imports killed with SIGKILL at random moments."""

from __future__ import annotations

import errno
import hashlib
import logging
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from dashboard import health
from dashboard.cli import main
from dashboard.db import Store, StoreUnavailable
from dashboard.db import archive as archive_mod
from dashboard.ingest import build_template, import_return
from tests.conftest import ROOT
from tests.support.returns import audit_gained, but_audit, demo_tree_store, fill, set_value

QUARTER = "2024Q3"


@pytest.fixture(scope="module")
def imported_folder(tmp_path_factory) -> Path:
    """A folder holding a database of real imported returns (SW01 and SW05 for 2024Q3, SW05 then
    resubmitted, so one submission is superseded) and its archive of the three originals."""
    folder = tmp_path_factory.mktemp("imported")
    with demo_tree_store(folder / "r.duckdb") as store:
        for unit in ("SW01", "SW05"):
            data, _ = fill(build_template(store, unit, QUARTER))
            assert import_return(store, data, f"{unit}.xlsx", "张三").status == "loaded"
        data, _ = set_value(data, "学习教育", "SW0501", "special_education", 9)
        assert import_return(store, data, "SW05_v2.xlsx", "张三").status == "loaded"
        store.checkpoint()
    return folder


@pytest.fixture
def imported(imported_folder, tmp_path) -> Path:
    """A private copy of that database and archive; the database file's path."""
    shutil.copytree(imported_folder, tmp_path / "db")
    return tmp_path / "db" / "r.duckdb"


def run_check(db: Path, capsys, *extra: str) -> tuple[int, str]:
    code = main(["check", "--db", str(db), *extra])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def kinds(db: Path) -> list[str]:
    with Store(db) as store:
        return sorted(f.kind for f in health.check(store).findings)


def kept(db: Path) -> dict[str, list[tuple]]:
    """The submissions and facts, row for row: what a repair must never change."""
    with Store(db) as store:
        snap = store.snapshot()
    return {name: snap[name] for name in ("submissions", "facts")}


def originals(db: Path) -> list[Path]:
    return sorted((db.parent / "archive").glob("*.xlsx"))


def forge(db: Path, *statements: str) -> None:
    """Change the database behind the store's back, as a fault or a hand would."""
    con = duckdb.connect(str(db))
    try:
        for statement in statements:
            con.execute(statement)
    finally:
        con.close()


# --- healthy databases --------------------------------------------------------------------------


def test_the_demo_database_is_healthy(demo_db_file, tmp_path, capsys):
    db = tmp_path / "demo.duckdb"
    shutil.copy(demo_db_file, db)
    code, out = run_check(db, capsys)
    assert code == 0, out
    assert "check done: healthy" in out and "检查完毕：正常" in out and "problem" not in out


def test_a_database_of_imported_returns_is_healthy(imported, capsys):
    code, out = run_check(imported, capsys)
    assert code == 0, out
    assert "3 submissions (2 active)" in out and "3 original files intact" in out


def test_a_missing_database_is_not_created_by_a_check(tmp_path, capsys):
    code, out = run_check(tmp_path / "nowhere.duckdb", capsys)
    assert code == 1 and "does not exist" in out
    assert not (tmp_path / "nowhere.duckdb").exists()


# --- planted problems -------------------------------------------------------------------------


def test_an_orphan_and_a_temporary_file_are_found_and_moved_aside_never_deleted(imported, capsys):
    folder = imported.parent / "archive"
    (folder / f"{'0' * 64}.xlsx").write_bytes(b"an import killed before its commit")
    (folder / ".incoming-k9x").write_bytes(b"half a file")
    before = kept(imported)

    code, out = run_check(imported, capsys)
    assert code == 1
    assert kinds(imported) == ["archive_orphan", "archive_temp"]
    assert f"archive/{'0' * 64}.xlsx" in out and "archive/.incoming-k9x" in out
    assert "2 problems found, 2 of them repairable" in out

    code, out = run_check(imported, capsys, "--repair")
    assert code == 0, out
    assert "the repair changed no submission and no fact" in out and "修复没有改动任何提交或数据" in out
    aside = list((folder / ".orphans").iterdir())
    assert len(aside) == 1  # one timestamped folder per repair
    assert (aside[0] / f"{'0' * 64}.xlsx").read_bytes() == b"an import killed before its commit"
    assert (aside[0] / ".incoming-k9x").read_bytes() == b"half a file"
    assert kept(imported) == before
    assert run_check(imported, capsys)[0] == 0


def test_a_tampered_original_is_found_and_left_alone(imported, capsys):
    victim = originals(imported)[0]
    victim.write_bytes(victim.read_bytes()[:-10] + b"0123456789")  # same name, other bytes
    code, out = run_check(imported, capsys)
    assert code == 1 and kinds(imported) == ["original_altered"]
    assert victim.name in out and "does not match its recorded SHA-256" in out
    tampered = victim.read_bytes()
    assert run_check(imported, capsys, "--repair")[0] == 1  # no one can know the right bytes but the reporter
    assert victim.read_bytes() == tampered


def test_a_missing_original_is_found(imported, capsys):
    victim = originals(imported)[1]
    victim.unlink()
    code, out = run_check(imported, capsys)
    assert code == 1 and kinds(imported) == ["original_missing"]
    assert victim.name in out and "is not in the archive" in out


def test_the_archive_being_a_file_is_found(imported, capsys):
    folder = imported.parent / "archive"
    shutil.rmtree(folder)
    folder.write_text("not a folder")
    code, out = run_check(imported, capsys)
    assert code == 1 and kinds(imported) == ["archive_not_folder"]
    assert "is not a folder" in out


def test_a_rollup_difference_is_found_listed_and_rebuilt(imported, capsys):
    forge(imported,
          "UPDATE rollup SET total = total + 5 WHERE unit_code = 'SW01' AND quarter = '2024Q3' "
          "AND indicator_code = 'theme_party_days'",
          "DELETE FROM rollup WHERE unit_code = 'SW05' AND quarter = '2024Q3' AND indicator_code = 'members_total'",
          "INSERT INTO rollup SELECT * FROM rollup WHERE unit_code = 'SW0501' AND indicator_code = 'activists'")
    before = kept(imported)
    code, out = run_check(imported, capsys)
    assert code == 1 and kinds(imported) == ["rollup_differs"]
    assert "3 roll-up rows (unit × quarter × indicator) differ" in out
    assert "SW01 2024Q3 theme_party_days: roll-up" in out
    assert "SW05 2024Q3 members_total: roll-up —" in out  # missing from the roll-up
    assert "SW0501 2024Q3 activists" in out and "×2" in out  # stored twice

    code, out = run_check(imported, capsys, "--repair")
    assert code == 0, out
    assert "rebuilt the roll-up from the active facts" in out
    assert kept(imported) == before
    assert run_check(imported, capsys)[0] == 0


def test_a_difference_in_the_compliance_figures_is_found_listed_and_rebuilt(imported, capsys):
    """The 三会一课 charts read compliance_values: a stale, missing or doubled row is found like a
    roll-up row, and --repair recomputes it from the active facts."""
    forge(imported,
          "UPDATE compliance_values SET value = value + 5 WHERE unit_code = 'SW0101' AND quarter = '2024Q3' "
          "AND indicator_code = 'theme_party_days'",
          "DELETE FROM compliance_values WHERE unit_code = 'SW0102' AND quarter = '2024Q3' "
          "AND indicator_code = 'party_lectures'",
          "INSERT INTO compliance_values SELECT * FROM compliance_values WHERE unit_code = 'SW0501' "
          "AND indicator_code = 'branch_general_meetings'")
    before = kept(imported)
    code, out = run_check(imported, capsys)
    assert code == 1 and kinds(imported) == ["compliance_differs"]
    assert "3 rows of the 三会一课 figures" in out
    assert "SW0101 2024Q3 theme_party_days: 三会一课 figures" in out
    assert "SW0102 2024Q3 party_lectures: 三会一课 figures —" in out  # missing
    assert "SW0501 2024Q3 branch_general_meetings" in out and "×2" in out  # stored twice

    code, out = run_check(imported, capsys, "--repair")
    assert code == 0, out
    assert kept(imported) == before
    assert run_check(imported, capsys)[0] == 0


def test_a_wrong_compliance_check_is_found_listed_and_rebuilt(imported, capsys):
    """The 三会一课 charts count compliance_masks: a branch-quarter marked as failing every rule, and
    one whose mark is gone, are found against the active facts, and --repair makes them again."""
    with Store(imported) as store:
        masks = store.table("compliance_masks")
    forge(imported,
          "UPDATE compliance_masks SET fail_mask = 15 WHERE unit_code = 'SW0101' AND quarter = '2024Q3'",
          "DELETE FROM compliance_masks WHERE unit_code = 'SW0102' AND quarter = '2024Q3'")
    code, out = run_check(imported, capsys)
    assert code == 1 and kinds(imported) == ["compliance_differs"]
    assert "2 rows of the 三会一课 figures" in out
    assert "SW0101 2024Q3 fail_mask: 三会一课 figures 15, recomputed 0" in out
    assert "SW0102 2024Q3 fail_mask: 三会一课 figures —" in out
    code, out = run_check(imported, capsys, "--repair")
    assert code == 0, out
    with Store(imported) as store:
        pd.testing.assert_frame_equal(store.table("compliance_masks"), masks)
    assert run_check(imported, capsys)[0] == 0


def test_the_rollup_rows_listed_are_the_first_few_all_counted(imported, capsys, monkeypatch):
    forge(imported, "UPDATE rollup SET total = total + 1 WHERE quarter = '2024Q3'")
    monkeypatch.setenv("DANGJIAN_CHECK_SHOW_ROWS", "3")
    code, out = run_check(imported, capsys)
    with Store(imported) as store:
        n = len(store.table("rollup"))
    assert code == 1 and f"{n} roll-up rows" in out
    details = [line for line in out.splitlines() if line.startswith("  ")]
    assert len(details) == 4 and f"and {n - 3} more rows differ" in details[-1]


def test_a_second_active_submission_is_found_and_repair_does_not_choose(imported, capsys):
    forge(imported, "UPDATE submissions SET status = 'active' WHERE status = 'superseded'")
    before = kept(imported)
    code, out = run_check(imported, capsys)
    assert code == 1
    assert "SW05 2024Q3 has 2 active submissions (#2, #3)" in out
    # the recomputed roll-up and 三会一课 figures count both, so they differ too
    assert kinds(imported) == ["active_twice", "compliance_differs", "rollup_differs"]
    assert run_check(imported, capsys, "--repair")[0] == 1
    assert kept(imported) == before
    # a person decides: restoring one makes it the only active one
    assert main(["restore", "--db", str(imported), "3"]) == 0
    assert "superseding #2" in capsys.readouterr().out
    assert set(kinds(imported)) <= {"rollup_differs", "compliance_differs"}
    assert run_check(imported, capsys, "--repair")[0] == 0
    assert run_check(imported, capsys)[0] == 0


def test_facts_that_are_not_part_of_a_whole_load_are_found(imported, capsys):
    forge(imported,
          "INSERT INTO facts (submission_id, unit_code, quarter, indicator_code, value) VALUES (999, 'SW0101', '2024Q3', 'theme_party_days', 3)",  # no such submission
          "INSERT INTO facts (submission_id, unit_code, quarter, indicator_code, value) VALUES (1, 'SW0102', '2024Q2', 'theme_party_days', 3)",  # another quarter
          "INSERT INTO facts (submission_id, unit_code, quarter, indicator_code, value) VALUES (1, 'SW0501', '2024Q3', 'theme_party_days', 3)",  # SW05's unit in SW01's
          "DELETE FROM facts WHERE submission_id = 2")  # an uploaded file's submission left with none
    code, out = run_check(imported, capsys)
    assert code == 1
    found = set(kinds(imported))
    assert {"facts_orphaned", "facts_out_of_quarter", "facts_outside_return", "file_without_facts"} <= found
    assert "submission #999, which is not recorded" in out
    assert "submission #1 (SW01 2024Q3) holds 1 facts of other quarters (2024Q2)" in out
    assert "returns of SW01 hold 1 facts of SW0501" in out
    assert "submission #2 (SW05 2024Q3, file SW05.xlsx) holds no facts" in out


# --- the app's start-up check ---------------------------------------------------------------------


def test_the_startup_check_is_cheap_logged_and_once_per_process(imported, caplog, monkeypatch):
    monkeypatch.setattr(health, "_STARTED", set())
    victim = originals(imported)[0]
    victim.write_bytes(b"tampered")  # the full check's business: the start-up check hashes nothing
    (imported.parent / "archive" / ".incoming-x").write_bytes(b"")  # nor looks for strays
    forge(imported, "UPDATE rollup SET total = total + 1")  # nor recomputes the roll-up
    caplog.set_level(logging.INFO, logger="dashboard.check")
    with Store(imported) as store:
        report = health.startup_check(store)
        assert report is not None and report.healthy
        assert health.startup_check(store) is None  # once per process
    records = [r for r in caplog.records if r.name == "dashboard.check"]
    assert len(records) == 1 and "start-up check" in records[0].getMessage()
    assert "healthy" in records[0].getMessage()


def test_the_startup_check_warns_of_what_it_finds(imported, caplog, monkeypatch):
    monkeypatch.setattr(health, "_STARTED", set())
    originals(imported)[0].unlink()
    forge(imported, "UPDATE submissions SET status = 'active'")
    caplog.set_level(logging.INFO, logger="dashboard.check")
    with Store(imported) as store:
        report = health.startup_check(store)
    assert sorted(f.kind for f in report.findings) == ["active_twice", "original_missing"]
    warnings = [r.getMessage() for r in caplog.records if r.name == "dashboard.check" and r.levelno == logging.WARNING]
    assert "2 problems found" in warnings[0] and len(warnings) == 3


def test_the_app_runs_the_startup_check_once_when_it_opens_its_store(demo_db_file, tmp_path, caplog, monkeypatch):
    from tests.support.apptest import assert_clean, forget, open_app

    db = tmp_path / "app.duckdb"
    shutil.copy(demo_db_file, db)
    monkeypatch.setenv("DANGJIAN_DB", str(db))
    monkeypatch.setattr(health, "_STARTED", set())
    caplog.set_level(logging.INFO, logger="dashboard.check")
    forget()
    try:
        assert_clean(open_app())
        forget()  # the app's cache dropped: the store is opened again, the check is not run again
        assert_clean(open_app())
    finally:
        forget()
    records = [r.getMessage() for r in caplog.records if r.name == "dashboard.check"]
    assert len(records) == 1 and "start-up check" in records[0] and "healthy" in records[0]


# --- the archive never trusts a name -------------------------------------------------------------


def test_a_file_under_the_right_name_with_other_bytes_is_replaced_and_logged(empty_store, caplog):
    data, _ = fill(build_template(empty_store, "SW01", QUARTER))
    sha = hashlib.sha256(data).hexdigest()
    planted = empty_store.archive_dir / f"{sha}.xlsx"
    planted.parent.mkdir(parents=True)
    planted.write_bytes(b"corrupt bytes under a trusted name")
    caplog.set_level(logging.WARNING)
    assert import_return(empty_store, data, "SW01.xlsx", "张三").status == "loaded"
    assert planted.read_bytes() == data
    assert any("did not hash to its name" in r.getMessage() for r in caplog.records)
    assert [p.name for p in empty_store.archive_dir.iterdir()] == [planted.name]  # no temporary file left
    assert health.check(empty_store).healthy


def test_a_file_that_hashes_to_its_name_is_kept_as_it_is(empty_store):
    data, _ = fill(build_template(empty_store, "SW01", QUARTER))
    sha = hashlib.sha256(data).hexdigest()
    path, replaced = empty_store.keep_original(data, sha)
    inode = path.stat().st_ino
    again, replaced_again = empty_store.keep_original(data, sha)
    assert again == path and not replaced and not replaced_again and path.stat().st_ino == inode


def test_reimporting_the_same_file_mends_its_tampered_original(imported, capsys):
    """What the check's message promises: importing the same file again puts the right bytes back."""
    with Store(imported) as store:
        path, sha = store.recorded_originals()[0][:2]
        victim = store.original(path)
        data = victim.read_bytes()
        victim.write_bytes(b"tampered")
        assert not health.check(store).healthy
        import_return(store, data, "again.xlsx", "张三")
        assert victim.read_bytes() == data
    assert kinds(imported) == []


def test_a_full_disk_while_keeping_the_original_loads_nothing_and_leaves_no_temporary_file(empty_store,
                                                                                            monkeypatch):
    """The archive's write meets ENOSPC (injected at the fsync: a tmpfs test is in test_bad_paths)."""
    data, _ = fill(build_template(empty_store, "SW01", QUARTER))
    before = empty_store.snapshot()

    def full(fd):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(archive_mod.os, "fsync", full)
    with pytest.raises(StoreUnavailable) as err:
        import_return(empty_store, data, "SW01.xlsx", "张三")
    assert err.value.key == "archive_disk_full" and "disk is full" in str(err.value)
    after = empty_store.snapshot()
    assert but_audit(after) == but_audit(before)
    assert [(e["target"], e["outcome"], e["detail"]) for e in audit_gained(before, after)] == [
        ("SW01.xlsx", "failed", "reason=archive_disk_full")]  # the database still takes the entry
    assert list(empty_store.archive_dir.iterdir()) == []


def test_an_archive_that_is_a_file_loads_nothing(empty_store):
    data, _ = fill(build_template(empty_store, "SW01", QUARTER))
    empty_store.archive_dir.write_text("in the way")
    before = empty_store.snapshot()
    with pytest.raises(StoreUnavailable) as err:
        import_return(empty_store, data, "SW01.xlsx", "张三")
    assert err.value.key == "archive_folder_unusable"
    after = empty_store.snapshot()
    assert but_audit(after) == but_audit(before)
    assert [(e["target"], e["outcome"]) for e in audit_gained(before, after)] == [("SW01.xlsx", "failed")]


# --- kill -9 mid-import -----------------------------------------------------------------------------

KILL_UNITS = ("SW01", "SW02", "SW03", "SW05")
KILL_QUARTERS = ("2023Q1", "2023Q2", "2023Q3", "2023Q4")


@pytest.fixture(scope="module")
def kill_files(tmp_path_factory) -> dict[str, list[Path]]:
    """Filled returns of four reporting units for each of four quarters: one batch per trial."""
    folder = tmp_path_factory.mktemp("kill-files")
    out: dict[str, list[Path]] = {}
    with demo_tree_store(folder / "t.duckdb") as store:
        for quarter in KILL_QUARTERS:
            for unit in KILL_UNITS:
                f = folder / f"{unit}_{quarter}.xlsx"
                f.write_bytes(fill(build_template(store, unit, quarter))[0])
                out.setdefault(quarter, []).append(f)
    return out


def kill_mid_import(db: Path, files: list[Path], rng: random.Random, *, bulk: bool) -> bool:
    """Start `python -m dashboard import` of `files`; once the archive holds a random number of new
    files (a condition, never a blind sleep: the process is then mid-import), send SIGKILL, at
    once or after a random few milliseconds more (so the kill also lands mid-validation or
    mid-commit, not only mid-write).  Returns whether it was killed before it finished."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DANGJIAN_BULK_IMPORT_MIN_FILES": "2" if bulk else "1000"}
    folder = db.parent / "archive"
    start = len(archive_mod.files(folder))
    wait_for = rng.randint(1, len(files))
    later = rng.choice((0.0, rng.uniform(0.0, 0.2)))
    proc = subprocess.Popen([sys.executable, "-m", "dashboard", "import", "--db", str(db), *map(str, files)],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 180
    try:
        while proc.poll() is None and time.monotonic() < deadline:
            if len(archive_mod.files(folder)) - start >= wait_for:
                time.sleep(later)
                break
            time.sleep(0.002)
        killed = proc.poll() is None
        if killed:
            proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(timeout=60)
    return killed


def test_imports_killed_at_random_moments_leave_at_most_orphans_which_repair_moves_aside(kill_files, tmp_path,
                                                                                          capsys):
    db = tmp_path / "k.duckdb"
    Store(db).close()
    rng = random.Random(int(os.environ.get("DANGJIAN_KILL_SEED", "9")))
    for n, quarter in enumerate(KILL_QUARTERS):
        files = list(kill_files[quarter])
        rng.shuffle(files)
        kill_mid_import(db, files, rng, bulk=n % 2 == 1)
        found = kinds(db)
        assert set(found) <= {"archive_orphan", "archive_temp"}, (quarter, found)
        code, out = run_check(db, capsys, "--repair")
        assert code == 0, out
        assert run_check(db, capsys)[0] == 0
