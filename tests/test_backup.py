"""Backups: one file holding the database as of one moment and every original it records.

- A backup restores to the same database (every table but the audit trail, which gains the
  restore) and the same originals, byte for byte; its manifest says what it holds.
- A backup taken while a run of imports goes on, through the app holding the database, holds
  exactly the imports committed before its snapshot and none of the one that arrived while it
  was taken: its restored long export equals that of a database where only those imports were
  made, its originals are theirs, and the health check finds nothing wrong.
- A damaged or altered backup is refused, whatever was changed; an existing database is never
  written over.
"""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import tarfile
import threading
from pathlib import Path

import pytest

from dashboard import cli, health, service
from dashboard.cli import main
from dashboard.db import Store
from dashboard.domain.acting import acting
from dashboard.ingest import build_template, import_return
from tests.support.figures import submission_rows
from tests.support.returns import AUDIT_FIELDS, but_audit, fill, set_value

WAIT_S = 600  # a bound on waiting for another thread, never a measure of speed


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def members(backup: Path) -> dict[str, bytes]:
    with tarfile.open(backup, "r:*") as tar:
        return {m.name: tar.extractfile(m).read() for m in tar}


def manifest_of(backup: Path) -> dict:
    return json.loads(members(backup)["manifest.json"])


def rewrite(backup: Path, out: Path, change) -> Path:
    """A copy of the backup with its members changed by `change(dict name -> bytes)`, in order."""
    items = members(backup)
    change(items)
    mode = "w:gz" if out.name.endswith(".gz") else "w"
    with tarfile.open(out, mode) as tar:
        for name, data in items.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return out


def long_export(db: Path, out: Path) -> bytes:
    assert main(["export", "--db", str(db), "--layout", "long", "--out", str(out)]) == 0
    return out.read_bytes()


@pytest.fixture(scope="module")
def returns_2025(demo_db_file) -> list[tuple[str, bytes]]:
    """2025Q1 returns of the first reporting units, filled with values that pass; SW01's comes
    again twice, changed (each supersedes the one before)."""
    with Store(demo_db_file) as store:
        units = [u.code for u in store.tree().reporting_units][:8]
        files = {u: fill(build_template(store, u, "2025Q1"))[0] for u in units}
    sw01_v2 = set_value(files["SW01"], "学习教育", "SW0101", "special_education", 9)[0]
    sw01_v3 = set_value(files["SW01"], "学习教育", "SW0101", "special_education", 10)[0]
    ordered = [(f"{u}_2025Q1.xlsx", files[u]) for u in units]
    return [*ordered[:3], ("SW01_2025Q1_v2.xlsx", sw01_v2), *ordered[3:], ("SW01_2025Q1_v3.xlsx", sw01_v3)]


@pytest.fixture
def source(demo_db_file, returns_2025, tmp_path) -> Path:
    """A copy of the demo database holding two imported returns (so two originals)."""
    db = tmp_path / "source" / "dangjian.duckdb"
    db.parent.mkdir()
    shutil.copy(demo_db_file, db)
    with Store(db) as store:
        for name, data in returns_2025[:2]:
            assert import_return(store, data, name, user="张三").status == "loaded"
    return db


# --- a backup and its restore --------------------------------------------------------------------------


