"""Shared fixtures: fresh databases, the demo database, a small hand-written tree."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from dashboard.db import Store
from dashboard.demo import load_demo
from dashboard.domain.tree import Tree, Unit, read_tree

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def empty_store(tmp_path) -> Store:
    """A new database file holding the demo tree and no submissions."""
    store = Store(tmp_path / "empty.duckdb")
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
def demo_store(demo_db_file, tmp_path) -> Store:
    """A private copy of the demo database, free to write to."""
    path = tmp_path / "demo.duckdb"
    shutil.copy(demo_db_file, path)
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
def small_store(tmp_path) -> Store:
    """A new database holding the small hand-written tree."""
    store = Store(tmp_path / "small.duckdb")
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
