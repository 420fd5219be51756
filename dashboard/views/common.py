"""What every page shares: the store, cached queries, the sidebar filters, charts with their tables.

Not a page itself.  The store is opened once per database file (st.cache_resource); query
results are cached on (database, data_version, query, parameters), so any write — an upload,
a restore — makes every chart read fresh figures at once.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import pandas as pd
import streamlit as st

from dashboard import analysis, charts, export, periods
from dashboard import filters as flt
from dashboard.catalog import Indicator
from dashboard.i18n import t as _t
from dashboard.store import Store, default_db_path

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PERIOD_STATE = "_period"
PLOTLY_CONFIG = {"displaylogo": False, "modeBarButtonsToRemove": ["lasso2d", "select2d"],
                 "toImageButtonOptions": {"format": "png", "scale": 2}}


# --- the store and its queries ---------------------------------------------------------------


@st.cache_resource(show_spinner=False)
def _open_store(path: str) -> dict:
    store = Store(path)
    autoloaded = False
    if not store.scalar("SELECT count(*) FROM submissions"):
        from dashboard.demo import load_demo

        load_demo(store)
        autoloaded = True
    return {"store": store, "autoloaded": autoloaded}


def db_path() -> str:
    return str(default_db_path())


def store() -> Store:
    return _open_store(db_path())["store"]


def demo_autoloaded() -> bool:
    return _open_store(db_path())["autoloaded"]


@st.cache_data(show_spinner=False, max_entries=2000)
def _cached_query(path: str, version: int, name: str, params_json: str) -> pd.DataFrame:
    return _open_store(path)["store"].query(name, **json.loads(params_json))


def query(name: str, **params) -> pd.DataFrame:
    """Run queries/<name>.sql with bound parameters, cached until the next write."""
    s = store()
    return _cached_query(db_path(), s.data_version, name, json.dumps(params, sort_keys=True, ensure_ascii=False))


@st.cache_data(show_spinner=False)
def _quarters(path: str, version: int) -> list[str]:
    span = _open_store(path)["store"].cursor().execute(
        "SELECT min(quarter), max(quarter) FROM submissions WHERE status = 'active'").fetchall()[0]
    if not span or span[0] is None:
        return []
    return periods.quarter_range(span[0], span[1])


def quarters_with_data() -> list[str]:
    return _quarters(db_path(), store().data_version)


_BUILDERS: dict[str, Callable] = {}


@st.cache_resource(show_spinner=False, max_entries=300)
def _built(path: str, version: int, lg: str, name: str, args_json: str):
    return _BUILDERS[name](**json.loads(args_json))


def built(builder: Callable, **args):
    """What `builder(**args)` makes — finished figures, the tables behind them — cached per
    database, data version, language and arguments (JSON), so a rerun or a page switch draws
    them without building them again (a plotly figure costs tens of ms to build, more than its
    query's cached answer).  The builder reads its data through query() and makes no Streamlit
    calls.  What it returns is shared by every session, as built: never change it."""
    name = f"{builder.__code__.co_filename}:{builder.__qualname__}"
    _BUILDERS[name] = builder
    return _built(db_path(), store().data_version, lang(), name,
                  json.dumps(args, sort_keys=True, ensure_ascii=False))


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
    return value if value in ("zh", "en") else "zh"


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


def ind_label(ind: Indicator) -> str:
    return ind.name(lang())


def name_col(prefix: str = "unit_name") -> str:
    return f"{prefix}_en" if lang() == "en" else f"{prefix}_zh"


# --- the shared filters -------------------------------------------------------------------------


def _seed_from_url() -> None:
    """On a session's first run, the URL decides the filters (a shared link opens the same view)."""
    if st.session_state.get("_filters_seeded"):
        # Re-assigning keeps the values when a page switch would otherwise reset a widget.
        for key in (flt.KEY_UNITS, flt.KEY_GRAN, flt.KEY_LANG):
            if key in st.session_state:
                st.session_state[key] = st.session_state[key]
        return
    qp = st.query_params
    raw = {k: qp.get_all(k) for k in (flt.KEY_UNITS, flt.KEY_PERIOD) if k in qp}
    raw.update({k: qp.get(k) for k in (flt.KEY_GRAN, flt.KEY_LANG) if k in qp})
    f = flt.clean(raw, store().tree(), quarters_with_data())
    st.session_state[flt.KEY_UNITS] = list(f.units)
    st.session_state[PERIOD_STATE] = (f.first, f.last)  # the slider's own value is passed, see sidebar_filters
    st.session_state[flt.KEY_GRAN] = f.granularity
    st.session_state[flt.KEY_LANG] = f.lang
    st.session_state["_filters_seeded"] = True


def sidebar_language() -> str:
    _seed_from_url()
    st.sidebar.segmented_control(
        "语言 / Language", ["zh", "en"], required=True, key=flt.KEY_LANG,
        format_func={"zh": "中文", "en": "English"}.__getitem__,
    )
    return lang()


def sidebar_filters() -> flt.Filters:
    """Unit(s), period range and granularity; written back to the URL so a copied link keeps the view."""
    available = quarters_with_data()
    selected = st.session_state.get(flt.KEY_UNITS) or []
    codes, labels = unit_choices(selected)
    with st.sidebar:
        st.markdown(f"**{t('filters_heading')}**")
        st.multiselect(
            t("filter_units"), codes, key=flt.KEY_UNITS,
            format_func=lambda c: labels.get(c, str(c)), max_selections=flt.MAX_UNITS,
            help=t("filter_units_help"), placeholder=t("filter_units_placeholder"),
        )
        if len(available) > 1:
            # A range slider must be given its value (else it is a one-value slider); the value
            # lives under its own key so a page switch cannot reset it.
            span = tuple(st.session_state.get(PERIOD_STATE) or flt.default_range(available))
            if span[0] not in available or span[1] not in available:
                span = flt.default_range(available)
            chosen = st.select_slider(t("filter_period"), options=available, value=span, key=flt.KEY_PERIOD,
                                      help=t("filter_period_help"))
            st.session_state[PERIOD_STATE] = tuple(chosen)
        st.segmented_control(
            t("filter_gran"), list(periods.GRANULARITIES), required=True, key=flt.KEY_GRAN,
            format_func=text_fmt("gran_"),
        )
        st.caption(t("filters_in_url"))
    f = filters()
    st.query_params.update(f.to_query())
    return f


@st.cache_data(show_spinner=False, max_entries=1000)
def _unit_choices(path: str, version: int, selected: tuple[str, ...], lg: str,
                  indent: bool) -> tuple[list[str], dict[str, str]]:
    tree = _open_store(path)["store"].tree()
    codes = flt.unit_options(tree, selected)
    return codes, {c: flt.unit_label(tree, c, lg, indent=indent) for c in codes}


def unit_choices(selected, indent: bool = True) -> tuple[list[str], dict[str, str]]:
    """A unit picker's options (tree-aware, a few hundred at most: see filters.unit_options)
    and their labels, cached per selection, language and data version."""
    chosen = tuple(dict.fromkeys(c for c in selected if isinstance(c, str)))
    return _unit_choices(db_path(), store().data_version, chosen, lang(), indent)


@st.cache_data(show_spinner=False, max_entries=500)
def _reporting(path: str, version: int, units: tuple[str, ...], whole: bool) -> list[str]:
    tree = _open_store(path)["store"].tree()
    return analysis.reporting_scope(tree, units) if whole else analysis.reporting_of_scope(tree, units)


def reporting_units(units, whole: bool = False) -> list[str]:
    """The reporting units of the selection: whole=True every one in the selected subtrees
    (analysis.reporting_scope), else those carrying the selected units and their children
    (analysis.reporting_of_scope).  Cached per selection and data version."""
    return _reporting(db_path(), store().data_version, tuple(units), whole)


def filters() -> flt.Filters:
    tree = store().tree()
    raw = {flt.KEY_PERIOD: st.session_state.get(PERIOD_STATE), flt.KEY_GRAN: st.session_state.get(flt.KEY_GRAN),
           flt.KEY_LANG: lang()}
    if flt.KEY_UNITS in st.session_state:
        raw[flt.KEY_UNITS] = st.session_state[flt.KEY_UNITS]
    return flt.clean(raw, tree, quarters_with_data())


def periods_in(f: flt.Filters) -> list[str]:
    return list(dict.fromkeys(periods.period_of(q, f.granularity) for q in f.quarters))


# --- page pieces --------------------------------------------------------------------------------


def page_header(title: str, f: flt.Filters, note: str | None = None) -> None:
    st.title(title)
    names = "、".join(unit_name(c) for c in f.units) if f.units else "—"
    st.caption(t("scope_caption", units=names, first=f.first, last=f.last, gran=t(f"gran_{f.granularity}"))
               + (f" · {note}" if note else ""))


def need_units(f: flt.Filters) -> bool:
    """False (and a friendly word) when no unit is selected."""
    if not f.units:
        st.info(t("empty_units"))
        return False
    return True


def chart(fig, key: str) -> None:
    st.plotly_chart(fig, key=key, config=PLOTLY_CONFIG, width="stretch")


def table(frame: pd.DataFrame, file_stem: str, key: str, *, label: str | None = None,
          expanded: bool = False) -> None:
    """The table behind a chart, one click away, with CSV (UTF-8 BOM) and formatted .xlsx downloads."""
    with st.expander(label or t("table_behind"), expanded=expanded):
        if frame.empty:
            st.info(t("no_data"))
            return
        st.dataframe(frame, hide_index=True, key=f"{key}_table", width="stretch")
        c1, c2, _ = st.columns([1, 1, 3])
        data = frame  # the files are made only when a button is clicked; nothing changes the frame
        c1.download_button(t("download_csv"), lambda: export.to_csv_bytes(data), file_name=f"{file_stem}.csv",
                           mime="text/csv", key=f"{key}_csv", on_click="ignore", icon=":material/download:")
        c2.download_button(t("download_xlsx"), lambda: export.to_xlsx_bytes(data), file_name=f"{file_stem}.xlsx",
                           mime=XLSX_MIME, key=f"{key}_xlsx", on_click="ignore", icon=":material/table:")


def chart_section(fig, frame, *, key: str, file_stem: str, empty_title: str,
                  empty_key: str = "empty_selection", note: str | None = None) -> bool:
    """A built chart, an optional note, and the table behind it with its exports; when the
    builder found no data, the chart's title and a friendly word instead.  True if drawn."""
    if fig is None:
        st.subheader(empty_title)
        st.info(t(empty_key))
        return False
    chart(fig, key=key)
    if note:
        st.caption(note)
    table(frame, file_stem, key)
    return True


def values_table(values: pd.DataFrame, columns: list[str] | None = None) -> pd.DataFrame:
    """indicator_values rows as a person reads them, headed in the chosen language."""
    en = lang() == "en"
    out = pd.DataFrame({
        t("col_unit_code"): values["unit_code"],
        t("col_unit"): values["unit_name_en" if en else "unit_name_zh"],
        t("col_period"): values["period"],
        t("col_indicator"): values["indicator_name_en" if en else "indicator_name_zh"],
        t("col_value"): values["value"],
        t("col_uom"): values["unit_en" if en else "unit_zh"],
    })
    return out[columns] if columns else out


def ranking_table(rank: pd.DataFrame, ind: Indicator, period: str) -> pd.DataFrame:
    return pd.DataFrame({
        t("col_rank"): rank["rank"],
        t("col_unit_code"): rank["unit_code"],
        t("col_unit"): rank["unit_name"],
        t("col_period"): period,
        t("col_indicator"): ind.name(lang()),
        t("col_value"): rank["value"],
        t("col_uom"): ind.unit(lang()),
    })


def indicator_picker(domain: str, key: str) -> Indicator:
    cat = store().catalog
    options = [i.code for i in cat.of_domain(domain)]
    default = analysis.headline(cat, domain)
    lg = lang()
    code = st.selectbox(t("pick_indicator"), options, index=options.index(default), key=key,
                        format_func=lambda c: f"{cat[c].name(lg)}（{cat[c].unit(lg)}）")
    return cat[code or default]


def domain_page(domain: str, own_chart) -> None:
    """A domain page: its header, the ranking and trend every domain shares, then the chart
    that fits the domain, drawn by `own_chart(filters, ranked_units)`."""
    f = filters()
    page_header(store().catalog.domain(domain).name(lang()), f)
    if not need_units(f):
        return
    _, units = ranking_and_trend(domain, f)
    st.divider()
    own_chart(f, units)


def ranking_and_trend(domain: str, f: flt.Filters) -> tuple[Indicator, list[str]]:
    """The first two charts of every domain page: units ranked, and the trend over periods."""
    pick_ind, pick_period = st.columns(2, gap="large")
    with pick_ind:
        ind = indicator_picker(domain, key=f"{domain}_ind")
    units = analysis.scope_units(store().tree(), f.units, f.quarters)
    params = f.values_params(units=units, indicators=[ind.code])
    with_data = built(_periods_with_data, params=params, periods=periods_in(f))
    period = None
    if with_data:
        with pick_period:
            period = st.selectbox(t("pick_period"), with_data, index=len(with_data) - 1, key=f"{domain}_rank_period",
                                  help=t("pick_period_help"))
        period = period if period in with_data else with_data[-1]
    left, right = st.columns(2, gap="large")
    with left:
        if period is None:
            st.subheader(t("ranking_title_short", indicator=ind.name(lang())))
            st.info(t("empty_period", indicator=ind.name(lang())))
        else:
            fig, n_ranked, n_units, shown = built(_ranking_figure, code=ind.code, params=params, period=period)
            chart(fig, key=f"{domain}_ranking")
            st.caption(t("ranking_note", n=n_ranked, total=n_units))
            table(shown, f"{domain}_ranking_{ind.code}_{period}", f"{domain}_ranking")
    with right:
        fig, shown = built(_trend_figure, code=ind.code, params=f.values_params(indicators=[ind.code]))
        if fig is None:
            st.subheader(t("trend_title", indicator=ind.name(lang())))
            st.info(t("empty_selection"))
        else:
            chart(fig, key=f"{domain}_trend")
            table(shown, f"{domain}_trend_{ind.code}", f"{domain}_trend")
    return ind, units


def _periods_with_data(params: dict, periods: list[str]) -> list[str]:
    have = set(query("indicator_values", **params)["period"])
    return [p for p in periods if p in have]


def _ranking_figure(code: str, params: dict, period: str):
    """The ranking bar chart of `params["units"]` in `period`, its counts and its table (for built())."""
    ind, lg = store().catalog[code], lang()
    values = query("indicator_values", **params)
    rank = analysis.ranking(values[values["period"] == period], params["units"], store().tree(), lang=lg,
                            lower_is_better=ind.lower_is_better)
    fig = charts.ranking_bar(rank, title=t("ranking_title", indicator=ind.name(lg), period=period),
                             indicator=ind.name(lg), unit=ind.unit(lg), value_type=ind.value_type, lang=lg)
    charts.tag(fig, "indicator_values", params, period=period)
    return fig, int(rank["n_ranked"].iloc[0]), len(rank), ranking_table(rank, ind, period)


def _trend_figure(code: str, params: dict):
    """The trend lines of the selected units, and their table; (None, None) without data (for built())."""
    ind, lg = store().catalog[code], lang()
    trend = query("indicator_values", **params)
    if trend.empty:
        return None, None
    fig = charts.trend_lines(trend, title=t("trend_title", indicator=ind.name(lg)), indicator=ind.name(lg),
                             unit=ind.unit(lg), value_type=ind.value_type, lang=lg)
    charts.tag(fig, "indicator_values", params)
    return fig, values_table(trend)
