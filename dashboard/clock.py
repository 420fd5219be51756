"""The one clock of the product: which day it is, and so (periods.current_quarter) which quarter
is current, what is due or late, and on which day a reminder went out.

Every "today" and "now" of the product comes from here.  `settings.today` (DANGJIAN_TODAY) fixes
the date — tests and rehearsals set it; unset, it is the machine's clock.  A fixed date keeps the
time of day running, so records made in one run still follow each other.
"""

from __future__ import annotations

from datetime import date, datetime

from .settings import current as settings


class ClockError(ValueError):
    """DANGJIAN_TODAY holds something that is not a date."""


def today() -> date:
    """The product's today."""
    fixed = settings().today.strip()
    if not fixed:
        return date.today()
    try:
        return date.fromisoformat(fixed)
    except ValueError as exc:
        raise ClockError(f"DANGJIAN_TODAY={fixed!r} is not a date (YYYY-MM-DD)") from exc


def now() -> datetime:
    """The product's present moment: today's date at the machine's time of day."""
    moment = datetime.now()
    fixed = settings().today.strip()
    return datetime.combine(today(), moment.time()) if fixed else moment

