"""Who is looking (dashboard/app/identity.py), under AppTest: the sign-in path with a provider
configured (AppTest's `secrets` and `user` stand in for the OpenID Connect round trip, which
tests/browser/test_sign_in.py covers for real), and the demo mode's "view as".  What each role
sees, and that what a page does not offer is refused below it too."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from dashboard.app import identity
from dashboard.db import Store
from dashboard.domain import access, filters
from dashboard.domain.access import AccessDenied
from tests.support.apptest import APP, TIMEOUT, app_store, assert_clean, figures, forget, goto

SCOPE, OTHER = "SW01", "SW02"
REPORTER, LEADER, STRANGER = "rep@bureau.example", "lead@bureau.example", "who@elsewhere.example"
AUTH = {"redirect_uri": "http://127.0.0.1:8501/oauth2callback", "cookie_secret": "x" * 32, "client_id": "c",
        "client_secret": "s", "server_metadata_url": "http://127.0.0.1:9/.well-known/openid-configuration"}


@pytest.fixture
def app_db(demo_db_file, tmp_path, monkeypatch) -> Path:
    """A copy of the demo database holding a reporter of SW01 and a leader of SW01."""
    path = tmp_path / "app.duckdb"
    shutil.copy(demo_db_file, path)
    with Store(path) as store:
        tree = store.tree()
        store.put_users([(None, access.clean_entry(tree, REPORTER, "报送人甲", "reporter", SCOPE)),
                         (None, access.clean_entry(tree, LEADER, "领导乙", "leader", SCOPE))])
        store.checkpoint()
    monkeypatch.setenv("DANGJIAN_DB", str(path))
    monkeypatch.delenv("DANGJIAN_AUTH", raising=False)
    yield path
    forget()


def signed_in(email: str | None, page: str | None = None, **query):
    """The app with a provider configured, as the person `email` signed in (None: not signed in)."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    at.secrets["auth"] = dict(AUTH)
    at.user = {"is_logged_in": True, "email": email, "sub": "s-1"} if email else {"is_logged_in": False}
    for k, v in query.items():
        at.query_params[k] = v
    at.run()
    if page:
        goto(at, page).run()
    return at


def units_asked(at) -> set[str]:
    """Every unit any chart on the page asked its query for."""
    out = set()
    for fig in figures(at).values():
        params = fig["layout"].get("meta", {}).get("params", {})
        for key in ("units", "groups"):
            out |= set(params.get(key) or [])
    return out


def test_sign_in_is_asked_for_and_nothing_else_shown(app_db):
    at = signed_in(None)
    assert_clean(at)
    assert at.title[0].value == "请登录"
    assert at.button(key="sign_in")
    assert not figures(at) and not at.multiselect  # no figures, no filters


@pytest.mark.parametrize("page", ["overview", "study", "submissions"])
def test_a_reporter_sees_only_its_subtree_even_through_a_foreign_link(app_db, page):
    at = signed_in(REPORTER, page if page != "overview" else None, unit=OTHER)
    assert_clean(at)
    tree = app_store(app_db).tree()
    inside = {u.code for u in tree.subtree(SCOPE)}
    picker = at.multiselect(key=filters.KEY_UNITS)
    offered = {o.strip("\u3000 ") for o in picker.options}  # names indented by depth
    assert offered and offered <= {tree[c].name_zh for c in inside}  # the picker offers the scope only
    assert picker.value == [SCOPE]  # ?unit=SW02 opened the reporter's own committee
    asked = units_asked(at)
    assert asked <= inside, asked - inside
    if page != "overview":  # the overview shows headline numbers, no charts
        assert asked
    claim = [c.value.replace("\\", "").replace("\u2060", "") for c in at.sidebar.caption]
    assert any(REPORTER in c for c in claim), claim  # who, as the claim


def test_a_leader_has_no_upload_or_restore_and_the_functions_refuse(app_db):
    at = signed_in(LEADER, "upload")
    assert_clean(at)
    assert not at.get("file_uploader")
    assert not [b for b in at.button if b.key in ("upload_submit", "upload_template")]
    at = signed_in(LEADER, "submissions")
    assert_clean(at)
    assert not [b for b in at.button if b.key == "subs_restore"]
    store = app_store(app_db)
    leader = store.user(LEADER).principal()
    subs = store.table("submissions")
    sid = int(subs[subs.unit_code == SCOPE]["id"].iloc[0])
    with pytest.raises(AccessDenied):
        store.restore(sid, principal=leader)
    with pytest.raises(AccessDenied):  # another committee's figures, asked for by name
        store.check_query(leader, "submission_history", {"units": [OTHER], "from": "2024Q1", "to": "2024Q4"})


def test_a_signed_in_person_not_in_the_users_table_sees_who_they_are(app_db):
    for page in (None, "study"):
        at = signed_in(STRANGER, page, unit=SCOPE)
        assert_clean(at)
        assert at.title[0].value == "您尚未获得看板权限"
        assert at.text_input(key="whoami_login").value == STRANGER
        assert not figures(at) and not at.multiselect


def test_an_incomplete_provider_refuses_to_serve(app_db):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    at.secrets["auth"] = {k: v for k, v in AUTH.items() if k != "client_secret"}
    at.run()
    assert not at.exception
    assert at.title[0].value == "看板未启动"
    assert "client_secret" in at.error[0].value
    assert not figures(at) and not at.multiselect


def test_demo_mode_view_as_a_reporter(app_db):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    at.run()
    assert_clean(at)
    assert any("演示模式" in w.value for w in at.warning), "the demo-mode banner"
    at.session_state[identity.ROLE_KEY] = "reporter"
    at.session_state[identity.UNIT_KEY] = SCOPE
    goto(at, "study").run()
    assert_clean(at)
    tree = app_store(app_db).tree()
    inside = {u.code for u in tree.subtree(SCOPE)}
    asked = units_asked(at)
    assert asked and asked <= inside
    goto(at, "upload").run()
    assert at.text_input(key="upload_user").value  # prefilled with the "view as" name
