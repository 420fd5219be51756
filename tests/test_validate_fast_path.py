"""The validator's fast path for plain numbers must say exactly what the per-cell path says.

`_plain_number` accepts the common cell (a number `read_cell` takes without a word) without
going through `read_cell`; anything else takes the slow path.  Checked cell by cell against
`read_cell`, and file by file: every workbook of the validation corpus, validated with the
fast path and with it switched off, gives the same problems and the same values.
"""

from __future__ import annotations

import math
from datetime import date, datetime

import pytest

from dashboard.db import Store
from dashboard.domain.catalog import catalog
from dashboard.ingest import validate as validate_mod
from dashboard.ingest.validate import _plain_number, read_cell, validate
from tests.support.returns import set_value
from tests.test_validate import CORPUS

RAWS = [0, 1, 2, 3, 5, 6, 12, 999, 10**9, 10**18, -1, -3, 0.0, -0.0, 1.0, 2.5, 4.5, 5.0, 6.0, 12.34, 12.345, 12.3456,
        1000.1, 1000.005, 0.001, 1e-10, 1e300, -1e-300, math.inf, -math.inf, math.nan, True, False, "5", "5次", "１２",
        "", " ", None, "X", date(2025, 1, 1), datetime(2025, 1, 1, 12)]


@pytest.mark.parametrize("ind", [i for i in catalog().indicators if i.is_stored], ids=lambda i: i.code)
def test_the_fast_path_accepts_only_what_read_cell_accepts_silently_with_the_same_value(ind):
    for raw in RAWS:
        fast = _plain_number(raw, ind)
        if fast is None:
            continue
        v, notes = read_cell(raw, ind)
        assert notes == [] and v == fast and type(v) is type(fast), (raw, fast, v, notes)
        assert math.copysign(1, v) == math.copysign(1, fast)


def _problems(found):
    return [(p.sheet, p.cell, p.unit_code, p.indicator_code, p.severity, p.message_zh, p.message_en, p.expected_zh,
             p.found) for p in found.items]



EXTRA = [
    ("money with more decimals", "发展党员", "SW0101", "dues_collected", 12.3456),
    ("zero", "学习教育", "SW0101", "party_lectures", 0),
    ("a large count", "学习教育", "SW0102", "party_lectures", 10**9),
    ("text number", "学习教育", "SW0103", "party_lectures", "5"),
    ("not applicable", "学习教育", "SW01", "branch_general_meetings", 3),
]


def _files(good):
    yield "good", good
    for case, make, _ in CORPUS:
        yield case, make(good)[0]
    for case, sheet, unit, code, value in EXTRA:
        yield case, set_value(good, sheet, unit, code, value)[0]


def test_every_corpus_file_gets_the_same_problems_and_values_with_or_without_the_fast_path(good, history,
                                                                                         monkeypatch):
    with Store(history) as store:
        for case, data in _files(good):
            found_fast, parsed_fast = validate(store, data, "SW01_2025Q1.xlsx")
            with monkeypatch.context() as m:
                m.setattr(validate_mod, "_plain_number", lambda raw, ind: None)
                found_slow, parsed_slow = validate(store, data, "SW01_2025Q1.xlsx")
            assert _problems(found_fast) == _problems(found_slow), case
            assert parsed_fast.values == parsed_slow.values, case
            assert (parsed_fast.reporting_unit, parsed_fast.quarter, parsed_fast.version) == (
                parsed_slow.reporting_unit, parsed_slow.quarter, parsed_slow.version), case
