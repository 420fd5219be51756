"""PostgreSQL: every named query has a form that runs there, and says what DuckDB says.

The demo is loaded into a DuckDB file and into a database on a throwaway PostgreSQL server
(dashboard/bench/pgserver.py); every named query runs on both with the same parameters.  Reads
must answer the same rows; writes run inside a transaction that is rolled back.
"""

from __future__ import annotations

import datetime as dt
import math
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from dashboard.db import Store, dialect, queries
from dashboard.domain import analysis
from dashboard.domain import filters as flt
from dashboard.settings import ROOT


class _RolledBack(Exception):
    pass


def samples(store: Store) -> dict[str, list[dict]]:
    """Parameters for every query that takes some, drawn from the demo (several sets for the
    chart queries, so each branch of their SQL is used)."""
    first, last = store.quarter_span()
    tree = store.tree()
    roots = [u.code for u in tree.units if u.parent_code is None]
    tops = [u.code for u in tree.units if u.parent_code in roots][:3]
    compliance = analysis.compliance_params(roots + tops, first, last)
    rep = tree.reporting_units[1]
    rep = getattr(rep, "code", rep)
    units = sorted(u.code for u in tree.return_units(rep))
    sub_ids = [r[0] for r in store.table("submissions")[["id"]].itertuples(index=False)]
    quarters = sorted(store.table("submissions")["quarter"].unique().tolist())
    some = [i.code for i in store.catalog.indicators][:6]
    return {
        "audit_insert": [{"at": dt.datetime(2025, 1, 2, 3, 4, 5), "actor": "测试", "via": "cli", "action": "x",
                          "target": None, "outcome": "ok", "detail": ""}],
        "audit_list": [{"since": dt.datetime(2000, 1, 1), "actor": ""}, {"since": dt.datetime(2000, 1, 1), "actor": "x"}],
        "bench_return_facts": [{"reps": [rep, rep], "qs": [first, last]}],
        "catalog_insert_domains": [{"codes": ["zz"], "names_zh": ["甲"], "names_en": ["a"], "sort_orders": [99]}],
        "catalog_insert_indicators": [dict(codes=["zz1", "zz2"], domains=["d", "d"], names_zh=["甲", "乙"],
                                           names_en=["a", "b"], units_zh=["个", "个"], units_en=["n", "n"],
                                           value_types=["count", "ratio"], time_aggs=["sum", "last"],
                                           unit_aggs=["sum", "sum"], formula_ops=[None, "ratio"],
                                           formula_args=[[], ["zz1", "zz1"]], thresholds=[None, 1.5],
                                           levels=["all", "all"], sort_orders=[1, 2], domain_orders=[1, 1])],
        "check_rollup_differences": [{"limit": 5}],
        "check_compliance_differences": [{"limit": 5}],
        "compliance_clear": [{"quarters": []}, {"quarters": [first]}],
        "compliance_rebuild": [{"quarters": []}, {"quarters": [first]}],
        "compliance_delete": [{"quarters": [first, first], "units": units[:2]}],
        "compliance_refresh": [{"quarters": [first, first], "units": units[:2]}],
        "compliance_indicators_insert": [{"codes": ["zz1"]}],
        "compliance_masks_clear": [{"quarters": []}, {"quarters": [first]}],
        "compliance_masks_rebuild": [{"quarters": []}, {"quarters": [first]}],
        "compliance_masks_delete": [{"quarters": [first, first], "units": units[:2]}],
        "compliance_masks_refresh": [{"quarters": [first, first], "units": units[:2]}],
        "check_compliance_mask_differences": [{"limit": 5}],
        "compliance_shares": [compliance, {**compliance, "groups": ["nobody"]}],
        "compliance_short": [{**compliance, "limit": 50}, {**compliance, "limit": 3}],
        "facts_insert": [{"submission_id": 999999, "quarter": last, "units": [rep, rep],
                          "indicators": ["members_total", "activists"], "values": [1.0, 2.0],
                          "sheets": ["发展党员", None], "cells": ["C3", None]}],
        "facts_mark_approx": [{"submission_id": 1, "keys": [f"{rep}|members_total"]}],
        "approx_marks": [
            flt.values_params(roots + tops, first, last, "year"),
            flt.values_params(tops, first, last, "quarter", scope="own", indicators=some),
        ],
        "indicator_values": [
            flt.values_params(roots + tops, first, last, "year"),
            flt.values_params(tops, first, last, "quarter", scope="own"),
            flt.values_params(tops[:1], first, last, "half", indicators=some),
            flt.values_params(["nobody"], first, last, "quarter"),
        ],
        "ingest_prior_values": [{"reporting_unit": rep, "quarter": last, "previous": quarters[-2],
                                 "indicators": ["members_total", "theme_party_days"]}],
        "ingest_prior_values_of_units": [{"reporting_unit": rep, "quarter": last, "previous": quarters[-2],
                                          "indicators": ["members_total", "theme_party_days"], "units": units,
                                          "first": units[0], "last": units[-1]}],
        "meta_get": [{"key": "schema_version"}],
        "meta_set": [{"key": "nothing", "value": "1"}],
        "rollup_clear": [{"quarters": []}, {"quarters": [first]}],
        "rollup_delete": [{"quarters": [first], "units": [rep]}],
        "rollup_delete_units": [{"quarter": first, "units": units}],
        "rollup_dirty_clear": [{"quarters": []}],
        "rollup_dirty_units_clear": [{"quarters": [first]}],
        "rollup_mark_dirty": [{"quarter": first, "unit": rep}],
        "rollup_rebuild": [{"quarters": []}, {"quarters": [first]}],
        "rollup_refresh": [{"quarters": [first], "units": [rep], "children": units or [""]}],
        "rollup_refresh_units": [{"quarter": first, "units": units, "fact_anc": units, "fact_unit": units,
                                  "front_anc": [""], "front_unit": [""], "frontier": [""]}],
        "star_distribution": [{"groups": roots + tops, "indicator": "star_rating", "from": first, "to": last}],
        "submission_activate": [{"id": sub_ids[0], "unit": rep, "quarter": first}],
        "submission_diff": [{"new_id": sub_ids[-1], "old_id": sub_ids[0]}, {"new_id": sub_ids[1], "old_id": -1}],
        "submission_get": [{"id": sub_ids[0]}],
        "submission_history": [{"units": tops + [rep], "from": first, "to": last}],
        "submission_insert": [{"unit": rep, "quarter": last, "user": "u", "submitted_at": dt.datetime(2025, 1, 1),
                               "file_name": "f.xlsx", "sha256": "ab", "template_version": "v", "is_demo": False,
                               "archive_path": None, "warnings": 0}],
        "submission_status": [{"units": tops + [rep] * len(quarters), "quarters": quarters[:len(tops)] + quarters,
                               "deadlines": ["2025-01-15"] * (len(tops) + len(quarters)), "today": "2025-01-15"},
                              {"units": [], "quarters": [], "deadlines": [], "today": "2025-01-16"}],
        "submission_supersede": [{"unit": rep, "quarter": last}],
        # a tree rehome (Store.load_tree(rehome=...)) and a resubmission's look at what it supersedes
        "active_return_units": [{"unit": rep, "quarter": last}],
        "submission_active_id": [{"unit": rep, "quarter": last}, {"unit": "ZZ", "quarter": last}],
        "submission_units": [{"id": sub_ids[0]}],
        "submission_supersede_id": [{"id": sub_ids[0]}],
        "fact_keys": [{"ids": sub_ids[:3]}],
        "facts_rehome_move": [{"source": sub_ids[0], "target": sub_ids[1], "unit": units[0], "to_unit": units[0]}],
        "facts_rehome_copy": [{"source": sub_ids[0], "target": sub_ids[1], "unit": units[0], "to_unit": "ZZ"}],
        "submission_insert_rehome": [{"unit": rep, "quarter": "2030Q1", "user": "测试",
                                      "submitted_at": dt.datetime(2025, 1, 2), "source": sub_ids[0]}],
        "units_insert": [{"codes": ["ZZ"], "names_zh": ["甲"], "names_en": ["a"], "levels": ["branch"],
                          "parents": [None], "active_from": [None], "active_to": [None], "sort_orders": [1],
                          "reporting": [None], "merged_into": [None]}],
        "versions_insert": [{"codes": ["ZZ", "ZZ"], "names_zh": ["甲", "乙"], "names_en": ["a", "b"],
                             "levels": ["branch", "branch"], "parents": [None, None], "active_from": [None, "2024Q1"],
                             "active_to": ["2023Q4", None], "sort_orders": [1, 1], "reporting": [True, None],
                             "merged_into": [None, None]}],
        "unit_closure_insert": [{"ancestors": ["ZZ"], "descendants": ["ZZ"], "distances": [0],
                                 "valid_from": ["0000Q1"], "valid_to": ["9999Q4"]}],
        "anomaly_check_insert": [{"at": dt.datetime(2025, 1, 2, 3, 4, 5), "by": "测试", "via": "cli", "unit": rep,
                                  "quarter": last, "indicator": "members_total", "kind": "sharp_change", "note": ""}],
        "anomaly_facts": [{"units": tops + [rep], "from": first, "to": last}],
        "user_upsert": [{"login": "z@x.cn", "name": "甲", "role": "leader", "unit_code": rep,
                         "created_at": dt.datetime(2025, 1, 1), "email": "z@x.cn", "mobile": ""}],
        "deadline_set": [{"quarter": last, "due": "2025-02-01", "by": "测试", "at": dt.datetime(2025, 1, 2)}],
        "deadline_clear": [{"quarter": last}],
        "reminder_insert": [{"unit": rep, "quarter": last, "day": "2025-01-20", "channel": "email", "recipient": "a@b.cn",
                             "outcome": "failed", "reason": "拒收", "by": "测试", "at": dt.datetime(2025, 1, 20, 9)}],
        "reminders_sent": [{"quarter": last, "day": "2025-01-20"}],
        "reminders_list": [{"quarter": last}],
        "user_delete": [{"login": "z@x.cn"}],
        "user_get": [{"login": "z@x.cn"}],
        "table_row_count": [{"name": "units"}, {"name": "facts"}],
        "return_parts": [{"units": tops + [rep], "from": first, "to": last, "indicators": some}],
        "fact_sources": [{"own": rep, "units": tops, "own_only": False, "quarters": quarters, "indicators": some},
                         {"own": "", "units": tops + [rep], "own_only": True, "quarters": [last],
                          "indicators": some}],
        "submission_original": [{"id": sub_ids[0]}, {"id": -1}],
    }


