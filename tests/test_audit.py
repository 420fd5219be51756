"""The audit trail: every write is recorded, as whoever acted and from where, and never changed.

Each action a person takes — an import through the command line (accepted, a duplicate, refused),
a restore, demo data cleared and loaded, `check --repair`, a backup and its restore — is read
back from the `audit` table with who, via, outcome and detail.  Commands the running app
executes for a client are recorded as the client's login; uploads and restores in the app as
the name typed on the upload page.  No named query updates or deletes the trail.  The
`audit` command and the 审计日志 page list it, filter it and export it safely.
"""

from __future__ import annotations

import csv
import io
import re
import shutil
import subprocess
import sys
import textwrap
from datetime import date, timedelta
from pathlib import Path

import pytest

from dashboard.cli import main
from dashboard.db import Store
from dashboard.domain import audit as audit_mod
from dashboard.domain.acting import acting
from dashboard.ingest import build_template
from dashboard.output import export
from dashboard.settings import QUERIES_DIR
from tests.conftest import ROOT
from tests.support.apptest import app_store, assert_clean, forget, goto, open_app
from tests.support.figures import submission_rows
from tests.support.returns import AUDIT_FIELDS, fill, set_value

OS_LOGIN = "运维-os-login"  # what getpass.getuser() says in these tests (it reads $LOGNAME first)


@pytest.fixture
def db(demo_db_file, tmp_path, monkeypatch) -> Path:
    """A private copy of the demo database; the command line's login name is OS_LOGIN."""
    monkeypatch.setenv("LOGNAME", OS_LOGIN)
    path = tmp_path / "db" / "audited.duckdb"
    path.parent.mkdir()
    shutil.copy(demo_db_file, path)
    return path


def trail(db: Path) -> list[dict]:
    """Every audit entry of the database, oldest first, as dicts."""
    with Store(db) as store:
        return [dict(zip(AUDIT_FIELDS, row)) for row in store.snapshot()["audit"]]


def new_entries(db: Path, seen: int) -> list[dict]:
    return trail(db)[seen:]


def brief(entries: list[dict]) -> list[tuple]:
    return [(e["actor"], e["via"], e["action"], e["target"], e["outcome"]) for e in entries]


@pytest.fixture(scope="module")
def sw01_return(demo_db_file) -> bytes:
    """SW01's 2025Q1 return, filled with values that pass."""
    with Store(demo_db_file) as store:
        return fill(build_template(store, "SW01", "2025Q1"))[0]


def write(folder: Path, name: str, data: bytes) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(data)
    return folder / name


# --- the command line --------------------------------------------------------------------------------


def test_imports_through_the_command_line_are_recorded_accepted_duplicate_and_refused(db, sw01_return, tmp_path,
                                                                                       capsys):
    seen = len(trail(db))
    good = write(tmp_path / "in", "SW01_2025Q1.xlsx", sw01_return)
    bad_data, _ = set_value(sw01_return, "学习教育", "SW0103", "party_lectures", -3)
    bad = write(tmp_path / "in", "bad.xlsx", bad_data)
    assert main(["import", "--db", str(db), "--user", "张三", str(good)]) == 0
    assert main(["import", "--db", str(db), "--user", "张三", str(good)]) == 0  # the identical file again
    assert main(["import", "--db", str(db), str(bad)]) == 1  # no --user: the login name
    assert main(["import", "--db", str(db), "--dry-run", str(bad)]) == 1  # a dry run writes nothing
    capsys.readouterr()
    entries = new_entries(db, seen)
    assert brief(entries) == [
        ("张三", "cli", "return.import", "SW01_2025Q1.xlsx", "ok"),
        ("张三", "cli", "return.import", "SW01_2025Q1.xlsx", "duplicate"),
        (OS_LOGIN, "cli", "return.import", "bad.xlsx", "rejected"),
    ]
    with Store(db) as store:
        sid = int(submission_rows(store, file_name="SW01_2025Q1.xlsx")["id"].item())
    assert entries[0]["detail"] == f"unit=SW01 quarter=2025Q1 submission={sid}"
    assert entries[1]["detail"] == f"unit=SW01 quarter=2025Q1 submission={sid}"
    assert entries[2]["detail"] == "unit=SW01 quarter=2025Q1 errors=1"
    assert all(e["happened_at"] is not None for e in entries)


