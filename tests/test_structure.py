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
7. The modules of dashboard/ import each other in layers (LAYERS, lowest first): none imports one of
   a higher layer, and no two import each other, however indirectly (no circle).
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
ALLOWED = {"streamlit": {"dashboard/bench/reference_app.py", "dashboard/bench/protocol.py"},
           "duckdb": {"dashboard/bench/scratch.py"}}  # the import benchmark's plain way: DuckDB without the store


@pytest.mark.parametrize("module, home", [("duckdb", "dashboard/db/"), ("psycopg", "dashboard/db/"),
                                          ("sqlglot", "dashboard/db/"), ("streamlit", "dashboard/app/"),
                                          ("playwright", "dashboard/bench/")])
def test_each_outside_library_is_imported_in_its_one_layer(module, home):
    strays = [f for f in _importers(module) if not f.startswith(home) and f not in ALLOWED.get(module, ())]
    assert strays == [], f"{module} imported outside {home}"


def test_the_product_imports_nothing_of_the_benchmark():
    strays = [f for f in _importers("dashboard.bench") if not f.startswith("dashboard/bench/")]
    assert strays == []
    cli = (PACKAGE / "cli" / "bench.py").read_text(encoding="utf-8")
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


# --- 7. layers and circles ------------------------------------------------------------------------

# Every module of the package in one layer, lowest first, and why it sits there.  A module may import
# its own layer and those ALLOWED_LAYERS below it, never one above; a new top-level module must be placed.
LAYERS = {
    # settings, words, today, exit codes, the event loop: what everything reads, needing nothing else
    "base": ("dashboard", "dashboard.settings", "dashboard.i18n", "dashboard.clock", "dashboard.exits", "dashboard.aio"),
    # what the data means (catalog, tree, periods, rules, figures), in plain Python over data handed in
    "domain": ("dashboard.domain",),
    # the one owner of a database: keeps and queries the domain's records
    "db": ("dashboard.db",),
    # charts, exports, documents and safe text drawn from the domain's figures: no database
    "output": ("dashboard.output",),
    # reads a return or a tree file, checks it by the domain's rules, loads it through db
    "ingest": ("dashboard.ingest",),
    # one job each, shared by the command line and the app: backups, 通报, reminders, the health
    # check, the demo bureau, the service the running app answers commands on
    "services": ("dashboard.backup", "dashboard.summary", "dashboard.briefing", "dashboard.remind",
                 "dashboard.health", "dashboard.demo", "dashboard.service"),
    # the command line: arguments in, a service or the layers below called, words out
    "cli": ("dashboard.cli", "dashboard.__main__"),
    # the Streamlit app: pages over everything below; it starts the service with the command line's runner
    "app": ("dashboard.app",),
    # the benchmark measures the product from outside (its pages too): nothing of the product imports it
    "bench": ("dashboard.bench",),
}
_ORDER = list(LAYERS)
ALLOWED_LAYERS = {
    "base": set(),
    "domain": {"base"},
    "db": {"base", "domain"},
    "output": {"base", "domain"},  # db and output stand side by side: neither needs the other
    "ingest": {"base", "domain", "db", "output"},
    "services": {"base", "domain", "db", "output", "ingest"},
    "cli": {"base", "domain", "db", "output", "ingest", "services"},
    "app": {"base", "domain", "db", "output", "ingest", "services", "cli"},
    "bench": {"base", "domain", "db", "output", "ingest", "services", "cli", "app"},
}


