"""DataFrame → plotly figure.  No Streamlit here: the pages decide where a figure goes.

One palette and one style for every chart: Party red for the headline series, a title and
named axes on every figure, hover with the exact value and its unit of measure, type large
enough to read on a projector: every text of a figure is set on the figure itself (`fonts`),
dark and at least FONT_SIZE, so no theme's smaller grey ticks can win; `enlarge` gives the
projector's and a static image's copy at BIG_FONT_SIZE.  Each figure records the named query
(and its parameters) its numbers come from in `layout.meta`, so a test can rerun the query and
compare.

Plotly reads a subset of HTML in every text it draws (titles, ticks, legends, hover: `<a href>`
makes a link) and fills `%{...}` in hover templates; unit names are typed by people, so every
name and title goes in through `plain`, which makes it plain text to plotly.
"""

from __future__ import annotations

import html
import math
import re

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ..domain import figures, periods
from ..i18n import t
from .style import (
    BIG_FONT_SIZE,
    BIG_TITLE_SIZE,
    FONT_FAMILY,
    FONT_SIZE,
    GRID_COLOR,
    LAGGARD,
    PALETTE,
    PARTY_RED,
    PHONE_FONT_SIZE,
    PHONE_TITLE_SIZE,
    STATUS_COLORS,
    TEXT_COLOR,
    TITLE_SIZE,
)

NUMBER_FORMATS = {"count": ",.0f", "money": ",.2f", "rate": ".1f", "stars": ".2f", "score": ".1f"}


def number_format(value_type: str, values=None) -> str:
    """The d3 format for a value type; counts that are not whole (a mean) get decimals, and as many
    as it takes (up to 6) for values that differ to read differently (3.2857 and 3.2917 are
    3.286 and 3.292, never both 3.29: a tie shown is a tie)."""
    fmt = NUMBER_FORMATS.get(value_type, ",.2f")
    if values is None:
        return fmt
    seen = sorted({float(v) for v in values if v is not None and not (isinstance(v, float) and math.isnan(v))})
    if fmt == ",.0f" and any(not v.is_integer() for v in seen):
        fmt = ",.2f"
    comma, _, places = fmt.rstrip("f").partition(".")
    places = int(places)
    if places == 0:
        return fmt
    while places < 6 and len({round(v, places) for v in seen}) < len(seen):
        places += 1
    return f"{comma}.{places}f"


def plain(text) -> str:
    """`text` as plotly shows it literally: < > & as entities (no tag, no link), % and $ as
    entities (no %{...} filled in a hover template, no $...$ read as LaTeX).  Plotly turns the
    entities back into the characters when it draws."""
    return html.escape(str(text), quote=False).replace("%", "&#37;").replace("$", "&#36;")


def _plain_list(values) -> list:
    """`_listed(values)` with every text passed through `plain` (names on an axis or in a legend)."""
    return [plain(v) if isinstance(v, str) else v for v in _listed(values)]


def _listed(values) -> list:
    """Plain Python lists in the figure JSON (not base64 arrays): easy to read back in tests."""
    return [None if (isinstance(v, float) and math.isnan(v)) else (v.item() if hasattr(v, "item") else v)
            for v in list(values)]


def style(fig: go.Figure, title: str, x_title: str | None, y_title: str | None, *, height: int | None = None,
          legend: bool = True) -> go.Figure:
    fig.update_layout(
        template="plotly_white",
        colorway=list(PALETTE),
        title={"text": plain(title), "x": 0, "xanchor": "left"},
        paper_bgcolor="#FFFFFF",
        plot_bgcolor="#FFFFFF",
        margin={"l": 10, "r": 30, "t": 90, "b": 10},
        showlegend=legend,
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.0, "x": 0, "title": None},
    )
    if x_title is not None:
        fig.update_xaxes(title_text=x_title, automargin=True)
    if y_title is not None:
        fig.update_yaxes(title_text=y_title, automargin=True)
    if height:
        fig.update_layout(height=height)
    return fonts(fig, FONT_SIZE, TITLE_SIZE)


def fonts(fig: go.Figure, size: int, title_size: int) -> go.Figure:
    """Every text of `fig` — title, ticks, axis titles, legend, subplot titles, colour bars, the
    values written on bars and cells, hover — at `size` (titles `title_size`) in TEXT_COLOR.
    Set on the figure itself, so a template (Streamlit's sets 12 px grey ticks) cannot override it."""
    font = {"family": FONT_FAMILY, "size": size, "color": TEXT_COLOR}
    fig.update_layout(font=font, title_font={**font, "size": title_size}, legend_font=font,
                      hoverlabel={"font": {"family": FONT_FAMILY, "size": size + 1}})
    axis = {"tickfont": font, "title_font": {**font, "size": size + 1}, "color": TEXT_COLOR,
            "gridcolor": GRID_COLOR, "linecolor": GRID_COLOR, "zerolinecolor": GRID_COLOR}
    fig.update_xaxes(**axis)
    fig.update_yaxes(**axis)
    fig.update_annotations(font={**font, "size": size + 1})  # subplot titles, "要求 100%"
    for trace in fig.data:
        if trace.type in ("bar", "funnel", "heatmap", "scatter"):
            trace.update(textfont={"family": FONT_FAMILY, "size": size})
        if trace.type == "heatmap":
            trace.update(colorbar={"tickfont": font, "title": {"font": font}})
    return fig


