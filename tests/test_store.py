"""The store: schema migration, the single writer under concurrency, a busy file, demo data."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
from datetime import datetime

import duckdb
import pandas as pd
import pytest

from dashboard.db import DatabaseBusy, Store, queries
from tests.conftest import ROOT
from tests.support.figures import iv


def one_fact(unit: str, indicator: str, value: float) -> pd.DataFrame:
    return pd.DataFrame([(unit, indicator, value)], columns=["unit_code", "indicator_code", "value"])


SCHEMA_VERSION = queries.migrations()[-1][0]


def test_a_new_database_has_the_current_schema_and_the_demo_tree(empty_store):
    assert empty_store.schema_version == SCHEMA_VERSION
    assert len(empty_store.table("units")) == len(empty_store.tree().units)
    assert len(empty_store.table("indicators")) == len(empty_store.catalog.indicators)
    assert empty_store.table("submissions").empty and not empty_store.has_submissions()


def test_a_version_1_file_is_migrated_keeping_its_data(tmp_path):
    path = tmp_path / "old.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE meta (key VARCHAR PRIMARY KEY, value VARCHAR)")
    con.execute("INSERT INTO meta VALUES ('schema_version', '1'), ('data_version', '7')")
    version, statements = queries.migrations()[0]
    assert version == 1
    for stmt in statements:
        con.execute(stmt)
    con.execute("INSERT INTO units VALUES ('SW', '市水务局党组', 'Bureau', 'party_group', NULL, NULL, NULL, 1),"
                " ('SW01', '机关党委', 'Offices', 'committee', 'SW', NULL, NULL, 2),"
                " ('SW0101', '办公室党支部', 'Office', 'branch', 'SW01', NULL, NULL, 3)")
    con.execute("INSERT INTO submissions VALUES (nextval('submission_ids'), 'SW01', '2023Q1', 'old', ?, 'a.xlsx',"
                " 'abc', 'v1', 'active')", [datetime(2023, 4, 10)])
    con.execute("INSERT INTO facts VALUES (1, 'SW0101', '2023Q1', 'theme_party_days', 3),"
                " (1, 'SW01', '2023Q1', 'theme_party_days', 1)")
    con.close()

    with Store(path) as store:
        assert store.schema_version == SCHEMA_VERSION
        sub = store.table("submissions")[["unit_code", "file_name", "is_demo", "status"]]
        assert sub.to_dict("records") == [{"unit_code": "SW01", "file_name": "a.xlsx", "is_demo": False,
                                           "status": "active"}]
        got = iv(store, units=["SW"], indicators=["theme_party_days"], granularity="quarter",
                          scope="subtree", **{"from": "2023Q1", "to": "2023Q1"})
        assert got["value"].tolist() == [4]  # the old facts roll up through the new closure
        facts = store.table("facts")  # read before positions were kept: none is made up (「位置未记录」)
        assert len(facts) == 2 and facts["sheet"].isna().all() and facts["cell"].isna().all()
        assert len(store.tree().units) == 3  # the file's own tree is kept, not replaced by the demo tree


def test_opening_twice_migrates_once(tmp_path):
    Store(tmp_path / "x.duckdb").close()
    with Store(tmp_path / "x.duckdb") as store:
        assert store.schema_version == SCHEMA_VERSION


def test_concurrent_writers_lose_no_submission(small_store):
    """Eight threads file returns at once, several for the same unit and quarter."""
    errors = []

    def worker(n: int):
        try:
            for k in range(5):
                unit = ("C1", "C2", "G")[(n + k) % 3]
                small_store.submit(unit, "2024Q1", one_fact(unit, "central_group_study", n * 10 + k), user=f"w{n}",
                                   sha256=f"{n}-{k}")
        except Exception as exc:  # noqa: BLE001 - surfaced by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    history = small_store.table("submissions")[['unit_code', 'status', 'submitted_by']]
    assert len(history) == 40  # every submission is in the history
    active = history[history.status == "active"].groupby("unit_code").size()
    assert active.to_dict() == {"C1": 1, "C2": 1, "G": 1}  # exactly one active per unit-quarter
    facts = len(small_store.table("facts"))
    assert facts == 40
    # the roll-up equals what the active submissions say
    incremental = small_store.table("rollup")
    small_store.rebuild_rollup()
    pd.testing.assert_frame_equal(incremental, small_store.table("rollup"))


def test_a_failed_write_leaves_nothing_behind(small_store):
    before = small_store.snapshot()
    bad = pd.DataFrame([("C1", "central_group_study", "not a number")],
                       columns=["unit_code", "indicator_code", "value"])
    with pytest.raises(Exception):
        small_store.submit("C1", "2024Q1", bad, user="t")
    assert small_store.snapshot() == before
    assert small_store.table("facts").empty


def test_a_second_process_is_told_plainly_that_the_database_is_held(tmp_path):
    path = tmp_path / "held.duckdb"
    Store(path).close()
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            import sys, time
            sys.path.insert(0, {str(ROOT)!r})
            from dashboard.db import Store
            s = Store({str(path)!r})
            print("ready", flush=True)
            time.sleep(30)
        """)],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "ready"
        started = datetime.now()
        with pytest.raises(DatabaseBusy) as err:
            Store(path, lock_timeout=0.5)
        assert (datetime.now() - started).total_seconds() < 10  # bounded, never hangs
        assert "占用" in str(err.value) and f"PID {holder.pid}" in str(err.value)
    finally:
        holder.kill()
        holder.wait()


def test_an_approximate_figure_stays_marked_and_marks_every_total_that_includes_it(small_store):
    """C1 reports its branches' theme Party days, one of them written 「50余」: stored as 50 with
    its mark; C1's and G's totals include it and are marked, C2's are not; a resubmission
    without the approximation clears the mark.  (The one schema, DuckDB and PostgreSQL.)"""
    from dashboard.domain import figures

    facts = [("C1B1", "theme_party_days", 50.0), ("C1B2", "theme_party_days", 3.0)]
    small_store.submit("C1", "2024Q1", facts, user="t", approx=[("C1B1", "theme_party_days")])
    small_store.submit("C2", "2024Q1", [("C2B1", "theme_party_days", 4.0)], user="t")
    src = figures.Source.of_store(small_store)
    rows = figures.table(src, ["G", "C1", "C1B1", "C1B2", "C2"], "2024Q1", "2024Q4", "year", ["theme_party_days"])
    got = {u: (v, a, s) for u, v, a, s in zip(rows["unit_code"], rows["value"], rows["approx"], rows["shown"])}
    assert got == {"G": (57, True, "57余次"), "C1": (53, True, "53余次"), "C1B1": (50, True, "50余次"),
                   "C1B2": (3, False, ""), "C2": (4, False, "")}
    rank = figures.ranking(src, ["C1B1", "C1B2"], ["2024Q1"], "2024Q1", "theme_party_days", measure="raw")
    assert dict(zip(rank.frame["unit_code"], rank.frame["approx"])) == {"C1B1": True, "C1B2": False}
    small_store.submit("C1", "2024Q1", [("C1B1", "theme_party_days", 52.0)], user="t")  # the exact figure now
    rows = figures.table(src, ["G", "C1B1"], "2024Q1", "2024Q1", "quarter", ["theme_party_days"])
    assert rows["approx"].tolist() == [False, False]
