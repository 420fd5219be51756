"""The organisation kept by the administrator: a tree file read whole, every problem with its
cell, the change shown and loaded at once; and the figures of each quarter following the tree of
that quarter (a move, a rename, a merge, a temporary branch), against sums worked out by hand.

Tree (a file, like an administrator's):  G 党组 -> C1 党委 (C1B1, C1B2)
                                                -> C2 党总支 (C2B1)
Returns: C1 files [C1, C1B1, C1B2]; C2 files [C2, C2B1] (units directly under the party group).
"""

from __future__ import annotations

import io

import openpyxl
import pytest

from dashboard.cli import main
from dashboard.db import Store
from dashboard.domain import analysis
from dashboard.ingest import build_template, tree_file
from dashboard.ingest.layout import layout
from tests.support.figures import iv

HEAD = "code,name_zh,name_en,level,parent_code,reporting,valid_from,valid_to,sort_order,merged_into\n"
BASE = [
    "G,测试党组,Test Group,party_group,,,,,1,",
    "C1,第一党委,Committee 1,committee,G,,,,2,",
    "C1B1,一支部,Branch 1,branch,C1,,,,3,",
    "C1B2,二支部,Branch 2,branch,C1,,,,4,",
    "C2,第二党总支,General Branch 2,general_branch,G,,,,5,",
    "C2B1,三支部,Branch 3,branch,C2,,,,6,",
]
QUARTERS = ["2023Q1", "2023Q2", "2023Q3", "2023Q4"]


def csv_bytes(rows: list[str]) -> bytes:
    return (HEAD + "\n".join(rows) + "\n").encode()


def load(store: Store, rows: list[str], effective: str = "2023Q3") -> tree_file.Reading:
    """Read and plan a file against the store; load it if it has no problem."""
    reading = tree_file.read(csv_bytes(rows), "tree.csv")
    old = store.history() if store.has_tree() else None
    new = tree_file.plan(reading, old, store.unit_last_figures(), effective)
    if new is not None:
        store.load_tree(new)
    return reading


@pytest.fixture
def store(tmp_path):
    s = Store(tmp_path / "tree.duckdb")
    assert not load(s, BASE).problems
    yield s
    s.close()


def theme_days(store, units, quarters=QUARTERS) -> dict[tuple[str, str], float]:
    df = iv(store, units=units, indicators=["theme_party_days"], **{"from": quarters[0], "to": quarters[-1]})
    return {(r.unit_code, r.period): r.value for r in df.itertuples()}


def submit(store, reporter, quarter, figures: dict[str, float], members: dict[str, float] | None = None):
    """One return: 主题党日 per unit (and 党员总数, if given)."""
    facts = [(u, "theme_party_days", v) for u, v in figures.items()]
    facts += [(u, "members_total", v) for u, v in (members or {}).items()]
    store.submit(reporter, quarter, facts, user="t")


