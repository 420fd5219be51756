"""A database whose organisation begins in a given quarter (the demo bureau's units, each from
that quarter on; the units gone before it left out): what a bureau starting afresh holds."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from dashboard.db import Store
from dashboard.domain.tree import History, read_tree


def tree_from(first: str) -> History:
    """The demo tree with every unit beginning in `first` (or later, if it began later)."""
    units = [replace(u, active_from=max(u.active_from or first, first)) for u in read_tree().units
             if u.active_to is None or u.active_to >= first]
    return History(units)


def database_from(path: Path, first: str) -> Path:
    with Store(path) as store:
        store.load_tree(tree_from(first))
        store.checkpoint()
    return path
