"""The Chinese UI is Chinese: no English word left in the zh text the app shows; periods read as
a person says them; text placed in CSS cannot break out of it."""

from __future__ import annotations

import re
import tomllib

import pytest

from dashboard.app.look import css_string
from dashboard.domain.periods import label
from dashboard.i18n import TEXT_DIR, strings

# The app's own text (pages, filters, charts, tables, the demo banner).  validation.toml,
# check.toml, store.toml and tree.toml speak to reporters and administrators about files,
# sheets and commands, and name them as they are named.
APP_TEXT = ("ui.toml", "common.toml")
# Names read as they are in Chinese too: file formats, programs, units of size, a hash's name.
ALLOWED = {"CSV", "Excel", "PDF", "Word", "PNG", "WPS", "MB", "SHA", "xlsx"}


def english_words(zh: str) -> list[str]:
    """The Latin-letter words of a zh text that are not allowed names ({fields} excepted)."""
    text = re.sub(r"\{[^}]*\}", "", zh)
    text = re.sub(r"`[^`]*`", "", text)  # a command in a code span is typed as it is (the first-start guide)
    return [w for w in re.findall(r"[A-Za-z]+", text) if w not in ALLOWED]


@pytest.mark.parametrize("file", APP_TEXT)
def test_no_english_word_is_left_in_the_chinese_ui(file):
    entries = tomllib.loads((TEXT_DIR / file).read_text(encoding="utf-8"))
    found = {key: english_words(e["zh"]) for key, e in entries.items() if english_words(e["zh"])}
    assert found == {}


def test_the_check_finds_english_where_there_is_some():
    assert english_words("点击 Upload 上传，每个文件 10MB per file • XLSX") == ["Upload", "per", "file", "XLSX"]
    assert english_words("下载 CSV（{n} 行）") == []


def test_english_text_has_no_chinese_punctuation():
    found = {k: e["en"] for k, e in strings().items() if re.search(r"[（）：；、，。「」]", e["en"])}
    assert found == {}


@pytest.mark.parametrize("period, zh, en", [
    ("2024Q3", "2024年第3季度", "2024 Q3"), ("2024H2", "2024年下半年", "2024 H2"),
    ("2024H1", "2024年上半年", "2024 H1"), ("2024", "2024年", "2024"),
])
def test_periods_read_as_a_person_says_them(period, zh, en):
    assert label(period, "zh") == zh and label(period, "en") == en


def test_text_in_css_cannot_close_the_rule_or_the_style_element():
    hostile = '"; } body { display: none } </style><script>x</script>\\'
    literal = css_string(hostile)
    assert literal.startswith('"') and literal.endswith('"')
    inner = literal[1:-1]
    assert '"' not in inner and "<" not in inner and ">" not in inner
    assert not re.search(r"(?<!\\)\\(?![0-9a-f])", inner)  # every backslash starts a hex escape