def test_a_backup_restores_the_same_database_and_originals(source, tmp_path, capsys):
    with Store(source) as store:
        before = store.snapshot()
        counts, version, schema = store.table_counts(), store.data_version, store.schema_version
    out = tmp_path / "b.tar.gz"
    assert main(["backup", "--db", str(source), "--out", str(out)]) == 0
    assert "已备份到" in capsys.readouterr().out
    m = manifest_of(out)
    assert (m["format"], m["schema_version"], m["data_version"], m["tables"]) == ("dangjian-backup", schema, version,
                                                                                 counts)
    held = members(out)
    originals = sorted((source.parent / "archive").glob("*.xlsx"))
    assert len(originals) == 2
    assert sorted(o["file"] for o in m["originals"]) == [f"archive/{p.name}" for p in originals]
    for o in m["originals"]:
        assert o["sha256"] == sha(held[o["file"]]) == Path(o["file"]).stem
    assert m["database"]["sha256"] == sha(held["database.duckdb"]) and m["originals_missing"] == []

    restored = tmp_path / "elsewhere" / "restored.duckdb"
    assert main(["restore-backup", str(out), "--db", str(restored)]) == 0
    assert "已恢复到" in capsys.readouterr().out
    with Store(restored) as store:
        after = store.snapshot()
    assert but_audit(after) == but_audit(before)
    assert after["audit"][:-1] == before["audit"]
    assert dict(zip(AUDIT_FIELDS, after["audit"][-1]))["action"] == "backup.restore"
    for p in originals:
        assert (restored.parent / "archive" / p.name).read_bytes() == p.read_bytes()
    assert long_export(restored, tmp_path / "r.csv") == long_export(source, tmp_path / "s.csv")
    assert not [p for p in restored.parent.iterdir() if p.name.startswith(".dangjian-restore")]  # nothing left over


def test_a_plain_tar_is_a_backup_too_and_other_names_are_refused(source, tmp_path, capsys):
    assert main(["backup", "--db", str(source), "--out", str(tmp_path / "b.tar")]) == 0
    assert manifest_of(tmp_path / "b.tar")["tables"]["submissions"] == 154
    assert main(["backup", "--db", str(source), "--out", str(tmp_path / "b.zip")]) == 2
    assert ".tar.gz" in capsys.readouterr().err and not (tmp_path / "b.zip").exists()


def test_an_original_missing_from_the_archive_is_said_and_the_rest_is_backed_up(source, tmp_path, capsys):
    gone = sorted((source.parent / "archive").glob("*.xlsx"))[0]
    gone.unlink()
    out = tmp_path / "b.tar.gz"
    assert main(["backup", "--db", str(source), "--out", str(out)]) == 1  # written, but not whole: a cron job hears of it
    printed = capsys.readouterr()
    assert f"archive/{gone.name}" in printed.err and "缺少 1 个原始文件" in printed.err
    m = manifest_of(out)
    assert [o["file"] for o in m["originals_missing"]] == [f"archive/{gone.name}"] and len(m["originals"]) == 1
    restored = tmp_path / "r" / "r.duckdb"
    assert main(["restore-backup", str(out), "--db", str(restored)]) == 0
    assert "备份时已缺少 1 个原始文件" in capsys.readouterr().err


# --- refusals -----------------------------------------------------------------------------------------------


