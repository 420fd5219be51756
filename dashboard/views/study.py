"""学习教育 Study: units ranked by a study indicator (主题党日 by default), its trend, and the
三会一课 check — the share of branch-quarters that held the required 支部党员大会 (≥1),
支委会 (≥3) and 主题党日 (≥3) — with the branches that fell short."""

from __future__ import annotations

import pandas as pd

from dashboard import analysis, charts
from dashboard.views import common as ui

DOMAIN = "study"


def compliance_section(f, units: list[str]) -> None:
    title = ui.t("compliance_title", first=f.first, last=f.last)
    fig, shown, detail, n_short = ui.built(compliance_parts, units=units, first=f.first, last=f.last)
    if not ui.chart_section(fig, shown, key="study_compliance", file_stem=f"study_compliance_{f.first}_{f.last}",
                            empty_title=title, empty_key="empty_branches", note=ui.t("compliance_note")):
        return
    label = (ui.t("short_branches", n=n_short) if n_short <= len(detail)
             else ui.t("short_branches_first", n=n_short, shown=len(detail)))
    ui.table(detail, f"study_branches_short_{f.first}_{f.last}", "study_short", label=label)


def compliance_parts(units: list[str], first: str, last: str):
    """The 三会一课 chart, its table, the branch-quarters that fell short (the first analysis.SHORT_LIMIT)
    and how many did: (None, ...) when the units have no branches (for ui.built)."""
    cat, lg = ui.store().catalog, ui.lang()
    rules = analysis.COMPLIANCE_RULES
    params = analysis.compliance_params(units, first, last)
    summary = analysis.compliance_shares(ui.query("compliance_shares", **params))
    if summary.empty:
        return None, None, None, 0
    labels = {c: ui.t("rule_label", indicator=cat[c].name(lg), n=int(n)) for c, n in rules.items()}
    labels["all_ok"] = ui.t("rule_all")
    fig = charts.compliance_bars(summary, labels, title=ui.t("compliance_title", first=first, last=last), lang=lg)
    charts.tag(fig, "compliance_shares", params)
    gname = ui.name_col("group_name")
    shown = pd.DataFrame({ui.t("col_unit_code"): summary["group_code"], ui.t("col_unit"): summary[gname],
                          ui.t("col_branch_quarters"): summary["branch_quarters"]})
    for c, label in labels.items():
        shown[label + "（%）"] = summary[c]
    found = ui.query("compliance_short", **params, limit=analysis.SHORT_LIMIT)
    n_short = int(found["n_short"].iloc[0]) if len(found) else 0
    short = analysis.compliance_short(found)
    detail = pd.DataFrame({
        ui.t("col_parent"): short[gname], ui.t("col_unit_code"): short["unit_code"],
        ui.t("col_unit"): short[ui.name_col()], ui.t("col_quarter"): short["quarter"],
        **{cat[c].name(lg): short[c] for c in rules},
    })
    return fig, shown, detail, n_short


def main() -> None:
    ui.domain_page(DOMAIN, compliance_section)


if __name__ == "__main__":
    main()