def enlarge(fig: go.Figure, size: int = BIG_FONT_SIZE, title_size: int = BIG_TITLE_SIZE,
            height: int | None = None) -> go.Figure:
    """A copy of `fig` with larger type, for the projector and static images (a built figure is
    shared by every session, so it is never changed in place)."""
    big = go.Figure(fig)
    if height:
        big.update_layout(height=height)
    return fonts(big, size, title_size)


def tag(fig: go.Figure, query: str, params: dict, **extra) -> go.Figure:
    """Record where the figure's numbers come from."""
    fig.update_layout(meta={"query": query, "params": params, **extra})
    return fig


def with_unit(label: str, unit: str, lang: str = "zh") -> str:
    """「名称（单位）」, "Name (unit)" in English."""
    return t("with_unit", lang, label=label, unit=unit) if unit else label


def empty_figure(title: str, lang: str = "zh") -> go.Figure:
    fig = go.Figure()
    fig.add_annotation(text=t("no_data", lang), showarrow=False, x=0.5, y=0.5,
                       xref="paper", yref="paper")
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return style(fig, title, None, None, height=260, legend=False)


def _bar_height(n: int) -> int:
    return max(300, 110 + 34 * n)


def _period_ticks(fig: go.Figure, shown, lang: str) -> None:
    """Periods on a category x axis named as a person reads them (「2024年下半年」); the data keep the codes."""
    codes = sorted(set(_listed(shown)))
    fig.update_xaxes(type="category", tickmode="array", tickvals=codes,
                     ticktext=[periods.label(c, lang) for c in codes])


def _coverage_marks(part: pd.DataFrame, colour: str, size: int, lang: str) -> tuple[dict, list[str]]:
    """A line's markers and hover notes: a period whose figure misses some returns (`complete`
    False) a larger hollow point, its `coverage` said with 「数据不完整」."""
    complete = part["complete"].tolist() if "complete" in part else [True] * len(part)
    notes = [plain(c) + ("" if ok else "（" + t("coverage_incomplete", lang) + "）")
             for c, ok in zip(part["coverage"] if "coverage" in part else [""] * len(part), complete)]
    marker = {"size": [size if ok else size + 3 for ok in complete],
              "symbol": ["circle" if ok else "circle-open" for ok in complete],
              "line": {"width": 2, "color": colour}}
    return marker, notes


def ranking_bar(rank: pd.DataFrame, *, title: str, indicator: str, unit: str, value_type: str, lang: str = "zh") -> go.Figure:
    """Horizontal bars, best on top; the units the figures layer names as behind (`behind`) in
    grey; a unit with no figure is a grey 0 labelled with its state (未报送, 已报送·未填写, 不适用 …)."""
    if rank.empty:
        return empty_figure(title, lang)
    fmt = number_format(value_type, rank["value"])
    state = rank["state"] if "state" in rank else pd.Series(["reported"] * len(rank), index=rank.index)
    cover = rank["coverage"] if "coverage" in rank else pd.Series([""] * len(rank), index=rank.index)
    groups = rank["group"] if "group" in rank else pd.Series(["all"] * len(rank), index=rank.index)
    behind = rank["behind"] if "behind" in rank else pd.Series([False] * len(rank), index=rank.index)
    approx = rank["approx"] if "approx" in rank else pd.Series([False] * len(rank), index=rank.index)
    why = rank["no_figure"] if "no_figure" in rank else state.map(lambda s: figures.state_text(s, lang))
    colors, texts, xs = [], [], []
    for r, reason, low, near in zip(rank.itertuples(), why, behind, approx):
        missing = pd.isna(r.value)
        xs.append(0 if missing else r.value)
        texts.append(reason if missing else
                     figures.approx_number(r.value, value_type, lang, fmt) if near else format(r.value, fmt))
        colors.append(LAGGARD if missing or low else PARTY_RED)
    ranks = [("—" if pd.isna(r) else int(r)) for r in rank["rank"]]
    # a unit renamed since the period: its current name under the name it had then
    currents = rank["current_name"] if "current_name" in rank else rank["unit_name"]
    _renamed = ["" if now == then else "<br>" + t("current_name", lang, name=plain(now))
                for then, now in zip(rank["unit_name"], currents)]
    group_names = ["" if g == "all" else "（" + t(f"level_group_{g}", lang) + "）" for g in groups]
    fig = go.Figure(
        go.Bar(
            x=_listed(xs), y=_plain_list(rank["unit_name"]), orientation="h", marker_color=colors, text=texts,
            textposition="outside", cliponaxis=False, name=indicator,
            customdata=[[rk, int(n), code, renamed, g, f"<br>{t('hover_coverage', lang)}{t('sep_colon', lang)}{plain(c)}" if c else ""]
                        for rk, n, code, renamed, g, c in
                        zip(ranks, rank["n_ranked"], rank["unit_code"], _renamed, group_names, cover)],
            hovertemplate=(f"<b>%{{y}}</b>%{{customdata[3]}}<br>{indicator}{t('sep_colon', lang)}%{{text}} {plain(unit)}<br>"
                           f"{t('rank', lang)}%{{customdata[4]}}{t('sep_colon', lang)}%{{customdata[0]}} / %{{customdata[1]}}"
                           "%{customdata[5]}<extra></extra>"),
        )
    )
    fig.update_yaxes(autorange="reversed", categoryorder="array", categoryarray=_plain_list(rank["unit_name"]))
    top = max([x for x in xs if x is not None] + [0])
    fig.update_xaxes(range=[0, (top or 1) * 1.18])  # room for the value written after the longest bar
    honest_axis(fig, "x", value_type, [top * 1.18])
    return style(fig, title, with_unit(indicator, unit, lang), t("axis_unit", lang), height=_bar_height(len(rank)),
                 legend=False)


