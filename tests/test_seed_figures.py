"""The seeds' figures (/work/shared/seeds: two real work summaries), entered as a year of returns
the way their reporters would, come out exactly in the year export and on the pages.

Tree:  SW 市水务局党组 (files its own return) -> JG 机关党委 (files for itself and JG01..JG10).

机关党委 knows only its totals (十个党支部213名党员, 组织204名党员开展测试, 培养入党积极分子22名,
接收预备党员4名, 党员转正5名, 召开机关党委会9次) and enters them on its own row; the branches
enter their star ratings only: nine of them four or five stars, one not rated (四星级以上党支部9个,
占总数的90%).  局党组 enters 四种形态 60 人次, 2 个临时党支部, 10 支党员突击队 and 15 支青年突击队
active in Q2 and Q3 (the flood season), 31 名退休老同志 in both quarters, and 捐款 typed as
"34.1万" (the summary says 34万余元).  A second, smaller test in Q4 (200 takers) must not add to
the 204: people tested, teams and retirees are people in a period, never a sum of quarters.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest

from dashboard.cli import main
from dashboard.db import Store
from dashboard.domain.filters import values_params
from dashboard.ingest import build_template, import_return, tree_file
from dashboard.output.export import export_frame
from tests.support.returns import load, save

HEAD = "code,name_zh,name_en,level,parent_code,reporting,valid_from,valid_to,sort_order,merged_into\n"
TREE = ["SW,市水务局党组,Water Bureau Party Group,party_group,,,,,1,",
        "JG,机关党委,Bureau Offices Committee,committee,SW,,,,2,",
        *(f"JG{i:02d},第{i}党支部,Branch {i},branch,JG,,,,{2 + i}," for i in range(1, 11))]
YEAR = ["2024Q1", "2024Q2", "2024Q3", "2024Q4"]
STARS = {f"JG{i:02d}": (5 if i <= 4 else 4) for i in range(1, 10)}  # JG10 is not rated

# (sheet, unit, indicator) -> value, per quarter, as typed into the template
JG = {
    "2024Q1": {("发展党员", "JG", "members_total"): 213, ("发展党员", "JG", "probationary"): 5,
               ("发展党员", "JG", "converted_full"): 3, ("发展党员", "JG", "activists"): 20,
               ("学习教育", "JG", "committee_meetings"): 2,
               **{("星级支部", b, "star_rating"): s for b, s in STARS.items()}},
    "2024Q2": {("发展党员", "JG", "members_total"): 213, ("发展党员", "JG", "probationary"): 7,
               ("发展党员", "JG", "admitted_probationary"): 2, ("发展党员", "JG", "activists"): 21,
               ("学习教育", "JG", "theory_test_takers"): 204, ("学习教育", "JG", "committee_meetings"): 2},
    "2024Q3": {("发展党员", "JG", "members_total"): 213, ("发展党员", "JG", "probationary"): 5,
               ("发展党员", "JG", "converted_full"): 2, ("发展党员", "JG", "activists"): 22,
               ("学习教育", "JG", "committee_meetings"): 3},
    "2024Q4": {("发展党员", "JG", "members_total"): 213, ("发展党员", "JG", "probationary"): 7,
               ("发展党员", "JG", "admitted_probationary"): 2, ("发展党员", "JG", "activists"): 22,
               ("学习教育", "JG", "theory_test_takers"): 200, ("学习教育", "JG", "committee_meetings"): 2},
}
FORMS = {"2024Q1": (10, 3, 1, 0), "2024Q2": (9, 3, 2, 1), "2024Q3": (11, 3, 1, 0), "2024Q4": (10, 3, 2, 1)}
SW = {q: {("纪律执纪", "SW", f"form{k + 1}_cases"): n for k, n in enumerate(FORMS[q])} for q in YEAR}
for q in ("2024Q2", "2024Q3"):
    SW[q].update({("防汛动员", "SW", "commando_teams"): 10, ("防汛动员", "SW", "youth_teams"): 15,
                  ("防汛动员", "SW", "retirees_joined"): 31})
SW["2024Q3"].update({("防汛动员", "SW", "temp_branches"): 2, ("防汛动员", "SW", "flood_donations"): "34.1万"})

EXPECTED = {  # the seeds' figures, for the year 2024, of the whole bureau (SW's subtree)
    "members_total": 213, "theory_test_takers": 204, "activists": 22, "admitted_probationary": 4,
    "converted_full": 5, "branches_4star": 9, "branches_in_tree": 10, "branches_4star_share": 90,
    "committee_meetings": 9, "four_forms_total": 60, "temp_branches": 2, "commando_teams": 10,
    "youth_teams": 15, "retirees_joined": 31, "flood_donations": 341000,
}


def typed(data: bytes, cells: dict) -> bytes:
    """Type each value in its cell, as a reporter does (text such as "34.1万" as text)."""
    wb = load(data)
    for (sheet, unit, code), value in cells.items():
        ws = wb[sheet]
        col = next(c.column for c in ws[2] if c.value == code)
        row = next(r[0].row for r in ws.iter_rows(min_row=3) if r[0].value == unit)
        ws.cell(row, col).value = value
    return save(wb)


@pytest.fixture(scope="module")
def seed_db(tmp_path_factory):
    path = tmp_path_factory.mktemp("seeds") / "seeds.duckdb"
    with Store(path) as store:
        reading = tree_file.read((HEAD + "\n".join(TREE) + "\n").encode(), "tree.csv")
        store.load_tree(tree_file.plan(reading, None, store.unit_last_figures(), "2024Q1"))
        warnings = {}
        for q in YEAR:
            for unit, cells in (("JG", JG[q]), ("SW", SW[q])):
                data = typed(build_template(store, unit, q), cells)
                outcome = import_return(store, data, f"{unit}_{q}.xlsx", user="报送人")
                assert outcome.status == "loaded", [p.line() for p in outcome.errors]
                warnings[(unit, q)] = [p.message_zh for p in outcome.warnings]
    return path, warnings


def test_34_1_wan_is_read_as_yuan_with_a_warning_that_says_so(seed_db):
    _, warnings = seed_db
    assert any("34.1万" in w and "341,000.00 元" in w for w in warnings[("SW", "2024Q3")])


def test_the_year_export_holds_the_seeds_figures_exactly(seed_db, tmp_path, capsys):
    path, _ = seed_db
    out = tmp_path / "year.csv"
    assert main(["export", "--db", str(path), "--granularity", "year", "--from", "2024Q1", "--to", "2024Q4",
                 "--out", str(out)]) == 0
    rows = list(csv.DictReader(io.StringIO(out.read_bytes().decode("utf-8-sig"))))
    rows = [r for r in rows if r["value"]]  # a unit with no figure has its row, its state saying why
    bureau = {r["indicator_code"]: float(r["value"]) for r in rows if r["unit_code"] == "SW" and r["period"] == "2024"}
    assert {k: bureau.get(k) for k in EXPECTED} == {k: float(v) for k, v in EXPECTED.items()}
    committee = {r["indicator_code"]: float(r["value"]) for r in rows if r["unit_code"] == "JG"}
    assert committee["members_total"] == 213 and committee["branches_4star_share"] == 90


@pytest.mark.parametrize("one_pass", ["400", "0"], ids=["one pass", "level by level"])
def test_a_committee_total_and_its_branches_never_count_twice(seed_db, tmp_path, monkeypatch, one_pass):
    """A branch that also enters its members: the committee's 213 stands for the subtree, in the
    roll-up refreshed for one return (in one statement, or level by level as a bulk load does) and
    in a rebuild alike, and the health check's recomputation agrees."""
    import shutil

    monkeypatch.setenv("DANGJIAN_ROLLUP_ONE_PASS_UNITS", one_pass)
    path = tmp_path / "twice.duckdb"
    shutil.copy(seed_db[0], path)
    with Store(path) as store:
        data = typed(build_template(store, "JG", "2024Q4"),
                     {**JG["2024Q4"], ("发展党员", "JG01", "members_total"): 25, ("发展党员", "JG02", "members_total"): 20})
        outcome = import_return(store, data, "JG_2024Q4_b.xlsx", user="报送人")
        assert outcome.status == "loaded"
        assert any("汇总只取本单位的合计" in p.message_zh for p in outcome.warnings)
        own = store.query("indicator_values", **values_params(["SW", "JG", "JG01"], "2024Q4", "2024Q4", "quarter",
                                                                ["members_total"]))
        assert dict(zip(own["unit_code"], own["value"])) == {"SW": 213, "JG": 213, "JG01": 25}
        assert store.rollup_differences(5)[0] == 0  # the refreshed roll-up is the recomputation
        store.rebuild_rollup()
        again = store.query("indicator_values", **values_params(["SW"], "2024Q4", "2024Q4", "quarter", ["members_total"]))
        assert again["value"].tolist() == [213]
        assert store.rollup_differences(5)[0] == 0


