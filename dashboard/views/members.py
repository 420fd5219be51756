"""发展党员 Member development: units ranked by a membership indicator, its trend, and the
pipeline 入党申请 → 积极分子 → 发展对象 → 预备党员 → 正式党员 as a funnel of the people who
entered each stage in the selected period range, one funnel per selected unit."""

from __future__ import annotations

import pandas as pd

from dashboard import analysis, charts
from dashboard.views import common as ui

DOMAIN = "members"


def pipeline_section(f) -> None:
    fig, shown = ui.built(pipeline_parts, params=f.values_params(units=list(f.units[:5]),
                                                                   indicators=list(analysis.PIPELINE)))
    ui.chart_section(fig, shown, key="members_pipeline", file_stem=f"members_pipeline_{f.first}_{f.last}",
                     empty_title=ui.t("pipeline_title", first=f.first, last=f.last), note=ui.t("pipeline_note"))


def pipeline_parts(params: dict):
    """The funnels of the units in `params` and their table; (None, None) without data (for ui.built)."""
    cat, lg = ui.store().catalog, ui.lang()
    stages = analysis.pipeline(ui.query("indicator_values", **params))
    if stages.empty:
        return None, None
    labels = {c: ui.t(f"stage_{c}") for c in analysis.PIPELINE}
    names = {c: ui.unit_name(c) for c in params["units"]}
    fig = charts.funnel(stages, labels, names, title=ui.t("pipeline_title", first=params["from"], last=params["to"]),
                        lang=lg)
    charts.tag(fig, "indicator_values", params, summed="period")
    shown = pd.DataFrame({
        ui.t("col_unit_code"): stages["unit_code"], ui.t("col_unit"): stages["unit_code"].map(names),
        ui.t("col_stage"): stages["indicator_code"].map(labels),
        ui.t("col_indicator"): stages["indicator_code"].map(lambda c: cat[c].name(lg)),
        ui.t("col_value"): stages["value"], ui.t("col_uom"): stages["indicator_code"].map(lambda c: cat[c].unit(lg)),
    })
    return fig, shown


def main() -> None:
    ui.domain_page(DOMAIN, lambda f, _units: pipeline_section(f))


if __name__ == "__main__":
    main()
