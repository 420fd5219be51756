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
    params = f.values_params(units=units, indicators=[RATING]) | {"granularity": "year"}
    fig, shown = ui.built(heatmap_parts, params=params)
    ui.chart_section(fig, shown, key="stars_heatmap", file_stem=f"stars_heatmap_{f.first}_{f.last}",
                     empty_title=ui.t("stars_heatmap_title", first=f.first[:4], last=f.last[:4]),
                     note=ui.t("stars_heatmap_note"))


def heatmap_parts(params: dict):
    """The heatmap of mean star ratings by unit and year, and its table; (None, None) without data."""
    ind, lg = ui.store().catalog[RATING], ui.lang()
    values = ui.query("indicator_values", **params)
    if values.empty:
        return None, None
    pivot = values.assign(unit_name=values[ui.name_col()]).pivot_table(
        index=["unit_order", "unit_name"], columns="period", values="value", aggfunc="first")
    pivot.index = pivot.index.get_level_values("unit_name")
    title = ui.t("stars_heatmap_title", first=params["from"][:4], last=params["to"][:4])
    fig = charts.heatmap(pivot, title=title, indicator=ind.name(lg), unit=ind.unit(lg),
                         value_type=ind.value_type, x_title=ui.t("axis_year"), lang=lg)
    charts.tag(fig, "indicator_values", params)
    return fig, ui.values_table(values)


def distribution_section(f, units: list[str]) -> None:
    params = {"groups": units, "indicator": RATING, "from": f.first, "to": f.last}
    fig, shown = ui.built(distribution_parts, params=params)
    ui.chart_section(fig, shown, key="stars_distribution", file_stem=f"stars_distribution_{f.first}_{f.last}",
                     empty_title=ui.t("stars_dist_title", first=f.first, last=f.last), empty_key="empty_branches")


def distribution_parts(params: dict):
    """Branches per star rating and unit as stacked bars, and their table; (None, None) without branches."""
    lg = ui.lang()
    dist = ui.query("star_distribution", **params)
    if dist.empty:
        return None, None
    frame = pd.DataFrame({"unit_name": dist[ui.name_col("group_name")], "stars": dist["stars"],
                          "value": dist["n_branches"]})
    labels = {s: ui.t("stars_n", n=s) for s in range(5, 0, -1)}
    fig = charts.stacked_bars(frame, series_col="stars", series_labels=labels, colors=charts.STAR_COLORS,
                              title=ui.t("stars_dist_title", first=params["from"], last=params["to"]),
                              x_title=ui.t("axis_branches"), unit=ui.t("uom_branches"), lang=lg)
    charts.tag(fig, "star_distribution", params)
    shown = pd.DataFrame({ui.t("col_unit_code"): dist["group_code"], ui.t("col_unit"): frame["unit_name"],
                          ui.t("col_stars"): dist["stars"], ui.t("col_branches"): dist["n_branches"]})
    return fig, shown


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