# Statements that need a lent frame or a temporary table before them: run as one sequence.
_BULK = ["bulk_supersede", "bulk_ids", "bulk_submissions_insert", "bulk_facts_insert", "bulk_count", "bulk_ids_drop"]
_FRAMES = {
    "bulk_subs": pd.DataFrame({"unit_code": ["SW01"], "quarter": ["2030Q1"], "submitted_at": [dt.datetime(2030, 4, 1)]}),
    "bulk_facts": pd.DataFrame({"reporting_unit": ["SW01"], "unit_code": ["SW01"], "quarter": ["2030Q1"],
                                "indicator_code": ["members_total"], "value": [3.0], "sheet": ["发展党员"],
                                "cell": ["C3"]}),
    "incoming": pd.DataFrame({"file": ["f"], "unit_code": ["SW01"], "indicator_code": ["x"], "value": [1.0]}),
}
# Writes whose rows on the two backends differ by design (ids drawn from a sequence, now()).
_ONLY_RUN = {"checkpoint"}
# the 三会一课 rules' mirror is rewritten whole: its insert runs after its clear
_RULES = ["compliance_rules_clear", "compliance_rules_insert", "compliance_rules"]


def _answers(name: str) -> bool:
    """Whether a statement answers rows (a write without RETURNING answers none on PostgreSQL
    and its row count on DuckDB)."""
    text = "\n".join(line for line in queries.sql(name).splitlines() if not line.startswith("--")).lstrip().upper()
    return text.startswith(("SELECT", "WITH")) or "RETURNING" in text


