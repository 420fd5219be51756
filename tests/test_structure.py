"""The rules that keep the code easy to change, each checked by reading the tree.

1. duckdb, psycopg and sqlglot are imported only under dashboard/db/, streamlit only under dashboard/app/, playwright
   only under dashboard/bench/ (and tests/).
2. No SQL text in Python outside dashboard/db/ (and there only loading files): every statement is
   a named file under queries/.
3. The product imports nothing from dashboard/bench/ (the command line loads it by name).
4. One definition each of Party red, the return deadline, the exit codes and how quarters roll
   into periods.
5. Every folder of the package says in its __init__ what lives there and what it may import.
6. A rank, a rate, a figure's state and who is behind are worked out in dashboard/domain/figures.py
   alone: every face (page, 通报, export, projector, command line) asks it.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
import tomllib
from pathlib import Path

import pytest

from dashboard.output.style import PARTY_RED
from dashboard.settings import ROOT

PACKAGE = ROOT / "dashboard"
PYTHON = sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


def _rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def _imports(path: Path) -> set[str]:
    """Every module a file imports (absolute names; relative ones resolved against the package)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = _rel(path.parent).replace("/", ".")
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
                out.add(module)
                out.update(f"{module}.{a.name}" for a in node.names)
            else:
                out.add(node.module)
                out.update(f"{node.module}.{a.name}" for a in node.names)
    return out


def _importers(name: str) -> list[str]:
    return [_rel(p) for p in PYTHON if any(m == name or m.startswith(f"{name}.") for m in _imports(p))]


# The benchmark's reference app is a Streamlit page of its own (what a trivial page costs), and its
# load client speaks Streamlit's wire protocol in the package's protobufs: both belong with the
# benchmark, which the product never imports.
ALLOWED = {"streamlit": {"dashboard/bench/reference_app.py", "dashboard/bench/protocol.py"}}


@pytest.mark.parametrize("module, home", [("duckdb", "dashboard/db/"), ("psycopg", "dashboard/db/"),
                                          ("sqlglot", "dashboard/db/"), ("streamlit", "dashboard/app/"),
                                          ("playwright", "dashboard/bench/")])
def test_each_outside_library_is_imported_in_its_one_layer(module, home):
    strays = [f for f in _importers(module) if not f.startswith(home) and f not in ALLOWED.get(module, ())]
    assert strays == [], f"{module} imported outside {home}"


def test_the_product_imports_nothing_of_the_benchmark():
    strays = [f for f in _importers("dashboard.bench") if not f.startswith("dashboard/bench/")]
    assert strays == []
    cli = (PACKAGE / "cli.py").read_text(encoding="utf-8")
    assert 'importlib.import_module("dashboard.bench.run")' in cli  # loaded by name, only when asked


_SQL = re.compile(r"\b(SELECT\b.+\bFROM|INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|CREATE\s+(TABLE|SEQUENCE|INDEX|"
                  r"VIEW|OR\s+REPLACE)|DROP\s+TABLE|ALTER\s+TABLE|BEGIN\s+TRANSACTION)|\b(?-i:CHECKPOINT|COMMIT|"
                  r"ROLLBACK)\b", re.I | re.S)


def _strings(path: Path) -> list[tuple[int, str]]:
    """Every string literal of a file (docstrings and comments aside: they are prose)."""
    docstrings = set()
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                docstrings.add(first.lineno)
    out = []
    for tok in tokenize.generate_tokens(io.StringIO(path.read_text(encoding="utf-8")).readline):
        if tok.type == tokenize.STRING and tok.start[0] not in docstrings:
            out.append((tok.start[0], tok.string))
    return out


def test_no_sql_is_written_in_python():
    found = [f"{_rel(p)}:{line}: {text[:60]}" for p in PYTHON for line, text in _strings(p) if _SQL.search(text)]
    assert found == [], "SQL belongs in a named file under queries/"


def test_the_sql_check_finds_sql_where_there_is_some(tmp_path):
    """The check above can fail: it finds a statement written in a string."""
    sample = tmp_path / "x.py"
    sample.write_text('q = "SELECT code FROM units WHERE x = 1"\nr = "delete from facts"\n', encoding="utf-8")
    assert [line for line, text in _strings(sample) if _SQL.search(text)] == [1, 2]


def test_party_red_is_defined_once_and_the_theme_uses_it():
    hits = [_rel(p) for p in PYTHON if re.search(r"C8102E", p.read_text(encoding="utf-8"), re.I)]
    assert hits == ["dashboard/output/style.py"]
    theme = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))["theme"]
    assert theme["primaryColor"].upper() == PARTY_RED