def test_a_total_smaller_than_its_parts_is_refused_at_its_cell_and_a_blank_stock_is_said(seed_db, tmp_path):
    """JG's 213 members beside branches entering 150 and 100 cannot be their total: an error at the
    total's cell, nothing loaded.  A branch that enters its own figures and leaves its members blank
    is told it will read 已报送·未填写."""
    import shutil

    path = tmp_path / "parts.duckdb"
    shutil.copy(seed_db[0], path)
    with Store(path) as store:
        before = store.snapshot()
        data = typed(build_template(store, "JG", "2024Q4"),
                     {**JG["2024Q4"], ("发展党员", "JG01", "members_total"): 150, ("发展党员", "JG02", "members_total"): 100})
        outcome = import_return(store, data, "JG_2024Q4_parts.xlsx", user="报送人")
        assert outcome.status != "loaded"
        (error,) = [p for p in outcome.errors if "合计不能小于各部分之和" in p.message_zh]
        assert error.sheet == "发展党员" and "250" in error.message_zh and "213" in error.message_zh
        assert {k: v for k, v in store.snapshot().items() if k != "audit"} == \
            {k: v for k, v in before.items() if k != "audit"}  # a refused return changes nothing
        cells = {k: v for k, v in JG["2024Q4"].items() if k[2] != "members_total"}
        data = typed(build_template(store, "JG", "2024Q4"), {**cells, ("发展党员", "JG01", "activists"): 2})
        outcome = import_return(store, data, "JG_2024Q4_blank.xlsx", user="报送人")
        assert outcome.status == "loaded"
        assert any("期末数「党员总数(含预备)」未填写" in p.message_zh and p.unit_code == "JG01"
                   for p in outcome.warnings), [p.message_zh for p in outcome.warnings]


