"""Who is acting, and from where: the signed-in person in the app, the command line's --user (or
the login name), or the system itself.  Set around each page run and each command; read by the
store when it appends to the audit trail, so no write needs to be told who asked for it."""

from __future__ import annotations

import contextlib
import contextvars

VIAS = ("app", "cli", "system")
_ACTOR: contextvars.ContextVar[tuple[str, str]] = contextvars.ContextVar("actor", default=("system", "system"))


@contextlib.contextmanager
def acting(login: str, via: str):
    if via not in VIAS:
        raise ValueError(f"via must be one of {VIAS}")
    token = _ACTOR.set((login or "unknown", via))
    try:
        yield
    finally:
        _ACTOR.reset(token)


def current() -> tuple[str, str]:
    """(login, via) of whoever acts now."""
    return _ACTOR.get()
