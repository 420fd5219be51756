"""发展党员 Member development: units ranked by a membership indicator, its trend, and the
pipeline 入党申请 → 积极分子 → 发展对象 → 预备党员 → 正式党员 as a funnel of the people who
entered each stage in the selected period range, one funnel per selected unit."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import analysis, charts
from dashboard.views import common as ui

DOMAIN = "members"


def pipeline_section(f) -> None:
    cat = ui.store().catalog
    units = list(f.units[:5])
    params = f.values_params(units=units, indicators=list(analysis.PIPELINE))
    stages = analysis.pipeline(ui.query("indicator_values", **params))
    labels = {c: ui.t(f"stage_{c}") for c in analysis.PIPELINE}
    title = ui.t("pipeline_title", first=f.first, last=f.last)
    if stages.empty:
        st.subheader(title)
        st.info(ui.t("empty_selection"))
        return
    names = {c: ui.unit_name(c) for c in units}
    fig = charts.funnel(stages, labels, names, title=title, lang=ui.lang())
    ui.chart(charts.tag(fig, "indicator_values", params, summed="period"), key="members_pipeline")
    st.caption(ui.t("pipeline_note"))
    shown = pd.DataFrame({
        ui.t("col_unit_code"): stages["unit_code"], ui.t("col_unit"): stages["unit_code"].map(names),
        ui.t("col_stage"): stages["indicator_code"].map(labels),
        ui.t("col_indicator"): stages["indicator_code"].map(lambda c: cat[c].name(ui.lang())),
        ui.t("col_value"): stages["value"], ui.t("col_uom"): stages["indicator_code"].map(lambda c: cat[c].unit(ui.lang())),
    })
    ui.table(shown, f"members_pipeline_{f.first}_{f.last}", "members_pipeline")


def main() -> None:
    ui.domain_page(DOMAIN, lambda f, _units: pipeline_section(f))


if __name__ == "__main__":
    main()
