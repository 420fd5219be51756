"""How a 工作总结 states each indicator (data/summary_phrases.csv): 「召开{body}{value}次」, with {value}
the figure and {body} the unit's own meeting (党委会 / 党组会).  An indicator without a phrase is said
as its name, value and unit; a phrase for a code the catalog lacks is a data error."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from ..settings import current as settings
from .catalog import CatalogError, catalog
from .datafile import read_rows

PHRASES_FILE = "summary_phrases.csv"


@cache
def _phrases_of(path: Path) -> dict[str, dict[str, str]]:
    rows = read_rows(path)
    known = catalog()
    for r in rows:
        if r["indicator_code"] not in known:
            raise CatalogError(f"{PHRASES_FILE}: unknown indicator {r['indicator_code']!r}")
        for lang in ("zh", "en"):
            if "{value}" not in r[f"phrase_{lang}"]:
                raise CatalogError(f"{PHRASES_FILE}: {r['indicator_code']}'s phrase_{lang} has no {{value}}")
    return {r["indicator_code"]: {"zh": r["phrase_zh"], "en": r["phrase_en"]} for r in rows}


def phrases() -> dict[str, dict[str, str]]:
    """Each indicator's phrase by code and language."""
    return _phrases_of(settings().data_dir / PHRASES_FILE)
