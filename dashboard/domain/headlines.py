"""Each domain's headline figures for a selection: the value, its coverage and state, and the
changes against the period before and a year before computed like for like (coverage.py).  The
overview, the projector and the quarterly 通报 all read them here, so they cannot disagree.

Plain Python: the caller passes how to run a named query and where the coverage inputs come from
(the app's cached ones, or the store's own for the 通报)."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from . import analysis, coverage, periods
from . import figures as layer
from .catalog import Catalog
from .filters import values_params

Query = Callable[..., pd.DataFrame]
Inputs = Callable[[list[str], list[str]], tuple[dict, frozenset]]  # coverage.inputs for (units, quarters)
COLUMNS = ["unit_code", "indicator_code", "period", "value", "approx", "state", "coverage", "current_lfl_previous",
           "previous",
           "delta_previous", "lfl_previous", "basis_previous", "current_lfl_year", "year_before", "delta_year", "lfl_year",
           "basis_year"]


def figures(query: Query, inputs: Inputs, history, cat: Catalog, units, last: str, granularity: str = "quarter",
            indicators: list[str] | None = None, lang: str = "zh") -> pd.DataFrame:
    """Per unit and headline indicator (the catalog's, unless `indicators` names others), each at its
    reference quarter (an indicator asked in one quarter only, star ratings in Q1, is read at its
    latest such quarter up to `last`): the value (None for a stock whose returns are missing), its
    state and coverage text, and per earlier window ('previous', 'year_before') the earlier figure,
    the change and what the change stands on (`lfl_*`), all like for like; `basis_*` is (returns
    counted, returns due) when the change counts only some of the returns due (so it is not the
    plain difference of the two figures), else None."""
    heads = [cat[c] for c in indicators] if indicators is not None else cat.headlines
    units = list(units)
    by_ref: dict[str, list] = {}
    for i in heads:
        by_ref.setdefault(analysis.reference_quarter(i.quarters, last), []).append(i)
    rows = []
    for ref, inds in by_ref.items():
        windows = analysis.comparison_windows(ref, granularity)
        quarters = {name: periods.quarter_range(a, b) for name, (a, b) in windows.items()}
        every = sorted({q for qs in quarters.values() for q in qs})
        due, reported = inputs(units, every)
        got = {name: query("indicator_values", **values_params(units, a, b, granularity, [i.code for i in inds]))
               for name, (a, b) in windows.items()}
        period = got["current"]["period"].iloc[0] if len(got["current"]) else periods.period_of(ref, granularity)
        src = layer.Source(query, inputs, history, cat, None)
        now_values = {i.code: layer.values_of(src, units, quarters["current"], period, i) for i in inds}
        now_approx = {i.code: layer.approx_of(src, units, quarters["current"], period, i) if now_values[i.code]
                      else set() for i in inds}
        now_states = {i.code: layer.figure_states(src, i, units, quarters["current"], due, reported,
                                                    now_values[i.code], lang).set_index("unit_code")
                      for i in inds}
        parts = None
        for code in units:
            for ind in inds:
                rel = {name: coverage.relevant_quarters(cat, ind, qs) for name, qs in quarters.items()}
                complete = all(coverage.coverage(due[code], reported, qs).complete for qs in rel.values())
                if not complete and parts is None:
                    parts = query("return_parts", units=units, indicators=coverage.stored_codes(
                        cat, [i.code for i in inds]), **{"from": every[0], "to": every[-1]})
                plain = {name: _value(g, code, ind.code) for name, g in got.items()}
                now = now_states[ind.code].loc[code]
                value = now_values[ind.code].get(code) if now["state"] in layer.WITH_FIGURE else None
                changes = coverage.like_for_like(cat, ind, code, quarters, due[code], reported,
                                                 None if complete else parts, plain)
                rows.append({
                    "unit_code": code, "indicator_code": ind.code, "period": period, "value": value,
                    "approx": value is not None and code in now_approx[ind.code],
                    "state": now["state"], "coverage": now["coverage"],
                    "current_lfl_previous": changes["previous"].current, "previous": changes["previous"].earlier, "delta_previous": changes["previous"].delta,
                    "lfl_previous": changes["previous"].text(lang), "basis_previous": _basis(changes["previous"]),
                    "current_lfl_year": changes["year_before"].current, "year_before": changes["year_before"].earlier, "delta_year": changes["year_before"].delta,
                    "lfl_year": changes["year_before"].text(lang), "basis_year": _basis(changes["year_before"]),
                })
    return pd.DataFrame(rows, columns=COLUMNS)


def _value(values: pd.DataFrame, unit: str, code: str) -> float | None:
    got = values.loc[(values["unit_code"] == unit) & (values["indicator_code"] == code), "value"]
    return float(got.iloc[0]) if len(got) else None


def _basis(change: coverage.Change) -> tuple[int, int] | None:
    return None if change.delta is None or change.same_as_plain else (len(change.units), change.due)
