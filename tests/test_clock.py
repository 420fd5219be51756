"""Periods follow the clock (issue 22): the quarter that is current, what a reporter may file for,
what is due, late or missing, and the template's deadline and contact line all come from the one
clock (DANGJIAN_TODAY in tests) and the settings — no period is written into the product's code."""

from __future__ import annotations

import ast
import io
from datetime import date

import openpyxl
import pytest

from dashboard import clock
from dashboard.db import Store
from dashboard.domain import analysis, deadlines, filters, periods
from dashboard.domain.tree import History, read_tree
from dashboard.ingest import build_template
from dashboard.settings import ROOT
from tests.support.clocked import database_from, tree_from


def test_the_clock_is_the_setting_when_set(monkeypatch):
    monkeypatch.setenv("DANGJIAN_TODAY", "2025-08-10")
    assert clock.today() == date(2025, 8, 10) and clock.now().date() == date(2025, 8, 10)
    assert periods.current_quarter() == "2025Q3"
    monkeypatch.setenv("DANGJIAN_TODAY", "10/08/2025")
    with pytest.raises(clock.ClockError, match="10/08/2025"):
        clock.today()
    monkeypatch.delenv("DANGJIAN_TODAY")
    assert clock.today() == date.today()


def test_with_no_data_the_range_is_the_current_quarter(monkeypatch):
    monkeypatch.setenv("DANGJIAN_TODAY", "2026-02-03")
    assert filters.default_range([]) == ("2026Q1", "2026Q1")


def test_a_reporter_may_file_from_the_trees_first_quarter_to_today(monkeypatch):
    monkeypatch.setenv("DANGJIAN_TODAY", "2025-11-20")
    assert tree_from("2025Q1").first_quarter() == "2025Q1"
    assert filters.fileable_quarters(tree_from("2025Q1"), []) == ["2025Q4", "2025Q3", "2025Q2", "2025Q1"]
    # a tree open at its start (the demo's): from the first quarter with data
    open_tree = History(list(read_tree().units))
    assert open_tree.first_quarter() is None
    assert filters.fileable_quarters(open_tree, ["2024Q3", "2024Q4"])[-1] == "2024Q3"
    assert filters.fileable_quarters(open_tree, ["2024Q3", "2024Q4"])[0] == "2025Q4"
    assert filters.fileable_quarters(open_tree, []) == ["2025Q4"]
    monkeypatch.setenv("DANGJIAN_TODAY", "2024-12-31")  # the organisation begins after today
    assert filters.fileable_quarters(tree_from("2025Q1"), []) == []


def test_what_is_due_follows_the_clock_and_a_deadline_set_apart(demo_store, monkeypatch):
    history = demo_store.history()

    def status(today: str) -> str:
        monkeypatch.setenv("DANGJIAN_TODAY", today)
        due = analysis.expected_returns(history, ["SW08"], ["2024Q4"], whole=True, deadlines=demo_store.deadlines())
        return demo_store.query("submission_status", **due)["status"].iloc[0]

    assert status("2025-01-15") == "pending"  # the 15th day after the quarter: still due
    assert status("2025-01-16") == "missing"
    demo_store.set_deadline("2024Q4", date(2025, 1, 31))
    assert demo_store.deadlines() == {"2024Q4": date(2025, 1, 31)}
    assert status("2025-01-16") == "pending" and status("2025-02-01") == "missing"
    demo_store.set_deadline("2024Q4", None)
    assert demo_store.deadlines() == {} and status("2025-01-16") == "missing"
    trail = demo_store.table("audit")
    assert trail[trail["action"] == "deadline.set"]["detail"].tolist() == ["quarter=2024Q4 due=2025-01-31",
                                                                           "quarter=2024Q4 due=default"]


def _guide(data: bytes) -> list[list]:
    wb = openpyxl.load_workbook(io.BytesIO(data))
    return [[c for c in row] for row in wb["填报说明"].iter_rows(values_only=True)]


def test_the_template_says_its_deadline_and_the_settings_contact(tmp_path, monkeypatch):
    db = database_from(tmp_path / "from2025.duckdb", "2025Q1")
    monkeypatch.setenv("DANGJIAN_TODAY", "2025-11-20")
    monkeypatch.setenv("DANGJIAN_CONTACT", "局机关党委 李明 0571-87654321")
    with Store(db) as store:
        rows = _guide(build_template(store, "SW08", "2025Q3"))
        assert ["报送截止 Due by", "2025-10-15", "2025年10月15日（逾期仍可报送，记为迟报）"] == rows[5][:3]
        assert any(r[0] == "局机关党委 李明 0571-87654321" for r in rows)
        store.set_deadline("2025Q3", date(2025, 10, 31))
        assert _guide(build_template(store, "SW08", "2025Q3"))[5][1] == "2025-10-31"
        assert deadlines.due("2025Q3", store.deadlines()) == date(2025, 10, 31)
    monkeypatch.delenv("DANGJIAN_CONTACT")
    with Store(db) as store:
        rows = _guide(build_template(store, "SW08", "2025Q3"))
    assert any(str(r[0]).startswith("填报口径、系统或上传问题，请联系本局党建工作部门") for r in rows)


# Where a period may be written: the demo bureau's own history, and the benchmark's scenarios.
_PERIODS_ALLOWED = {"dashboard/demo.py"}
# (0000Q1 and 9999Q4, tree.OPEN_FROM / OPEN_TO, are the bounds of "always", not periods)
_PERIOD = __import__("re").compile(r"(?!0000|9999)\d{4}(Q[1-4]|H[12])")


def test_no_period_is_written_into_the_products_code():
    """A string that is a period (「2024Q1」) in the product's code would be a date that never moves."""
    found = []
    for path in sorted((ROOT / "dashboard").rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        if rel in _PERIODS_ALLOWED or rel.startswith("dashboard/bench/"):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and _PERIOD.fullmatch(node.value):
                found.append(f"{rel}:{node.lineno} {node.value}")
    assert not found, found
