"""纪律执纪 Discipline: units ranked by a discipline indicator (四种形态合计 by default), its trend,
and the 四种形态 cases of each unit in the selected range stacked by form (first to fourth)."""

from __future__ import annotations

import pandas as pd

from dashboard import analysis, charts
from dashboard.views import common as ui

DOMAIN = "discipline"


def forms_section(f, units: list[str]) -> None:
    fig, wide = ui.built(forms_parts, params=f.values_params(units=units, indicators=list(analysis.FOUR_FORMS)))
    ui.chart_section(fig, wide, key="discipline_forms", file_stem=f"discipline_forms_{f.first}_{f.last}",
                     empty_title=ui.t("forms_title", first=f.first, last=f.last))


def forms_parts(params: dict):
    """The 四种形态 cases per unit stacked by form, and the table; (None, None) without data (for ui.built)."""
    cat, lg = ui.store().catalog, ui.lang()
    values = ui.query("indicator_values", **params)
    if values.empty:
        return None, None
    totals = values.groupby(["unit_order", "unit_code", ui.name_col(), "indicator_code"], as_index=False)["value"].sum()
    totals = totals.sort_values("unit_order")
    frame = pd.DataFrame({"unit_name": totals[ui.name_col()], "form": totals["indicator_code"], "value": totals["value"]})
    labels = {c: cat[c].name(lg) for c in analysis.FOUR_FORMS}
    unit = cat["form1_cases"].unit(lg)
    fig = charts.stacked_bars(frame, series_col="form", series_labels=labels,
                              title=ui.t("forms_title", first=params["from"], last=params["to"]),
                              x_title=cat["four_forms_total"].name(lg), unit=unit, lang=lg)
    charts.tag(fig, "indicator_values", params, summed="period")
    wide = frame.pivot_table(index="unit_name", columns="form", values="value", aggfunc="sum", sort=False).reindex(
        columns=list(analysis.FOUR_FORMS)).fillna(0)
    wide.columns = [labels[c] for c in wide.columns]
    wide[cat["four_forms_total"].name(lg)] = wide.sum(axis=1)
    wide = wide.reset_index().rename(columns={"unit_name": ui.t("col_unit")})
    return fig, wide


def main() -> None:
    ui.domain_page(DOMAIN, forms_section)


if __name__ == "__main__":
    main()
