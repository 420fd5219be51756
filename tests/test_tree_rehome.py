"""Tree edits that cannot lose data (issue 18, part 3): a `tree import` that puts a unit's rows
outside the active return holding them is refused, every such return named; with `--rehome` the
rows go to the new reporting unit's return in the tree's own transaction; a resubmission never
drops rows of units it does not cover; and after any accepted import `check` finds nothing.

Through the real command line (`dashboard.cli.main`, as `python -m dashboard` runs it), on a copy
of the demo database (2022Q1–2024Q4; SW01 机关党委 files SW0101–SW0110, SW02 供水集团党委 its own).
"""

from __future__ import annotations

import random
import shutil
from dataclasses import replace

import openpyxl
import pandas as pd
import pytest

from dashboard import health
from dashboard.cli import main
from dashboard.db import RowsWouldBeLost, Store
from dashboard.domain import periods
from dashboard.domain.tree import History
from dashboard.ingest import build_template, import_return, tree_file
from tests.conftest import new_location
from tests.support import returns
from tests.support.figures import active_facts, iv

YEAR = {"from": "2024Q1", "to": "2024Q4"}
HEAD = "code,name_zh,name_en,level,parent_code,reporting,valid_from,valid_to,sort_order,merged_into"


@pytest.fixture
def demo_db(request, tmp_path, monkeypatch, backend):
    """Where a private copy of the demo database is (a file, or a PostgreSQL URL), not held open:
    the command line opens it itself."""
    if backend == "postgres":
        return str(new_location(request, tmp_path, monkeypatch, "demo", "demo"))
    path = tmp_path / "demo.duckdb"
    shutil.copy(request.getfixturevalue("demo_db_file"), path)
    return str(path)


def moved_sheet(db: str, path, code: str, parent: str):
    """The tree exported as an administrator gets it, with `code`'s row moved under `parent`."""
    assert main(["tree", "export", "--db", db, "--out", str(path)]) == 0
    wb = openpyxl.load_workbook(path)
    row = next(r for r in wb["组织架构"].iter_rows(min_row=2) if r[0].value == code)
    row[4].value = parent
    wb.save(path)
    return path


def year(db: str, units, indicators=("members_total", "theme_party_days"), span=YEAR) -> dict:
    with Store(db) as s:
        df = iv(s, units=list(units), indicators=list(indicators), granularity="year", **span)
    return {(r.unit_code, r.indicator_code): r.value for r in df.itertuples()}


def healthy(db: str, capsys) -> bool:
    capsys.readouterr()
    code = main(["check", "--db", db])
    out = capsys.readouterr().out
    assert ("检查完毕：正常" in out) == (code == 0), out
    return code == 0


# --- the acceptance checks of the issue ------------------------------------------------------------

def test_moving_sw0103_under_sw02_is_refused_naming_sw01s_returns(demo_db, tmp_path, capsys, backend):
    book = moved_sheet(demo_db, tmp_path / "组织架构.xlsx", "SW0103", "SW02")
    with Store(demo_db) as s:
        before = {k: v for k, v in s.snapshot().items() if k != "audit"}
    capsys.readouterr()
    assert main(["tree", "import", str(book), "--db", demo_db, "--from", "2024Q3"]) == 1
    err = capsys.readouterr().err
    assert "SW01（机关党委）2024Q3 的报表含有 SW0103（规划计划处党支部）的数据" in err
    assert "SW01（机关党委）2024Q4 的报表含有 SW0103（规划计划处党支部）的数据" in err
    assert "the 2024Q3 return of SW01 (Bureau Offices Party Committee) holds rows of SW0103" in err
    assert "the 2024Q4 return of SW01" in err and "--rehome" in err
    assert err.count("的报表含有") == 2  # those two returns and no other
    with Store(demo_db) as s:
        assert {k: v for k, v in s.snapshot().items() if k != "audit"} == before  # nothing changed
        trail = s.table("audit")
        assert list(trail["action"])[-1] == "tree.import" and list(trail["outcome"])[-1] == "rejected"
        assert "returns=2" in list(trail["detail"])[-1]
        assert s.tree_at("2024Q3")["SW0103"].parent_code == "SW01"
    assert healthy(demo_db, capsys)