def _run_rolled_back(db, names: list[str], params: dict, *, lend: bool = False) -> list:
    """Run queries one after another in one transaction, rolled back; what each returned (with
    `lend`, the sample frames lent first)."""
    out = []
    try:
        with db.transaction(bump=False) as tx, tx.lend(**(_FRAMES if lend else {})):
            for name in names:
                out.append(tx.rows(name, params))
            raise _RolledBack
    except _RolledBack:
        pass
    return out


def _same(a, b, where: str) -> None:
    if isinstance(a, float) or isinstance(b, float):
        if a is None or b is None or (isinstance(a, float) and math.isnan(a)):
            assert (a is None or a != a) and (b is None or b != b), where
        else:
            assert math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-9), where
    elif isinstance(a, (list, tuple, np.ndarray)):
        assert isinstance(b, (list, tuple, np.ndarray)) and len(a) == len(b), where
        for x, y in zip(a, b):
            _same(x, y, where)
    elif isinstance(a, pd.Timestamp) or isinstance(b, pd.Timestamp):
        assert pd.Timestamp(a) == pd.Timestamp(b), where
    else:
        assert a == b, f"{where}: {a!r} != {b!r}"


def _same_rows(a: list, b: list, where: str) -> None:
    assert len(a) == len(b), f"{where}: {len(a)} rows against {len(b)}"
    for i, (x, y) in enumerate(zip(a, b)):
        _same(list(x), list(y), f"{where} row {i}")


