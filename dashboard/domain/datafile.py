"""Reading the CSV files under `data/` (UTF-8, a header row): one reader for all of them."""

from __future__ import annotations

import csv
from pathlib import Path


def read_rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def codes(text: str) -> tuple[str, ...]:
    """A cell listing codes separated by ';' (empty cell: none)."""
    return tuple(c.strip() for c in text.split(";") if c.strip())