def trend_lines(values: pd.DataFrame, *, title: str, indicator: str, unit: str, value_type: str,
                lang: str = "zh") -> go.Figure:
    """One line per unit over the periods; a single unit is drawn in Party red.  A period whose
    figure misses some returns (`complete` False) is a hollow point, its `coverage` in the hover."""
    if values.empty:
        return empty_figure(title, lang)
    name_col = "unit_name_en" if lang == "en" else "unit_name_zh"
    fmt = number_format(value_type, values["value"])
    # a figure that includes an approximation is said as written (「34万余」), the rest as numbers
    approx = "approx" in values and bool(values["approx"].any())

    def written(part: pd.DataFrame) -> list[str]:
        if not approx:
            return [""] * len(part)
        return [figures.approx_number(v, value_type, lang) if a else format(v, fmt)
                for v, a in zip(part["value"], part["approx"])]

    fig = go.Figure()
    for i, ((_, name), part) in enumerate(values.groupby(["unit_order", name_col], sort=True)):
        name = plain(name)
        marker, notes = _coverage_marks(part, PALETTE[i % len(PALETTE)], 8, lang)
        fig.add_trace(go.Scatter(
            x=_listed(part["period"]), y=_listed(part["value"]), mode="lines+markers", name=name,
            line={"color": PALETTE[i % len(PALETTE)], "width": 3},
            marker=marker,
            customdata=[[c, n, plain(w)] for c, n, w in zip(_listed(part["unit_code"]), notes, written(part))],
            hovertemplate=(f"<b>{name}</b><br>%{{x}}{t('sep_colon', lang)}" + (
                "%{customdata[2]}" if approx else f"%{{y:{fmt}}}") + f" {plain(unit)}<br>%{{customdata[1]}}<extra></extra>"),
        ))
    _period_ticks(fig, values["period"], lang)
    honest_axis(fig, "y", value_type, values["value"])
    return style(fig, title, t("axis_period", lang), with_unit(indicator, unit, lang))


_NICE_STEPS = (1, 2, 5)


def integer_step(top: float, ticks: int = 6) -> int:
    """A whole-number tick step for an axis from 0 to `top`: 1, 2, 5, 10, 20, 50 … giving at most
    about `ticks` ticks (so a count axis never shows 0.5 支)."""
    top = max(float(top or 0), 1.0)
    magnitude = 1
    while True:
        for s in _NICE_STEPS:
            step = s * magnitude
            if top / step <= ticks:
                return step
        magnitude *= 10


def honest_axis(fig: go.Figure, axis: str, value_type: str, values, **where) -> None:
    """Counts and money start at zero; counts have whole-number ticks; a percentage runs 0–100 (a
    share going from 86.6 to 91.0 must not fill the chart).  (Stars and scores keep their own
    range: a mean rating of 4.2 is read against 1–5, not 0.)"""
    vals = [float(v) for v in values if v is not None and not (isinstance(v, float) and math.isnan(v))]
    update = fig.update_xaxes if axis == "x" else fig.update_yaxes
    if value_type == "rate":
        update(range=[0, max([100.0] + [v * 1.05 for v in vals])], **where)
        return
    if value_type not in ("count", "money"):
        return
    update(rangemode="tozero", **where)
    if value_type == "count":
        update(tickmode="linear", tick0=0, dtick=integer_step(max(vals + [0])), tickformat=",d", **where)