def test_with_rehome_sw0103s_figures_go_from_sw01_to_sw02_and_the_root_is_unchanged(demo_db, tmp_path, capsys,
                                                                                      backend):
    book = moved_sheet(demo_db, tmp_path / "组织架构.xlsx", "SW0103", "SW02")
    units = ("SW", "SW01", "SW02", "SW0103")
    before = year(demo_db, units)
    # SW0103's figures from the quarter of the move: its theme days of 2024Q3-Q4, its members at 2024Q4
    moved = year(demo_db, ["SW0103"], span={"from": "2024Q3", "to": "2024Q4"})
    assert moved["SW0103", "theme_party_days"] > 0 and moved["SW0103", "members_total"] > 0
    capsys.readouterr()
    assert main(["tree", "import", str(book), "--db", demo_db, "--from", "2024Q3", "--rehome"]) == 0
    out = capsys.readouterr().out
    assert "SW0103 2024Q3" in out and "SW0103 2024Q4" in out and "SW01's return -> SW02's return" in out
    after = year(demo_db, units)
    for ind in ("members_total", "theme_party_days"):
        change = moved["SW0103", ind]
        assert after["SW01", ind] == before["SW01", ind] - change
        assert after["SW02", ind] == before["SW02", ind] + change
        assert after["SW", ind] == before["SW", ind]
        assert after["SW0103", ind] == before["SW0103", ind]  # its own figures are its own still
    assert healthy(demo_db, capsys)
    with Store(demo_db) as s:
        assert s.tree_at("2024Q2")["SW0103"].parent_code == "SW01"
        assert s.tree_at("2024Q3")["SW0103"].parent_code == "SW02"
        subs = s.table("submissions").set_index("id")
        facts = s.table("facts")
        held = facts[facts["unit_code"] == "SW0103"].merge(subs, left_on="submission_id", right_index=True)
        active = held[held["status"] == "active"]
        assert sorted(set(zip(active["unit_code_y"], active["quarter_x"]))) == [
            *[("SW01", q) for q in periods.quarter_range("2022Q1", "2024Q2")], ("SW02", "2024Q3"), ("SW02", "2024Q4")]
        trail = s.table("audit")
        rehomed = trail[trail["action"] == "tree.rehome"]
        assert sorted(rehomed["target"]) == ["SW01 2024Q3 → SW02 2024Q3", "SW01 2024Q4 → SW02 2024Q4"]
        assert all("unit=SW0103" in d for d in rehomed["detail"])
        assert "rehomed=" in list(trail["detail"])[-1]


def test_a_resubmission_of_sw01_after_the_move_loses_nothing(demo_db, tmp_path, capsys, backend):
    book = moved_sheet(demo_db, tmp_path / "组织架构.xlsx", "SW0103", "SW02")
    assert main(["tree", "import", str(book), "--db", demo_db, "--from", "2024Q3", "--rehome"]) == 0
    with Store(demo_db) as s:
        sw0103 = active_facts(s).query("unit_code == 'SW0103' and quarter == '2024Q4'")
        filled, _ = returns.fill(build_template(s, "SW01", "2024Q4"))
        outcome = import_return(s, filled, "SW01_2024Q4.xlsx", user="t")
        assert outcome.status == "loaded", [p.message_en for p in outcome.errors]
        again = active_facts(s).query("unit_code == 'SW0103' and quarter == '2024Q4'")
        key = ["indicator_code", "value"]
        assert again.sort_values(key)[key].values.tolist() == sw0103.sort_values(key)[key].values.tolist()
    assert healthy(demo_db, capsys)


def test_a_return_left_holding_a_moved_unit_is_not_superseded_until_it_is_carried_home(demo_db, tmp_path, capsys,
                                                                                        backend):
    """A database moved by the import of before (no refusal): SW01's resubmission is refused, not
    loaded without SW0103's rows; `tree import --rehome` of the unchanged tree carries them home."""
    with Store(demo_db) as s:
        old = s.history()
        sw0103 = old.by_code["SW0103"][0]
        versions = [v for v in old.versions if v.code != "SW0103"]
        versions += [replace(sw0103, active_to="2024Q2"), replace(sw0103, parent_code="SW02", active_from="2024Q3")]
        s.load_tree(History(versions))  # what the import of before did
        assert [f.kind for f in health.check(s).findings] == ["facts_outside_return"] * 2
        lost_before = active_facts(s).query("unit_code == 'SW0103' and quarter == '2024Q4'")
        filled, _ = returns.fill(build_template(s, "SW01", "2024Q4"))
        outcome = import_return(s, filled, "SW01_2024Q4.xlsx", user="t")
        assert outcome.status == "rejected"
        assert any("SW0103" in p.message_en and "--rehome" in p.message_en for p in outcome.errors)
        assert len(active_facts(s).query("unit_code == 'SW0103' and quarter == '2024Q4'")) == len(lost_before)
        with pytest.raises(RowsWouldBeLost):
            s.submit("SW01", "2024Q4", [("SW01", "theme_party_days", 1.0)], user="t")
        assert list(s.table("audit")["outcome"])[-1] == "rejected"
        assert not list(s.archive_dir.glob("*.xlsx"))  # the refused file was not kept
    assert not healthy(demo_db, capsys)
    # the way out: the same tree, with --rehome
    exported = str(tmp_path / "tree.xlsx")
    assert main(["tree", "export", "--db", demo_db, "--out", exported]) == 0
    capsys.readouterr()
    assert main(["tree", "import", exported, "--db", demo_db, "--rehome"]) == 0
    assert "SW0103 2024Q4" in capsys.readouterr().out
    assert healthy(demo_db, capsys)


