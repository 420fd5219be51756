"""待核实的数据 Figures to verify: the list of anomalies (dashboard/domain/anomalies.py) under the
overview and each domain page, with its reasons, its CSV and Excel downloads, and a form to mark
one 「已核实」 (recorded with who and when, and in the audit trail).  Never blocks anything."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard.domain import anomalies
from dashboard.domain.acting import acting

from .. import state, widgets
from ..escape import md
from ..state import t


def anomalies_found(units: list[str], first: str, last: str) -> pd.DataFrame:
    """The anomalies of the units' subtrees in first..last (for state.built)."""
    store = state.store()
    facts = state.query("anomaly_facts", units=list(units), **{"from": anomalies.fetch_range(first), "to": last})
    return anomalies.find(facts, store.catalog, first, last, store.anomaly_checks())


def section(f, domain: str | None = None) -> None:
    store = state.store()
    st.subheader(t("anomalies_title"))
    every = state.built(anomalies_found, units=list(f.units), first=f.first, last=f.last)
    mine = anomalies.of_domain(every, store.catalog, domain)
    if mine.empty:
        st.info(t("anomalies_none"))
        return
    shown = anomalies.for_people(mine, store.tree(), store.catalog, state.lang())
    n_verified = int(mine["verified_by"].notna().sum())
    st.caption(t("anomalies_caption", n=len(mine), n_verified=n_verified))
    key = f"anomalies_{domain or 'overview'}"
    widgets.grid(shown, key=f"{key}_table")
    widgets.downloads(shown, f"{key}_{f.first}_{f.last}", key)
    open_rows = mine[mine["verified_by"].isna()].reset_index(drop=True)
    if open_rows.empty:
        return
    labels = [f"{r.quarter} · {store.tree()[r.unit_code].name(state.lang()) if r.unit_code in store.tree() else r.unit_code}"
              f" · {t('anomaly_kind_' + r.kind)}"
              + (f" · {store.catalog[r.indicator_code].name(state.lang())}" if r.indicator_code else "")
              for r in open_rows.itertuples()]
    with st.form(f"{key}_verify"):
        pick = st.selectbox(t("anomalies_pick"), range(len(labels)), format_func=lambda i: labels[i],
                            key=f"{key}_pick")
        who = st.text_input(t("anomalies_verifier"), key=f"{key}_who")
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
