"""大屏展示 Projector (/screen): the overview's headline figures, then each domain's ranking, one
slide at a time, turning every N seconds (`?rotate=N`, default settings.screen_rotate_seconds).

No sidebar and no widgets (look.screen_css hides them on this page only), large type (figures
≥ 48 px, labels ≥ 24 px, charts at style.BIG_FONT_SIZE), and always on screen: the units, the
period and how many of the returns due are in.  Units and period come from the address like
every page's (`/screen?unit=SW01&period=2024Q1&period=2024Q4&rotate=15`).  The slides are the
overview and every domain of data/domains.csv, in the catalog's order.  The slide turns on the
server: the slide is a fragment that Streamlit reruns every N seconds, and each run shows the
next one.
"""

from __future__ import annotations

import dataclasses
import time

import pandas as pd
import streamlit as st

from dashboard.domain import analysis, figures
from dashboard.output import charts
from dashboard.settings import current as settings

from .. import look, state
from ..domain_page import params_for, periods_with_data, ranking_figure
from ..escape import md
from ..state import t
from .overview import _fmt, headline_figures

ROTATE_KEY = "rotate"  # the query parameter
SLIDE_STATE = "_screen_slide"
MIN_SECONDS, MAX_SECONDS = 5, 3600
PER_ROW = 4


def rotate_seconds() -> int:
    """Seconds a slide stays up: the address's `rotate` if it is a sensible whole number, else the setting."""
    raw = st.query_params.get(ROTATE_KEY)
    try:
        seconds = int(raw) if raw is not None else settings().screen_rotate_seconds
    except ValueError:
        seconds = settings().screen_rotate_seconds
    return min(MAX_SECONDS, max(MIN_SECONDS, seconds))


def slides() -> list[str]:
    """'overview', then every domain's code in the catalog's order."""
    return ["overview", *(d.code for d in state.store().catalog.domains)]


def render() -> None:
    st.html(look.screen_css())
    seconds = rotate_seconds()
    if st.query_params.get(ROTATE_KEY) != str(seconds):
        st.query_params[ROTATE_KEY] = str(seconds)
    st.fragment(show_next, run_every=seconds)(seconds)


def show_next(seconds: int) -> None:
    """One slide: each run (Streamlit's timer reruns this fragment) moves on to the next."""
    state.begin_run()  # a fragment's rerun is a run of its own: read the data version again
    order = slides()
    n, shown_at = st.session_state.get(SLIDE_STATE, (-1, 0.0))
    now = time.monotonic()
    # ticks that queued up while a slow first run was drawing would skip slides: move on only
    # when the slide has been up for (nearly) its time
    if n < 0 or now - shown_at >= seconds * 0.8:
        n, shown_at = (n + 1) % len(order), now
    st.session_state[SLIDE_STATE] = (n, shown_at)
    f = state.filters()
    with st.container(key="screen_slide"):
        coverage_bar(f)
        if order[n] == "overview":
            overview_slide(f)
        else:
            domain_slide(f, order[n])
        foot = t("screen_foot", n=n + 1, total=len(order), seconds=seconds)
        if state.store().has_demo():
            foot += " · " + t("screen_demo")
        with st.container(key="screen_foot"):
            st.markdown(foot)


def coverage_bar(f) -> None:
    """The units, the period and the returns in for its last quarter, on Party red."""
    # the returns due from the whole of the selection in that quarter (its own tree)
    status = state.query("submission_status", **state.expected_returns(f.units, [f.last], whole=True))
    now = analysis.completeness(status, f.last)
    units = t("sep_list").join(md(state.unit_name(c)) for c in f.units) or "—"
    with st.container(key="screen_bar"):
        st.markdown(t("screen_bar", units=units, period=state.period(f.current_period), done=now["submitted"],
                      total=now["total"], share=f"{now['share']:.0f}"))


def overview_slide(f) -> None:
    st.title(t("screen_overview_title"))
    cat = state.store().catalog
    if not f.units:
        st.markdown(t("empty_units"))
        return
    code = f.units[0]
    heads_now = headline_figures(dataclasses.replace(f, units=f.units[:1]))
    mine = heads_now[heads_now["unit_code"] == code].set_index("indicator_code") if len(heads_now) else pd.DataFrame()
    heads = cat.headlines
    lg = state.lang()
    for start in range(0, len(heads), PER_ROW):
        cols = st.columns(PER_ROW, gap="large")
        for col, ind in zip(cols, heads[start:start + PER_ROW]):
            row = mine.loc[ind.code] if ind.code in mine.index else None
            value = None if row is None else row["value"]
            dp = None if row is None or pd.isna(row["delta_previous"]) else float(row["delta_previous"])
            col.metric(charts.with_unit(ind.name(lg), ind.unit(lg), lg), _fmt(value, ind.value_type),
                       delta=None if dp is None else _fmt(dp, ind.value_type),
                       delta_color="inverse" if ind.lower_is_better else "normal",
                       delta_description=None if dp is None else t("screen_vs_previous"), border=True)


def domain_slide(f, domain: str) -> None:
    """One domain ranked by the figures layer, as the overview's bottom list and the 通报 rank it:
    the first and the units named as behind (a tie said whole), or that nobody is named."""
    store, lg = state.store(), state.lang()
    cat, tree = store.catalog, store.tree()
    ind = cat[cat.headline(domain)]
    st.title(t("screen_ranking_title", domain=cat.domain(domain).name(lg), indicator=ind.name(lg)))
    units = analysis.scope_units(tree, f.units, f.quarters, store.history())
    params = f.values_params(units=units, indicators=[ind.code])
    with_data = state.built(periods_with_data, params=params, periods=state.periods_in(f))
    period = figures.ranking_period(ind, with_data, f.last, f.granularity)
    if period is None:
        st.markdown(t("screen_no_data", indicator=ind.name(lg)))
        return
    fig, n_ranked, n_units, _shown, rank = state.built(ranking_figure, code=ind.code, params=params_for(params, period),
                                                       period=period)
    left, right = st.columns([1, 3], gap="large")
    fr = rank.frame
    fmt = charts.number_format(ind.value_type if rank.measure == "raw" else "score", fr["value"].dropna())
    with left:
        top = fr[(fr["rank"] == 1) & (fr["group"] == fr["group"].iloc[0])]  # the first of the larger level
        if len(top):
            who = md(top["unit_name"].iloc[0]) if len(top) == 1 else t("tie_text", n=len(top), value=format(top["value"].iloc[0], fmt))
            # a case load is no contest: its largest is said as the largest, not as first place
            first = t("screen_first") if ind.names_laggards else t("screen_highest")
            st.metric(f"{first} · {who}", format(top["value"].iloc[0], fmt))
        if not ind.names_laggards:
            st.markdown(t("ranking_names_nobody"))
        for g in rank.bottom:
            value = format(g["value"], fmt)
            who = md(g["names"][0]) if len(g["names"]) == 1 else t("tie_text", n=len(g["names"]), value=value)
            st.metric(f"{t('screen_behind')} · {who}", value)
        st.caption(t("ranking_note", n=n_ranked, total=n_units))
        st.caption(t("screen_measure", unit=rank.unit))
    with right:
        big = charts.enlarge(fig, height=max(740, 90 + 44 * n_units))
        st.plotly_chart(big, key=f"screen_{domain}", config={"displayModeBar": False},
                        theme=None, width="stretch")