def compliance_bars(summary: pd.DataFrame, rule_labels: dict[str, str], *, title: str,
                    lang: str = "zh") -> go.Figure:
    """Per unit, the share of branch-quarters that met each 三会一课 rule, against the 100% required."""
    if summary.empty:
        return empty_figure(title, lang)
    name_col = "group_name_en" if lang == "en" else "group_name_zh"
    fig = go.Figure()
    for i, (code, label) in enumerate(rule_labels.items()):
        fig.add_trace(go.Bar(
            x=_plain_list(summary[name_col]), y=_listed(summary[code]), name=label,
            marker_color=PALETTE[i % len(PALETTE)], customdata=_listed(summary["branch_quarters"]),
            hovertemplate=(f"<b>%{{x}}</b><br>{label}{t('sep_colon', lang)}%{{y:.1f}}%<br>"
                           f"{t('branch_quarters', lang)}{t('sep_colon', lang)}%{{customdata}}<extra></extra>"),
        ))
    fig.add_hline(y=100, line_dash="dash", line_color="#444", annotation_text=t("required", lang),
                  annotation_position="top right")
    fig.update_layout(barmode="group", bargap=0.25, bargroupgap=0.05)
    fig.update_yaxes(range=[0, 112])
    fig.update_xaxes(tickangle=-30)
    return style(fig, title, t("axis_unit", lang), t("axis_share_met", lang), height=520)


def funnel(stages: pd.DataFrame, stage_labels: dict[str, str], unit_names: dict[str, str], *, title: str,
           lang: str = "zh") -> go.Figure:
    """The member-development pipeline, one funnel per unit, stages in order."""
    if stages.empty:
        return empty_figure(title, lang)
    fig = go.Figure()
    for i, (code, part) in enumerate(stages.groupby("unit_code", sort=False)):
        part = part.sort_values("stage")
        name = plain(unit_names.get(code, code))
        fig.add_trace(go.Funnel(
            y=[stage_labels[c] for c in part["indicator_code"]], x=_listed(part["value"]),
            name=name, marker={"color": PALETTE[i % len(PALETTE)]},
            textinfo="value+percent initial",
            hovertemplate=f"<b>{name}</b><br>%{{y}}{t('sep_colon', lang)}%{{x:,.0f}} {t('people', lang)}"
                          "<extra></extra>",
        ))
    return style(fig, title, t("axis_people", lang), t("axis_stage", lang), height=460)


def heatmap(pivot: pd.DataFrame, *, title: str, indicator: str, unit: str, value_type: str, x_title: str,
            lang: str = "zh") -> go.Figure:
    """Rows × columns of one indicator (e.g. unit × year of mean star rating), the value written in each cell."""
    if pivot.empty:
        return empty_figure(title, lang)
    fmt = number_format(value_type)
    z = [[None if pd.isna(v) else float(v) for v in row] for row in pivot.to_numpy()]
    text = [["" if v is None else f"{v:{fmt}}" for v in row] for row in z]
    fig = go.Figure(go.Heatmap(
        z=z, x=[str(c) for c in pivot.columns], y=_plain_list(pivot.index), text=text, texttemplate="%{text}",
        colorscale=[[0, "#FBEFF1"], [0.5, "#E07A88"], [1, PARTY_RED]], zmin=1 if value_type == "stars" else None,
        zmax=5 if value_type == "stars" else None, colorbar={"title": {"text": unit}},
        hovertemplate=f"<b>%{{y}}</b><br>%{{x}}{t('sep_colon', lang)}%{{z:{fmt}}} {unit}<extra></extra>",
    ))
    fig.update_xaxes(type="category")
    fig.update_yaxes(autorange="reversed")
    return style(fig, title, x_title, t("axis_unit", lang), height=_bar_height(len(pivot)), legend=False)


def stacked_bars(frame: pd.DataFrame, *, series_col: str, series_labels: dict, colors: dict | None = None,
                 title: str, x_title: str, unit: str, lang: str = "zh") -> go.Figure:
    """Horizontal bars per unit, stacked by series (e.g. the four forms, or star levels)."""
    if frame.empty:
        return empty_figure(title, lang)
    units = list(dict.fromkeys(frame["unit_name"]))
    fig = go.Figure()
    for i, (key, label) in enumerate(series_labels.items()):
        part = frame[frame[series_col] == key].set_index("unit_name")["value"].reindex(units)
        fig.add_trace(go.Bar(
            y=_plain_list(units), x=_listed(part.fillna(0)), orientation="h", name=label,
            marker_color=(colors or {}).get(key, PALETTE[i % len(PALETTE)]),
            hovertemplate=f"<b>%{{y}}</b><br>{label}{t('sep_colon', lang)}%{{x:,.0f}} {unit}<extra></extra>",
        ))
    fig.update_layout(barmode="stack")
    fig.update_yaxes(autorange="reversed")
    honest_axis(fig, "x", "count", frame.groupby("unit_name")["value"].sum())
    return style(fig, title, with_unit(x_title, unit, lang), t("axis_unit", lang), height=_bar_height(len(units)))