def _flip(items: dict, name: str) -> None:
    data = bytearray(items[name])
    data[len(data) // 2] ^= 0x01
    items[name] = bytes(data)


def _first_original(items: dict) -> str:
    return next(n for n in items if n.startswith("archive/"))


def _counts_changed(items: dict) -> None:
    m = json.loads(items["manifest.json"])
    m["tables"]["facts"] += 1
    items["manifest.json"] = json.dumps(m).encode()


TAMPERING = [
    ("an original's bytes changed", lambda i: _flip(i, _first_original(i)), "与清单记录的 SHA-256 不符"),
    ("the database's bytes changed", lambda i: _flip(i, "database.duckdb"), "与清单记录的 SHA-256 不符"),
    ("an original taken out", lambda i: i.pop(_first_original(i)), "缺少清单列出的"),
    ("an original slipped in", lambda i: i.update({f"archive/{sha(b'x')}.xlsx": b"x"}), "不属于备份的内容"),
    ("an original renamed to another hash", lambda i: i.update({f"archive/{'0' * 64}.xlsx": i.pop(_first_original(i))}),
     "缺少清单列出的"),
    ("a path out of the folder", lambda i: i.update({"../../evil.sh": b"echo owned"}), "不属于备份的内容"),
    ("the manifest's counts edited", _counts_changed, "行数与清单不符"),
    ("the manifest gone", lambda i: i.pop("manifest.json"), "缺少清单"),
    ("the manifest not JSON", lambda i: i.update({"manifest.json": b"{not json"}), "无法读取或不是本系统的备份清单"),
]


@pytest.fixture(scope="module")
def good_backup(demo_db_file, returns_2025, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("good_backup")
    db = folder / "db" / "d.duckdb"
    db.parent.mkdir()
    shutil.copy(demo_db_file, db)
    with Store(db) as store:
        assert import_return(store, returns_2025[0][1], returns_2025[0][0], user="张三").status == "loaded"
    assert main(["backup", "--db", str(db), "--out", str(folder / "good.tar.gz")]) == 0
    return folder / "good.tar.gz"


@pytest.mark.parametrize("case, change, message", TAMPERING, ids=[t[0] for t in TAMPERING])
def test_a_damaged_or_altered_backup_is_refused_and_nothing_is_written(case, change, message, good_backup, tmp_path,
                                                                      capsys):
    bad = rewrite(good_backup, tmp_path / "bad.tar.gz", change)
    target = tmp_path / "restore" / "d.duckdb"
    assert main(["restore-backup", str(bad), "--db", str(target)]) == 1
    err = capsys.readouterr().err
    assert message in err and "未作任何恢复" in err and " | " in err
    assert not target.exists() and not (target.parent / "archive").exists()
    assert list(target.parent.iterdir()) == []  # no temporary folder left behind
    assert not (tmp_path.parent / "evil.sh").exists() and not (tmp_path / "evil.sh").exists()


def test_a_file_that_is_no_backup_is_refused(tmp_path, capsys):
    junk = tmp_path / "junk.tar.gz"
    junk.write_bytes(b"\x1f\x8b" + bytes(100))
    assert main(["restore-backup", str(junk), "--db", str(tmp_path / "r" / "d.duckdb")]) == 1
    assert "不是可读的备份文件" in capsys.readouterr().err


def test_restoring_onto_an_existing_database_is_refused_and_leaves_it_as_it_was(good_backup, source, tmp_path,
                                                                              capsys):
    held = source.read_bytes()
    assert main(["restore-backup", str(good_backup), "--db", str(source)]) == 1
    assert "从不覆盖已有的数据库" in capsys.readouterr().err
    assert source.read_bytes() == held
    lone = tmp_path / "lone" / "d.duckdb"
    lone.parent.mkdir()
    Path(f"{lone}.wal").write_bytes(b"a log of a database that is not here")
    assert main(["restore-backup", str(good_backup), "--db", str(lone)]) == 1
    assert not lone.exists()
    beside = tmp_path / "beside" / "new.duckdb"
    (beside.parent / "archive").mkdir(parents=True)
    (beside.parent / "archive" / "other.xlsx").write_bytes(b"another database's original")
    assert main(["restore-backup", str(good_backup), "--db", str(beside)]) == 1
    assert "另一个数据库的原始文件存档" in capsys.readouterr().err and not beside.exists()


# --- a backup during a run of imports -------------------------------------------------------------------------


def test_a_backup_during_a_run_of_imports_restores_to_one_moment(demo_db_file, returns_2025, tmp_path, monkeypatch,
                                                                capsys):
    """The app holds the database and imports returns one after another (a thread, as uploads
    do); `python -m dashboard backup` runs meanwhile, through the app.  The import that arrives
    while the snapshot holds the writer's lock (it waits for that import to ask for the lock)
    must land wholly after it; the backup must hold exactly the imports committed before."""
    db = tmp_path / "live" / "dangjian.duckdb"
    db.parent.mkdir()
    shutil.copy(demo_db_file, db)
    out = tmp_path / "during.tar.gz"
    store = Store(db)
    svc = service.start(store, cli.run_for_client)
    try:
        initial, version0 = store.table_counts(), store.data_version
        locked, asking, three_in, backup_done = (threading.Event() for _ in range(4))
        real_checkpoint, real_submit = store._db.checkpoint, store.submit

        def checkpoint_under_the_lock():  # snapshot_file calls this holding the writer's lock
            locked.set()
            if not asking.wait(WAIT_S):
                raise RuntimeError("no import asked for the writer while the snapshot held it")
            real_checkpoint()

        def submit(*args, **kwargs):  # an import about to ask for the writer
            if locked.is_set():
                asking.set()
            return real_submit(*args, **kwargs)

        monkeypatch.setattr(store._db, "checkpoint", checkpoint_under_the_lock)
        monkeypatch.setattr(store, "submit", submit)
        outcomes, failures = [], []

        def importer():
            try:
                with acting("导入员", "app"):
                    for n, (name, data) in enumerate(returns_2025):
                        if n == 3:  # the next one arrives while the snapshot is being taken
                            assert locked.wait(WAIT_S)
                        if n == len(returns_2025) - 2:  # the last two after the backup has finished
                            assert backup_done.wait(WAIT_S)
                        outcomes.append(import_return(store, data, name, user="导入员"))
                        if n == 2:
                            three_in.set()
            except BaseException as exc:  # noqa: BLE001 - reported by the test thread
                failures.append(exc)
                locked.set(), asking.set(), three_in.set()

        thread = threading.Thread(target=importer)
        thread.start()
        assert three_in.wait(WAIT_S)
        code = main(["backup", "--db", str(db), "--out", str(out)])
        backup_done.set()
        thread.join(WAIT_S)
        printed = capsys.readouterr()
        assert not failures and code == 0, (failures, printed.err)
        assert "经由应用执行" in printed.err  # it ran inside the app, beside the imports
        assert [o.status for o in outcomes] == ["loaded"] * len(returns_2025)
        source_subs = store.table("submissions")
        source_archive = {p.name for p in store.archive_dir.glob("*.xlsx")}
    finally:
        svc.stop()
        store.close()

    # What the backup holds, by its manifest alone: k imports, none half.
    m = manifest_of(out)
    k = m["tables"]["submissions"] - initial["submissions"]
    assert k == 3  # the three committed before; the fourth waited for the writer and landed after
    assert m["data_version"] == version0 + k  # one write transaction per import
    assert m["tables"]["audit"] == initial["audit"] + k  # each import's entry commits with it
    held = returns_2025[:k]
    arrived_during = returns_2025[k]
    assert f"{sha(arrived_during[1])}.xlsx" in source_archive  # its original was kept before it asked...
    assert sorted(Path(o["file"]).name for o in m["originals"]) == sorted(f"{sha(d)}.xlsx" for _, d in held)

    restored = tmp_path / "restored" / "dangjian.duckdb"
    assert main(["restore-backup", str(out), "--db", str(restored)]) == 0
    # ...but is not in the backup: only what the snapshot's submissions record
    assert sorted(p.name for p in (restored.parent / "archive").iterdir()) == sorted(
        f"{sha(d)}.xlsx" for _, d in held)
    for _, data in held:
        assert (restored.parent / "archive" / f"{sha(data)}.xlsx").read_bytes() == data

    # The same moment, made another way: the demo database and only those k imports, in order.
    reference = tmp_path / "reference" / "dangjian.duckdb"
    reference.parent.mkdir()
    shutil.copy(demo_db_file, reference)
    with Store(reference) as ref:
        for name, data in held:
            assert import_return(ref, data, name, user="导入员").status == "loaded"
        expected_status = submission_rows(ref)[["unit_code", "quarter", "file_name", "sha256", "status"]]
    assert long_export(restored, tmp_path / "restored.csv") == long_export(reference, tmp_path / "reference.csv")
    assert long_export(restored, tmp_path / "restored.csv") != long_export(db, tmp_path / "source.csv")
    with Store(restored) as back:
        got = submission_rows(back)
        assert got[["unit_code", "quarter", "file_name", "sha256", "status"]].values.tolist() == \
            expected_status.values.tolist()
        first_ids = sorted(source_subs["id"])[: m["tables"]["submissions"]]
        assert got["id"].tolist() == first_ids  # the source's own first submissions, by id
        report = health.check(back)
        assert report.healthy, [f.line() for f in report.findings]
