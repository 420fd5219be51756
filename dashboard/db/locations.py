"""What a --db / DANGJIAN_DB value names: a PostgreSQL URL or a DuckDB file.  Kept apart from
postgres.py so that a DuckDB app never imports psycopg and sqlglot (a third of a second of a
fresh server's start) to find out it does not need them."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

SCHEMES = ("postgresql://", "postgres://")


def is_url(location) -> bool:
    """Whether a --db / DANGJIAN_DB value names a PostgreSQL database rather than a file."""
    return isinstance(location, str) and location.startswith(SCHEMES)


def shown(url: str) -> str:
    """The URL without its password, fit to print."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.netloc.rsplit("@", 1)[1]
    return urlunsplit(parts._replace(netloc=f"{parts.username}:***@{host}"))


def database_name(url: str) -> str:
    return urlsplit(url).path.lstrip("/") or "postgres"