def test_a_branch_moved_counts_in_its_old_committee_before_and_its_new_one_after(store):
    # C1B2 moves from C1 to C2 in 2023Q3 (the row edited in place, --from 2023Q3)
    moved = [r if not r.startswith("C1B2,") else "C1B2,二支部,Branch 2,branch,C2,,,,4," for r in BASE]
    reading = tree_file.read(csv_bytes(moved), "tree.csv")
    new = tree_file.plan(reading, store.history(), {}, "2023Q3")
    assert [(c.kind, c.code) for c in tree_file.diff(store.history(), new)] == [("moved", "C1B2")]
    store.load_tree(new)
    assert store.tree_at("2023Q2")["C1B2"].parent_code == "C1"
    assert store.tree_at("2023Q3")["C1B2"].parent_code == "C2"
    for q, c1b2_in in zip(QUARTERS, ["C1", "C1", "C2", "C2"]):
        c1 = {"C1": 1, "C1B1": 2}
        c2 = {"C2": 10, "C2B1": 20}
        (c1 if c1b2_in == "C1" else c2)["C1B2"] = 100
        submit(store, "C1", q, c1)
        submit(store, "C2", q, c2)
    v = theme_days(store, ["G", "C1", "C2", "C1B2"])
    # by hand: C1 = 1 + 2 (+100 while C1B2 is there); C2 = 10 + 20 (+100 from 2023Q3)
    assert [v["C1", q] for q in QUARTERS] == [103, 103, 3, 3]
    assert [v["C2", q] for q in QUARTERS] == [30, 30, 130, 130]
    assert [v["G", q] for q in QUARTERS] == [133] * 4
    assert [v["C1B2", q] for q in QUARTERS] == [100] * 4
    # the return templates follow: C1B2 is on C1's return up to 2023Q2, on C2's from 2023Q3
    assert "C1B2" in [u.code for u in layout(store.catalog, store.tree_at("2023Q2"), "C1", "2023Q2").units]
    assert "C1B2" not in [u.code for u in layout(store.catalog, store.tree_at("2023Q3"), "C1", "2023Q3").units]
    wb = openpyxl.load_workbook(io.BytesIO(build_template(store, "C2", "2023Q3")))
    assert "C1B2" in {c.value for ws in wb.worksheets for row in ws.iter_rows(max_col=1) for c in row}


def test_a_renamed_unit_has_its_name_of_each_quarter(store):
    renamed = [r if not r.startswith("C1,") else "C1,机关第一党委,Bureau Committee 1,committee,G,,,,2," for r in BASE]
    reading = tree_file.read(csv_bytes(renamed), "tree.csv")
    new = tree_file.plan(reading, store.history(), {}, "2023Q3")
    changes = tree_file.diff(store.history(), new)
    assert [(c.kind, c.code, c.before) for c in changes] == [("renamed", "C1", "第一党委")]
    store.load_tree(new)
    assert store.tree_at("2023Q2")["C1"].name_zh == "第一党委"
    assert store.tree_at("2023Q3")["C1"].name_zh == "机关第一党委"
    assert store.tree()["C1"].name_zh == "机关第一党委"  # navigation shows the current name
    for q in QUARTERS:
        submit(store, "C1", q, {"C1": 1, "C1B1": 2, "C1B2": 3})
    assert [theme_days(store, ["C1"])["C1", q] for q in QUARTERS] == [6] * 4  # a name changes no figure


def test_two_branches_merged_into_a_new_one(store):
    # C1B1 and C1B2 end in 2023Q2 and merge into C1B3, formed in 2023Q3
    merged = [*BASE[:2], "C1B1,一支部,Branch 1,branch,C1,,,2023Q2,3,C1B3",
              "C1B2,二支部,Branch 2,branch,C1,,,2023Q2,4,C1B3", "C1B3,联合支部,Joint Branch,branch,C1,,2023Q3,,4,",
              *BASE[4:]]
    reading = load(store, merged)
    assert not reading.problems
    for q in QUARTERS[:2]:
        submit(store, "C1", q, {"C1": 1, "C1B1": 10, "C1B2": 20}, {"C1B1": 15, "C1B2": 16})
    for q in QUARTERS[2:]:
        submit(store, "C1", q, {"C1": 1, "C1B3": 40}, {"C1B3": 33})
    v = theme_days(store, ["C1", "G"])
    assert [v["C1", q] for q in QUARTERS] == [31, 31, 41, 41]
    assert [v["G", q] for q in QUARTERS] == [31, 31, 41, 41]
    members = iv(store, units=["C1"], indicators=["members_total"], granularity="year",
                 **{"from": "2023Q1", "to": "2023Q4"})
    assert members.set_index("period").loc["2023", "value"] == 33  # a stock: the last quarter, the new branch
    assert [u.code for u in layout(store.catalog, store.tree_at("2023Q3"), "C1", "2023Q3").units] == ["C1", "C1B3"]
    assert [u.code for u in layout(store.catalog, store.tree_at("2023Q2"), "C1", "2023Q2").units] == [
        "C1", "C1B1", "C1B2"]


