"""README.md and docs/ as a newcomer reads them: every command they show exists and answers
`--help`; the README's tour runs for real on a throwaway database; every relative link and
anchor leads somewhere; the README stays a few screens long."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from dashboard.settings import ROOT

DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
SIX = ["administrators.md", "reporters.md", "reading.md", "performance.md", "architecture.md", "settings.md"]
CODE_BLOCK = re.compile(r"```(?:bash|sh|shell)?\n(.*?)```", re.S)
INLINE = re.compile(r"`([^`\n]+)`")
LINK = re.compile(r"\]\(([^)\s]+)\)|<img src=\"([^\"]+)\"")
HEADING = re.compile(r"^(#{1,6}) +(.+?) *$", re.M)


def _text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def _commands(text: str) -> list[str]:
    """Every `python -m dashboard …` a document shows: lines of its shell blocks and inline code,
    and the first column of its command table (`tree template|export --out FILE.xlsx` …)."""
    found = []
    for block in CODE_BLOCK.findall(text):
        found += [line.split("#", 1)[0].strip() for line in block.splitlines() if "python -m dashboard" in line]
    found += [code for code in INLINE.findall(text) if code.startswith(("python -m dashboard", "uv run python -m dashboard"))]
    table = re.search(r"^\| command \| what it does \|\n\|---\|---\|\n((?:\|.*\n)+)", text, re.M)
    if table:
        for row in table.group(1).splitlines():
            first = row.split(" | ")[0].lstrip("| ")
            for shown in INLINE.findall(first):
                found.append("python -m dashboard " + shown.replace("\\|", "|"))
    return found


def _words(command: str) -> list[str]:
    """The subcommand path of a shown command: the words after `dashboard` up to the first option
    or argument (a word like FILE, 组织架构.xlsx or SW01); `a|b` alternatives give the first."""
    words = []
    for word in shlex.split(command.split("python -m dashboard", 1)[1].replace("&&", ";").split(";")[0]):
        word = word.split("|")[0]
        if not re.fullmatch(r"[a-z][a-z-]*", word) or len(words) == 2:
            break
        words.append(word)
    return words


SHOWN = sorted({tuple(_words(c)) for doc in DOCS for c in _commands(_text(doc))})


def test_the_readme_fits_on_a_few_screens_and_docs_hold_the_six():
    assert len(_text(ROOT / "README.md").splitlines()) <= 200
    assert sorted(p.name for p in (ROOT / "docs").glob("*.md")) == sorted(SIX)


def test_the_documents_show_the_commands_a_reader_needs():
    """The walk below must have something to walk: the README's tour and the guides' commands."""
    firsts = {words[0] for words in SHOWN if words}
    assert {"template", "import", "tree", "users", "backup", "check", "briefing", "export", "audit", "demo",
            "settings", "bench", "deadline", "remind"} <= firsts, firsts


@pytest.mark.parametrize("words", SHOWN, ids=lambda w: " ".join(w) or "(top)")
def test_every_command_shown_exists_and_says_its_arguments(words):
    out = subprocess.run([sys.executable, "-m", "dashboard", *words, "--help"], cwd=ROOT, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-800:]
    assert "usage:" in out.stdout


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation (· ， …) dropped, spaces to hyphens."""
    heading = re.sub(r"[`*_]", "", heading).strip().lower()
    return re.sub(r"[^\w\- ]", "", heading).replace(" ", "-")


def test_every_relative_link_and_anchor_resolves():
    bad = []
    for doc in DOCS:
        for link, image in LINK.findall(_text(doc)):
            target = link or image
            if re.match(r"[a-z]+:", target):  # http:, https:, mailto:
                continue
            path, _, anchor = target.partition("#")
            file = (doc.parent / path).resolve() if path else doc
            if not file.exists():
                bad.append(f"{doc.name}: {target} (no such file)")
            elif anchor and anchor not in {_slug(h) for _, h in HEADING.findall(_text(file))}:
                bad.append(f"{doc.name}: {target} (no such heading in {file.name})")
    assert not bad, bad


def test_the_readme_tour_runs_on_a_throwaway_database(tmp_path):
    """The README's shell blocks, as a newcomer pastes them (after the demo is loaded into a
    throwaway database): each ends done (0) or with a file refused in words (1: the template
    checked before it is filled), never a traceback or a usage error."""
    lines = [line for block in CODE_BLOCK.findall(_text(ROOT / "README.md")) for line in block.splitlines()
             if "uv run python -m dashboard" in line]
    assert len(lines) >= 6
    env = {**os.environ, "DANGJIAN_DB": str(tmp_path / "tour.duckdb"), "PYTHONPATH": str(ROOT)}
    subprocess.run([sys.executable, "-m", "dashboard", "demo"], cwd=tmp_path, env=env, check=True,
                   capture_output=True, timeout=300)
    for line in lines:
        command = line.split("  #", 1)[0].replace("uv run python", shlex.quote(sys.executable))
        out = subprocess.run(["bash", "-c", command], cwd=tmp_path, env=env, capture_output=True, text=True,
                             timeout=300)
        assert out.returncode in (0, 1), (line, out.returncode, out.stderr[-800:])
        assert "Traceback" not in out.stderr, (line, out.stderr[-800:])
        assert out.stdout.strip() or out.stderr.strip(), f"{line}: said nothing"