def test_a_return_filed_before_the_move_cannot_be_restored_over_it(demo_db, tmp_path, capsys, backend):
    with Store(demo_db) as s:
        facts = active_facts(s).query("quarter == '2024Q4'")
        units = {u.code for u in s.tree_at("2024Q4").return_units("SW01")}
        mine = facts[facts["unit_code"].isin(units)]
        first = s.submit("SW01", "2024Q4", mine, user="t")  # SW01 files again: the demo's return is history
        assert first.superseded_id is not None
    book = moved_sheet(demo_db, tmp_path / "组织架构.xlsx", "SW0103", "SW02")
    assert main(["tree", "import", str(book), "--db", demo_db, "--from", "2024Q3", "--rehome"]) == 0
    assert healthy(demo_db, capsys)  # the superseded return still holds SW0103: it is the record of its day
    assert main(["restore", "--db", demo_db, str(first.superseded_id)]) == 1
    assert "SW0103" in capsys.readouterr().err
    assert healthy(demo_db, capsys)
    with Store(demo_db) as s:
        trail = s.table("audit")
        assert list(trail["action"])[-1] == "return.restore" and list(trail["outcome"])[-1] == "rejected"


# --- merges and retirements -------------------------------------------------------------------------

def csv_of(history, edit) -> bytes:
    """The history as a tree CSV, every version dated, after `edit(rows)` (code -> list of rows)."""
    rows: dict[str, list[list[str]]] = {}
    for v in history.versions:
        rows.setdefault(v.code, []).append(
            [v.code, v.name_zh, v.name_en, v.level, v.parent_code or "", "" if v.reporting is None else
             ("是" if v.reporting else "否"), v.active_from or "", v.active_to or "", str(v.sort_order),
             v.merged_into or ""])
    edit(rows)
    return (HEAD + "\n" + "\n".join(",".join(r) for rs in rows.values() for r in rs) + "\n").encode()


def test_a_merge_carries_the_rows_to_the_successor_and_a_retirement_without_one_is_refused(demo_db, tmp_path,
                                                                                            capsys, backend):
    with Store(demo_db) as s:
        history = s.history()

    def merged(rows):  # SW0103 ends in 2024Q2 and merges into a new branch SW0199 under SW01
        rows["SW0103"][-1][7], rows["SW0103"][-1][9] = "2024Q2", "SW0199"
        rows["SW0199"] = [["SW0199", "规划联合党支部", "Joint Planning Branch", "branch", "SW01", "", "2024Q3", "", "99",
                           ""]]

    def retired(rows):
        rows["SW0103"][-1][7] = "2024Q2"

    path = tmp_path / "tree.csv"
    path.write_bytes(csv_of(history, retired))
    capsys.readouterr()
    assert main(["tree", "import", str(path), "--db", demo_db, "--rehome"]) == 1
    err = capsys.readouterr().err
    assert "SW0103" in err and "2024Q4" in err and "并入单位代码" in err
    path.write_bytes(csv_of(history, merged))
    assert main(["tree", "import", str(path), "--db", demo_db]) == 1  # without --rehome: refused
    capsys.readouterr()
    before = year(demo_db, ["SW", "SW01", "SW0103"])
    assert main(["tree", "import", str(path), "--db", demo_db, "--rehome"]) == 0
    assert "(as SW0199)" in capsys.readouterr().out
    after = year(demo_db, ["SW", "SW01", "SW0103", "SW0199"])
    for ind in ("theme_party_days", "members_total"):
        assert after["SW", ind] == before["SW", ind] and after["SW01", ind] == before["SW01", ind]
    assert after["SW0199", "members_total"] == before["SW0103", "members_total"]  # the stock went over whole
    assert healthy(demo_db, capsys)


# --- random moves, merges and retirements: refused with the returns named, or applied and healthy -----

RANK = tree_file.LEVEL_RANK
EFFECTIVE = ["2024Q1", "2024Q3", "2024Q4", "2025Q1"]