def test_a_file_refused_before_it_is_read_is_recorded_too(db, sw01_return, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DANGJIAN_MAX_FILE_MB", "0.001")  # 1 KB: the return is over it
    seen = len(trail(db))
    big = write(tmp_path / "in", "big.xlsx", sw01_return)
    assert main(["import", "--db", str(db), "--user", "李四", str(big)]) == 1
    capsys.readouterr()
    assert [(e["actor"], e["target"], e["outcome"]) for e in new_entries(db, seen)] == [("李四", "big.xlsx", "rejected")]


def test_restores_are_recorded_with_what_they_superseded(db, sw01_return, tmp_path, capsys):
    v1 = write(tmp_path / "in", "v1.xlsx", sw01_return)
    v2 = write(tmp_path / "in", "v2.xlsx", set_value(sw01_return, "学习教育", "SW0101", "special_education", 9)[0])
    assert main(["import", "--db", str(db), "--user", "张三", str(v1), str(v2)]) == 0
    with Store(db) as store:
        first, second = submission_rows(store, unit_code="SW01", quarter="2025Q1")["id"].tolist()
    seen = len(trail(db))
    assert main(["restore", "--db", str(db), str(first)]) == 0
    assert main(["restore", "--db", str(db), str(first)]) == 0  # already active: nothing changes
    assert main(["restore", "--db", str(db), "99999"]) == 1
    capsys.readouterr()
    entries = new_entries(db, seen)
    assert brief(entries) == [(OS_LOGIN, "cli", "return.restore", str(first), "ok"),
                              (OS_LOGIN, "cli", "return.restore", str(first), "ok"),
                              (OS_LOGIN, "cli", "return.restore", "99999", "rejected")]
    assert [e["detail"] for e in entries] == [f"unit=SW01 quarter=2025Q1 superseded={second}",
                                              "unit=SW01 quarter=2025Q1 unchanged=yes", "no_such_submission=yes"]


def test_demo_clear_and_load_are_recorded_once_each(db, capsys):
    seen = len(trail(db))
    assert main(["demo", "--db", str(db), "--clear"]) == 0
    assert main(["demo", "--db", str(db), "--seed", "7"]) == 0
    capsys.readouterr()
    entries = new_entries(db, seen)  # a load's 152 submissions are one entry, not 152
    assert brief(entries) == [(OS_LOGIN, "cli", "demo.clear", db.name, "ok"), (OS_LOGIN, "cli", "demo.load", db.name, "ok")]
    assert [e["detail"] for e in entries] == ["returns=152 users=6", "seed=7 returns=152 users=6"]  # the demo's people too


def test_check_repair_is_recorded_with_what_it_did_and_a_plain_check_is_not(db, capsys):
    stray = db.parent / "archive" / f"{'ab' * 32}.xlsx"  # a file no submission points at
    stray.parent.mkdir()
    stray.write_bytes(b"left by an import killed before it committed")
    seen = len(trail(db))
    assert main(["check", "--db", str(db)]) == 1  # looks only: nothing recorded
    assert new_entries(db, seen) == []
    assert main(["check", "--db", str(db), "--repair"]) == 0
    capsys.readouterr()
    [entry] = new_entries(db, seen)
    assert brief([entry]) == [(OS_LOGIN, "cli", "check.repair", db.name, "ok")]
    aside = next((db.parent / "archive" / ".orphans").iterdir())
    assert entry["detail"] == f"moved=1 aside={aside.name}"
    assert (aside / stray.name).exists()


def test_backup_and_restore_backup_are_recorded_in_their_databases(db, tmp_path, capsys):
    seen = len(trail(db))
    out = tmp_path / "nightly.tar.gz"
    assert main(["backup", "--db", str(db), "--out", str(out)]) == 0
    restored = tmp_path / "restored" / "back.duckdb"
    assert main(["restore-backup", str(out), "--db", str(restored)]) == 0
    assert main(["backup", "--db", str(db), "--out", str(tmp_path / "no such folder" / "b.tar.gz")]) == 1
    capsys.readouterr()
    made, failed = new_entries(db, seen)
    assert brief([made, failed]) == [(OS_LOGIN, "cli", "backup.create", "nightly.tar.gz", "ok"),
                                     (OS_LOGIN, "cli", "backup.create", "b.tar.gz", "failed")]
    assert "submissions=152" in made["detail"] and f"bytes={out.stat().st_size}" in made["detail"]
    assert failed["detail"] == "reason=bk_out_folder_missing"
    back = trail(restored)
    assert back[:seen] == trail(db)[:seen]  # the source's trail as of the snapshot, unchanged
    assert brief(back[seen:]) == [(OS_LOGIN, "cli", "backup.restore", "nightly.tar.gz", "ok")]


# --- through the running app ---------------------------------------------------------------------------


@pytest.fixture
def holder(db):
    """A process holding the store and offering the command-line service, as the app does; its
    own login name is "app-owner"."""
    import os

    proc = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(ROOT)!r})
        from dashboard import cli, service
        from dashboard.db import Store
        store = Store({str(db)!r})
        service.start(store, cli.run_for_client)
        print("ready", flush=True)
        sys.stdin.read()  # until the test closes it
    """)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=ROOT,
        env={**os.environ, "LOGNAME": "app-owner", "USER": "app-owner"})
    assert proc.stdout.readline().strip() == "ready"
    yield proc
    proc.stdin.close()
    proc.wait(timeout=60)


def test_commands_the_app_runs_for_a_client_are_recorded_as_the_client(db, holder, sw01_return, tmp_path, capsys):
    seen = len(trail_while_held(db))
    f = write(tmp_path / "in", "SW01_2025Q1.xlsx", sw01_return)
    assert main(["import", "--db", str(db), str(f)]) == 0
    assert main(["import", "--db", str(db), "--user", "张三", str(f)]) == 0
    assert main(["backup", "--db", str(db), "--out", str(tmp_path / "b.tar")]) == 0
    today = trail_while_held(db, date.today().isoformat())  # a filtered listing, through the app too
    assert [(e["actor"], e["action"]) for e in today[:3]] == [(OS_LOGIN, "backup.create"), ("张三", "return.import"),
                                                             (OS_LOGIN, "return.import")]  # newest first
    printed = capsys.readouterr()
    assert "经由应用执行" in printed.err  # they did run inside the app
    holder.stdin.close()
    holder.wait(timeout=60)
    assert brief(new_entries(db, seen)) == [(OS_LOGIN, "cli", "return.import", "SW01_2025Q1.xlsx", "ok"),
                                            ("张三", "cli", "return.import", "SW01_2025Q1.xlsx", "duplicate"),
                                            (OS_LOGIN, "cli", "backup.create", "b.tar", "ok")]


def trail_while_held(db: Path, *since: str) -> list[dict]:
    """The trail read through the app holding the database (`audit [--since DAY] --out`)."""
    out = db.parent / "trail.csv"
    assert main(["audit", "--db", str(db), *(["--since", *since] if since else []), "--out", str(out)]) == 0
    with open(out, encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


# --- the app ---------------------------------------------------------------------------------------------


@pytest.fixture
def app_db(demo_db_file, tmp_path, monkeypatch) -> Path:
    path = tmp_path / "app.duckdb"
    shutil.copy(demo_db_file, path)
    monkeypatch.setenv("DANGJIAN_DB", str(path))
    yield path
    forget()


def test_the_app_records_an_upload_and_a_restore_as_the_name_typed(app_db):
    store = app_store(app_db)
    before = int(submission_rows(store, unit_code="SW12", quarter="2024Q2", status="active")["id"].item())  # the demo's
    data, _ = fill(build_template(store, "SW12", "2024Q2"))
    seen = len(store.table("audit"))
    at = open_app("upload")
    at.text_input(key="upload_user").set_value("李四")
    at.get("file_uploader")[0].set_value(("SW12_2024Q2.xlsx", data, "application/octet-stream"))
    at.run()
    at.button(key="upload_submit").click().run()
    assert_clean(at)
    goto(at, "submissions").run()  # the upload page's field is gone; the name stays the session's
    at.selectbox(key="subs_unit").set_value("SW12").run()
    at.selectbox(key="subs_quarter").set_value("2024Q2").run()
    at.selectbox(key="subs_restore_id").set_value(before).run()
    at.button(key="subs_restore").click().run()
    assert_clean(at)
    entries = [dict(zip(AUDIT_FIELDS, r)) for r in store.snapshot()["audit"][seen:]]
    assert brief(entries) == [("李四", "app", "return.import", "SW12_2024Q2.xlsx", "ok"),
                              ("李四", "app", "return.restore", str(before), "ok")]
    uploaded = int(submission_rows(store, file_name="SW12_2024Q2.xlsx")["id"].item())
    assert entries[1]["detail"] == f"unit=SW12 quarter=2024Q2 superseded={uploaded}"


def test_nobody_acting_is_the_system(empty_store):
    empty_store.audit("demo.load", "x", "ok")
    with acting("王五", "app"):
        empty_store.audit("demo.clear", "x", "ok")
    rows = empty_store.table("audit")
    assert rows[["actor", "via", "action"]].values.tolist() == [["system", "system", "demo.load"],
                                                                ["王五", "app", "demo.clear"]]


def test_an_action_or_outcome_outside_the_lists_is_refused(empty_store):
    with pytest.raises(ValueError, match="unknown audit action"):
        empty_store.audit("user.delete", "x", "ok")
    with pytest.raises(ValueError, match="unknown audit outcome"):
        empty_store.audit("user.remove", "x", "done")
    assert empty_store.table("audit").empty


def test_the_audit_page_lists_filters_and_exports_the_trail(app_db):
    store = app_store(app_db)
    with acting("=HYPERLINK(\"http://evil.example\")", "cli"):
        store.audit("backup.create", "b.tar.gz", "ok", "submissions=152 bytes=1000")
    with acting("李四", "app"):
        store.audit("return.import", "bad.xlsx", "rejected", "unit=SW01 quarter=2025Q1 errors=2")
    at = open_app("audit")
    assert_clean(at)
    table = at.dataframe[0].value
    assert list(table.columns) == ["编号", "时间", "操作人", "途径", "操作", "对象", "结果", "详情"]
    rows = table[["操作人", "途径", "操作", "对象", "结果", "详情"]].values.tolist()
    assert rows[0] == ["李四", "看板应用", "导入报表", "bad.xlsx", "已拒绝", "单位 SW01，季度 2025Q1，错误数 2"]
    assert rows[1][:5] == ["=HYPERLINK(\"http://evil.example\")", "命令行", "备份", "b.tar.gz", "完成"]
    at.selectbox(key="audit_user").set_value("李四").run()
    assert at.dataframe[0].value["操作人"].tolist() == ["李四"]
    at.selectbox(key="audit_user").set_value("").run()
    buttons = {b.proto.label: b.proto.id for b in at.get("download_button")}
    assert "audit_csv" in buttons["下载 CSV"] and "audit_xlsx" in buttons["下载 Excel"]
    exported = list(csv.reader(io.StringIO(export.to_csv_bytes(at.dataframe[0].value).decode("utf-8-sig"))))
    assert len(exported) == len(at.dataframe[0].value) + 1
    assert exported[2][2] == "'=HYPERLINK(\"http://evil.example\")"  # a name, never a formula
    at.date_input(key="audit_since").set_value(date.today() + timedelta(days=1)).run()
    assert_clean(at)
    assert any("没有该操作人的审计记录" in i.value for i in at.info)


def test_the_audit_command_lists_filters_and_exports_safely(db, tmp_path, capsys):
    with Store(db) as store:
        with acting("\x1b[2J李四", "app"):
            store.audit("return.import", "=1+1.xlsx", "rejected", "errors=1")
        with acting("张三", "cli"):
            store.audit("return.restore", "7", "ok", "unit=SW01 quarter=2025Q1")
    assert main(["audit", "--db", str(db)]) == 0
    shown = capsys.readouterr().out
    from dashboard.i18n import t

    restored, imported = t("aud_action_return_restore"), t("aud_action_return_import")
    assert "\x1b" not in shown and "\\x1b[2J李四" in shown and restored in shown  # worded as the audit page
    assert shown.split("\n")[0].split()[:3] == ["编号", "时间", "操作人"] and "已拒绝" in shown
    assert main(["audit", "--db", str(db), "--user", "张三"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2 and "张三" in lines[1] and imported not in lines[1]
    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    assert main(["audit", "--db", str(db), "--since", tomorrow]) == 0
    assert "没有符合条件的审计记录" in capsys.readouterr().out
    with pytest.raises(SystemExit) as bad:  # argparse refuses it: exit 2, bad arguments
        main(["audit", "--db", str(db), "--since", "31/12/2024"])
    assert bad.value.code == 2 and "2025-01-31" in capsys.readouterr().err
    out = tmp_path / "trail.csv"
    assert main(["audit", "--db", str(db), "--out", str(out)]) == 0
    with open(out, encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == ["id", "at", "actor", "via", "action", "target", "outcome", "detail"]
    assert rows[1]["target"] == "'=1+1.xlsx" and rows[0]["actor"] == "张三"  # newest first
    xlsx = tmp_path / "trail.xlsx"
    assert main(["audit", "--db", str(db), "--out", str(xlsx)]) == 0
    import openpyxl

    ws = openpyxl.load_workbook(xlsx).active
    assert ws.cell(3, 6).value == "'=1+1.xlsx" and ws.cell(3, 6).data_type == "s"


# --- append-only --------------------------------------------------------------------------------------------

_CHANGES_AUDIT = re.compile(
    r"\b(UPDATE\s+(main\.)?audit\b|DELETE\s+FROM\s+(main\.)?audit\b|DROP\s+(TABLE\s+|SEQUENCE\s+)?(IF\s+EXISTS\s+)?"
    r"(main\.)?audit(_ids)?\b|TRUNCATE\s+(TABLE\s+)?(main\.)?audit\b|ALTER\s+(TABLE\s+|SEQUENCE\s+)?(IF\s+EXISTS\s+)?"
    r"(main\.)?audit(_ids)?\b|INSERT\s+OR\s+REPLACE\s+INTO\s+(main\.)?audit\b"
    r"|INSERT\s+INTO\s+(main\.)?audit\b[^;]*\bON\s+CONFLICT\b[^;]*\bDO\s+UPDATE)",
    re.I | re.S)


def _statements_touching_audit(text: str) -> list[str]:
    text = re.sub(r"--[^\n]*", "", text)  # comments are prose
    return [m.group(0) for m in _CHANGES_AUDIT.finditer(text)]


def test_no_named_query_changes_or_removes_an_audit_entry():
    found = {str(p.relative_to(QUERIES_DIR)): hits for p in sorted(QUERIES_DIR.rglob("*.sql"))
             if (hits := _statements_touching_audit(p.read_text(encoding="utf-8")))}
    assert found == {}
    inserting = sorted(str(p.relative_to(QUERIES_DIR)) for p in QUERIES_DIR.rglob("*.sql")
                       if re.search(r"INSERT\s+INTO\s+(main\.)?audit\b", re.sub(r"--[^\n]*", "", p.read_text()), re.I))
    assert inserting == ["store/audit_insert.sql"]


@pytest.mark.parametrize("sql", [
    "UPDATE audit SET actor = 'x'", "delete from audit where id = 1", "DROP TABLE audit", "drop table if exists audit",
    "TRUNCATE audit", "ALTER TABLE audit ADD COLUMN x INT", "INSERT OR REPLACE INTO audit VALUES (1)",
    "DROP SEQUENCE audit_ids", "INSERT INTO audit VALUES (1) ON CONFLICT (id) DO UPDATE SET actor = 'x'",
])
def test_the_append_only_check_finds_a_change_where_there_is_one(sql):
    assert _statements_touching_audit(sql)
    assert not _statements_touching_audit(f"-- {sql}\nSELECT * FROM audit")


def test_every_action_outcome_and_detail_word_has_its_label_in_both_languages():
    from dashboard.i18n import strings

    keys = ([f"aud_action_{a.replace('.', '_')}" for a in audit_mod.ACTIONS]
            + [f"aud_outcome_{o}" for o in audit_mod.OUTCOMES] + [f"aud_detail_{k}" for k in audit_mod.DETAIL_KEYS])
    assert [k for k in keys if k not in strings()] == []