def test_the_merge_shows_as_two_retired_and_one_added(store):
    merged = [*BASE[:2], "C1B1,一支部,Branch 1,branch,C1,,,2023Q2,3,C1B3",
              "C1B2,二支部,Branch 2,branch,C1,,,2023Q2,4,C1B3", "C1B3,联合支部,Joint Branch,branch,C1,,2023Q3,,4,",
              *BASE[4:]]
    reading = tree_file.read(csv_bytes(merged), "tree.csv")
    new = tree_file.plan(reading, store.history(), {}, "2023Q3")
    assert sorted((c.kind, c.code, c.after) for c in tree_file.diff(store.history(), new)) == [
        ("added", "C1B3", "联合支部 2023Q3–…"), ("retired", "C1B1", "2023Q2 → C1B3"),
        ("retired", "C1B2", "2023Q2 → C1B3")]


def test_a_temporary_branch_lives_only_in_its_quarters(store):
    temp = [*BASE, "C2T1,防汛临时党支部,Flood Temporary Branch,temp_branch,C2,,2023Q3,2023Q3,7,"]
    assert not load(store, temp).problems
    for q in QUARTERS:
        submit(store, "C2", q, {"C2": 1, "C2B1": 2, **({"C2T1": 5} if q == "2023Q3" else {})})
    v = theme_days(store, ["C2", "G"])
    assert [v["C2", q] for q in QUARTERS] == [3, 3, 8, 3]
    assert [u.code for u in layout(store.catalog, store.tree_at("2023Q4"), "C2", "2023Q4").units] == ["C2", "C2B1"]
    assert "C2T1" in [u.code for u in layout(store.catalog, store.tree_at("2023Q3"), "C2", "2023Q3").units]


def test_a_unit_filing_its_own_return_is_expected_only_in_its_quarters(store):
    temp = [*BASE, "T1,抢险临时党支部,Emergency Temporary Branch,temp_branch,C2,是,2023Q3,2023Q3,7,"]
    assert not load(store, temp).problems
    due = analysis.expected_returns(store.history(), ["G"], QUARTERS, whole=True)
    pairs = sorted(zip(due["units"], due["quarters"]))
    assert ("T1", "2023Q3") in pairs
    assert [q for u, q in pairs if u == "T1"] == ["2023Q3"]
    assert [q for u, q in pairs if u == "C1"] == QUARTERS


def test_every_problem_of_a_file_is_told_at_once_with_its_cell(store):
    rows = [
        *BASE,
        "C1B1,一支部（重复）,Dup,branch,C1,,,,9,",       # row 8: the same code twice, no quarters
        "X1,无上级,Orphan,branch,NOPE,,,,10,",           # row 9: unknown parent
        "X2,倒挂,Upside down,committee,C1B1,,,,11,",     # row 10: a committee under a branch
        "X3,坏季度,Bad quarter,branch,C1,,2023Q9,,12,",  # row 11
        "X4,是否,Yes or no,branch,C1,也许,,,13,",        # row 12: 也许 is not 是/否
        "=X5,公式,Formula,branch,C1,,,,14,",             # row 13: a code that would be a formula
        "X6,子单位,Child of a bad row,branch,X3,,,,15,",  # row 14: its parent's row is told already
    ]
    reading = tree_file.read(csv_bytes(rows), "tree.csv")
    assert tree_file.plan(reading, store.history(), {}, "2023Q3") is None
    told = {cell: msg for cell, msg in reading.problems}
    assert "C1B1" in told["G8"]  # two rows of C1B1, one without quarters
    assert "NOPE" in told["E9"] and "— " not in told["E9"]  # 上级单位 NOPE 不在组织架构中 (no quarter: no 「在 —」)
    assert "C1B1" in told["D10"] and "党支部" in told["D10"]
    assert "2023Q9" in told["G11"]
    assert "也许" in told["F12"]
    assert "=X5" in told["A13"]
    assert sorted(told) == ["A13", "D10", "E9", "F12", "G11", "G4", "G8"]  # X6 is not blamed for X3