def panels(frame: pd.DataFrame, indicators: list[tuple[str, str, str, str]], *, title: str,
           lang: str = "zh") -> go.Figure:
    """Side-by-side horizontal bars, one panel per indicator (code, label, unit, value type), units shared."""
    if frame.empty:
        return empty_figure(title, lang)
    units = list(dict.fromkeys(frame["unit_name"]))
    fig = make_subplots(rows=1, cols=len(indicators), shared_yaxes=True, horizontal_spacing=0.03,
                        subplot_titles=[with_unit(label, unit, lang) for _, label, unit, _ in indicators])
    for i, (code, label, unit, vtype) in enumerate(indicators, start=1):
        rows = frame[frame["indicator_code"] == code].set_index("unit_name").reindex(units)
        part = rows["value"]
        fmt = number_format(vtype, part.dropna())
        fig.add_trace(go.Bar(
            y=_plain_list(units), x=_listed(part), orientation="h", name=label,
            marker_color=PALETTE[(i - 1) % len(PALETTE)], customdata=_sources_of(rows, code),
            meta=code, hovertemplate=f"<b>%{{y}}</b><br>{label}{t('sep_colon', lang)}%{{x:{fmt}}} {unit}<extra></extra>",
        ), row=1, col=i)
        fig.update_xaxes(title_text=unit, row=1, col=i)
        honest_axis(fig, "x", vtype, part, row=1, col=i)
    fig.update_yaxes(autorange="reversed", title_text=t("axis_unit", lang), row=1, col=1)
    return style(fig, title, None, None, height=_bar_height(len(units)) + 30, legend=False)


def _sources_of(rows: pd.DataFrame, code: str) -> list | None:
    """Each bar's [unit, indicator, period] (a click opens its 来源); none for a unit's own row
    (本级, unit_order -1), whose figure is not its subtree's."""
    if "unit_code" not in rows or "period" not in rows:
        return None
    own = rows["unit_order"] == -1 if "unit_order" in rows else pd.Series(False, index=rows.index)
    return [None if (mine or not isinstance(u, str)) else [u, code, str(p)]
            for u, p, mine in zip(rows["unit_code"], rows["period"], own)]


def small_multiples(frame: pd.DataFrame, indicators: list[tuple[str, str, str, str]], *, title: str,
                    x_col: str, lang: str = "zh", kind: str = "bar", cols: int = 3) -> go.Figure:
    """A grid of panels, one per indicator: bars per unit (kind='bar') or a line over periods (kind='line').
    A bar panel is one trace, each unit its colour in it (a trace per unit per panel made the browser
    draw three times the traces for the same bars: the names are under the bars, there is no legend).
    On a line, a period whose figure misses some returns (`complete` False) is a hollow point, its
    `coverage` in the hover, as on trend_lines."""
    if frame.empty:
        return empty_figure(title, lang)
    rows = math.ceil(len(indicators) / cols)
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=[with_unit(lbl, u, lang) for _, lbl, u, _ in indicators],
                        vertical_spacing=0.16 if rows > 1 else 0.1, horizontal_spacing=0.08)
    names = list(dict.fromkeys(frame["unit_name"]))
    colour = {name: PALETTE[j % len(PALETTE)] for j, name in enumerate(names)}
    for k, (code, label, unit, vtype) in enumerate(indicators):
        r, c = k // cols + 1, k % cols + 1
        part = frame[frame["indicator_code"] == code]
        fmt = number_format(vtype, part["value"])
        if kind == "line":
            for name in names:
                s = part[part["unit_name"] == name]
                shown = plain(name)
                marker, notes = _coverage_marks(s, colour[name], 7, lang)
                fig.add_trace(go.Scatter(
                    x=_plain_list(s[x_col]), y=_listed(s["value"]), mode="lines+markers",
                    line={"color": colour[name], "width": 3}, name=shown, legendgroup=shown, showlegend=(k == 0),
                    marker=marker,
                    customdata=[[n] for n in notes], meta=code,
                    hovertemplate=f"<b>{shown}</b><br>{label}{t('sep_colon', lang)}%{{y:{fmt}}} {unit}"
                                  "<br>%{customdata[0]}<extra>%{x}</extra>"), row=r, col=c)
        else:
            part = part.assign(_order=part["unit_name"].map(names.index)).sort_values("_order", kind="stable")
            fig.add_trace(go.Bar(
                x=_plain_list(part[x_col]), y=_listed(part["value"]), name=plain(label), showlegend=False, meta=code,
                customdata=_sources_of(part, code),
                marker_color=[colour[n] for n in part["unit_name"]],
                hovertemplate=f"<b>%{{x}}</b><br>{label}{t('sep_colon', lang)}%{{y:{fmt}}} {unit}<extra></extra>"),
                row=r, col=c)
        honest_axis(fig, "y", vtype, part["value"], row=r, col=c)
    # each panel names its units (bars) or periods (lines) under it: the colours alone do not say who is who
    fig.update_xaxes(type="category", showticklabels=True, tickangle=-30 if kind == "bar" else None, automargin=True)
    if kind == "line":
        _period_ticks(fig, frame[x_col], lang)
    style(fig, title, None, None, height=(380 if kind == "bar" else 300) * rows + 150, legend=(kind == "line"))
    fig.update_layout(legend={"orientation": "h", "yanchor": "top", "y": -0.1, "x": 0})
    return fig


