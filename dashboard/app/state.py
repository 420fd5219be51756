"""What every page reads: the store, cached queries and built figures, the language, the filters.

The store is opened once per database file (st.cache_resource); query results and finished
figures are cached on (database, data_version, ...), so any write — an upload, a restore, a tree
import — makes every chart read fresh figures at once.  The data version is read once per run
(`begin_run`, at the top of entry.py and of a fragment that reruns alone) — one small query, also
on PostgreSQL — and that read is what lets the store's own tree follow it: a write made by another
app instance on the same server, or by a command, shows on this instance's next run.  The shared
filters live in the URL.

Who is looking (`principal()`, set for each run by identity.resolve) limits all of it: every
query is checked against the principal's scope before its cached answer is given
(access.AccessDenied otherwise), finished figures are cached per scope, and the filters and
unit pickers offer only units within the scope.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass

import pandas as pd
import streamlit as st

from dashboard import cli, clock, health, service
from dashboard.db import Store
from dashboard.domain import analysis, coverage, figures, periods
from dashboard.domain import filters as flt
from dashboard.domain.access import AccessDenied, Principal
from dashboard.i18n import DEFAULT_LANG, LANGS
from dashboard.i18n import t as _t
from dashboard.settings import current as settings

PERIOD_STATE = "_period"
PRINCIPAL = "_principal"  # who is looking, set by identity.resolve at the start of every run
MODE = "_auth_mode"  # demo | oidc | none
SEEDED_STATE = "_filters_seeded"
VERSION_STATE = "_data_version"  # the data version this run reads at (begin_run)
_OPENED: list[dict] = []  # every store this process opened, to close them (tests)


# --- the store and its queries ---------------------------------------------------------------


@st.cache_resource(show_spinner=False)
def _open_store(path: str) -> dict:
    """Open the database once per file; the cheap health check runs and is logged once per process,
    and the command line reaches the store through the service.  A file that cannot be opened
    raises StoreUnavailable (not cached: a reload tries again)."""
    store = Store(path)
    health.startup_check(store)
    opened = {"path": path, "store": store, "service": service.start(store, cli.run_for_client)}
    _OPENED.append(opened)
    return opened


@dataclass(frozen=True)
class View:
    """What a built figure may depend on besides its own arguments: the database and its data
    version, the language, and whose view it is (the top unit of their scope and their role).  It
    is the cached builders' key, and while a builder runs, db_path(), data_version(), lang() and
    principal() answer from it, never from the session: what the key leaves out, a builder cannot read."""

    path: str
    version: int
    lang: str
    scope: str
    role: str


_BUILDING: ContextVar[tuple[View, Principal] | None] = ContextVar("dangjian_building", default=None)


def db_path() -> str:
    building = _BUILDING.get()
    return building[0].path if building else str(settings().db)


def store() -> Store:
    path = db_path()
    for opened in _OPENED:  # a page asks a few dozen times a run: no cache key hashed for each ask
        if opened["path"] == path:
            return opened["store"]
    return _open_store(path)["store"]


def opened_stores() -> list[Store]:
    """The stores this process has open (one per database file it serves)."""
    return [opened["store"] for opened in _OPENED]


def begin_run() -> int:
    """Read the database's data version for this run: every cache below keys on it, and reading it
    refreshes the store's tree when another instance or a command changed the data."""
    version = store().data_version
    st.session_state[VERSION_STATE] = version
    return version


def data_version() -> int:
    """The data version this run reads at (read once per run; begin_run)."""
    building = _BUILDING.get()
    if building:
        return building[0].version
    version = st.session_state.get(VERSION_STATE)
    return begin_run() if version is None else version


def load_demo() -> int:
    """Load the demo bureau into the (empty) database the app holds: the first-start guide's button."""
    from dashboard import demo  # the first-start button only: the demo's loader is not the first page's import

    n = demo.load_demo(store())
    invalidate()
    return n


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
    return _cached_query(db_path(), data_version(), name,
                         json.dumps(params, sort_keys=True, ensure_ascii=False))


# --- who is looking ---------------------------------------------------------------------------------


def principal() -> Principal:
    """Who is looking (identity.resolve sets it each run); nothing is shown to no one."""
    building = _BUILDING.get()
    if building:
        return building[1]
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
    return _quarters(db_path(), data_version())


_BUILDERS: dict[str, Callable] = {}


@st.cache_resource(show_spinner=False, max_entries=settings().built_cache_entries,
                   hash_funcs={Principal: lambda p: None})  # the principal is the view's; the view keys
def _built(path: str, version: int, lg: str, scope: str, role: str, name: str, args_json: str,
           principal: Principal):
    token = _BUILDING.set((View(path, version, lg, scope, role), principal))
    try:
        return _BUILDERS[name](**json.loads(args_json))
    finally:
        _BUILDING.reset(token)


def view() -> View:
    """This session's view, as the cached builders are keyed by it."""
    return View(db_path(), data_version(), lang(), top_unit(), principal().role)


