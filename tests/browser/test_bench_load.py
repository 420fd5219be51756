"""The benchmark's load run (dashboard/bench/load.py), tiny: two instances on a PostgreSQL copy of
the demo, two leaders at once against one alone.  Times are reported, never asserted."""

from __future__ import annotations

from dashboard.bench import load


def test_the_load_run_times_leaders_on_two_instances_against_one_alone(pg_server, pg_templates, tmp_path,
                                                                      monkeypatch):
    monkeypatch.setenv("DANGJIAN_PG_FOLDER", str(tmp_path / "shared"))
    url = pg_server.create("bench_load", template=pg_templates["demo"])
    said = []
    try:
        figures = load.run(url, tmp_path, quick=True, say=said.append, leaders=(2,), switches=2)
    finally:
        pg_server.drop("bench_load")
    assert "problem" not in figures, figures
    assert figures["instances"] == 2 and figures["target_leaders"] == 2
    assert figures["alone"]["switches"] >= len(load.PAGES)
    two = figures["runs"]["2"]
    assert two["switches"] == 2 * 2  # every leader made every switch, none lost
    assert 0 < two["p50_ms"] <= two["p95_ms"] <= two["max_ms"]
    assert figures["p95_ratio"] == round(two["p95_ms"] / figures["alone"]["p95_ms"], 2)
    assert all(mb > 0 for mb in figures["peak_rss_mb"])
    table = "\n".join(load.format_lines(figures, 52))
    assert "one leader alone" in table and "2 leaders at once" in table and "share one machine" in table
