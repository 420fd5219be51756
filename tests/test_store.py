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

from dashboard import queries
from dashboard.demo import demo_returns, load_demo
from dashboard.store import SCHEMA_VERSION, DatabaseBusy, Store, _statements
from tests.conftest import ROOT


def one_fact(unit: str, indicator: str, value: float) -> pd.DataFrame:
    return pd.DataFrame([(unit, indicator, value)], columns=["unit_code", "indicator_code", "value"])


def test_a_new_database_has_the_current_schema_and_the_demo_tree(empty_store):
    assert empty_store.schema_version == SCHEMA_VERSION
    assert empty_store.scalar("SELECT count(*) FROM units") == len(empty_store.tree().units)
    assert empty_store.scalar("SELECT count(*) FROM indicators") == len(empty_store.catalog.indicators)
    assert empty_store.scalar("SELECT count(*) FROM submissions") == 0


def test_a_version_1_file_is_migrated_keeping_its_data(tmp_path):
    path = tmp_path / "old.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE meta (key VARCHAR PRIMARY KEY, value VARCHAR)")
    con.execute("INSERT INTO meta VALUES ('schema_version', '1'), ('data_version', '7')")
    for stmt in _statements((queries.QUERIES_DIR / "migrations" / "001_init.sql").read_text()):
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
        sub = store.df("SELECT unit_code, file_name, is_demo, status FROM submissions")
        assert sub.to_dict("records") == [{"unit_code": "SW01", "file_name": "a.xlsx", "is_demo": False,
                                           "status": "active"}]
        got = store.query("indicator_values", units=["SW"], indicators=["theme_party_days"], granularity="quarter",
                          scope="subtree", **{"from": "2023Q1", "to": "2023Q1"})
        assert got["value"].tolist() == [4]  # the old facts roll up through the new closure
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
    history = small_store.df("SELECT unit_code, status, submitted_by FROM submissions")
    assert len(history) == 40  # every submission is in the history
    active = history[history.status == "active"].groupby("unit_code").size()
    assert active.to_dict() == {"C1": 1, "C2": 1, "G": 1}  # exactly one active per unit-quarter
    facts = small_store.scalar("SELECT count(*) FROM facts")
    assert facts == 40
    # the roll-up equals what the active submissions say
    incremental = small_store.df("SELECT * FROM rollup ORDER BY ALL")
    small_store.rebuild_rollup()
    pd.testing.assert_frame_equal(incremental, small_store.df("SELECT * FROM rollup ORDER BY ALL"))


def test_a_failed_write_leaves_nothing_behind(small_store):
    before = small_store.df("SELECT * FROM submissions ORDER BY ALL")
    bad = pd.DataFrame([("C1", "central_group_study", "not a number")],
                       columns=["unit_code", "indicator_code", "value"])
    with pytest.raises(Exception):
        small_store.submit("C1", "2024Q1", bad, user="t")
    pd.testing.assert_frame_equal(before, small_store.df("SELECT * FROM submissions ORDER BY ALL"))
    assert small_store.scalar("SELECT count(*) FROM facts") == 0


def test_a_second_process_is_told_plainly_that_the_database_is_held(tmp_path):
    path = tmp_path / "held.duckdb"
    Store(path).close()
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            import sys, time
            sys.path.insert(0, {str(ROOT)!r})
            from dashboard.store import Store
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


def test_demo_data_is_deterministic(empty_store):
    tree = empty_store.tree()
    first = [(r, q, f.to_csv()) for r, q, f, _ in demo_returns(tree, seed=7)]
    second = [(r, q, f.to_csv()) for r, q, f, _ in demo_returns(tree, seed=7)]
    assert first == second
    assert first != [(r, q, f.to_csv()) for r, q, f, _ in demo_returns(tree, seed=8)]


def test_demo_data_has_the_seeds_magnitudes(demo_store):
    v = demo_store.query("indicator_values", units=["SW", "SW01"], granularity="year", scope="subtree",
                         indicators=["members_total", "activists", "admitted_probationary",
                                     "branches_4star_share", "temp_branches", "commando_teams", "four_forms_total"],
                         **{"from": "2023Q1", "to": "2023Q4"})
    got = {(r.unit_code, r.indicator_code): r.value for r in v.itertuples()}
    assert 180 <= got[("SW01", "members_total")] <= 250  # seed: ten branches, 213 members
    assert 10 <= got[("SW01", "activists")] <= 40  # seed: 22 activists
    assert 1 <= got[("SW01", "admitted_probationary")] <= 8  # seed: a handful a year
    assert 80 <= got[("SW", "branches_4star_share")] <= 95  # seed: 90%
    assert got[("SW", "temp_branches")] == 2  # the 2023 flood: 2 temporary branches
    assert got[("SW", "commando_teams")] == 10  # and 10 commando teams
    assert 30 <= got[("SW", "four_forms_total")] <= 120  # seed: 60 person-times


def test_demo_has_laggards_and_missing_returns(demo_store):
    missing = demo_store.df("""
        SELECT u.code FROM units u
        WHERE u.parent_code = 'SW' AND NOT EXISTS (
            SELECT 1 FROM submissions s WHERE s.unit_code = u.code AND s.quarter = '2024Q4' AND s.status = 'active')
    """)
    assert set(missing["code"]) == {"SW08", "SW09"}
    assert demo_store.has_demo()


def test_demo_data_is_removed_in_one_step_leaving_real_returns(demo_store):
    demo_store.submit("SW01", "2025Q1", one_fact("SW0101", "theme_party_days", 3), user="张三")
    assert demo_store.clear_demo() > 100
    assert not demo_store.has_demo()
    left = demo_store.df("SELECT unit_code, submitted_by FROM submissions")
    assert left.to_dict("records") == [{"unit_code": "SW01", "submitted_by": "张三"}]
    assert demo_store.scalar("SELECT count(*) FROM rollup WHERE quarter < '2025Q1'") == 0
    # and it can be loaded again
    assert load_demo(demo_store) > 100
