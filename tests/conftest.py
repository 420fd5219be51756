"""Shared fixtures: fresh databases, the demo database, a small hand-written tree.

The store fixtures (empty_store, small_store, demo_store) open a DuckDB file; in the suites named
in BOTH_BACKENDS every test using one runs twice, the second time on a throwaway PostgreSQL server
(dashboard/bench/pgserver.py), unless marked `duckdb_only` (it reaches into the file itself).
"""

from __future__ import annotations

import itertools
import shutil
from pathlib import Path

import pytest

from dashboard.db import Store
from dashboard.demo import load_demo
from dashboard.domain.tree import Tree, Unit, read_tree

ROOT = Path(__file__).resolve().parent.parent


# The store, import, roll-up, query and app suites: each of their store tests also runs on PostgreSQL.
BOTH_BACKENDS = {"test_store", "test_rollup", "test_pipeline", "test_queries", "test_charts", "test_postgres",
                 "test_app", "test_tree_rehome", "test_sources"}
_NAMES = itertools.count()


def pytest_configure(config):
    config.addinivalue_line("markers", "duckdb_only: reaches into the DuckDB file; not run on PostgreSQL")


def pytest_generate_tests(metafunc):
    module = metafunc.module.__name__.rsplit(".", 1)[-1]
    if ("backend" in metafunc.fixturenames and module in BOTH_BACKENDS
            and not metafunc.definition.get_closest_marker("duckdb_only")):
        metafunc.parametrize("backend", ["duckdb", "postgres"], indirect=True)


@pytest.fixture
def backend(request) -> str:
    """The backend a store fixture opens: duckdb, or postgres where the suite runs on both."""
    return getattr(request, "param", "duckdb")


@pytest.fixture(scope="session")
def pg_server():
    """A throwaway PostgreSQL server for the whole run (skipped where Debian's package is missing:
    `make test` installs it)."""
    from dashboard.bench import pgserver

    if pgserver.binaries() is None:
        pytest.skip("PostgreSQL is not installed (make postgres-deps)")
    with pgserver.server() as server:
        yield server


@pytest.fixture(scope="session")
def pg_templates(pg_server, tmp_path_factory):
    """Two template databases, built once: `empty` (migrated, the demo tree) and `demo` (the demo
    loaded); a test's database is a copy of one (CREATE DATABASE ... TEMPLATE), taken in a blink."""
    import os

    folder = tmp_path_factory.mktemp("pg-archive")
    saved = os.environ.get("DANGJIAN_PG_FOLDER")
    os.environ["DANGJIAN_PG_FOLDER"] = str(folder)
    try:
        with Store(pg_server.create("tmpl_empty")) as store:
            store.load_tree(read_tree())
        with Store(pg_server.create("tmpl_demo")) as store:
            load_demo(store)
    finally:
        if saved is None:
            os.environ.pop("DANGJIAN_PG_FOLDER", None)
        else:
            os.environ["DANGJIAN_PG_FOLDER"] = saved
    return {"empty": "tmpl_empty", "demo": "tmpl_demo"}


def new_location(request, tmp_path, monkeypatch, name: str, template: str | None = None) -> str | Path:
    """Where a test's new database lives: a file under tmp_path, or (backend postgres) a new
    database on the test server, a copy of a template if named; its archive under tmp_path."""
    if request.getfixturevalue("backend") != "postgres":
        return tmp_path / f"{name}.duckdb"
    server = request.getfixturevalue("pg_server")
    templates = request.getfixturevalue("pg_templates")
    monkeypatch.setenv("DANGJIAN_PG_FOLDER", str(tmp_path / "pg"))
    db = f"t{next(_NAMES)}_{name}"
    request.addfinalizer(lambda: server.drop(db))
    return server.create(db, template=templates.get(template, template))


@pytest.fixture
def empty_store(request, tmp_path, monkeypatch, backend) -> Store:
    """A new database holding the demo tree and no submissions."""
    store = Store(new_location(request, tmp_path, monkeypatch, "empty", "empty"))
    if not store.has_tree():
        store.load_tree(read_tree())
    yield store
    store.close()


@pytest.fixture(scope="session")
def demo_db_file(tmp_path_factory) -> Path:
    """The demo database, built once per test run; copy it before writing to it."""
    path = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    with Store(path) as store:
        load_demo(store)
        store.checkpoint()
    return path


@pytest.fixture
def demo_store(request, tmp_path, monkeypatch, backend) -> Store:
    """A private copy of the demo database, free to write to."""
    if backend == "postgres":
        store = Store(new_location(request, tmp_path, monkeypatch, "demo", "demo"))
    else:
        path = tmp_path / "demo.duckdb"
        shutil.copy(request.getfixturevalue("demo_db_file"), path)
        store = Store(path)
    yield store
    store.close()


def small_tree() -> Tree:
    """A hand-written tree: a party group, one committee with two branches, one general branch."""
    rows = [
        ("G", "测试党组", "Test Group", "party_group", None),
        ("C1", "第一党委", "Committee 1", "committee", "G"),
        ("C1B1", "一支部", "Branch 1", "branch", "C1"),
        ("C1B2", "二支部", "Branch 2", "branch", "C1"),
        ("C2", "第二党总支", "General Branch 2", "general_branch", "G"),
        ("C2B1", "三支部", "Branch 3", "branch", "C2"),
    ]
    return Tree([Unit(c, zh, en, lvl, p, None, None, i) for i, (c, zh, en, lvl, p) in enumerate(rows, 1)])


@pytest.fixture
def small_store(request, tmp_path, monkeypatch, backend) -> Store:
    """A new database holding the small hand-written tree."""
    store = Store(new_location(request, tmp_path, monkeypatch, "small", "empty"))
    store.load_tree(small_tree())
    yield store
    store.close()


@pytest.fixture(scope="module")
def history(tmp_path_factory):
    """A database where SW01's 2024Q4 return is loaded; the returns under test are SW01's 2025Q1."""
    from tests.support.returns import history_db

    return history_db(tmp_path_factory.mktemp("history"))


@pytest.fixture(scope="module")
def good(history):
    """A valid filled SW01 2025Q1 return for that database."""
    from tests.support.returns import good_return

    return good_return(history)
