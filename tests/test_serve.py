"""The app's start (dashboard/app/serve.py): a real server on 127.0.0.1 runs its default page once
by itself, so the first visitor is served from the caches; Streamlit's own cache counters
(/_stcore/metrics) say what was computed and when, not a timing."""

from __future__ import annotations

import re
import urllib.request

import pytest

from dashboard import aio
from dashboard.bench.browser import Server
from dashboard.bench.protocol import Session
from dashboard.i18n import t
from tests.support.servers import demo_app

_LOOKUP = re.compile(r'^cache_lookups_total\{cache="dashboard\.app\.state\.(\w+)",cache_type="\w+",'
                     r'result="(hit|miss)"\} (\d+)', re.M)


def _lookups(server: Server) -> dict[tuple[str, str], int]:
    with urllib.request.urlopen(f"{server.url}/_stcore/metrics", timeout=30) as r:
        text = r.read().decode()
    return {(name, result): int(n) for name, result, n in _LOOKUP.findall(text)}


@pytest.fixture
def fresh_app(demo_db_file, tmp_path):
    server = demo_app(demo_db_file, tmp_path)
    yield server
    server.stop()


def test_the_server_warms_the_default_page_before_the_first_visitor(fresh_app):
    warm = fresh_app.wait_warm()
    assert warm["state"] == "ready" and warm["seconds"] > 0
    before = _lookups(fresh_app)
    # nobody has visited: what the overview needs was computed by the server's own run
    assert before[("_built", "miss")] >= 3  # headlines, completeness, bottom lists
    assert before[("_cached_query", "miss")] >= 5

    async def visit():
        session, run = await Session.open(fresh_app.url)
        await session.close()
        return run

    run = aio.run(visit())
    assert run.ok and run.title == t("page_overview") and run.kinds["metric"] >= 1
    after = _lookups(fresh_app)
    # the visitor's page was built from the warm caches: no figure or query computed again
    assert after[("_built", "miss")] == before[("_built", "miss")]
    assert after[("_cached_query", "miss")] == before[("_cached_query", "miss")]
    assert after[("_built", "hit")] - before[("_built", "hit")] >= 3