@pytest.mark.parametrize("pattern, home", [
    (r"\bEXIT_(OK|REJECTED|USAGE)\s*=", "dashboard/exits.py"),
    (r"deadline_days\b.*_knob\(", "dashboard/settings.py"),
    (r"""['"]H['"]|(?<!\d{4})H1\b|(?<!\d{4})H2\b""", "dashboard/domain/periods.py"),  # 2024H1 in words is fine
])
def test_one_definition_each(pattern, home):
    hits = [_rel(p) for p in PYTHON if re.search(pattern, p.read_text(encoding="utf-8"))]
    assert hits == [home]
    for sql in (ROOT / "queries").rglob("*.sql"):  # the SQL is handed the quarter -> period mapping
        assert not re.search(r"'H'", sql.read_text(encoding="utf-8")), sql


@pytest.mark.parametrize("folder", sorted({p.parent for p in PYTHON}), ids=lambda p: _rel(p))
def test_every_folder_says_what_lives_there_and_what_it_may_import(folder):
    init = folder / "__init__.py"
    assert init.exists(), _rel(folder)
    doc = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8"))) or ""
    assert len(doc.splitlines()) >= 2, _rel(init)
    if folder != PACKAGE:
        assert re.search(r"[Ii]mport", doc), f"{_rel(init)} does not say what it may import"


def test_no_two_test_files_share_a_name():
    # pytest's default import mode keys test modules by basename: two files of one name in
    # different folders stop collection of the whole suite.
    names = [p.name for p in (ROOT / "tests").rglob("test_*.py")]
    assert sorted(names) == sorted(set(names)), [n for n in set(names) if names.count(n) > 1]


# --- one figures layer ----------------------------------------------------------------------------

FIGURES = "dashboard/domain/figures.py"
# what only the figures layer does: give ranks (pandas' rank, a sort by value that numbers units),
# name who is behind, divide by members or branches, turn a state code into words
_SECOND_FIGURES = [
    (r"\.rank\(\s*method", "a rank"),
    (r"\bdef\s+(ranking|rank_rows|bottom_groups|bottom_units|siblings_rank|rates|states|figure_states)\(", "a ranking"),
    (r"\.iloc\[\s*-1\s*\]\s*(,|$)|\btail\(\s*\d+\s*\)", "a last row taken as the bottom"),
    (r"\bt\(\s*f?[\"']state_", "a state in words"),
    (r"/\s*100\b(?!\.)", "a rate per 100"),
    (r"\bbranches_of\(", "a rate per branch"),
]


def _second_figures(path: Path) -> list[str]:
    text = path.read_text(encoding="utf-8")
    found = []
    for pattern, what in _SECOND_FIGURES:
        for m in re.finditer(pattern, text, re.M):
            found.append(f"{_rel(path) if path.is_relative_to(ROOT) else path.name}:{text.count(chr(10), 0, m.start()) + 1}: {what}")
    return found


# what matches the patterns and is no rank, rate or state: listed by file and what, so a new one fails
_KNOWN = {
    ("dashboard/domain/coverage.py", "a rate per branch"),  # a rate's unit of measure: 次/支部·季度
    ("dashboard/app/views/overview.py", "a rate per 100"),  # the returns-in share as the progress bar's fraction
}


def test_ranks_rates_and_states_are_worked_out_in_the_figures_layer_only():
    faces = [p for p in PYTHON if _rel(p) != FIGURES]
    found = [hit for p in faces for hit in _second_figures(p)
             if (hit.split(":")[0], hit.rsplit(": ", 1)[1]) not in _KNOWN]
    assert found == [], "rank, rate or state it in dashboard/domain/figures.py and ask it from the face"


def test_the_figures_check_finds_a_second_ranking(tmp_path):
    """The check above can fail: the projector's old bottom (the last row shown) and a page's own rank."""
    sample = tmp_path / "face.py"
    sample.write_text("worst = ranked.iloc[-1]\nr = values.rank(method='min')\nlabel = t('state_na')\n"
                      "per = value / 100\n", encoding="utf-8")
    assert [h.rsplit(": ", 1)[1] for h in _second_figures(sample)] == [
        "a rank", "a last row taken as the bottom", "a state in words", "a rate per 100"]


def test_both_databases_implement_the_declared_backend():
    """db/backend.Backend is what the store asks of a database: the DuckDB file and the PostgreSQL
    server each have every one of its methods, with the same parameters."""
    import inspect

    from dashboard.db.backend import Backend
    from dashboard.db.connection import Database
    from dashboard.db.postgres import PostgresDatabase

    declared = {n for n in dir(Backend) if not n.startswith("_")}
    assert {"read", "rows", "transaction", "migrate", "table_counts", "checkpoint", "close"} <= declared
    for cls in (Database, PostgresDatabase):
        for name in declared:
            assert hasattr(cls, name), f"{cls.__name__} lacks {name}"
            want, have = getattr(Backend, name), getattr(cls, name)
            if callable(want) and not isinstance(inspect.getattr_static(Backend, name), property):
                assert list(inspect.signature(want).parameters) == list(inspect.signature(have).parameters), \
                    (cls.__name__, name)
