"""The subtree roll-up: per unit, quarter and stored indicator, the aggregate of its whole subtree.

Chart queries read `rollup`, never raw facts.  Three ways to keep it current, all inside the
writer's transaction (`tx`):

- `rebuild`: from the active facts over the closure, for some quarters or all (a new tree, a
  bulk load touching much of a quarter, removing the demo);
- `refresh`: the units a set of returns touch and their ancestors, bottom-up (an upload, a
  restore): one statement for a few hundred units, level by level for more;
- `refresh_dirty`: what bulk loads marked stale (`mark_dirty`), once, after the last file.

Each of them keeps `compliance_values` (each unit's own active figure of the indicators the
三会一课 rules name) and `compliance_masks` (per unit-quarter, the rules it did not meet, which
queries/charts/compliance_*.sql read) current for the same units and quarters, in the same
transaction: whatever changes the roll-up changes those figures too.
"""

from __future__ import annotations

from ..domain.tree import History, Tree
from ..settings import current as settings


def rebuild(tx, quarters: list[str] | None = None) -> None:
    """Recompute the roll-up of `quarters` (None: every quarter) from the active facts."""
    q = {"quarters": quarters or []}
    tx.run("rollup_clear", q)
    tx.run("rollup_dirty_clear", q)
    tx.run("rollup_dirty_units_clear", q)
    tx.run("rollup_rebuild", q)
    rebuild_compliance(tx, quarters)


def rebuild_compliance(tx, quarters: list[str] | None = None, *, figures: bool = True) -> None:
    """Recompute the 三会一课 figures of `quarters` (None: every quarter) from the active facts,
    unless `figures` is off (only the rules' minimums changed), and the check kept of them."""
    q = {"quarters": quarters or []}
    if figures:
        tx.run("compliance_clear", q)
        tx.run("compliance_rebuild", q)
    tx.run("compliance_masks_clear", q)
    tx.run("compliance_masks_rebuild", q)


def mark_dirty(tx, reporting_unit: str, quarter: str) -> None:
    """A bulk load left the roll-up of this return stale; `refresh_dirty` recomputes it."""
    tx.run("rollup_mark_dirty", {"unit": reporting_unit, "quarter": quarter})


def affected(tree: Tree, reporting_units) -> set[str]:
    """The units whose roll-up a return of each reporting unit changes: its units and their
    ancestors (closed upwards, so each one's children are either refreshed first or unchanged)."""
    out: set[str] = set()
    for rep in reporting_units:
        if rep not in tree:
            continue
        out.update(u.code for u in tree.return_units(rep))
        out.update(a.code for a in tree.ancestors(rep))
    return out


def refresh(tx, history: History, affected_units: dict[str, set[str]]) -> None:
    """Recompute the roll-up of the units `affected_units[quarter]` (each set closed upwards in
    that quarter's tree).

    A few units (one return) are recomputed in one statement from their facts and their
    unlisted children's roll-up rows (rollup_refresh_units); many (a bulk load) level by
    level, deepest first, all quarters at once, each level from its own facts plus its
    children's already current rows (rollup_refresh).  Either way only those units and
    their children's rows are read, however large the tree.
    """
    _refresh_compliance(tx, affected_units)
    one_pass = settings().rollup_one_pass_units
    by_depth: dict[int, list[tuple[str, str]]] = {}
    for quarter, codes in affected_units.items():
        tree = history.at(quarter)
        if len(codes) <= one_pass:
            _refresh_in_one_pass(tx, tree, quarter, codes)
            continue
        for code in codes:
            by_depth.setdefault(tree.depth(code), []).append((quarter, code))
    for depth in sorted(by_depth, reverse=True):
        pairs = sorted(by_depth[depth], key=lambda p: (p[1], p[0]))
        params = {"quarters": [q for q, _ in pairs], "units": [u for _, u in pairs]}
        children = sorted({k.code for q, code in pairs for k in history.at(q).kids(code)}) or [""]
        tx.run("rollup_delete", params)
        tx.run("rollup_refresh", {**params, "children": children})


def _refresh_compliance(tx, affected_units: dict[str, set[str]]) -> None:
    """The 三会一课 figures of the affected units (their own facts only: no tree needed)."""
    pairs = sorted((code, quarter) for quarter, codes in affected_units.items() for code in codes)
    if not pairs:
        return
    params = {"quarters": [q for _, q in pairs], "units": [u for u, _ in pairs]}
    tx.run("compliance_delete", params)
    tx.run("compliance_refresh", params)
    tx.run("compliance_masks_delete", params)
    tx.run("compliance_masks_refresh", params)


def _refresh_in_one_pass(tx, tree: Tree, quarter: str, codes: set[str]) -> None:
    units = sorted(codes)
    fact_pairs: list[tuple[str, str]] = []
    front_pairs: list[tuple[str, str]] = []
    for code in units:
        line = [code, *(a.code for a in tree.ancestors(code))]
        fact_pairs += [(a, code) for a in line]
        for kid in tree.kids(code):
            if kid.code not in codes:
                front_pairs += [(a, kid.code) for a in line]
    frontier = sorted({c for _, c in front_pairs})
    if not front_pairs:
        front_pairs = [("", "")]  # binds as an empty VARCHAR pair, matches no row
    tx.run("rollup_delete_units", {"quarter": quarter, "units": units})
    tx.run("rollup_refresh_units", {
        "quarter": quarter, "units": units, "fact_anc": [a for a, _ in fact_pairs],
        "fact_unit": [d for _, d in fact_pairs], "front_anc": [a for a, _ in front_pairs],
        "front_unit": [c for _, c in front_pairs], "frontier": frontier or [""]})


def refresh_dirty(tx, history: History) -> None:
    """Recompute what bulk loads left stale.

    A quarter marked whole is rebuilt; otherwise only the units of the returns loaded and their
    ancestors are refreshed, bottom-up, as a single upload does, unless so many of the quarter's
    returns were loaded that rebuilding the quarter is cheaper.
    """
    whole = {r[0] for r in tx.rows("rollup_dirty_whole")}
    returns: dict[str, list[str]] = {}
    for quarter, unit in tx.rows("rollup_dirty_returns"):
        returns.setdefault(quarter, []).append(unit)
    share = settings().rollup_rebuild_share
    whole |= {q for q, units in returns.items() if len(units) > len(history.at(q).reporting_units) * share}
    if whole:
        rebuild(tx, sorted(whole))
    refresh(tx, history, {q: affected(history.at(q), units) for q, units in returns.items() if q not in whole})
    tx.run("rollup_dirty_units_clear", {"quarters": []})