@pytest.fixture(scope="module")
def both(tmp_path_factory, pg_server, pg_templates):
    """The demo on DuckDB and on PostgreSQL, read-only here."""
    import os

    folder = tmp_path_factory.mktemp("both")
    os.environ["DANGJIAN_PG_FOLDER"] = str(folder / "pg")
    duck = Store(folder / "demo.duckdb")
    from dashboard.demo import load_demo

    load_demo(duck)
    pg = Store(pg_server.create("compare_demo", template=pg_templates["demo"]))
    yield duck, pg
    duck.close()
    pg.close()
    os.environ.pop("DANGJIAN_PG_FOLDER", None)


def test_both_backends_count_their_tables_alike(both):
    """Backend.table_counts on the server as on the file: the same tables, the same rows (the demo)."""
    duck, pg = both
    d, p = duck.table_counts(), pg.table_counts()
    shared = set(d) & set(p)
    assert {"facts", "submissions", "units"} <= shared
    assert {t: d[t] for t in ("facts", "submissions", "units")} == {t: p[t] for t in ("facts", "submissions", "units")}


def test_every_named_query_runs_on_postgres_and_answers_as_duckdb(both):
    duck, pg = both
    params = samples(duck)
    failed, compared = [], 0
    for name in sorted(queries.files()):
        if name in _BULK or name in _RULES or name.startswith("bench_plain"):
            continue
        for p in params.get(name, [{}]):
            try:
                got = _run_rolled_back(pg._db, [name], p)[0]
            except Exception as exc:  # noqa: BLE001 - every failure is listed below
                failed.append(f"{name}: {type(exc).__name__}: {str(exc).splitlines()[0]}")
                continue
            if name in _ONLY_RUN or not _answers(name):
                continue
            want = _run_rolled_back(duck._db, [name], p)[0]
            if name in ("table_audit", "audit_list", "audit_actors"):  # when each entry was written differs
                continue
            if name in _ADDED_AT:  # the demo's users: when each was added differs, the rest is alike
                want, got = _without(want, _ADDED_AT[name]), _without(got, _ADDED_AT[name])
            if "ORDER BY" not in queries.sql(name).upper():  # no order asked: any order is right
                want, got = sorted(want, key=repr), sorted(got, key=repr)
            _same_rows(want, got, name)
            compared += 1
    assert failed == []
    assert compared >= 50  # every query that answers rows, some with several parameter sets


def test_the_rules_mirror_is_rewritten_alike(both):
    duck, pg = both
    p = {"codes": ["theme_party_days", "party_lectures"], "needs": [2.0, 0.0]}
    got, want = _run_rolled_back(pg._db, _RULES, p), _run_rolled_back(duck._db, _RULES, p)
    assert got[-1] == want[-1] == [(0, "theme_party_days", 2.0), (1, "party_lectures", 0.0)]


def test_the_statements_of_a_bulk_load_and_the_benchmark_run_in_sequence(both):
    duck, pg = both
    p = {"user": "u", "file_name": None, "template_version": "bulk", "is_demo": False}
    got = _run_rolled_back(pg._db, _BULK, p, lend=True)
    want = _run_rolled_back(duck._db, _BULK, p, lend=True)
    assert got[_BULK.index("bulk_count")] == [(1,)] == want[_BULK.index("bulk_count")]
    assert _run_rolled_back(pg._db, ["bench_plain_create", "bench_plain_insert"], {}, lend=True) == [[], []]


