"""The named-query files: one statement each, found by name, parameters bound; results read fast
but exactly as DuckDB's own conversion gives them."""

from __future__ import annotations

import re

import duckdb
import pandas as pd
import pytest

from dashboard.db import queries
from dashboard.settings import QUERIES_DIR


def test_every_query_file_has_a_unique_name_and_says_what_it_is():
    names = queries.files()
    assert len(names) == len(list(p for p in QUERIES_DIR.rglob("*.sql") if p.parent.name not in ("migrations", "postgres")))
    for name, path in names.items():
        first = path.read_text(encoding="utf-8").splitlines()[0]
        assert first.startswith(f"-- {name}:"), path  # the file opens with its name and what it does


def test_a_missing_parameter_is_an_error_and_an_extra_one_is_ignored():
    con = duckdb.connect()
    with pytest.raises(TypeError, match="needs parameters"):
        queries.execute(con, "meta_get", {})
    con.execute("CREATE TABLE meta (key VARCHAR, value VARCHAR)")
    assert queries.execute(con, "meta_get", {"key": "x", "unused": 1}).fetchall() == []


def test_no_query_formats_a_value_into_its_text():
    """Values arrive as $parameters: no Python format fields, no quotes around a $name."""
    for name, path in queries.files().items():
        text = re.sub(r"--[^\n]*", "", path.read_text(encoding="utf-8"))
        assert not re.search(r"\{[a-z_]*\}", text), name
        assert not re.search(r"'\$[a-z_]+'", text), name


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
    """queries.frame converts through Arrow for speed; the frame must not change."""
    con = duckdb.connect()
    pd.testing.assert_frame_equal(queries.frame(con.execute(sql)), con.execute(sql).df())
