"""When a quarter's returns are due: the one rule, asked by the status matrix, the 通报, the
templates and the reminders.

By default a return is due `settings.deadline_days` (15) days after its quarter ends; the
administrator may set a quarter's deadline apart (the store's `deadlines` table, given here as a
mapping quarter -> date).  Whether a return is late, missing or not yet due is decided against
the product's clock (dashboard/clock.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta

from ..settings import current as settings
from . import periods


def default(quarter: str) -> date:
    """The deadline of `quarter` when none is set: settings.deadline_days after it ends."""
    return periods.quarter_end(quarter).date() + timedelta(days=settings().deadline_days)


def due(quarter: str, set_apart: Mapping[str, date] | None = None) -> date:
    """The deadline of `quarter`: the one set for it, else the default."""
    found = (set_apart or {}).get(quarter)
    return found if found is not None else default(quarter)


def days_left(deadline: date, today: date) -> int:
    """Days from `today` to `deadline`: 0 on the day, negative once it has passed (overdue)."""
    return (deadline - today).days