def _module_of(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imported_names(tree: ast.AST, package: str):
    """Each module an import statement of `tree` names, with the names it takes from it (`import m`:
    none), at any depth (inside functions too: an import put off until a call is still a
    dependency), leaving out `if TYPE_CHECKING:` blocks (read by a type checker only, never run)."""
    def walk(node):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                yield from (n for c in child.orelse for n in walk_one(c))
                continue
            yield from walk_one(child)

    def walk_one(node):
        if isinstance(node, ast.Import):
            yield from ((a.name, ()) for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module
            yield module, [a.name for a in node.names]
        else:
            yield from walk(node)

    yield from walk(tree)


def import_graph(root: Path = ROOT, package: str = "dashboard") -> dict[str, set[str]]:
    """Each module of `package` (under `root`) -> the modules of the package it imports."""
    files = sorted(p for p in (root / package).rglob("*.py") if "__pycache__" not in p.parts)
    modules = {_module_of(p, root): p for p in files}
    graph = {}
    for name, path in modules.items():
        home = name if path.name == "__init__.py" else name.rpartition(".")[0]
        found = set()
        for module, taken in _imported_names(ast.parse(path.read_text(encoding="utf-8")), home):
            # `from a import b`: the module a.b if there is one, else a (b is a name defined in a)
            for imported in [f"{module}.{n}" if f"{module}.{n}" in modules else module for n in taken] or [module]:
                while imported and imported not in modules:  # `import a.b.c` of a name a.b defines
                    imported = imported.rpartition(".")[0]
                if imported and imported != name:
                    found.add(imported)
        graph[name] = found
    return graph


def layer_of(module: str) -> str | None:
    best = max(((layer, m) for layer, members in LAYERS.items() for m in members
                if module == m or (m != "dashboard" and module.startswith(f"{m}."))),
               key=lambda lm: len(lm[1]), default=(None, ""))
    return best[0]


def climbs(graph: dict[str, set[str]]) -> list[str]:
    """Every import of a higher layer (or of, or by, a module placed in no layer)."""
    out = [f"{m} is in no layer: place it in LAYERS" for m in sorted(graph) if layer_of(m) is None]
    for module, imported in sorted(graph.items()):
        mine = layer_of(module)
        for other in sorted(imported):
            theirs = layer_of(other)
            if mine and theirs and theirs != mine and theirs not in ALLOWED_LAYERS[mine]:
                out.append(f"{module} ({mine}) imports {other} ({theirs})")
    return out


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The modules of each import circle (Tarjan's strongly connected components of two or more)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return sorted(found)


def test_the_layers_name_every_layer_once_in_order():
    assert set(ALLOWED_LAYERS) == set(LAYERS)
    for layer, below in ALLOWED_LAYERS.items():
        assert all(_ORDER.index(b) < _ORDER.index(layer) for b in below), layer


def test_no_module_imports_a_higher_layer():
    assert climbs(import_graph()) == []


def test_no_modules_import_each_other_in_a_circle():
    assert circles(import_graph()) == []


def test_the_graph_checks_find_a_circle_and_a_climb():
    """The checks above can fail: a circle of three, and the domain reaching up to the app."""
    graph = {"dashboard.domain.headlines": {"dashboard.domain.figures", "dashboard.app.state"},
             "dashboard.domain.figures": {"dashboard.domain.periods"},
             "dashboard.domain.periods": {"dashboard.domain.headlines", "dashboard.i18n"},
             "dashboard.app.state": set(), "dashboard.i18n": set()}
    assert circles(graph) == [["dashboard.domain.figures", "dashboard.domain.headlines", "dashboard.domain.periods"]]
    assert climbs(graph) == ["dashboard.domain.headlines (domain) imports dashboard.app.state (app)"]
    assert climbs({"dashboard.extra": {"dashboard.i18n"}, "dashboard.i18n": set()}) == [
        "dashboard.extra is in no layer: place it in LAYERS"]


def test_the_graph_sees_imports_inside_functions_and_not_for_the_type_checker(tmp_path):
    pkg = tmp_path / "dashboard"
    for folder in (pkg, pkg / "domain", pkg / "app"):
        folder.mkdir(exist_ok=True)
        (folder / "__init__.py").write_text("", encoding="utf-8")
    (pkg / "app" / "state.py").write_text("from ..domain import headlines\n", encoding="utf-8")
    (pkg / "domain" / "headlines.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from dashboard.output import charts\n"
        "def late():\n    from dashboard.app import state\n    return state\n", encoding="utf-8")
    graph = import_graph(tmp_path)
    assert graph["dashboard.domain.headlines"] == {"dashboard.app.state"}
    assert graph["dashboard.app.state"] == {"dashboard.domain.headlines"}
    assert circles(graph) == [["dashboard.app.state", "dashboard.domain.headlines"]]
    assert climbs(graph) == ["dashboard.domain.headlines (domain) imports dashboard.app.state (app)"]