def status_matrix(matrix: pd.DataFrame, quarters: list[str], status_labels: dict[str, str], *, title: str,
                  lang: str = "zh") -> go.Figure:
    """The unit × quarter grid of returns: on time, late, missing, not yet due, not due at all;
    demo marked in the cell."""
    if matrix.empty:
        return empty_figure(title, lang)
    codes = list(STATUS_COLORS)
    n = len(codes)
    colorscale = []
    for i, c in enumerate(codes):
        colorscale += [[i / n, STATUS_COLORS[c]], [(i + 1) / n, STATUS_COLORS[c]]]
    # a quarter the unit was not due in (not yet formed, retired): no return was expected, none is missing
    cells = matrix.reindex(columns=quarters).fillna("none").astype(str)
    flat = pd.Series(cells.to_numpy().ravel())
    status = flat.str.removesuffix("+demo")
    demo = flat.str.endswith("+demo")
    shape = cells.shape
    z = (status.map({c: i + 0.5 for i, c in enumerate(codes)}).to_numpy(dtype=float)).reshape(shape)
    text = (status.map(status_labels) + demo.map({True: "*", False: ""})).to_numpy(dtype=object).reshape(shape)
    custom = cells.to_numpy(dtype=object)
    fig = go.Figure(go.Heatmap(
        z=z, x=quarters, y=_plain_list(matrix["unit_name"]), text=text, texttemplate="%{text}", customdata=custom,
        colorscale=colorscale, zmin=0, zmax=n, showscale=False, xgap=2, ygap=2,
        hovertemplate="<b>%{y}</b><br>%{x}" + t("sep_colon", lang) + "%{text}<extra></extra>",
    ))
    fig.update_xaxes(type="category", side="top")
    fig.update_yaxes(autorange="reversed")
    return style(fig, title, t("axis_quarter", lang), t("axis_unit", lang), height=_bar_height(len(matrix)),
                 legend=False)


# --- the phone's copy ------------------------------------------------------------------------------
# A phone's plot is about 358 px wide (390 less the page's padding); the copy is laid out for that
# width, and a wider phone only has more room.
PHONE_WIDTH = 358
PHONE_NAME_PX = 132  # a name on a horizontal bar's axis longer than this breaks into two lines
PHONE_BAR_PX = 22  # a bar's row on a phone (two lines of a 12-px name fit)
PHONE_PANEL_GAP = 70  # between panels stacked one under another: the next panel's title and the ticks above it
_UNIT_SUFFIXES = ("机关党委", "党支部", "党总支", "党委", "党组", "支部")
_ENTITY = re.compile(r"&#?\w+;|.", re.S)


def _chars(text: str) -> list[str]:
    """`text` as plotly draws it, one item a character (an entity such as &lt; is one)."""
    return _ENTITY.findall(text)


def _width(text: str, size: float) -> float:
    """About how wide `text` is drawn at `size` px: a CJK character is a square, Latin about half."""
    return sum(size if (len(c) == 1 and ord(c) > 0x2E80) else size * 0.6 for c in _chars(text))


def _wrap(text: str, size: float, room: float) -> str:
    """`text` broken with <br> so no line is wider than `room` (at `size` px)."""
    lines, line = [], ""
    for c in _chars(text):
        if line and _width(line + c, size) > room:
            lines.append(line)
            line = ""
        line += c
    return "<br>".join([*lines, line])


def _two_lines(name: str, size: float, room: float) -> str:
    """A unit's name on a bar's axis: as it is if it fits, else before its kind (…<br>党支部), else cut at `room`."""
    if "<br>" in name or _width(name, size) <= room:
        return name
    for suffix in _UNIT_SUFFIXES:
        if name.endswith(suffix) and _width(name[:-len(suffix)], size) <= room:
            return name[:-len(suffix)] + "<br>" + suffix
    return _wrap(name, size, room)


def _is_period(v) -> bool:
    return isinstance(v, str) and bool(re.fullmatch(r"\d{4}(Q[1-4]|H[12])?", v))


def _axes(fig: go.Figure, letter: str) -> list[str]:
    return sorted((k for k in fig.layout.to_plotly_json() if re.fullmatch(letter + r"axis\d*", k)),
                  key=lambda k: int(k[5:] or 1))


def _swap_ref(ref: str | None) -> str | None:
    if not ref:
        return ref
    return {"x": "y", "y": "x"}.get(ref[0], ref[0]) + ref[1:] if ref[0] in "xy" else ref


