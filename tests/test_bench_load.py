"""The load run's protocol client (dashboard/bench/protocol.py, load.py) against real app instances on
127.0.0.1: each switch ends in Streamlit's script_finished, and what came is the page asked for.
Times are reported, never asserted."""

from __future__ import annotations


import pytest

from dashboard import aio
from dashboard.bench import load
from dashboard.bench.protocol import ProtocolError, Session
from dashboard.domain.catalog import catalog
from dashboard.i18n import t
from tests.support.servers import demo_app


@pytest.fixture(scope="module")
def app(demo_db_file, tmp_path_factory):
    """One instance of the app on a copy of the demo, in the open demo mode."""
    server = demo_app(demo_db_file, tmp_path_factory.mktemp("load"))
    yield server
    server.stop()


def _title(page: str) -> str:
    return t("page_overview") if page == "" else catalog().domain(page).name()


def test_two_leaders_switching_twice_each_get_the_pages_they_asked_for(app):
    runs, failures, client_cpu, wall = aio.run(load._leaders([app.url], 2, 2))
    assert failures == []
    assert len(runs) == 2 * 2
    # leader i opens PAGES[i] and switches to the next two pages in turn
    assert sorted(r.page for r in runs) == sorted([load.PAGES[1], load.PAGES[2], load.PAGES[2], load.PAGES[3]])
    for run in runs:
        assert run.status == "FINISHED_SUCCESSFULLY" and run.ok, run
        assert run.exceptions == []
        assert run.title == _title(run.page)  # the page's own h1, not the one before, not an error
        assert run.elements > 10
        assert run.charts >= 1, run.kinds  # every domain page draws its charts
        assert run.ms > 0
    assert wall > 0 and client_cpu >= 0


def test_opening_the_default_page_gives_the_overview_and_the_navigation(app):
    async def go():
        session, first = await Session.open(app.url)
        try:
            again = await session.switch("study")
            back = await session.switch("")
        finally:
            await session.close()
        return session, first, again, back

    session, first, again, back = aio.run(go())
    assert first.ok and first.title == t("page_overview")
    assert first.kinds["metric"] >= 1  # the headline figures
    assert set(load.PAGES) <= set(session.pages)  # the page hashes the server's navigation named
    assert again.title == _title("study") and again.charts >= 1
    assert back.title == t("page_overview")


def test_a_page_the_navigation_does_not_name_is_an_error_not_a_hang(app):
    async def go():
        session, _ = await Session.open(app.url)
        try:
            await session.switch("no-such-page")
        finally:
            await session.close()

    with pytest.raises(ProtocolError, match="no-such-page"):
        aio.run(go())


def test_the_load_run_on_postgresql_measures_each_instance_count_against_one_leader_alone(pg_server, pg_templates,
                                                                                         tmp_path):
    url = pg_server.create("bench_load", template=pg_templates["demo"])
    said = []
    try:
        figures = load.run({"postgresql": url}, tmp_path, quick=True, say=said.append, leaders=(1, 2),
                           instances=(1, 2), switches=2, env={"DANGJIAN_PG_FOLDER": str(tmp_path / "shared")})
    finally:
        pg_server.drop("bench_load")
    assert "problem" not in figures, figures
    rows = {(r["instances"], r["leaders"]): r for r in figures["runs"]}
    assert set(rows) == {(1, 1), (1, 2), (2, 1), (2, 2)}
    assert rows[(1, 1)]["switches"] == len(load.PAGES)  # the reference walks every page
    for (_, n), r in rows.items():
        assert r["backend"] == "postgresql" and r["failed"] == 0, r
        assert r["switches"] == (len(load.PAGES) if n == 1 else n * 2)  # every switch made, none lost
        assert 0 < r["p50_ms"] <= r["p95_ms"] <= r["max_ms"]
        assert r["server_cpu_ms_per_switch"] > 0 and r["elements_min"] > 10 and r["charts"] > 0
    assert len(figures["peak_rss_mb"]["postgresql"]) == 2 and all(mb > 0 for mb in figures["peak_rss_mb"]["postgresql"])
    assert figures["p95_ratio"] is None  # no row of 20 leaders on 2 instances in this tiny run
    table = "\n".join(load.format_lines(figures, 52))
    assert "postgresql, 2 instances" in table and "reference" in table and "p95 with 20 leaders" in table
    assert len(said) == 4