def test_a_cycle_and_a_reused_code_are_refused(tmp_path):
    with Store(tmp_path / "t.duckdb") as s:
        cycle = [*BASE, "A,甲,A,general_branch,B,,,,7,", "B,乙,B,general_branch,A,,,,8,"]
        reading = load(s, cycle)
        assert any(cell in ("E8", "E9") and "循环" in msg for cell, msg in reading.problems)
        reused = [*BASE, "R,旧支部,Old,branch,C1,,,2022Q4,7,", "R,新支部,New,branch,C1,,2023Q3,,8,"]
        reading = load(s, reused)
        assert any(cell == "G9" and "不再复用" in msg for cell, msg in reading.problems)
        assert not s.has_tree()  # nothing was loaded


def test_a_unit_cannot_end_while_returns_still_hold_it_nor_vanish(store):
    for q in QUARTERS:
        submit(store, "C1", q, {"C1": 1, "C1B1": 2, "C1B2": 3})
    ended = [r if not r.startswith("C1B2,") else "C1B2,二支部,Branch 2,branch,C1,,,2023Q2,4," for r in BASE]
    before = store.snapshot()
    reading = load(store, ended)
    assert [(cell, "2023Q4" in msg) for cell, msg in reading.problems] == [("H5", True)]
    left_out = [r for r in BASE if not r.startswith("C1B2,")]
    reading = load(store, left_out)
    assert len(reading.problems) == 1 and "C1B2" in reading.problems[0][1]
    assert store.snapshot() == before  # nothing changed


