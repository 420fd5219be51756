"""Two threads reading at once — two sessions, or the 通报's download made while its page runs —
each get their frames: nothing the conversion of a result shares between threads is refused as busy."""

from __future__ import annotations

import shutil
import threading

from dashboard.db import Store, queries
from dashboard.domain.filters import values_params


def test_two_threads_read_at_once(demo_db_file, tmp_path):
    path = tmp_path / "demo.duckdb"
    shutil.copy(demo_db_file, path)
    failures: list[BaseException] = []
    with Store(path) as store:
        # a half-year's figures: a frame whose columns DuckDB converts itself (queries.frame)
        params = values_params(["SW"], "2024Q1", "2024Q2", "half", ["theme_party_days", "xxqg_rate",
                                                                          "members_total"])
        converted = []
        spy = queries._converter
        queries._converter = lambda: converted.append(1) or spy()
        try:
            expected = store.query("indicator_values", **params)
        finally:
            queries._converter = spy
        assert converted  # the path the race was on
        start = threading.Barrier(4)

        def read() -> None:
            try:
                start.wait()
                for _ in range(40):
                    got = store.query("indicator_values", **params)
                    assert len(got) == len(expected)
            except BaseException as exc:  # noqa: BLE001 - collected for the assertion below
                failures.append(exc)

        threads = [threading.Thread(target=read) for _ in range(4)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
    assert failures == [], failures[:1]
