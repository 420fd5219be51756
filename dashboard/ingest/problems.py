"""One problem found in a return: where it is, what was expected, what was found, and why.

Every message is kept in Chinese and English (`dashboard/text/validation.toml`); the
command line prints both, the app shows the language it is switched to.
"""

from __future__ import annotations

from dataclasses import dataclass

from .. import i18n
from ..output.safe import printable

ERROR, WARNING = "error", "warning"


@dataclass(frozen=True)
class Problem:
    file: str
    sheet: str
    cell: str
    unit_code: str
    unit_name: str
    indicator_code: str
    indicator_name: str
    expected_zh: str
    expected_en: str
    found: str
    severity: str  # 'error' | 'warning'
    message_zh: str
    message_en: str

    @property
    def where(self) -> str:
        """'学习教育!E7', or the sheet alone, or '' for the file as a whole."""
        if self.sheet and self.cell:
            return f"{self.sheet}!{self.cell}"
        return self.sheet or self.cell

    @property
    def is_error(self) -> bool:
        return self.severity == ERROR

    def message(self, lang: str = "zh") -> str:
        return self.message_en if lang == "en" else self.message_zh

    def expected(self, lang: str = "zh") -> str:
        return self.expected_en if lang == "en" else self.expected_zh

    def line(self) -> str:
        """One line for the command line: file, sheet!cell, unit, indicator, expected, found,
        then the message in Chinese with the English after it."""
        parts = [self.file]
        if self.where:
            parts.append(self.where)
        if self.unit_code:
            parts.append(f"{self.unit_code} {self.unit_name}".strip())
        if self.indicator_code:
            parts.append(f"{self.indicator_name} {self.indicator_code}".strip())
        if self.expected_zh:
            parts.append(f"应为 expected: {self.expected_zh} | {self.expected_en}")
        if self.found != "":
            parts.append(f"实际 found: {self.found}")
        sev = f"{i18n.t('val_sev_' + self.severity, 'zh')} {self.severity}"
        parts.append(f"{sev}: {self.message_zh} | {self.message_en}")
        return printable(" · ".join(parts))  # file names, unit names and cells are shown, not obeyed


def show(value) -> str:
    """A cell's content as the reporter would recognise it in a message."""
    if value is None or value == "":
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


class Collector:
    """Gathers the problems of one file; every problem is kept, never only the first."""

    def __init__(self, file: str):
        self.file = file
        self.items: list[Problem] = []
        self.errors = 0

    def add(self, key: str, severity: str = ERROR, *, sheet: str = "", cell: str = "", unit=None,
            indicator=None, expected: tuple[str, str] = ("", ""), found="", unit_code: str = "",
            **fields) -> None:
        """`unit` is a catalog Unit (or None with a bare `unit_code`); `indicator` an Indicator."""
        en_fields = {k: (v[1] if isinstance(v, tuple) else v) for k, v in fields.items()}
        zh_fields = {k: (v[0] if isinstance(v, tuple) else v) for k, v in fields.items()}
        self.items.append(
            Problem(
                file=self.file,
                sheet=sheet,
                cell=cell,
                unit_code=unit.code if unit is not None else unit_code,
                unit_name=unit.name_zh if unit is not None else "",
                indicator_code=indicator.code if indicator is not None else "",
                indicator_name=indicator.name_zh if indicator is not None else "",
                expected_zh=expected[0],
                expected_en=expected[1],
                found=show(found),
                severity=severity,
                message_zh=i18n.t(key, "zh", **zh_fields),
                message_en=i18n.t(key, "en", **en_fields),
            )
        )
        if severity == ERROR:
            self.errors += 1

    def warn(self, key: str, **kw) -> None:
        self.add(key, WARNING, **kw)


def expectation(key: str, **fields) -> tuple[str, str]:
    """(Chinese, English) of an 'expected' text; a field given as a (zh, en) pair is split."""
    zh = {k: (v[0] if isinstance(v, tuple) else v) for k, v in fields.items()}
    en = {k: (v[1] if isinstance(v, tuple) else v) for k, v in fields.items()}
    return i18n.t(key, "zh", **zh), i18n.t(key, "en", **en)
