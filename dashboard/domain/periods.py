"""Quarters and the periods they roll up into (half-years, years).

A quarter is written `2024Q3`; a half-year `2024H2`; a year `2024`.  Written
this way they sort as text in time order, which the SQL relies on.  Which period a quarter
falls in is defined here only (`period_of`); the SQL is handed the mapping as bound lists
(`period_map`), never a formula of its own.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from .. import clock
from ..i18n import t

GRANULARITIES = ("quarter", "half", "year")
_QUARTER_RE = re.compile(r"^(\d{4})Q([1-4])$")


class PeriodError(ValueError):
    pass


def parse_quarter(text: str) -> tuple[int, int]:
    m = _QUARTER_RE.match(text.strip().upper()) if isinstance(text, str) else None
    if not m:
        raise PeriodError(f"not a quarter: {text!r} (expected e.g. 2024Q3)")
    year, q = int(m[1]), int(m[2])
    if not 2000 <= year <= 2100:
        raise PeriodError(f"year out of range in {text!r}")
    return year, q


def quarter(text: str) -> str:
    """Normalise and validate a quarter: '2024q3' -> '2024Q3'."""
    y, q = parse_quarter(text)
    return f"{y}Q{q}"


def period(text: str) -> str:
    """Normalise and validate a period a report covers: a quarter ('2024q4' -> '2024Q4'), a
    half-year ('2024h1' -> '2024H1') or a year ('2024')."""
    text = str(text).strip().upper()
    m = re.match(r"^(\d{4})H([12])$", text)
    if m:
        parse_quarter(f"{m[1]}Q1")  # the year's range
        return f"{m[1]}H{m[2]}"
    if re.match(r"^\d{4}$", text):
        parse_quarter(f"{text}Q1")
        return text
    try:
        return quarter(text)
    except PeriodError:
        raise PeriodError(f"not a period: {text!r} (expected a quarter 2024Q4, a half-year 2024H1 or a year 2024)") from None


def report_label(text: str, lang: str = "zh") -> str:
    """A period as a document's title names it: 「2024年第四季度」「2024年上半年」「2024年度」."""
    kind = granularity_of(text)
    if kind == "quarter":
        return quarter_label(text, lang)
    if kind == "half":
        year, half = text.split("H")
        return t(f"half_label_{half}", lang, year=year)
    return t("year_label", lang, year=text)


def quarter_of(day) -> str:
    """The quarter a date (or datetime) falls in."""
    return f"{day.year}Q{(day.month - 1) // 3 + 1}"


def current_quarter() -> str:
    """The quarter the product's today (clock.today) falls in."""
    return quarter_of(clock.today())


def quarter_label(text: str, lang: str = "zh") -> str:
    """A quarter as a person writes it: '2024Q4' -> '2024年第四季度' (en: 'Q4 2024')."""
    y, q = parse_quarter(text)
    return t(f"quarter_label_{q}", lang, year=y)


def quarter_index(text: str) -> int:
    y, q = parse_quarter(text)
    return y * 4 + q - 1


def from_index(i: int) -> str:
    return f"{i // 4}Q{i % 4 + 1}"


def shift(text: str, quarters: int) -> str:
    return from_index(quarter_index(text) + quarters)


def quarter_range(first: str, last: str) -> list[str]:
    a, b = quarter_index(first), quarter_index(last)
    if a > b:
        raise PeriodError(f"{first} is after {last}")
    return [from_index(i) for i in range(a, b + 1)]


def period_of(q: str, granularity: str) -> str:
    """The period a quarter falls in."""
    y, n = parse_quarter(q)
    if granularity == "quarter":
        return f"{y}Q{n}"
    if granularity == "half":
        return f"{y}H{1 if n <= 2 else 2}"
    if granularity == "year":
        return str(y)
    raise PeriodError(f"unknown granularity {granularity!r}")


def quarter_end(q: str) -> datetime:
    """The last day of a quarter (its return is due settings.deadline_days after it)."""
    y, n = parse_quarter(q)
    first_of_next = datetime(y + (n == 4), 1 if n == 4 else 3 * n + 1, 1)
    return first_of_next - timedelta(days=1)


def granularity_of(period: str) -> str:
    """quarter / half / year: the kind of period a code names (2024Q3, 2024H2, 2024)."""
    return "quarter" if "Q" in period else "half" if "H" in period else "year"


def quarters_of(period: str) -> list[str]:
    """The quarters a period covers."""
    if "Q" in period:
        return [quarter(period)]
    if "H" in period:
        y, h = period.split("H")
        return [f"{y}Q{n}" for n in ((1, 2) if h == "1" else (3, 4))]
    return [f"{period}Q{n}" for n in range(1, 5)]


def period_map(first: str, last: str, granularity: str) -> dict[str, list[str]]:
    """The quarters first..last and the period each falls in, as two lists to bind into a query
    ($quarters, $periods): the one place the SQL learns how quarters roll into periods."""
    quarters = quarter_range(first, last)
    return {"quarters": quarters, "periods": [period_of(q, granularity) for q in quarters]}


_CN_HALF = {"1": "上半年", "2": "下半年"}


def short_label(period: str, lang: str = "zh") -> tuple[str, str]:
    """A period in as few characters as a narrow axis has room for, as (year, part) to be put on
    one line or two: 2024Q3 → ("24", "Q3"), 2024H2 → ("24", "下半") / ("24", "H2"), 2024 → ("2024", "").
    Anything else comes back as (it, "")."""
    text = str(period)
    m = _QUARTER_RE.match(text)
    if m:
        return m[1][2:], f"Q{m[2]}"
    m = re.match(r"^(\d{4})H([12])$", text)
    if m:
        return m[1][2:], (_CN_HALF[m[2]][:2] if lang == "zh" else f"H{m[2]}")
    return text, ""


def label(period: str, lang: str = "zh") -> str:
    """A period as a person reads it: 2024Q3 → 「2024年第3季度」 / "2024 Q3", 2024H2 → 「2024年下半年」 /
    "2024 H2", 2024 → 「2024年」 / "2024".  Anything else comes back as it is."""
    text = str(period)
    m = _QUARTER_RE.match(text)
    if m:
        return f"{m[1]}年第{m[2]}季度" if lang == "zh" else f"{m[1]} Q{m[2]}"
    m = re.match(r"^(\d{4})H([12])$", text)
    if m:
        return f"{m[1]}年{_CN_HALF[m[2]]}" if lang == "zh" else f"{m[1]} H{m[2]}"
    if re.match(r"^\d{4}$", text):
        return f"{text}年" if lang == "zh" else text
    return text
