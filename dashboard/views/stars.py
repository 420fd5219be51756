"""星级支部 Star-rated branches: units ranked by a star indicator (四星级以上支部占比 by default),
its trend, the mean star rating of each unit's branches by year as a heatmap, and how many
branches hold each rating (latest rating in the range) as stacked bars."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import charts
from dashboard.views import common as ui

DOMAIN = "stars"
RATING = "star_rating"


def heatmap_section(f, units: list[str]) -> None:
    cat = ui.store().catalog
    ind = cat[RATING]
    params = f.values_params(units=units, indicators=[RATING]) | {"granularity": "year"}
    values = ui.query("indicator_values", **params)
    title = ui.t("stars_heatmap_title", first=f.first[:4], last=f.last[:4])
    if values.empty:
        st.subheader(title)
        st.info(ui.t("empty_selection"))
        return
    names = values[ui.name_col()]
    pivot = values.assign(unit_name=names).pivot_table(index=["unit_order", "unit_name"], columns="period",
                                                       values="value", aggfunc="first")
    pivot.index = pivot.index.get_level_values("unit_name")
    fig = charts.heatmap(pivot, title=title, indicator=ind.name(ui.lang()), unit=ind.unit(ui.lang()),
                         value_type=ind.value_type, x_title=ui.t("axis_year"), lang=ui.lang())
    ui.chart(charts.tag(fig, "indicator_values", params), key="stars_heatmap")
    st.caption(ui.t("stars_heatmap_note"))
    ui.table(ui.values_table(values), f"stars_heatmap_{f.first}_{f.last}", "stars_heatmap")


def distribution_section(f, units: list[str]) -> None:
    params = {"groups": units, "indicator": RATING, "from": f.first, "to": f.last}
    dist = ui.query("star_distribution", **params)
    title = ui.t("stars_dist_title", first=f.first, last=f.last)
    if dist.empty:
        st.subheader(title)
        st.info(ui.t("empty_branches"))
        return
    frame = pd.DataFrame({"unit_name": dist[ui.name_col("group_name")], "stars": dist["stars"],
                          "value": dist["n_branches"]})
    labels = {s: ui.t("stars_n", n=s) for s in range(5, 0, -1)}
    fig = charts.stacked_bars(frame, series_col="stars", series_labels=labels, colors=charts.STAR_COLORS,
                              title=title, x_title=ui.t("axis_branches"), unit=ui.t("uom_branches"), lang=ui.lang())
    ui.chart(charts.tag(fig, "star_distribution", params), key="stars_distribution")
    shown = pd.DataFrame({ui.t("col_unit_code"): dist["group_code"], ui.t("col_unit"): frame["unit_name"],
                          ui.t("col_stars"): dist["stars"], ui.t("col_branches"): dist["n_branches"]})
    ui.table(shown, f"stars_distribution_{f.first}_{f.last}", "stars_distribution")


def stars_sections(f, units) -> None:
    left, right = st.columns(2, gap="large")
    with left:
        heatmap_section(f, units)
    with right:
        distribution_section(f, units)


def main() -> None:
    ui.domain_page(DOMAIN, stars_sections)


if __name__ == "__main__":
    main()