def _flip_vertical_bars(fig: go.Figure) -> None:
    """Bars standing on a row of names (三会一课 by unit) lie down: names need the width a phone lacks."""
    flip = [tr for tr in fig.data if tr.type == "bar" and tr.orientation != "h" and tr.x is not None
            and any(isinstance(v, str) and not _is_period(v) for v in tr.x)]
    if not flip:
        return
    keep = {"domain", "anchor", "side", "overlaying", "position", "matches"}
    pairs = {(tr.xaxis or "x", tr.yaxis or "y") for tr in flip}
    lay = fig.layout.to_plotly_json()
    for xa, ya in pairs:
        xk, yk = "xaxis" + xa[1:], "yaxis" + ya[1:]
        x_old, y_old = lay.get(xk, {}), lay.get(yk, {})
        fig.layout[xk] = {**{k: v for k, v in y_old.items() if k not in keep},
                          **{k: v for k, v in x_old.items() if k in keep}}
        fig.layout[yk] = {**{k: v for k, v in x_old.items() if k not in keep},
                          **{k: v for k, v in y_old.items() if k in keep}, "autorange": "reversed", "tickangle": 0}
    for tr in flip:
        x, y = tr.x, tr.y
        tr.update(x=y, y=x, orientation="h")
        if tr.hovertemplate:
            tr.hovertemplate = (tr.hovertemplate.replace("%{x", "%{\0").replace("%{y", "%{x").replace("%{\0", "%{y"))
    for item in list(fig.layout.shapes) + list(fig.layout.annotations):
        if item.xref in (None, "paper") and item.yref in (None, "paper"):
            continue
        j = item.to_plotly_json()
        swapped = {**j, "xref": _swap_ref(j.get("yref")), "yref": _swap_ref(j.get("xref"))}
        for a, b in (("x0", "y0"), ("x1", "y1"), ("x", "y")):
            if a in j or b in j:
                swapped[a], swapped[b] = j.get(b), j.get(a)
        if "xanchor" in j or "yanchor" in j:  # a line's label: inside the plot at the line's far end
            swapped.update(xanchor="right", yanchor="top", y=1, x=j.get("y"))
        item.update(swapped, overwrite=True)
    n = max(len(tr.x) for tr in flip)
    fig.layout.height = max(300, 140 + PHONE_BAR_PX * n * max(1, len(flip)) // (2 if len(flip) > 2 else 1))


def _stack_panels(fig: go.Figure) -> list[int]:
    """Panels side by side (make_subplots) one under another, each with its own ticks; returns
    each panel's height."""
    xs = _axes(fig, "x")
    if len(xs) < 2:
        return []
    ys = _axes(fig, "y")
    heights = []
    for i, xk in enumerate(xs):
        traces = [tr for tr in fig.data if (tr.xaxis or "x") == "x" + xk[5:]]
        horizontal = any(tr.orientation == "h" for tr in traces)
        n = max([len(tr.y or []) if horizontal else 0 for tr in traces] + [0])
        heights.append(max(200, 50 + PHONE_BAR_PX * n) if horizontal else 230)
    total = sum(heights) + PHONE_PANEL_GAP * (len(heights) - 1)
    top = 1.0
    titles = [a for a in fig.layout.annotations if a.xref == "paper" and a.yref == "paper" and a.yanchor == "bottom"]
    for i, (xk, h) in enumerate(zip(xs, heights)):
        bottom = top - h / total
        fig.layout[xk].domain = [0, 1]
        if i < len(ys):
            fig.layout[ys[i]].domain = [max(bottom, 0), top]
            fig.layout[ys[i]].showticklabels = True
        if i < len(titles):
            titles[i].update(x=0, xanchor="left", y=top, yanchor="bottom")
        top = bottom - PHONE_PANEL_GAP / total
    fig.layout.height = total + 160
    return heights


def _compact_categories(fig: go.Figure, lang: str) -> None:
    """Period axes as 「24Q3」 (or 「24」 over 「Q3」 where there is no room), level; long names in two lines."""
    size = PHONE_FONT_SIZE
    for letter in ("x", "y"):
        for key in _axes(fig, letter):
            axis = fig.layout[key]
            ref = letter + key[5:]
            shown = []
            for tr in fig.data:
                if (getattr(tr, letter + "axis", None) or letter) == ref:
                    vals = getattr(tr, letter)
                    shown += [v for v in (vals if vals is not None else []) if isinstance(v, str)]
            codes = list(axis.tickvals) if axis.tickvals is not None else list(dict.fromkeys(shown))
            if not codes:
                continue
            if all(_is_period(c) for c in codes):
                parts = [periods.short_label(c, lang) for c in codes]
                one = [a + b for a, b in parts]
                dom = axis.domain or [0, 1]
                room = (PHONE_WIDTH - 60) * (dom[1] - dom[0]) / max(len(codes), 1)
                if letter == "x" and room < max(_width(s, size) for s in one) + 6:
                    text = [a + ("<br>" + b if b else "") for a, b in parts]
                else:
                    text = one
                axis.update(tickmode="array", tickvals=codes, ticktext=text, tickangle=0, title_text=None)  # 「24Q3」 says it
            elif letter == "y":
                axis.update(tickmode="array", tickvals=codes,
                            ticktext=[_two_lines(c, size, PHONE_NAME_PX) for c in codes])


def _plot_width(fig: go.Figure) -> float:
    """About how wide the plot is once the names (or numbers) beside its y axis have their room."""
    widest = 36.0
    for key in _axes(fig, "y"):
        for text in fig.layout[key].ticktext or []:
            widest = max(widest, *(_width(line, PHONE_FONT_SIZE) + 10 for line in str(text).split("<br>")))
    return PHONE_WIDTH - widest - 20


def _legend_rows(fig: go.Figure, size: float) -> int:
    if fig.layout.showlegend is False:
        return 0
    names = [tr.name for tr in fig.data if tr.name and tr.showlegend is not False]
    if not names or (len(names) < 2 and fig.layout.showlegend is not True):
        return 0
    rows, used, room = 1, 0.0, _plot_width(fig)
    for name in dict.fromkeys(names):
        w = _width(name, size) + 40
        if used and used + w > room:
            rows, used = rows + 1, 0.0
        used += w
    return rows


def _fit_cells(fig: go.Figure) -> None:
    """A heat map's cells too narrow for their words (the returns' matrix, 12 quarters on a phone):
    where each word stands for one colour, the words become a legend of the colours; else they go
    (the hover and the table behind still say them)."""
    for tr in [h for h in fig.data if h.type == "heatmap" and h.text is not None]:
        cols = len(tr.x) if tr.x is not None else 1
        room = (PHONE_WIDTH - 150) / max(cols, 1)
        words = [str(w) for row in tr.text for w in row if w]
        if not words or max(_width(w, PHONE_FONT_SIZE) for w in words) + 4 <= room:
            continue
        colour_of = {}
        scale = tr.colorscale
        lo, hi = tr.zmin, tr.zmax
        for row_t, row_z in zip(tr.text, tr.z):
            for w, z in zip(row_t, row_z):
                if w and z is not None:
                    colour_of.setdefault(str(w).rstrip("*"), set()).add(z)
        one_colour = all(len(zs) == 1 for zs in colour_of.values())
        tr.update(texttemplate=None, text=None)
        if not (one_colour and scale and lo is not None and hi):
            continue
        for word, zs in colour_of.items():
            at = (next(iter(zs)) - lo) / (hi - lo)
            colour = next(c for stop, c in reversed(scale) if stop <= at)
            fig.add_trace(go.Scatter(x=[None], y=[None], mode="markers", name=word, showlegend=True,
                                     marker={"symbol": "square", "size": 12, "color": colour,
                                             "line": {"width": 1, "color": GRID_COLOR}},
                                     hoverinfo="skip", xaxis=tr.xaxis, yaxis=tr.yaxis))
        fig.layout.showlegend = True


def compact(fig: go.Figure, lang: str = "zh") -> go.Figure:
    """A copy of `fig` for a phone (a window under style.PHONE_MAX_PX): smaller type, the title in
    as many lines as it takes, the legend under it in rows, panels one under another, bars
    standing on names lying down, periods short and level, long names in two lines, heat maps
    without their colour scale.  The figure, its data and its `meta` stay as they were (the
    projector's and the print's copies are not this one)."""
    small = go.Figure(fig)
    _flip_vertical_bars(small)
    stacked = bool(_stack_panels(small))
    fonts(small, PHONE_FONT_SIZE, PHONE_TITLE_SIZE)
    _compact_categories(small, lang)
    for tr in small.data:
        if tr.type == "heatmap":
            tr.update(showscale=False)
    _fit_cells(small)
    panel_titles = stacked and any(a.xref == "paper" and a.yref == "paper" and a.yanchor == "bottom"
                                   for a in small.layout.annotations)
    for key in _axes(small, "y"):  # 「单位」 beside a column of unit names says nothing a phone has room for
        axis = small.layout[key]
        if axis.ticktext is not None and any(isinstance(v, str) and not _is_period(v) for v in (axis.tickvals or [])):
            axis.title.text = None
    title = small.layout.title.text or ""
    wrapped = _wrap(title, PHONE_TITLE_SIZE, PHONE_WIDTH - 40) if title else ""
    lines = wrapped.count("<br>") + 1 if title else 0
    legend = _legend_rows(small, PHONE_FONT_SIZE)
    top = 16 + lines * int(PHONE_TITLE_SIZE * 1.45) + (8 + legend * int(PHONE_FONT_SIZE * 2) if legend else 0) + 8
    if panel_titles:  # the first panel's title sits above the plot, under the legend
        top += int((PHONE_FONT_SIZE + 1) * 1.6)
    ticks_above = 0
    if any(ax.side == "top" for ax in (small.layout[k] for k in _axes(small, "x"))):
        ticks_above = 2 * int(PHONE_FONT_SIZE * 1.3) + 8  # ticks above the plot (the returns' matrix)
        top += ticks_above
    small.update_layout(
        title={"text": wrapped, "x": 0, "xanchor": "left", "xref": "container", "y": 1, "yref": "container",
               "yanchor": "top", "pad": {"t": 16, "l": 4}},
        legend={"orientation": "h", "x": 0, "xanchor": "left", "xref": "paper", "y": 1, "yref": "paper",
                "yanchor": "bottom"} if legend else {},
        margin={"l": 4, "r": 14, "t": top, "b": 6},
        height=(small.layout.height or 450) + (lines - 1) * int(PHONE_TITLE_SIZE * 1.35),
    )
    above = int((PHONE_FONT_SIZE + 1) * 1.6) if panel_titles else 0
    if legend and (above or ticks_above):  # the legend over the first panel's title, or the ticks on top
        plot = small.layout.height - top - 6
        small.layout.legend.y = 1 + (above + ticks_above) / max(plot, 1)
    return small