def test_the_pages_show_the_seeds_figures(seed_db, monkeypatch):
    from tests.support.apptest import figures, forget, goto, open_app

    path, _ = seed_db
    monkeypatch.setenv("DANGJIAN_DB", str(path))
    try:
        at = open_app(unit=["SW"], period=["2024Q1", "2024Q4"], gran="year")
        goto(at, "members").run()
        at.selectbox(key="members_ind").set_value("members_total").run()
        trend = figures(at)["members_trend"]
        assert trend["data"][0]["y"] == [213]
        funnel_notes = [w.value for w in at.warning]
        assert any("「预备党员转正」5 人多于「接收预备党员」4 人" in w for w in funnel_notes)
        goto(at, "stars").run()
        assert figures(at)["stars_trend"]["data"][0]["y"] == [90]
        goto(at, "discipline").run()
        stacked = figures(at)["discipline_stacked"]
        totals = {}
        for trace in stacked["data"]:
            for unit, x in zip(trace["y"], trace["x"]):
                totals[unit] = totals.get(unit, 0) + x
        assert totals == {"市水务局党组（本级）": 60}  # the party group's own row, alone selected
        goto(at, "flood").run()
        assert at.selectbox(key="flood_season_quarter").value == "2024Q3"
        season = figures(at)["flood_season"]
        commando = next(t for t in season["data"] if t["meta"] == "commando_teams")
        assert dict(zip(commando["y"], commando["x"])) == {"市水务局党组（本级）": 10}
        assert figures(at)["flood_trend"]["data"][0]["y"] == [10]
    finally:
        forget()