def _case(rng: random.Random, history, n: int):
    """One random edit of the latest tree: (kind, unit, effective quarter, edit of the CSV rows)."""
    tree = history.latest()
    units = [u for u in tree.units if u.parent_code and u.active_to is None]
    kind = rng.choice(["move", "move", "merge_new", "merge_existing", "retire"])
    eff = rng.choice(EFFECTIVE)
    last = periods.shift(eff, -1)
    if kind == "move":
        def parents_of(u):
            below = {x.code for x in tree.subtree(u.code)}
            return [p for p in tree.units if p.active_to is None and p.code not in below
                    and RANK[p.level] < RANK[u.level] and p.code != u.parent_code]

        u = rng.choice([u for u in units if parents_of(u)])
        p = rng.choice(parents_of(u))

        def edit(rows):
            v = rows[u.code][-1]
            if (v[6] or "0000Q1") >= eff:
                v[4] = p.code
            else:
                v[7] = last
                rows[u.code].append([*v[:4], p.code, v[5], eff, "", v[8], ""])
        return kind, u.code, eff, edit
    branches = [u for u in units if u.level in ("branch", "temp_branch") and (u.active_from or "0000Q1") < eff]
    u = rng.choice(branches)
    if kind == "merge_new":
        parent = rng.choice([p for p in tree.units if RANK[p.level] < RANK["branch"] and p.active_to is None])
        new = f"NEW{n}"

        def edit(rows):
            rows[u.code][-1][7], rows[u.code][-1][9] = last, new
            rows[new] = [[new, f"新支部{n}", f"New Branch {n}", "branch", parent.code, "", eff, "", "999", ""]]
    elif kind == "merge_existing":
        other = rng.choice([b for b in branches if b.code != u.code])

        def edit(rows):
            rows[u.code][-1][7], rows[u.code][-1][9] = last, other.code
    else:
        def edit(rows):
            rows[u.code][-1][7] = last
    return kind, u.code, eff, edit


def _totals(db: str) -> dict:
    """The root's year totals of every stored (not derived) indicator; people and teams in a period
    per quarter (a year's is each unit's own peak, summed: rows carried to a successor make one
    unit of two, so its year peak may change, as it should; every quarter's sum may not)."""
    with Store(db) as s:
        stored = [i.code for i in s.catalog.indicators if not i.formula_op and not i.people_in_period]
        people = [i.code for i in s.catalog.indicators if i.people_in_period]
        root = s.tree().root.code
        df = iv(s, units=[root], indicators=stored, granularity="year", **{"from": "2022Q1", "to": "2025Q4"})
        q = iv(s, units=[root], indicators=people, granularity="quarter", **{"from": "2022Q1", "to": "2025Q4"})
    return {(r.period, r.indicator_code): r.value for r in pd.concat([df, q]).itertuples()}


@pytest.mark.parametrize("seed", range(30))
def test_a_random_tree_edit_is_refused_with_its_returns_named_or_applied_and_healthy(demo_db_file, tmp_path,
                                                                                      capsys, seed):
    db = str(tmp_path / "d.duckdb")
    shutil.copy(demo_db_file, db)
    with Store(db) as s:
        history = s.history()
        held = [tree_file.Held(*r) for r in s.active_fact_units()]
    rng = random.Random(seed)
    kind, unit, eff, edit = _case(rng, history, seed)
    path = tmp_path / "tree.csv"
    path.write_bytes(csv_of(history, edit))
    before_totals = _totals(db)
    capsys.readouterr()
    code = main(["tree", "import", str(path), "--db", db, "--from", eff])
    plain = capsys.readouterr()
    # the oracle: the returns holding rows of the unit (or its subtree) in a quarter where the new
    # tree has them reported by another unit, or not at all
    new = tree_file.read(path.read_bytes(), "tree.csv")
    planned = tree_file.plan(new, history, {}, eff, returns_apart=True)
    assert planned is not None, new.problems
    due = set()
    for h in held:
        t = planned.at(h.quarter)
        if (h.unit not in t or h.reporter not in t or not t.is_reporting(h.reporter)
                or t.reporting_unit_of(h.unit).code != h.reporter):
            due.add((h.reporter, h.quarter))
    if not due:
        assert code == 0, (kind, unit, eff, plain.out, plain.err)
    else:
        assert code == 1, (kind, unit, eff, plain.out)
        lines = plain.err.splitlines()
        for reporter, quarter in due:  # every return concerned, on a line of its own
            assert any(reporter in line and quarter in line for line in lines), (reporter, quarter, plain.err)
        code = main(["tree", "import", str(path), "--db", db, "--from", eff, "--rehome"])
        rehomed = capsys.readouterr()
        if code == 1:  # only where the rows can go nowhere: two figures meeting, or no successor
            assert "无法" in rehomed.err or "无处可移" in rehomed.err, rehomed.err
            for reporter, quarter in due:
                assert f"{reporter} {quarter}" in rehomed.err or "无处可移" in rehomed.err
            return
        assert code == 0, rehomed.err
    assert healthy(db, capsys), (kind, unit, eff)
    assert _totals(db) == pytest.approx(before_totals, rel=1e-12), (kind, unit, eff)  # exact but for the order of additions
