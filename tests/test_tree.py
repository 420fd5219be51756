"""The organisation tree: the demo bureau, who files which return, and a broken tree refused."""

from __future__ import annotations

import shutil

import pytest

from dashboard.domain.tree import BRANCH_LEVELS, COMMITTEE_LEVELS, ORG_TREE, TreeError, read_tree
from dashboard.settings import DATA_DIR


def test_demo_tree_is_a_realistic_bureau():
    tree = read_tree()
    levels = [u.level for u in tree.units]
    assert tree.root.level == "party_group" and tree.root.name_zh == "市水务局党组"
    committees = [u for u in tree.kids(tree.root.code) if u.level in COMMITTEE_LEVELS]
    branches = [u for u in tree.units if u.level == "branch"]
    assert 10 <= len(committees) <= 14
    assert 60 <= len(branches) <= 90
    assert levels.count("temp_branch") == 2
    temp = [u for u in tree.units if u.level == "temp_branch"]
    assert all(u.active_in("2023Q3") and not u.active_in("2023Q4") for u in temp)
    names = {u.name_zh for u in committees}
    assert {"机关党委", "供水集团党委", "排水管理中心党委", "水库管理处党委", "离退休干部党委"} <= names


def test_every_unit_belongs_to_exactly_one_return():
    tree = read_tree()
    seen: dict[str, str] = {}
    for rep in tree.reporting_units:
        for u in tree.return_units(rep.code):
            assert u.code not in seen, f"{u.code} in returns of {seen.get(u.code)} and {rep.code}"
            seen[u.code] = rep.code
    assert set(seen) == set(tree.by_code)
    # a branch's figures come from branches, a committee's from committees
    assert all(u.level in BRANCH_LEVELS | COMMITTEE_LEVELS for u in tree.units)


def test_a_tree_with_a_dangling_parent_is_refused(tmp_path):
    bad = tmp_path / "tree.csv"
    shutil.copy(DATA_DIR / ORG_TREE, bad)
    with open(bad, "a", encoding="utf-8") as f:
        f.write("ZZ01,孤儿党支部,Orphan Branch,branch,ZZ,,,999\n")
    with pytest.raises(TreeError, match="parent ZZ not in tree"):
        read_tree(bad)


def test_the_units_a_selection_covers_are_counted_once_each():
    tree = read_tree()
    root, first = tree.root.code, tree.kids(tree.root.code)[0].code
    walked = {u.code for u in tree.subtree(first)}
    assert tree.units_covered([root]) == len(tree.units)
    assert tree.units_covered([first]) == len(walked) > 1
    assert tree.units_covered([first, root, "NO_SUCH_UNIT"]) == len(tree.units)  # nested: the root's subtree once
    second = tree.kids(tree.root.code)[1].code
    assert tree.units_covered([first, second]) == len(walked | {u.code for u in tree.subtree(second)})
