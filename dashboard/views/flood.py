"""防汛动员 Flood response: units ranked by a mobilization indicator, its trend, and for the flood
quarter (by default the quarter with the most flood-duty person-days) each unit's temporary
branches, commando teams, duty person-days and donations side by side."""

from __future__ import annotations

import streamlit as st

from dashboard import analysis, charts
from dashboard.views import common as ui

DOMAIN = "flood"
PEAK_INDICATOR = "duty_person_days"


def flood_quarter() -> str | None:
    """A quarter picker over all the data; the default is the peak of flood duty at the top of the tree."""
    available = ui.quarters_with_data()
    if not available:
        return None
    default = ui.built(peak_quarter, available=available)
    return st.selectbox(ui.t("pick_flood_quarter"), available, index=available.index(default), key="flood_quarter",
                        help=ui.t("pick_flood_quarter_help"))


def peak_quarter(available: list[str]) -> str:
    """The quarter of `available` with the most flood-duty person-days at the top of the tree (for ui.built)."""
    root = ui.store().tree().root.code
    peak = ui.query("indicator_values", units=[root], indicators=[PEAK_INDICATOR], scope="subtree",
                    granularity="quarter", **{"from": available[0], "to": available[-1]})
    return peak.loc[peak["value"].idxmax(), "period"] if len(peak) else available[-1]


def mobilization_section(f, units: list[str]) -> None:
    q = flood_quarter()
    if q is None:
        st.info(ui.t("no_data"))
        return
    params = f.values_params(units=units, indicators=list(analysis.FLOOD_PANELS), first=q, last=q) | {
        "granularity": "quarter"}
    fig, wide = ui.built(mobilization_parts, params=params)
    ui.chart_section(fig, wide, key="flood_mobilization", file_stem=f"flood_mobilization_{q}",
                     empty_title=ui.t("flood_title", quarter=q))


def mobilization_parts(params: dict):
    """The flood panels of the units in `params` for one quarter, and their table; (None, None) without data."""
    cat, lg = ui.store().catalog, ui.lang()
    q, units = params["from"], params["units"]
    values = ui.query("indicator_values", **params)
    if values.empty:
        return None, None
    frame = values.assign(unit_name=values[ui.name_col()])
    order = {c: i for i, c in enumerate(units)}
    frame = frame.sort_values("unit_code", key=lambda s: s.map(order))
    inds = [(c, cat[c].name(lg), cat[c].unit(lg), cat[c].value_type) for c in analysis.FLOOD_PANELS]
    fig = charts.panels(frame, inds, title=ui.t("flood_title", quarter=q), lang=lg)
    charts.tag(fig, "indicator_values", params)
    wide = frame.pivot_table(index="unit_name", columns="indicator_code", values="value", aggfunc="first",
                             sort=False).reindex(columns=list(analysis.FLOOD_PANELS))
    wide.columns = [f"{cat[c].name(lg)}（{cat[c].unit(lg)}）" for c in wide.columns]
    wide = wide.reset_index().rename(columns={"unit_name": ui.t("col_unit")})
    wide.insert(1, ui.t("col_quarter"), q)
    return fig, wide


def main() -> None:
    ui.domain_page(DOMAIN, mobilization_section)


if __name__ == "__main__":
    main()
