"""待核实的数据 Figures to verify: the list of anomalies (dashboard/domain/anomalies.py) under the
overview and each domain page, with its reasons, its CSV and Excel downloads, and a form to mark
one 「已核实」 (recorded with who and when, and in the audit trail).  Never blocks anything."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard.domain import anomalies
from dashboard.domain.acting import acting
from dashboard.settings import current as settings

from .. import state, widgets
from ..escape import md
from ..state import t


def anomalies_found(units: list[str], first: str, last: str) -> pd.DataFrame:
    """The anomalies of the units' subtrees in first..last (for state.built)."""
    store = state.store()
    facts = state.query("anomaly_facts", units=list(units), **{"from": anomalies.fetch_range(first), "to": last})
    return anomalies.find(facts, store.catalog, first, last, store.anomaly_checks())


def anomalies_listed(units: list[str], first: str, last: str, domain: str | None):
    """The anomalies of `domain` (None: all) as the page shows them: the rows, the table as a
    person reads it, the open rows and a label for each (for state.built: a page switch draws
    them without a Python loop over the rows)."""
    store, lg = state.store(), state.lang()
    every = state.built(anomalies_found, units=units, first=first, last=last)
    mine = anomalies.of_domain(every, store.catalog, domain)
    if mine.empty:
        return mine, None, mine, []
    tree, cat = store.tree(), store.catalog
    shown = anomalies.for_people(mine, tree, cat, lg)
    open_rows = mine[mine["verified_by"].isna()].reset_index(drop=True)
    labels = [f"{r.quarter} · {tree[r.unit_code].name(lg) if r.unit_code in tree else r.unit_code}"
              f" · {t('anomaly_kind_' + r.kind)}"
              + (f" · {cat[r.indicator_code].name(lg)}" if r.indicator_code else "")
              for r in open_rows.itertuples()]
    return mine, shown, open_rows, labels


SCAN_ASKED = "_anomaly_scan_asked"  # the selection someone asked to check (units, first, last)


def _scan_allowed(f, domain: str | None) -> bool:
    """Whether to check the selection now: always for up to anomaly_scan_max_units units in its
    subtrees; above that (a province: a minute of pandas over millions of figures), once the
    person asks, and from then on for the same selection on every page of the session."""
    n = state.store().tree().units_covered(f.units)
    limit = settings().anomaly_scan_max_units
    scope = [list(f.units), f.first, f.last]
    if n <= limit or st.session_state.get(SCAN_ASKED) == scope:
        return True
    offer = st.empty()
    with offer.container():
        st.caption(t("anomalies_large_scope", n=f"{n:,}", limit=f"{limit:,}"))
        asked = st.button(t("anomalies_scan"), key=f"anomalies_scan_{domain or 'overview'}", icon=":material/search:")
    if asked:  # the offer goes in this very run, the list takes its place
        st.session_state[SCAN_ASKED] = scope
        offer.empty()
    return asked


def section(f, domain: str | None = None) -> None:
    store = state.store()
    st.subheader(t("anomalies_title"))
    if not _scan_allowed(f, domain):
        return
    mine, shown, open_rows, labels = state.built(anomalies_listed, units=list(f.units), first=f.first, last=f.last,
                                                 domain=domain)
    if mine.empty:
        st.info(t("anomalies_none"))
        return
    n_verified = int(mine["verified_by"].notna().sum())
    st.caption(t("anomalies_caption", n=len(mine), n_verified=n_verified))
    key = f"anomalies_{domain or 'overview'}"
    first = settings().anomalies_shown
    if len(shown) > first:  # few enough to act on: the worst first, the rest one click away
        st.caption(t("anomalies_first", shown=first, rest=len(shown) - first))
        widgets.grid(shown.head(first), key=f"{key}_first")
        with st.expander(t("anomalies_all", n=len(shown))):
            widgets.grid(shown, key=f"{key}_table")
            widgets.downloads(shown, f"{key}_{f.first}_{f.last}", key)
    else:
        widgets.grid(shown, key=f"{key}_table")
        widgets.downloads(shown, f"{key}_{f.first}_{f.last}", key)
    viewer = state.principal()
    if open_rows.empty or viewer.role not in ("leader", "admin"):  # leaders and administrators verify
        return
    with st.form(f"{key}_verify"):
        # the language in the key: the same options under a new format_func kept the old language's labels
        pick = st.selectbox(t("anomalies_pick"), range(len(labels)), format_func=lambda i: labels[i],
                            key=f"{key}_pick_{state.lang()}")
        if state.auth_mode() == "demo":  # no sign-in: the verifier says who they are
            who = st.text_input(t("anomalies_verifier"), key=f"{key}_who")
        else:
            who = viewer.login
            st.caption(t("upload_user_signed_in", login=md(who)))
        if st.form_submit_button(t("anomalies_verify")):
            if not (who or "").strip():
                st.warning(t("anomalies_need_verifier"))
                return
            r = open_rows.iloc[int(pick)]
            with acting(who.strip(), "app"):
                store.verify_anomaly(r["kind"], r["unit_code"], r["quarter"], r["indicator_code"])
            state.invalidate()
            st.success(md(t("anomalies_verified_ok")))
            st.rerun()