def test_chart_frames_are_the_same_on_both(both):
    """What pages receive: the DataFrame of each chart query, column names and values."""
    duck, pg = both
    for name, sets in samples(duck).items():
        if not queries.files()[name].parent.name == "charts" or name == "audit_list":
            continue
        for p in sets:
            a, b = duck.query(name, **p), pg.query(name, **p)
            assert list(a.columns) == list(b.columns), name
            _same_rows(a.values.tolist(), b.values.tolist(), name)


# Queries of the users table and the column of when each user was added (written when the demo loads).
_ADDED_AT = {"table_users": 4, "users_all": 4, "user_get": 4}


def _without(rows: list, column: int) -> list:
    return [tuple(v for i, v in enumerate(r) if i != column) for r in rows]


def test_every_table_holds_the_same_rows_after_the_demo(both):
    duck, pg = both
    snap_duck, snap_pg = duck.snapshot(), pg.snapshot()
    assert sorted(snap_duck) == sorted(snap_pg)
    for table in snap_duck:
        if table == "audit":
            continue
        if table == "users":
            snap_duck[table], snap_pg[table] = _without(snap_duck[table], 4), _without(snap_pg[table], 4)
        _same_rows(sorted(snap_duck[table], key=repr), sorted(snap_pg[table], key=repr), table)


def test_a_query_with_no_postgres_form_is_found(both, monkeypatch):
    """The check above can fail: a DuckDB-only statement with no override does not run."""
    _, pg = both
    monkeypatch.setattr(dialect, "sql", lambda name: "SELECT list_value(1, 2) FROM meta")
    with pytest.raises(Exception):
        _run_rolled_back(pg._db, ["meta_get"], {"key": "x"})


def test_the_overrides_are_few_and_each_names_a_query():
    """Hand-written PostgreSQL text is the exception: each override stands for a named query."""
    folder = queries.POSTGRES_DIR
    overrides = [p.stem for p in folder.glob("*.sql") if p.stem in queries.files()]
    assert len(overrides) <= 5, overrides
    for path in folder.glob("*.sql"):
        assert path.read_text(encoding="utf-8").startswith(f"-- {path.stem}:"), path