# --- every quantitative statement of the five summaries, entered as written -----------------------

STATEMENTS = Path(__file__).resolve().parent / "data" / "seeds" / "statements.csv"
SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"
# The party-building statements the catalog held and that came out as written when this was last
# raised (issue 20: 35 of 104 figures before; 102 of the 106 party-building statements after).  A
# change that makes the catalog hold fewer fails here; one that holds more raises it.
HELD_AT_LEAST = 102
STAR_UNIT_BRANCHES = 10


def statements() -> list[dict]:
    with open(STATEMENTS, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_the_statements_are_the_seeds_own_words():
    """Every sentence is in its summary word for word (where shared/seeds is beside the checkout),
    and every figure in its sentence; every indicator named is in the catalog."""
    from dashboard.domain.catalog import catalog

    rows = statements()
    assert {r["scope"] for r in rows} == {"party", "business"}
    for r in rows:
        assert r["figure"] in r["sentence"], r
        assert r["indicator"] == "none" or r["indicator"] in catalog(), r["indicator"]
        assert r["indicator"] != "none" or r["note"], r  # a statement left out says why
        if SEEDS.is_dir():
            text = re.sub(r"\s+", "", (SEEDS / r["file"]).read_text(encoding="utf-8"))
            assert re.sub(r"\s+", "", r["sentence"]) in text, r["sentence"]


def _groups(rows: list[dict]) -> list[list[dict]]:
    """The held statements in as few returns as one indicator per unit allows (the star ratings
    apart: they make one unit's three figures; the four forms total apart from the forms, which it
    would otherwise be checked against)."""
    groups: list[list[dict]] = [[r for r in rows if r["typed"] == "star_ratings"]]
    for r in rows:
        if r["typed"] == "star_ratings":
            continue
        code = _typed(r)[0]
        apart = {code} | ({f"form{k}_cases" for k in range(1, 5)} if code == "four_forms_entered" else set()) \
            | ({"four_forms_entered"} if code.startswith("form") else set())
        home = next((g for g in groups[1:] if not apart & {_typed(x)[0] for x in g}), None)
        if home is None:
            groups.append(home := [])
        home.append(r)
    return groups


def _typed(r: dict) -> tuple[str, str]:
    """(indicator typed into, text typed) of a statement: as written unless `typed` says otherwise."""
    if ":" in r["typed"]:
        code, text = r["typed"].split(":", 1)
        return code, text
    return r["indicator"], r["typed"] or r["figure"]


def _number(figure: str) -> float:
    """The number a figure as written stands for: 「34万余元」 340000, 「十个」 10, 「90％」 90."""
    if figure.startswith("十"):
        return 10.0
    n = float(re.search(r"\d+(?:\.\d+)?", figure)[0])
    return n * 10_000 if "万" in figure else n


@pytest.fixture(scope="module")
def statements_db(tmp_path_factory):
    """A bureau (R) whose committees each file one return holding some of the statements, typed as
    the summaries write them; the star ratings' committee has ten branches, nine rated four stars
    or more (四星级以上党支部9个，占总数的90%), in Q1, the rest in Q4."""
    rows = [r for r in statements() if r["indicator"] != "none"]
    groups = _groups(rows)
    tree = ["R,水务局党组,Bureau,party_group,,,,,1,"]
    order = 2
    for g, _ in enumerate(groups):
        tree.append(f"S{g:02d},第{g}党委,Committee {g},committee,R,,,,{order},")
        order += 1
        for b in range(1, STAR_UNIT_BRANCHES + 1):
            tree.append(f"S{g:02d}B{b:02d},第{g}党委第{b}支部,Branch {g}.{b},branch,S{g:02d},,,,{order},")
            order += 1
    path = tmp_path_factory.mktemp("statements") / "statements.duckdb"
    refused = []
    with Store(path) as store:
        reading = tree_file.read((HEAD + "\n".join(tree) + "\n").encode(), "tree.csv")
        store.load_tree(tree_file.plan(reading, None, store.unit_last_figures(), "2023Q1"))
        sheet_of = {i.code: store.catalog.domain(i.domain).name_zh for i in store.catalog.indicators}
        for g, group in enumerate(groups):
            unit = f"S{g:02d}"
            if group and group[0]["typed"] == "star_ratings":
                cells = {("星级支部", f"{unit}B{b:02d}", "star_rating"): (5 if b <= 9 else 3)
                         for b in range(1, STAR_UNIT_BRANCHES + 1)}
                quarter = "2023Q1"
            else:
                cells = {(sheet_of[code], unit, code): text for code, text in map(_typed, group)}
                quarter = "2023Q4"
            outcome = import_return(store, typed(build_template(store, unit, quarter), cells), f"{unit}.xlsx",
                                    user="报送人")
            if outcome.status != "loaded":
                refused += [p.line() for p in outcome.errors]
        store.checkpoint()
    return path, groups, refused


def test_each_statement_comes_out_as_written_at_year_level_and_the_share_held_never_falls(statements_db, capsys):
    from dashboard.domain.catalog import catalog
    from dashboard.domain.figures import figure_text
    from dashboard.ingest.validate import unit_words

    path, groups, refused = statements_db
    assert refused == []
    with Store(path) as store:
        rows = export_frame(store, unit="R", first="2023Q1", last="2023Q4", granularity="year")
    got = {(r.unit_code, r.indicator_code): (r.value, r.shown) for r in rows.itertuples()}
    cat = catalog()
    held, wrong = [], []
    for g, group in enumerate(groups):
        for r in group:
            ind = cat[r["indicator"]]
            value, shown = got.get((f"S{g:02d}", ind.code), (None, ""))
            text = r["figure"] if r["typed"] == "star_ratings" else _typed(r)[1]  # what was typed, or is derived
            number = _number(text)
            approx = any(w in text for w in ("余", "多", "约", "近"))
            word = re.sub(r"^[^\d十]*[\d十]+(?:\.\d+)?万?(?:余|多)?", "", text)
            as_written = (value is not None and abs(float(value) - number) < 1e-6
                          and shown == (figure_text(number, ind, approx=True) if approx else "")
                          and (word in ("", "元", "万元") or word in unit_words(ind) or (word == "％" and ind.unit_zh == "%")))
            (held if as_written else wrong).append((r["file"], r["figure"], ind.code, value, shown))
    everything = statements()
    party = [r for r in everything if r["scope"] == "party"]
    left_out = [r for r in party if r["indicator"] == "none"]
    with capsys.disabled():
        print(f"\nseed figures held and entered as written: {len(held)} of {len(party)} party-building statements "
              f"({len(held) / len(party):.1%}); {len(held)} of all {len(everything)} quantitative statements "
              f"({len(held) / len(everything):.1%}; the other {len(everything) - len(party)} are the water business)")
        for r in left_out:
            print(f"  left out: {r['figure']} 「{r['sentence']}」 — {r['note']}")
    assert wrong == []
    assert len(held) >= HELD_AT_LEAST and len(held) / len(party) >= 0.95