def built(builder: Callable, **args):
    """What `builder(**args)` makes — finished figures, the tables behind them — cached per
    database, data version, language and arguments (JSON), so a rerun or a page switch draws
    them without building them again (a plotly figure costs tens of ms to build, more than its
    query's cached answer).  The builder reads its data through query() and makes no Streamlit
    calls.  What it returns is shared by every session, as built: never change it."""
    name = f"{builder.__module__}:{builder.__qualname__}"
    _BUILDERS[name] = builder
    # keyed by the whole view: a figure built for one scope, role or language is never handed to another
    v = view()
    return _built(v.path, v.version, v.lang, v.scope, v.role, name, json.dumps(args, sort_keys=True, ensure_ascii=False),
                  principal())


def invalidate() -> None:
    """After a write: data_version has moved on, so the caches key on a new version anyway; drop the
    old, and read the new version for the rest of this run."""
    with contextlib.suppress(Exception):  # also called outside a run (tests forgetting their stores)
        st.session_state.pop(VERSION_STATE, None)
    _cached_query.clear()
    _quarters.clear()
    _unit_choices.clear()
    _expected.clear()
    _coverage.clear()
    _built.clear()


# --- who acts -------------------------------------------------------------------------------------

USER_WIDGET = "upload_user"  # the upload page's 报送人 field
ACTOR_STATE = "_actor"  # what was typed there, kept when the page (and its widget's state) is left


def actor() -> str:
    """In the open demo mode, the name typed on the upload page (entry.py records writes as it;
    signed in, the identity is used instead).  "" when nobody has typed one."""
    if USER_WIDGET in st.session_state:
        return str(st.session_state[USER_WIDGET] or "").strip()
    return str(st.session_state.get(ACTOR_STATE) or "")


def remember_actor(login: str) -> None:
    """Keep the name typed on the upload page for the rest of the session (a widget's own state
    goes when its page is left)."""
    st.session_state[ACTOR_STATE] = (login or "").strip()


# --- language and text --------------------------------------------------------------------------


def lang() -> str:
    building = _BUILDING.get()
    if building:
        return building[0].lang
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


def period_fmt():
    """A format_func naming periods (a half-year as 「2024年下半年」) in the current language."""
    lg = lang()
    return lambda p: periods.label(p, lg)


def period(p: str) -> str:
    return periods.label(p, lang())


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
    if not store().has_tree():  # the first-start page: only the language; units come with a tree
        asked = qp.get(flt.KEY_LANG)
        st.session_state.setdefault(flt.KEY_LANG, asked if asked in LANGS else DEFAULT_LANG)
        return
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
    return _unit_choices(db_path(), data_version(), chosen, lang(), indent, top_unit())


@st.cache_data(show_spinner=False, max_entries=500)
def _expected(path: str, version: int, units: tuple[str, ...], quarters: tuple[str, ...], whole: bool,
              today: str) -> dict:
    store = _open_store(path)["store"]  # `today` keys the cache: a return falls due when the day turns
    return analysis.expected_returns(store.history(), units, list(quarters), whole=whole, deadlines=store.deadlines())


def expected_returns(units, quarters, whole: bool = False) -> dict[str, list]:
    """The returns due from the selection in `quarters` (analysis.expected_returns: each quarter's
    own tree), as submission_status's parameters.  Cached per selection and data version."""
    due = _expected(db_path(), data_version(), tuple(units), tuple(quarters), whole, clock.today().isoformat())
    seen = set(principal().visible(store().tree(), sorted(set(due["units"]))))  # a branch's committee may be outside
    keep = [i for i, u in enumerate(due["units"]) if u in seen]
    return {k: [v[i] for i in keep] if isinstance(v, list) else v for k, v in due.items()}


def reporting_units(units, quarters) -> list[str]:
    """Every reporting unit that was due from the selection in any of `quarters`, in tree order."""
    due = expected_returns(units, quarters)["units"]
    tree = store().tree()
    return sorted(set(due), key=lambda c: tree[c].sort_order if c in tree else 0)


@st.cache_data(show_spinner=False, max_entries=500)
def _coverage(path: str, version: int, units: tuple[str, ...], quarters: tuple[str, ...]):
    store = _open_store(path)["store"]
    return coverage.inputs(store.history(), store.query, units, quarters)


def coverage_inputs(units, quarters) -> tuple[dict[str, dict[str, list[str]]], frozenset]:
    """What coverage.py needs for `units` over `quarters`: per unit, the returns due from its
    subtree in each quarter (each quarter's own tree), and the (reporting unit, quarter) of every
    return that came in.  Cached per selection and data version."""
    return _coverage(db_path(), data_version(), tuple(units), tuple(sorted(set(quarters))))


def figures_source() -> figures.Source:
    """Where the figures layer reads for this run: the cached queries and coverage inputs."""
    s = store()
    return figures.Source(query, coverage_inputs, s.history(), s.catalog, s.tree())