def test_the_command_line_runs_on_postgres(pg_server, pg_templates, tmp_path):
    url = pg_server.create("cli_demo", template=pg_templates["demo"])
    env = {**__import__("os").environ, "DANGJIAN_PG_FOLDER": str(tmp_path), "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-m", "dashboard", "check", "--db", url], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "postgresql://" in out.stdout
    # a backup of a PostgreSQL database is pg_dump's to make: said, nothing written
    target = tmp_path / "b.tar.gz"
    out = subprocess.run([sys.executable, "-m", "dashboard", "backup", "--db", url, "--out", str(target)], cwd=ROOT,
                         env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 1 and "pg_dump" in out.stderr and "PostgreSQL" in out.stderr, out.stdout + out.stderr
    assert not target.exists()


def test_a_second_instance_sees_a_tree_import_on_its_next_read_of_the_data_version(pg_server, pg_templates,
                                                                                  tmp_path, monkeypatch):
    """Two stores on one server, as two app instances hold them: a tree imported through one is
    the other's tree once it reads the data version again (the app does, once per run)."""
    from dataclasses import replace

    from dashboard.domain.tree import Tree

    monkeypatch.setenv("DANGJIAN_PG_FOLDER", str(tmp_path))
    url = pg_server.create("two_instances", template=pg_templates["demo"])
    try:
        with Store(url) as a, Store(url) as b:
            before = b.data_version
            old_name = b.tree()["SW01"].name_zh
            renamed = Tree([replace(u, name_zh="改名后的机关党委") if u.code == "SW01" else u for u in a.tree().units])
            a.load_tree(renamed)
            assert b.data_version > before  # a tree import moves the version on, as every write does
            assert b.tree()["SW01"].name_zh == "改名后的机关党委" != old_name
            assert b.tree_at("2024Q4")["SW01"].name_zh == "改名后的机关党委"
    finally:
        pg_server.drop("two_instances")


def test_a_rerun_in_a_new_thread_takes_over_the_connection_of_an_ended_one(pg_server, pg_templates):
    """Streamlit runs each rerun in a new thread: 40 reruns one after another leave one connection
    to the server, not 40 (with 50 leaders clicking, the server refused new clients)."""
    import threading

    import psycopg

    url = pg_server.create("reruns", template=pg_templates["demo"])

    def connections() -> int:
        with psycopg.connect(pg_server.url()) as con:
            return con.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = 'reruns'").fetchone()[0]

    with Store(url) as store:
        version = store.data_version
        for _ in range(40):
            rerun = threading.Thread(target=lambda: store.data_version)  # a run reads the version first
            rerun.start()
            rerun.join()
        assert store.data_version == version
        assert connections() <= 2  # this thread's and the last rerun's, taken over by the next
    assert connections() == 0
    pg_server.drop("reruns")


def test_more_runs_at_once_than_connections_wait_their_turn_and_none_is_refused(pg_server, pg_templates,
                                                                                 monkeypatch):
    """30 page runs at once on an instance allowed 4 connections (DANGJIAN_PG_CONNECTIONS): each
    gets its answer, the server never sees more than 4 of the instance's connections, and a run
    that gives its connection back (the app's end of a run) hands it to a waiting one.  Before, each
    run opened its own: 100 leaders on two instances passed the server's max_connections and 18 of
    them got an error page (the province benchmark's load run)."""
    import threading

    import psycopg

    monkeypatch.setenv("DANGJIAN_PG_CONNECTIONS", "4")
    url = pg_server.create("capped", template=pg_templates["demo"])
    seen: list[int] = []
    answers: list[int] = []
    errors: list[BaseException] = []
    gate = threading.Barrier(30)

    def connections() -> int:
        with psycopg.connect(pg_server.url()) as con:
            return con.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = 'capped'").fetchone()[0]

    try:
        with Store(url) as store:
            store.release()  # the opening thread's connection back, as the app's run ends

            def run():
                try:
                    gate.wait()
                    answers.append(store.table_counts()["facts"])
                    seen.append(connections() - 1)  # less the one that counts
                    store.release()
                except BaseException as exc:  # noqa: BLE001 - every failure is reported below
                    errors.append(exc)

            runs = [threading.Thread(target=run) for _ in range(30)]
            for r in runs:
                r.start()
            for r in runs:
                r.join()
            assert not errors, errors[:3]
            assert len(answers) == 30 and len(set(answers)) == 1 and answers[0] > 0
            assert max(seen) <= 4, seen
        assert connections() == 0
    finally:
        pg_server.drop("capped")


def test_opening_a_store_takes_no_table_lock_a_writer_in_another_process_holds(pg_server, pg_templates, tmp_path,
                                                                                monkeypatch):
    """A command opened while an instance writes must not build its indexes again: CREATE INDEX IF
    NOT EXISTS waits for a share lock on a table the writer has rows in, and with two tables
    locked in opposite orders the server killed one import as a deadlock (CI, one run in three)."""
    import threading

    import psycopg

    monkeypatch.setenv("DANGJIAN_PG_FOLDER", str(tmp_path))
    url = pg_server.create("open_while_writing", template=pg_templates["demo"])
    opened: list = []
    try:
        with psycopg.connect(url) as writer:  # a writer mid-transaction holds these on its tables
            writer.execute("LOCK TABLE facts, rollup, submissions, unit_closure, compliance_values IN ROW EXCLUSIVE MODE")
            opening = threading.Thread(target=lambda: opened.append(Store(url)), daemon=True)
            opening.start()
            opening.join(timeout=120)
            assert opened, "opening the store waited on the writer's tables"
            writer.rollback()
    finally:
        opening.join(timeout=120)
        for store in opened:
            store.close()
        pg_server.drop("open_while_writing")


def test_a_database_of_an_earlier_release_gets_the_new_indexes_and_loses_the_retired(pg_server, pg_templates,
                                                                                    tmp_path, monkeypatch):
    import psycopg

    monkeypatch.setenv("DANGJIAN_PG_FOLDER", str(tmp_path))
    url = pg_server.create("old_indexes", template=pg_templates["demo"])

    def indexes() -> set[str]:
        with psycopg.connect(url) as con:
            return {r[0] for r in con.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'facts'")}

    try:
        with psycopg.connect(url, autocommit=True) as con:  # as the previous release left it
            con.execute("DROP INDEX facts_unit_indicator_quarter")
            con.execute("CREATE INDEX facts_unit_quarter ON facts (unit_code, quarter, indicator_code)")
        Store(url).close()
        assert indexes() == {"facts_submission", "facts_unit_indicator_quarter", "facts_approx"}
    finally:
        pg_server.drop("old_indexes")
