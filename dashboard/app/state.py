"""What every page reads: the store, cached queries and built figures, the language, the filters.

The store is opened once per database file (st.cache_resource); query results and finished
figures are cached on (database, data_version, ...), so any write — an upload, a restore —
makes every chart read fresh figures at once.  The shared filters live in the URL.

Who is looking (`principal()`, set for each run by identity.resolve) limits all of it: every
query is checked against the principal's scope before its cached answer is given
(access.AccessDenied otherwise), finished figures are cached per scope, and the filters and
unit pickers offer only units within the scope.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import pandas as pd
import streamlit as st

from dashboard import demo, health, service
from dashboard.db import Store
from dashboard.domain import analysis, periods
from dashboard.domain import filters as flt
from dashboard.domain.access import AccessDenied, Principal
from dashboard.i18n import DEFAULT_LANG, LANGS
from dashboard.i18n import t as _t
from dashboard.settings import current as settings

PERIOD_STATE = "_period"
PRINCIPAL = "_principal"  # who is looking, set by identity.resolve at the start of every run
MODE = "_auth_mode"  # demo | oidc | none
SEEDED_STATE = "_filters_seeded"
_OPENED: list[dict] = []  # every store this process opened, to close them (tests)


# --- the store and its queries ---------------------------------------------------------------


@st.cache_resource(show_spinner=False)
def _open_store(path: str) -> dict:
    """Open the database once per file; the cheap health check runs and is logged once per process,
    and the command line reaches the store through the service.  A file that cannot be opened
    raises StoreUnavailable (not cached: a reload tries again)."""
    store = Store(path)
    autoloaded = False
    if not store.has_submissions():
        demo.load_demo(store)
        autoloaded = True
    health.startup_check(store)
    opened = {"store": store, "autoloaded": autoloaded, "service": service.start(store)}
    _OPENED.append(opened)
    return opened


def db_path() -> str:
    return str(settings().db)


def store() -> Store:
    return _open_store(db_path())["store"]


def demo_autoloaded() -> bool:
    return _open_store(db_path())["autoloaded"]


def forget_stores() -> None:
    """Stop the services, close the stores and forget them: the next run opens afresh (tests)."""
    _open_store.clear()
    invalidate()
    while _OPENED:
        opened = _OPENED.pop()
        opened["service"].stop()
        opened["store"].close()


@st.cache_data(show_spinner=False, max_entries=settings().query_cache_entries)
def _cached_query(path: str, version: int, name: str, params_json: str) -> pd.DataFrame:
    return _open_store(path)["store"].query(name, **json.loads(params_json))


def query(name: str, **params) -> pd.DataFrame:
    """Run a named chart query with bound parameters, cached until the next write; for whoever
    looks only within their scope (access.AccessDenied else, checked before the cache answers)."""
    store().check_query(principal(), name, params)
    return _cached_query(db_path(), store().data_version, name,
                         json.dumps(params, sort_keys=True, ensure_ascii=False))


# --- who is looking ---------------------------------------------------------------------------------


def principal() -> Principal:
    """Who is looking (identity.resolve sets it each run); nothing is shown to no one."""
    p = st.session_state.get(PRINCIPAL)
    if not isinstance(p, Principal):
        raise AccessDenied("acc_no_admin", role="—")
    return p


def auth_mode() -> str:
    return st.session_state.get(MODE, "demo")


def top_unit() -> str:
    """The unit at the top of what the principal may see (the root for an administrator)."""
    return principal().top(store().tree())


@st.cache_data(show_spinner=False)
def _quarters(path: str, version: int) -> list[str]:
    span = _open_store(path)["store"].quarter_span()
    return periods.quarter_range(*span) if span else []


def quarters_with_data() -> list[str]:
    return _quarters(db_path(), store().data_version)


_BUILDERS: dict[str, Callable] = {}


@st.cache_resource(show_spinner=False, max_entries=settings().built_cache_entries)
def _built(path: str, version: int, lg: str, name: str, args_json: str, scope: str):
    return _BUILDERS[name](**json.loads(args_json))


def built(builder: Callable, **args):
    """What `builder(**args)` makes — finished figures, the tables behind them — cached per
    database, data version, language and arguments (JSON), so a rerun or a page switch draws
    them without building them again (a plotly figure costs tens of ms to build, more than its
    query's cached answer).  The builder reads its data through query() and makes no Streamlit
    calls.  What it returns is shared by every session, as built: never change it."""
    name = f"{builder.__module__}:{builder.__qualname__}"
    _BUILDERS[name] = builder
    # keyed by the scope too: a figure built for one scope is never handed to another
    return _built(db_path(), store().data_version, lang(), name,
                  json.dumps(args, sort_keys=True, ensure_ascii=False), top_unit())


def invalidate() -> None:
    """After a write: data_version has moved on, so the caches key on a new version anyway; drop the old."""
    _cached_query.clear()
    _quarters.clear()
    _unit_choices.clear()
    _reporting.clear()
    _built.clear()


# --- language and text --------------------------------------------------------------------------


def lang() -> str:
    value = st.session_state.get(flt.KEY_LANG)
    return value if value in LANGS else DEFAULT_LANG


def t(key: str, **fields) -> str:
    return _t(key, lang(), **fields)


def unit_name(code: str) -> str:
    tree = store().tree()
    return tree[code].name(lang()) if code in tree else code


def unit_fmt(indent: bool = False):
    """A format_func naming units in the current language.

    The language is fixed when the widget is drawn: a format_func may be called outside
    the script run (AppTest does), where session state cannot be read.
    """
    lg, tree = lang(), store().tree()
    return lambda c: flt.unit_label(tree, c, lg, indent=indent) if c in tree else str(c)


def text_fmt(prefix: str):
    """A format_func giving the text `prefix + option` in the current language."""
    lg = lang()
    return lambda v: _t(f"{prefix}{v}", lg)


def name_col(prefix: str = "unit_name") -> str:
    return f"{prefix}_en" if lang() == "en" else f"{prefix}_zh"


# --- the shared filters -------------------------------------------------------------------------


def seed_filters_from_url() -> None:
    """On a session's first run, the URL decides the filters (a shared link opens the same view)."""
    if st.session_state.get(SEEDED_STATE):
        # Re-assigning keeps the values when a page switch would otherwise reset a widget.
        for key in (flt.KEY_UNITS, flt.KEY_GRAN, flt.KEY_LANG):
            if key in st.session_state:
                st.session_state[key] = st.session_state[key]
        return
    qp = st.query_params
    raw = {k: qp.get_all(k) for k in (flt.KEY_UNITS, flt.KEY_PERIOD) if k in qp}
    raw.update({k: qp.get(k) for k in (flt.KEY_GRAN, flt.KEY_LANG) if k in qp})
    known = st.session_state.get(PRINCIPAL)  # the language is seeded before anyone is resolved
    within = known.top(store().tree()) if isinstance(known, Principal) else None
    f = flt.clean(raw, store().tree(), quarters_with_data(), within)
    st.session_state[flt.KEY_UNITS] = list(f.units)
    st.session_state[PERIOD_STATE] = (f.first, f.last)  # the slider's own value is passed, see widgets
    st.session_state[flt.KEY_GRAN] = f.granularity
    st.session_state[flt.KEY_LANG] = f.lang
    st.session_state[SEEDED_STATE] = True


def filters() -> flt.Filters:
    tree = store().tree()
    raw = {flt.KEY_PERIOD: st.session_state.get(PERIOD_STATE), flt.KEY_GRAN: st.session_state.get(flt.KEY_GRAN),
           flt.KEY_LANG: lang()}
    if flt.KEY_UNITS in st.session_state:
        raw[flt.KEY_UNITS] = st.session_state[flt.KEY_UNITS]
    return flt.clean(raw, tree, quarters_with_data(), top_unit())


def periods_in(f: flt.Filters) -> list[str]:
    return list(dict.fromkeys(periods.period_of(q, f.granularity) for q in f.quarters))


@st.cache_data(show_spinner=False, max_entries=1000)
def _unit_choices(path: str, version: int, selected: tuple[str, ...], lg: str,
                  indent: bool, within: str) -> tuple[list[str], dict[str, str]]:
    tree = _open_store(path)["store"].tree()
    codes = flt.unit_options(tree, selected, within)
    return codes, {c: flt.unit_label(tree, c, lg, indent=indent) for c in codes}


def unit_choices(selected, indent: bool = True) -> tuple[list[str], dict[str, str]]:
    """A unit picker's options (tree-aware, a few hundred at most: see filters.unit_options)
    and their labels, within the principal's scope, cached per selection, language, scope and
    data version."""
    chosen = tuple(dict.fromkeys(c for c in selected if isinstance(c, str)))
    return _unit_choices(db_path(), store().data_version, chosen, lang(), indent, top_unit())


@st.cache_data(show_spinner=False, max_entries=500)
def _reporting(path: str, version: int, units: tuple[str, ...], whole: bool) -> list[str]:
    tree = _open_store(path)["store"].tree()
    return analysis.reporting_scope(tree, units) if whole else analysis.reporting_of_scope(tree, units)


def reporting_units(units, whole: bool = False) -> list[str]:
    """The reporting units of the selection: whole=True every one in the selected subtrees
    (analysis.reporting_scope), else those carrying the selected units and their children
    (analysis.reporting_of_scope); only those within the principal's scope (a branch's
    committee is outside a scope of that branch).  Cached per selection and data version."""
    found = _reporting(db_path(), store().data_version, tuple(units), whole)
    return principal().visible(store().tree(), found)
