"""Loading returns: the round trip, resubmission, identical re-import, restore, racing imports,
the archive, the command line and the validation report a reporter downloads."""

from __future__ import annotations

import csv
import hashlib
import threading

import pytest

from dashboard.cli import main
from dashboard.db import Store
from dashboard.ingest import TEMPLATE_VERSION, build_template, import_return, problems_frame, report_workbook
from tests.support.figures import active_value, submission_rows
from tests.support.returns import audit_gained, but_audit, demo_tree_store, fill, load, set_value


@pytest.fixture
def sw05_q1_filled(empty_store):
    """The reservoir committee's 2024Q1 return (committee, general branches, branches), every
    input cell filled with a known value; with the store it was made from."""
    data, typed = fill(build_template(empty_store, "SW05", "2024Q1"))
    return empty_store, data, typed


def _export_own(db, tmp_path, unit, quarter) -> dict[tuple[str, str], float]:
    out = tmp_path / "own.csv"
    assert main(["export", "--db", str(db), "--unit", unit, "--from", quarter, "--to", quarter,
                 "--layout", "long", "--scope", "own", "--out", str(out)]) == 0
    with open(out, encoding="utf-8-sig", newline="") as f:
        return {(r["unit_code"], r["indicator_code"]): float(r["value"]) for r in csv.DictReader(f) if r["value"]}


def test_round_trip_every_value_typed_comes_back_from_the_export(sw05_q1_filled, tmp_path):
    store, data, typed = sw05_q1_filled
    outcome = import_return(store, data, "SW05_2024Q1.xlsx", user="tester")
    assert outcome.status == "loaded", [p.line() for p in outcome.errors]
    assert outcome.warnings == []
    assert outcome.n_values == len(typed)
    assert len(typed) > 150 and {u for u, _ in typed} >= {"SW05", "SW05G1", "SW05G101", "SW0501"}
    db = store.url
    store.close()
    exported = _export_own(db, tmp_path, "SW05", "2024Q1")
    stored = {k: v for k, v in exported.items() if k in typed}
    assert stored == {k: pytest.approx(float(v)) for k, v in typed.items()}
    assert ("SW05G101", "star_rating") in stored and ("SW0501", "dues_collected") in stored


def test_a_value_read_with_a_warning_loads_as_the_number_meant(empty_store):
    data, _ = fill(build_template(empty_store, "SW01", "2024Q3"))
    data, where = set_value(data, "学习教育", "SW0103", "party_group_meetings", "５次")
    outcome = import_return(empty_store, data, "warn.xlsx", user="tester")
    assert outcome.status == "loaded"
    assert [(p.where, p.severity) for p in outcome.problems] == [(f"学习教育!{where}", "warning")]
    assert active_value(empty_store, "SW0103", "party_group_meetings") == 5


def test_accepted_file_is_recorded_and_its_bytes_archived(sw05_q1_filled):
    store, data, _ = sw05_q1_filled
    outcome = import_return(store, data, "/some/where/SW05_2024Q1.xlsx", user="王芳")
    row = submission_rows(store, id=outcome.submission_id).iloc[0]
    sha = hashlib.sha256(data).hexdigest()
    assert (row.unit_code, row.quarter, row.submitted_by, row.file_name, row.sha256, row.status) == (
        "SW05", "2024Q1", "王芳", "SW05_2024Q1.xlsx", sha, "active")
    assert row.template_version == TEMPLATE_VERSION
    archived = store.path.parent / row.archive_path
    assert archived.parent == store.archive_dir
    assert archived.read_bytes() == data


def test_identical_reimport_is_reported_and_changes_nothing(sw05_q1_filled):
    store, data, _ = sw05_q1_filled
    first = import_return(store, data, "a.xlsx", user="tester")
    before = store.snapshot()
    again = import_return(store, data, "a-copy.xlsx", user="someone else")
    assert (again.status, again.submission_id, again.ok) == ("duplicate", first.submission_id, True)
    after = store.snapshot()
    assert but_audit(after) == but_audit(before)  # the data version too: no chart cache is dropped
    [entry] = audit_gained(before, after)
    assert (entry["action"], entry["target"], entry["outcome"]) == ("return.import", "a-copy.xlsx", "duplicate")
    assert f"submission={first.submission_id}" in entry["detail"]


def _value(store, unit, code, quarter="2024Q1"):
    return active_value(store, unit, code, quarter)


