"""All user-facing text, in Chinese (default) and English.

Text lives in `dashboard/text/*.toml`, one file per area of the product (ui, validation,
...), each entry a key with `zh` and `en`:

    [overview_title]
    zh = "总览"
    en = "Overview"

`t(key, lang, **fields)` returns the text with `{fields}` filled in.  Indicator, domain
and unit names are not here: they belong to the catalog and the tree.
"""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path

TEXT_DIR = Path(__file__).resolve().parent / "text"
LANGS = ("zh", "en")
DEFAULT_LANG = "zh"


@cache
def strings() -> dict[str, dict[str, str]]:
    merged: dict[str, dict[str, str]] = {}
    for path in sorted(TEXT_DIR.glob("*.toml")):
        with open(path, "rb") as f:
            for key, entry in tomllib.load(f).items():
                if key in merged:
                    raise ValueError(f"text key {key!r} defined twice ({path.name})")
                if set(entry) != set(LANGS):
                    raise ValueError(f"text key {key!r} in {path.name} needs exactly zh and en")
                merged[key] = entry
    return merged


def t(key: str, lang: str = DEFAULT_LANG, **fields) -> str:
    entry = strings()[key]
    text = entry.get(lang) or entry[DEFAULT_LANG]
    return text.format(**fields) if fields else text


class Key(str):
    """A field that is itself a text key (a role, a state): `both` writes it in each
    language, so a Chinese line never carries an English word."""


def _fields(lang: str, fields: dict) -> dict:
    return {k: t(v, lang) if isinstance(v, Key) else v for k, v in fields.items()}


def both(key: str, **fields) -> str:
    """'中文 | English', for command-line output read by either."""
    return f"{t(key, 'zh', **_fields('zh', fields))} | {t(key, 'en', **_fields('en', fields))}"