def test_tree_import_by_command_line_shows_the_change_and_dry_run_changes_nothing(tmp_path, capsys):
    db = tmp_path / "cli.duckdb"
    first = tmp_path / "first.csv"
    first.write_bytes(csv_bytes(BASE))
    assert main(["tree", "import", str(first), "--db", str(db)]) == 0
    assert "新增 6" in capsys.readouterr().out
    # export, edit the workbook as an administrator would (rename C2, in 2024Q1), import it back
    book = tmp_path / "组织架构.xlsx"
    assert main(["tree", "export", "--db", str(db), "--out", str(book)]) == 0
    wb = openpyxl.load_workbook(book)
    ws = wb["组织架构"]
    assert [c.value for c in ws[1]][:3] == ["单位代码", "单位名称", "英文名称"]
    row = next(r for r in ws.iter_rows(min_row=2) if r[0].value == "C2")
    row[1].value = "第二党委"
    row[3].value = "党委"
    wb.save(book)
    capsys.readouterr()
    with Store(db) as s:
        before = s.snapshot()
    assert main(["tree", "import", str(book), "--db", str(db), "--from", "2024Q1", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "更名 1" in out and "第二党总支 → 第二党委" in out and "试运行" in out
    with Store(db) as s:
        assert s.snapshot() == before
    assert main(["tree", "import", str(book), "--db", str(db), "--from", "2024Q1"]) == 0
    with Store(db) as s:
        assert s.tree_at("2023Q4")["C2"].name_zh == "第二党总支"
        assert s.tree_at("2024Q1")["C2"].name_zh == "第二党委"
        assert s.tree_at("2024Q1")["C2"].level == "committee"
        trail = s.table("audit")
        assert list(trail["action"]) == ["tree.import", "tree.import"]
        assert set(trail["via"]) == {"cli"}


def test_a_rejected_file_exits_1_and_lists_its_cells(tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_bytes(csv_bytes([*BASE, "X1,无上级,Orphan,branch,NOPE,,,,7,", "X2,坏季度,Q,branch,C1,,20x,,8,"]))
    db = tmp_path / "cli.duckdb"
    assert main(["tree", "import", str(bad), "--db", str(db)]) == 1
    err = capsys.readouterr().err
    assert "E8" in err and "NOPE" in err and "G9" in err and "未作任何更改" in err
    assert "上级单位 NOPE 不在组织架构中" in err and "在 —" not in err  # a first tree has no quarter to name


def test_the_template_has_the_columns_and_lists_to_choose_from(tmp_path):
    out = tmp_path / "t.xlsx"
    assert main(["tree", "template", "--db", str(tmp_path / "t.duckdb"), "--out", str(out)]) == 0
    wb = openpyxl.load_workbook(out)
    ws = wb["组织架构"]
    assert [c.value for c in ws[1]] == [zh for _, zh in tree_file.COLUMNS]
    lists = {str(dv.sqref): dv.formula1 for dv in ws.data_validations.dataValidation if dv.type == "list"}
    assert any("党支部" in f for f in lists.values()) and any(f == '"是,否"' for f in lists.values())
    assert "填写说明" in wb.sheetnames


def test_a_300_unit_tree_loads_from_excel(tmp_path, capsys):
    rows = ["G,测试党组,Test Group,party_group,,,,,1,"]
    n = 1
    for c in range(1, 16):
        rows.append(f"C{c:02d},第{c}党委,Committee {c},committee,G,,,,{n + 1},")
        n += 1
        for b in range(1, 20):
            rows.append(f"C{c:02d}B{b:02d},第{c}党委第{b}支部,Branch {c}-{b},branch,C{c:02d},,,,{n + 1},")
            n += 1
    rows = rows[:300]
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "组织架构"
    for line in (HEAD.strip(), *rows):
        ws.append(line.split(","))
    path = tmp_path / "org.xlsx"
    wb.save(path)
    db = tmp_path / "big.duckdb"
    assert main(["tree", "import", str(path), "--db", str(db)]) == 0
    with Store(db) as s:
        assert len(s.tree().units) == 300
        assert len(s.tree().reporting_units) == 16


def test_a_ranking_names_units_as_they_were_and_says_the_current_name(store):
    from dashboard.output import charts

    renamed = [r if not r.startswith("C1,") else "C1,机关第一党委,Bureau Committee 1,committee,G,,,,2," for r in BASE]
    assert not load(store, renamed, effective="2023Q3").problems
    for q in QUARTERS:
        submit(store, "C1", q, {"C1": 1, "C1B1": 2, "C1B2": 3})
        submit(store, "C2", q, {"C2": 1})
    units = analysis.scope_units(store.tree(), ["G"], ["2023Q2"], store.history())
    from dashboard.domain import figures

    rank = figures.ranking(figures.Source.of_store(store), units, ["2023Q2"], "2023Q2", "theme_party_days",
                           measure="raw").frame
    assert list(rank["unit_name"]) == ["第一党委", "第二党总支"]  # 6 before 1; the name of 2023Q2
    fig = charts.ranking_bar(rank, title="t", indicator="主题党日", unit="次", value_type="count")
    bar = fig.data[0]
    assert list(bar.y) == ["第一党委", "第二党总支"] and list(bar.x) == [6, 1]
    assert "现名：机关第一党委" in bar.customdata[0][3] and bar.customdata[1][3] == ""


def test_a_moved_branch_ranks_under_the_committee_it_was_in(store):
    moved = [r if not r.startswith("C1B2,") else "C1B2,二支部,Branch 2,branch,C2,,,,4," for r in BASE]
    assert not load(store, moved, effective="2023Q3").problems
    assert analysis.scope_units(store.tree(), ["C1"], ["2023Q2"], store.history()) == ["C1B1", "C1B2"]
    assert analysis.scope_units(store.tree(), ["C1"], ["2023Q3"], store.history()) == ["C1B1"]
    assert analysis.scope_units(store.tree(), ["C2"], ["2023Q4"], store.history()) == ["C1B2", "C2B1"]
