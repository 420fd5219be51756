"""The benchmark command, its provincial data and its plain-pandas twin (no timing asserted)."""

from __future__ import annotations

import json
import subprocess
import sys

import duckdb
import pandas as pd
import pytest

from dashboard import bench_baseline, demo, queries
from dashboard.store import Store

from tests.conftest import ROOT


@pytest.fixture(scope="module")
def province_store(tmp_path_factory):
    """A small province (about 1,500 units), bulk-loaded as the benchmark does."""
    path = tmp_path_factory.mktemp("province") / "province.duckdb"
    store = Store(path)
    demo.load_province(store, n_target=1500)
    yield store
    store.close()


def test_province_tree_has_five_levels_and_reporting_city_bureaus():
    tree = demo.province_tree(3000)
    assert 2900 <= len(tree.units) <= 3100
    assert max(tree.depth(u.code) for u in tree.units) == 4
    cities = tree.kids(tree.root.code)
    assert cities and all(c.level == "party_group" for c in cities)
    committee = tree.kids(cities[0].code)[0]
    assert tree.is_reporting(committee.code)
    # a committee's return carries its general branches and branches
    levels = {u.level for u in tree.return_units(committee.code)}
    assert levels == {"committee", "general_branch", "branch"}


def test_bulk_load_makes_active_submissions_and_a_current_rollup(province_store):
    tree = province_store.tree()
    n_reporting = len(tree.reporting_units)
    assert province_store.scalar("SELECT count(*) FROM submissions WHERE status = 'active'") == n_reporting * 12
    # every fact belongs to the return of its unit's reporting unit
    bad = province_store.scalar(
        "SELECT count(*) FROM facts f JOIN submissions s ON s.id = f.submission_id"
        " WHERE s.quarter <> f.quarter")
    assert bad == 0
    assert province_store.dirty_quarters() == []
    root_members = province_store.scalar(
        "SELECT total FROM rollup WHERE unit_code = ? AND quarter = '2024Q4' AND indicator_code = 'members_total'",
        [tree.root.code])
    direct = province_store.scalar(
        "SELECT sum(value) FROM facts WHERE quarter = '2024Q4' AND indicator_code = 'members_total'")
    assert root_members == direct


def test_bulk_load_supersedes_like_submit(province_store, tmp_path):
    path = tmp_path / "again.duckdb"
    with Store(path) as store:
        tree = demo.province_tree(400)
        store.load_tree(tree)
        subs, facts = demo.province_returns(tree, "2024Q1", "2024Q2")
        store.bulk_load(subs, facts, user="t")
        store.bulk_load(subs.head(1), facts[(facts.reporting_unit == subs.unit_code[0])
                                            & (facts.quarter == subs.quarter[0])], user="t")
        assert store.scalar("SELECT count(*) FROM submissions WHERE status = 'superseded'") == 1
        assert store.scalar("SELECT count(*) FROM submissions WHERE status = 'active'") == len(subs)


@pytest.mark.parametrize("case", ["root", "city", "committee", "own", "half", "some"])
def test_indicator_values_equal_the_plain_pandas_way(province_store, case):
    tree = province_store.tree()
    root = tree.root.code
    city = tree.kids(root)[0].code
    committee = tree.kids(city)[0].code
    kids = lambda code: [code] + [u.code for u in tree.kids(code)]  # noqa: E731
    params = {"units": kids(root), "from": "2022Q1", "to": "2024Q4", "granularity": "quarter",
              "indicators": [], "scope": "subtree"}
    if case == "city":
        params["units"] = kids(city)
    elif case == "committee":
        params.update(units=kids(committee), granularity="year")
    elif case == "own":
        params.update(units=[u.code for u in tree.return_units(committee)], scope="own")
    elif case == "half":
        params.update(units=kids(city), granularity="half", **{"from": "2023Q2", "to": "2024Q3"})
    elif case == "some":
        params.update(indicators=["xxqg_rate", "branches_4star_share", "four_forms_total", "star_rating",
                                  "max_consecutive_days", "members_total"])
    sql = province_store.query("indicator_values", **params)
    data = bench_baseline.PlainData.load(province_store)
    plain = bench_baseline.indicator_values(data, params["units"], params["from"], params["to"],
                                            params["granularity"], params["indicators"], params["scope"])
    assert len(sql) > 0
    assert bench_baseline.compare(sql, plain) is None
    assert list(sql.columns) == list(plain.columns)


@pytest.mark.parametrize("sql", [
    "SELECT i::INTEGER a, i::BIGINT b, (i % 2 = 0) c, '中文' || i s, i / 3 d, i::SMALLINT e, i::FLOAT g"
    " FROM range(50) t(i)",
    "SELECT 'a' s, 1.0::DOUBLE d UNION ALL SELECT NULL, NULL",
    "SELECT 1::INTEGER a, NULL::INTEGER b, 'x' s, NULL::VARCHAR t, DATE '2024-01-01' dt, 1.25 dec, [1] l",
    "SELECT NULL::INTEGER b UNION ALL SELECT 2",
    "SELECT true b UNION ALL SELECT NULL",
    "SELECT NULL::VARCHAR s FROM range(3)",
    "SELECT 'a' s, 1 n WHERE false",
    "SELECT 1 a, 2 a",
    "SELECT TIMESTAMP '2024-01-01 10:00:00' ts, 'x' s",
])
def test_query_frames_are_exactly_what_df_gives(sql):
    """queries.run converts through Arrow for speed; the frame must not change."""
    con = duckdb.connect()
    pd.testing.assert_frame_equal(queries._frame(con.execute(sql)), con.execute(sql).df())


def test_bench_quick_writes_every_figure(tmp_path):
    out = tmp_path / "bench.json"
    result = subprocess.run(
        [sys.executable, "-m", "dashboard", "bench", "--quick", "--scale", "small", "--no-pages", "--json", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr
    figures = json.loads(out.read_text(encoding="utf-8"))
    assert {"queries", "import", "pages", "peak_rss_mb"} <= figures.keys()
    assert figures["queries"]
    for name, q in figures["queries"].items():
        assert q["match"], name
        assert q["median_ms"] > 0 and q["p95_ms"] >= q["median_ms"] and q["baseline_ms"] > 0
        assert q["ratio"] == pytest.approx(q["baseline_ms"] / q["median_ms"], rel=0.05, abs=0.06)
    imp = figures["import"]
    if "ms_per_return" in imp:
        assert imp["ms_per_return"] > 0 and imp["baseline_ms_per_return"] > 0 and imp["ratio"] > 0
    assert figures["data"]["units"] >= 1000
    assert "query" in result.stdout and "median ms" in result.stdout
