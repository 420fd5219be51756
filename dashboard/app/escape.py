"""Strings people typed (unit, file and user names, a return's cells), shown as text by Streamlit.

Most of Streamlit's text elements read Markdown: st.markdown, st.caption, titles, st.info and
its kin, st.toast, metric and widget labels, help tooltips, button labels, st.table cells.
A unit named `![x](http://evil.example/p.png)` would make every viewer's browser fetch that
address; `<b>`, `:red[...]`, `$x$` and a bare URL would be drawn as bold, colour, formula or
link.  `md` is the one way such a string enters those elements.  Selectbox and multiselect
options and st.dataframe cells are plain text already: they take the string as it is.
"""

from __future__ import annotations

import re

from dashboard.output.safe import printable

# CommonMark lets a backslash escape any ASCII punctuation, which then reads as itself.
_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")
# Link-looking text is turned into a link after the escapes are undone (GFM's autolink
# literals: http://, www., a@b.c), and :shortcodes: into emoji: a word joiner (U+2060,
# invisible) after each colon, before each @ and after www breaks all of them.
WORD_JOINER = "\u2060"
_AUTOLINK = re.compile(r"(?i)(?<=www)(?=\.)")


def md(value) -> str:
    """`value` as literal text inside Markdown: control characters shown escaped, every ASCII
    punctuation character backslash-escaped (no link, image, HTML, emphasis, directive or
    formula), auto-links and emoji shortcodes broken by an invisible word joiner."""
    text = printable("" if value is None else value)
    text = text.replace(":", ":" + WORD_JOINER).replace("@", WORD_JOINER + "@")
    text = _AUTOLINK.sub(WORD_JOINER, text)
    return _PUNCTUATION.sub(r"\\\1", text)
