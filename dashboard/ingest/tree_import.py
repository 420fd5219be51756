"""Importing the organisation: the one workflow behind `python -m dashboard tree import` and the
组织架构 page.

`prepare` reads a tree file, checks it whole against what the database holds (every problem with
its cell), works out the change (新增 / 更名 / 调整隶属 / 撤销) and the rows of active returns the new
tree would leave in the wrong return (refused, or carried with `rehome`), writing nothing but the
audit entry of a refusal; `apply` loads a prepared import in one transaction (Store.load_tree,
audited as tree.import, the carried rows as tree.rehome).  The command prints a `TreeImport`, the
page draws it; neither decides anything of its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..domain import periods
from ..domain.audit import Note, words
from ..domain.tree import History
from . import tree_file
from .tree_file import Change, Clash, Held, Move

KINDS = ("added", "renamed", "moved", "retired", "changed")


@dataclass
class TreeImport:
    """What importing one tree file would do.  `state`: rejected (problems in the file), refused
    (returns would hold rows of units they no longer report), unchanged, or ready."""

    file_name: str
    effective: str
    rehome: bool
    state: str = "ready"
    problems: list[tuple[str, str]] = field(default_factory=list)  # (cell, message in both languages)
    old: History | None = None
    new: History | None = None
    changes: list[Change] = field(default_factory=list)
    moves: list[Move] = field(default_factory=list)
    refusals: list[tuple[str, dict]] = field(default_factory=list)  # (text key, fields): heading, then lines

    @property
    def counts(self) -> dict[str, int]:
        return {k: sum(c.kind == k for c in self.changes) for k in KINDS}

    @property
    def rehomed_facts(self) -> int:
        return sum(m.held.n for m in self.moves)


def prepare(store, data: bytes, file_name: str, *, effective: str | None = None, rehome: bool = False) -> TreeImport:
    """Check the tree file `data` against the database and work out what loading it would change.
    A rejected or refused import is audited (tree.import, rejected); nothing else is written."""
    effective = effective or periods.current_quarter()
    out = TreeImport(file_name, effective, rehome)
    reading = tree_file.read(data, file_name)
    out.old = store.history() if store.has_tree() else None
    # a unit ended while returns still hold it is told below, return by return (misplaced)
    out.new = tree_file.plan(reading, out.old, store.unit_last_figures(), effective, returns_apart=True)
    if out.new is None:
        out.state, out.problems = "rejected", list(reading.problems)
        store.audit("tree.import", file_name, "rejected", words(errors=len(reading.problems)))
        return out
    out.changes = tree_file.diff(out.old, out.new)
    held = [Held(*r) for r in store.active_fact_units()]
    moves, stranded = tree_file.misplaced(out.new, held)
    found = list(stranded)
    if moves and rehome:
        active = store.active_returns()
        into = {active[k] for k in {(m.to_reporter, m.held.quarter) for m in moves} if k in active}
        found += tree_file.clashes(moves, store.fact_keys({m.held.submission_id for m in moves} | into), active)
    out.moves = moves
    if (moves and not rehome) or found:
        if moves and not rehome:
            out.refusals += _held_refused(out.new, out.old, moves)
        if found:
            out.refusals += _rehome_refused(out.new, out.old, found)
        returns = {m.held.submission_id for m in moves} | {f.submission_id for f in stranded}
        store.audit("tree.import", file_name, "rejected",
                    words(returns=len(returns), errors=len(found) or None,
                          reason="rows_cannot_move" if found else "returns_hold_units"))
        out.state = "refused"
        return out
    if not out.changes and not moves:
        out.state = "unchanged"
    return out


def apply(store, ready: TreeImport) -> None:
    """Load a prepared import (state ready) in one transaction, with its audit entry."""
    if ready.state != "ready":
        raise ValueError(f"a {ready.state} tree import cannot be applied")
    detail = {("moved_units" if k == "moved" else k): n or None for k, n in ready.counts.items()}
    store.load_tree(ready.new, audit=Note("tree.import", ready.file_name,
                                          words(**detail, rehomed=ready.rehomed_facts or None)),
                    rehome=ready.moves)


def unit_names(new: History | None, old: History | None, code: str, quarter: str) -> tuple[str, str]:
    """(Chinese, English) name of a unit as the tree of `quarter` has it (the new tree, else the
    old one), else its latest name; the code if no tree knows it."""
    for history in (new, old):
        if history is not None and code in history.at(quarter):
            u = history.at(quarter)[code]
            return u.name_zh, u.name_en
    for history in (new, old):
        if history is not None and code in history.by_code:
            u = history.by_code[code][-1]
            return u.name_zh, u.name_en
    return code, code


def _held_refused(new, old, moves) -> list[tuple[str, dict]]:
    """Every active return that would hold rows of units it no longer covers, with those units."""
    by_return: dict[tuple[str, str], list[str]] = {}
    for m in moves:
        by_return.setdefault((m.held.quarter, m.held.reporter), []).append(m.held.unit)
    out = [("treef_held_refused", {"n": len(by_return)})]
    for (quarter, reporter), units in sorted(by_return.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        name, name_en = unit_names(new, old, reporter, quarter)
        named = [(u, *unit_names(new, old, u, quarter)) for u in units]
        out.append(("treef_held_return", {"reporter": reporter, "name": name, "name_en": name_en, "quarter": quarter,
                                          "units": "、".join(f"{u}（{zh}）" for u, zh, _ in named),
                                          "units_en": ", ".join(f"{u} ({en})" for u, _, en in named)}))
    return out


def _rehome_refused(new, old, found) -> list[tuple[str, dict]]:
    """The rows no rehome can carry: a unit gone with no successor, or two figures meeting."""
    out = [("treef_rehome_refused", {"n": len(found)})]
    for f in found:
        if isinstance(f, Clash):
            h = f.held
            out.append(("treef_rehome_clash", {"reporter": h.reporter, "quarter": h.quarter, "unit": h.unit,
                                               "indicator": f.indicator, "to_reporter": f.to_reporter,
                                               "to_unit": f.to_unit}))
        else:
            name, name_en = unit_names(new, old, f.unit, f.quarter)
            out.append(("treef_stranded", {"reporter": f.reporter, "quarter": f.quarter, "unit": f.unit, "n": f.n,
                                           "name": name, "name_en": name_en}))
    return out
