"""The command line as an administrator uses it: real processes, real files, exit codes."""

from __future__ import annotations

import csv
import io
import subprocess
import sys

import openpyxl
import pytest

from tests.conftest import ROOT


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "dashboard", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory):
    path = tmp_path_factory.mktemp("cli") / "d.duckdb"
    result = cli("demo", "--db", str(path))
    assert result.returncode == 0, result.stderr
    assert "152" in result.stdout
    return path


def test_units_lists_the_tree_as_csv(demo_db):
    result = cli("units", "--db", str(demo_db))
    assert result.returncode == 0
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert list(rows[0]) == ["code", "name_zh", "level", "parent_code"]
    assert rows[0] == {"code": "SW", "name_zh": "市水务局党组", "level": "party_group", "parent_code": ""}
    by_code = {r["code"]: r for r in rows}
    assert by_code["SW0101"]["parent_code"] == "SW01"
    assert len(rows) == 83


@pytest.mark.parametrize(
    "args, message",
    [
        (["--from", "2024Q5"], "not a quarter"),
        (["--from", "2024Q3", "--to", "2024Q1"], "--from is after --to"),
        (["--unit", "NOPE"], "unknown unit NOPE"),
        (["--domain", "sports"], "unknown domain: sports"),
        (["--granularity", "month"], "invalid choice"),
    ],
)
def test_export_refuses_bad_arguments_with_exit_2(demo_db, tmp_path, args, message):
    out = tmp_path / "x.csv"
    result = cli("export", "--db", str(demo_db), "--out", str(out), *args)
    assert result.returncode == 2
    assert message in result.stderr
    assert not out.exists()


def test_export_wide_xlsx_is_what_a_person_reads(demo_db, tmp_path):
    out = tmp_path / "study.xlsx"
    result = cli("export", "--db", str(demo_db), "--unit", "SW01", "--domain", "study", "--from", "2024Q4",
                 "--to", "2024Q4", "--layout", "wide", "--out", str(out))
    assert result.returncode == 0, result.stderr
    ws = openpyxl.load_workbook(out).active
    header = [c.value for c in ws[1]]
    assert header[:3] == ["单位代码", "单位名称", "期间"]
    assert "主题党日(次)" in header and "学习强国参学率(%)" in header
    rows = {r[0]: dict(zip(header, r)) for r in ws.iter_rows(min_row=2, values_only=True)}
    assert set(rows) == {"SW01"} | {f"SW01{n:02d}" for n in range(1, 11)}
    # the committee's figure is the sum of its branches' and its own
    long = cli("export", "--db", str(demo_db), "--unit", "SW01", "--domain", "study", "--from", "2024Q4",
               "--to", "2024Q4", "--scope", "own", "--out", str(tmp_path / "own.csv"))
    assert long.returncode == 0
    own = list(csv.DictReader(io.StringIO((tmp_path / "own.csv").read_text(encoding="utf-8-sig"))))
    own_days = sum(float(r["value"]) for r in own if r["indicator_code"] == "theme_party_days")
    assert rows["SW01"]["主题党日(次)"] == own_days


def test_exported_cells_cannot_carry_formulas(small_store, tmp_path):
    from dashboard.domain.tree import Tree, Unit

    tree = small_store.tree()
    units = [u if u.code != "C1B1" else Unit(u.code, "=HYPERLINK(\"http://x\")", "@evil", u.level, u.parent_code,
                                             None, None, u.sort_order) for u in tree.units]
    small_store.load_tree(Tree(units))
    import pandas as pd

    small_store.submit("C1", "2024Q1", pd.DataFrame([("C1B1", "theme_party_days", 3)],
                                                    columns=["unit_code", "indicator_code", "value"]), user="t")
    small_store.close()
    out = tmp_path / "x.csv"
    assert cli("export", "--db", str(small_store.path), "--out", str(out)).returncode == 0
    text = out.read_text(encoding="utf-8-sig")
    assert "'=HYPERLINK" in text and "\n=HYPERLINK" not in text and ",=HYPERLINK" not in text
    xlsx = tmp_path / "x.xlsx"
    assert cli("export", "--db", str(small_store.path), "--layout", "wide", "--out", str(xlsx)).returncode == 0
    names = [c.value for c in openpyxl.load_workbook(xlsx).active["B"]]
    assert "'=HYPERLINK(\"http://x\")" in names


def test_demo_clear_removes_the_demo(tmp_path):
    path = tmp_path / "c.duckdb"
    assert cli("demo", "--db", str(path)).returncode == 0
    result = cli("demo", "--db", str(path), "--clear")
    assert result.returncode == 0 and "152" in result.stdout
    out = tmp_path / "empty.csv"
    assert cli("export", "--db", str(path), "--out", str(out)).returncode == 0
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert rows and {r["value"] for r in rows} == {""} and {r["state"] for r in rows} == {"未报送"}  # due, none in


def _paths(parser, prefix=()):
    """Every command path of the command line: ("tree", "import"), ("users", "add") …"""
    import argparse

    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                yield (*prefix, name), child
                yield from _paths(child, (*prefix, name))


def test_every_subcommand_says_its_help_and_takes_db_before_or_after(capsys, tmp_path):
    """One grammar: each command and subcommand answers --help, and a command on the database takes
    --db right after its name or after its subcommand (`users --db X add …` and `users add --db X …`)."""
    from dashboard.cli import build_parser

    parser = build_parser()
    paths = list(_paths(parser))
    assert ("users", "add") in dict(paths) and ("tree", "import") in dict(paths)
    for path, _ in paths:
        with pytest.raises(SystemExit) as done:
            parser.parse_args([*path, "--help"])
        assert done.value.code == 0, path
        said = capsys.readouterr().out
        assert said.startswith("usage: python -m dashboard " + " ".join(path)), path
    db = str(tmp_path / "x.duckdb")
    for argv in (["users", "add", "--db", db, "r@x.org", "--role", "reporter", "--unit", "SW02"],
                 ["users", "--db", db, "add", "r@x.org", "--role", "reporter", "--unit", "SW02"],
                 ["users", "list", "--db", db], ["users", "--db", db, "list"],
                 ["tree", "import", "f.csv", "--db", db], ["tree", "--db", db, "import", "f.csv"],
                 ["tree", "template", "--out", "t.xlsx", "--db", db]):
        args = parser.parse_args(argv)
        assert str(args.db) == db, argv