def test_resubmission_supersedes_and_restore_brings_the_first_back(sw05_q1_filled):
    store, data, typed = sw05_q1_filled
    first = import_return(store, data, "v1.xlsx", user="tester")
    fixed, _ = set_value(data, "学习教育", "SW0501", "special_education", 42)
    second = import_return(store, fixed, "v2.xlsx", user="tester")
    assert (second.status, second.superseded_id) == ("loaded", first.submission_id)
    assert _value(store, "SW0501", "special_education") == 42
    statuses = dict(submission_rows(store)[["id", "status"]].itertuples(index=False))
    assert statuses == {first.submission_id: "superseded", second.submission_id: "active"}
    # the roll-up follows the active submission
    rollup = store.table("rollup")
    rolled = rollup.loc[(rollup["unit_code"] == "SW05") & (rollup["quarter"] == "2024Q1")
                        & (rollup["indicator_code"] == "special_education"), "total"].item()
    assert rolled == sum(v for (u, c), v in typed.items() if c == "special_education") - typed[
        ("SW0501", "special_education")] + 42
    assert store.restore(first.submission_id) == second.submission_id
    assert _value(store, "SW0501", "special_education") == typed[("SW0501", "special_education")]


def test_two_imports_racing_for_one_unit_and_quarter_leave_exactly_one_active(sw05_q1_filled):
    store, data, _ = sw05_q1_filled
    variants = [set_value(data, "学习教育", "SW0501", "special_education", n)[0] for n in (11, 12, 13, 14)]
    outcomes, barrier = [], threading.Barrier(len(variants))

    def run(blob, n):
        barrier.wait()
        outcomes.append(import_return(store, blob, f"race{n}.xlsx", user=f"user{n}"))

    threads = [threading.Thread(target=run, args=(b, n)) for n, b in enumerate(variants)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(o.status for o in outcomes) == ["loaded"] * 4
    rows = list(submission_rows(store)[["id", "status", "file_name"]].itertuples(index=False))
    assert len(rows) == 4  # none lost from the history
    assert [r[1] for r in rows].count("active") == 1
    active_file = next(r[2] for r in rows if r[1] == "active")
    assert _value(store, "SW0501", "special_education") == 11 + int(active_file[4])
    # each superseded one was superseded by exactly one other
    superseded = sorted(o.superseded_id for o in outcomes if o.superseded_id)
    assert superseded == sorted(r[0] for r in rows if r[1] == "superseded")


def test_cli_import_dry_run_submissions_and_restore(sw05_q1_filled, tmp_path, capsys):
    store, data, _ = sw05_q1_filled
    db = store.url
    store.close()
    v1, v2 = tmp_path / "SW05_v1.xlsx", tmp_path / "SW05_v2.xlsx"
    v1.write_bytes(data)
    v2.write_bytes(set_value(data, "学习教育", "SW0501", "special_education", 42)[0])
    assert main(["import", "--db", db, "--dry-run", str(v1)]) == 0
    assert "valid SW05_v1.xlsx" in capsys.readouterr().out
    assert main(["submissions", "--db", db]) == 0
    assert "no submissions match" in capsys.readouterr().out
    assert main(["import", "--db", db, "--user", "李四", str(v1), str(v2), str(v1)]) == 0
    out = capsys.readouterr().out
    assert "loaded SW05_v1.xlsx" in out and "supersedes #1" in out
    # v1 again after v2 is a resubmission (it differs from the active one), not a duplicate
    assert "3 files: 3 loaded, 0 already loaded, 0 valid, 0 rejected" in out
    assert main(["import", "--db", db, str(v1)]) == 0
    assert "already loaded SW05_v1.xlsx" in capsys.readouterr().out
    assert main(["submissions", "--db", db, "--unit", "SW05", "--period", "2024Q1"]) == 0
    listing = capsys.readouterr().out
    assert listing.count("superseded") == 2 and listing.count("有效 active") == 1 and "李四" in listing
    assert main(["restore", "--db", db, "2"]) == 0
    assert "#2" in capsys.readouterr().out
    with Store(db) as s:
        assert _value(s, "SW0501", "special_education") == 42
    assert main(["restore", "--db", db, "99"]) == 1
    assert "no submission 99" in capsys.readouterr().err


def test_cli_import_of_a_missing_file_is_a_usage_error(empty_store, tmp_path, capsys):
    db = empty_store.url
    empty_store.close()
    assert main(["import", "--db", db, str(tmp_path / "nope.xlsx")]) == 2
    assert "no such file" in capsys.readouterr().err


def test_report_workbook_marks_the_offending_cells_and_lists_every_problem(empty_store):
    data, _ = fill(build_template(empty_store, "SW01", "2024Q3"))
    data, bad = set_value(data, "学习教育", "SW0101", "branch_general_meetings", "超过30")
    data, warn = set_value(data, "发展党员", "SW0102", "new_applications", "2人")
    outcome = import_return(empty_store, data, "SW01.xlsx", user="tester")
    assert outcome.status == "rejected"
    wb = load(report_workbook(data, outcome))
    assert wb.sheetnames[0] == "校验结果"
    assert wb["学习教育"][bad].fill.fgColor.rgb.endswith("FF9999")
    assert "不是一个数字" in wb["学习教育"][bad].comment.text and "not a figure" in wb["学习教育"][bad].comment.text
    assert wb["发展党员"][warn].fill.fgColor.rgb.endswith("FFD966")
    listed = [(r[1].value, r[6].value) for r in wb["校验结果"].iter_rows(min_row=4)]
    assert (f"学习教育!{bad}", "错误") in listed and (f"发展党员!{warn}", "警告") in listed
    assert len(listed) == len(outcome.problems)


def test_report_workbook_of_a_file_that_cannot_be_opened_is_just_the_list(empty_store):
    outcome = import_return(empty_store, b"unit,value\nSW01,5\n", "renamed.xlsx", user="tester")
    wb = load(report_workbook(b"unit,value\nSW01,5\n", outcome))
    assert wb.sheetnames == ["校验结果"]
    assert "CSV" in wb["校验结果"]["H4"].value


def test_problems_frame_has_the_columns_in_either_language(empty_store):
    data, _ = fill(build_template(empty_store, "SW01", "2024Q3"))
    data, bad = set_value(data, "学习教育", "SW0101", "branch_general_meetings", -2)
    outcome = import_return(empty_store, data, "SW01.xlsx", user="tester")
    zh, en = problems_frame([outcome]), problems_frame([outcome], lang="en")
    assert list(zh.columns) == ["文件", "位置", "单位", "指标", "应为", "实际", "级别", "说明"]
    assert list(en.columns) == ["File", "Cell", "Unit", "Indicator", "Expected", "Found", "Severity", "Message"]
    assert zh.iloc[0].tolist()[:3] == ["SW01.xlsx", f"学习教育!{bad}", "SW0101 办公室党支部"]
    assert en.iloc[0]["Indicator"] == "Branch general meetings (branch_general_meetings)"
    assert en.iloc[0]["Message"] == "Cannot be negative."
    assert zh.iloc[0]["说明"] == "不能为负数。"


def test_cli_report_option_writes_the_marked_workbook(empty_store, tmp_path, capsys):
    data, _ = fill(build_template(empty_store, "SW01", "2024Q3"))
    data, bad = set_value(data, "学习教育", "SW0101", "branch_general_meetings", 2.5)
    db = empty_store.url
    empty_store.close()
    f, report = tmp_path / "SW01.xlsx", tmp_path / "report.xlsx"
    f.write_bytes(data)
    assert main(["import", "--db", db, "--report", str(report), str(f)]) == 1
    assert f"学习教育!{bad}" in capsys.readouterr().out
    assert load(report.read_bytes())["学习教育"][bad].comment is not None


def test_two_processes_importing_the_same_unit_and_quarter_lose_nothing(sw05_q1_filled, tmp_path):
    """DuckDB lets one process write a file: the second waits for the lock, then supersedes."""
    import subprocess
    import sys

    from tests.conftest import ROOT

    store, data, _ = sw05_q1_filled
    db = store.url
    store.close()
    files = []
    for n in (21, 22):
        f = tmp_path / f"proc{n}.xlsx"
        f.write_bytes(set_value(data, "学习教育", "SW0501", "special_education", n)[0])
        files.append(f)
    procs = [subprocess.Popen([sys.executable, "-m", "dashboard", "import", "--db", db, "--user", f.stem, str(f)],
                              cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for f in files]
    results = [p.communicate(timeout=120) + (p.returncode,) for p in procs]
    assert [r[2] for r in results] == [0, 0], results
    with Store(db) as s:
        rows = list(submission_rows(s)[["status", "submitted_by"]].itertuples(index=False))
        assert sorted(r[1] for r in rows) == ["proc21", "proc22"]
        assert [r[0] for r in rows] == ["superseded", "active"]
        assert _value(s, "SW0501", "special_education") == int(rows[1][1][-2:])


def test_many_files_load_each_in_its_own_transaction_and_rebuild_the_rollup_once(empty_store, tmp_path, capsys,
                                                                                  monkeypatch):
    monkeypatch.setenv("DANGJIAN_BULK_IMPORT_MIN_FILES", "2")
    files = []
    for unit in ("SW01", "SW02", "SW03"):
        f = tmp_path / f"{unit}_2024Q3.xlsx"
        f.write_bytes(fill(build_template(empty_store, unit, "2024Q3"))[0])
        files.append(str(f))
    empty_store.close()
    bulk, one_by_one = tmp_path / "bulk.duckdb", tmp_path / "single.duckdb"
    for copy in (bulk, one_by_one):  # two databases holding the demo tree and nothing else
        demo_tree_store(copy).close()
    assert main(["import", "--db", str(bulk), *files]) == 0
    assert "3 files: 3 loaded" in capsys.readouterr().out
    for f in files:  # one file per run: the roll-up refreshed after each
        assert main(["import", "--db", str(one_by_one), f]) == 0
    def rollup(s):  # money sums may differ in the last bit with the order of addition
        return sorted(tuple(round(v, 6) if isinstance(v, float) else v for v in r) for r in s.snapshot()["rollup"])

    with Store(bulk) as s:
        assert s.dirty_quarters() == []
        rolled = rollup(s)
    with Store(one_by_one) as s:
        assert rollup(s) == rolled and len(rolled) > 0
