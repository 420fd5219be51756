"""Sign-in through a real OpenID Connect provider, in Chromium, and what each role then sees.

The provider is oidc-provider-mock, served by this test on 127.0.0.1 in a subprocess (stopped by
its PID): clients must register (the test registers the app with its redirect URI) and every
authorization request must carry a nonce.  The app is started with a secrets file of the
test's own (`streamlit run ... --secrets.files PATH`, never the repository's
.streamlit/secrets.toml), whose [auth] names that provider; DANGJIAN_AUTH is left unset, so
the [auth] section alone puts the app in the sign-in mode.  Each person signs in as a person
does: the app's 登录 button, the provider's form (the subject typed in, Authorize), back to the
app with the identity cookie.
"""

from __future__ import annotations

import csv
import io
import json
import secrets
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

from dashboard.bench.browser import APP, Server, free_port
from dashboard.db import Store
from dashboard.domain import access
from dashboard.ingest import build_template
from tests.browser.conftest import page_url, snapshot_db, wait_for_app
from tests.browser.test_upload_export import download
from tests.support.returns import fill

REPORTER = {"sub": "r-sw01", "email": "Zhou.Baosong@bureau.example", "name": "周报送"}  # capitals: normalised
LEADER = {"sub": "l-bureau", "email": "li.lingdao@bureau.example", "name": "李领导"}
STRANGER = {"sub": "s-nobody", "email": "stranger@elsewhere.example", "name": "陌生人"}
SCOPE = "SW01"  # the reporter's committee
OTHER = "SW02"  # another committee


def _wait_http(url: str, proc: subprocess.Popen, what: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except (OSError, urllib.error.URLError):
            time.sleep(0.2)
    raise RuntimeError(f"{what} did not answer at {url}")


@pytest.fixture(scope="module")
def provider(tmp_path_factory):
    """oidc-provider-mock on 127.0.0.1: registration required, nonce required, three people."""
    port = free_port()
    log = open(tmp_path_factory.mktemp("oidc") / "provider.log", "w")
    args = [sys.executable, "-m", "oidc_provider_mock", "--host", "127.0.0.1", "--port", str(port),
            "--require-registration", "true", "--require-nonce", "true"]
    for person in (REPORTER, LEADER, STRANGER):
        args += ["--user-claims", json.dumps(person, ensure_ascii=False)]
    proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_http(f"{url}/.well-known/openid-configuration", proc, "the OpenID provider")
        yield url
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        log.close()


def _register(provider: str, redirect_uri: str) -> dict:
    body = json.dumps({"redirect_uris": [redirect_uri]}).encode()
    req = urllib.request.Request(f"{provider}/oauth2/clients", data=body, method="POST",
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read())


@pytest.fixture(scope="module")
def signed_app(provider, demo_db_file, tmp_path_factory):
    """The app on a copy of the demo database holding two users (a reporter of SW01, a leader of
    the whole bureau) and an earlier version of the bureau's latest return (so there is
    something a restore control would offer), with a secrets file pointing at the provider."""
    folder = tmp_path_factory.mktemp("signed")
    db = folder / "app.duckdb"
    shutil.copy(demo_db_file, db)
    with Store(db) as store:
        tree = store.tree()
        store.put_users([(None, access.clean_entry(tree, REPORTER["email"], REPORTER["name"], "reporter", SCOPE)),
                         (None, access.clean_entry(tree, LEADER["email"], LEADER["name"], "leader", tree.root.code))])
        last = store.quarter_span()[1]
        facts = store.table("facts")
        active = store.table("submissions")
        sid = int(active[(active.unit_code == tree.root.code) & (active.quarter == last)
                         & (active.status == "active")]["id"].item())
        mine = facts.loc[facts.submission_id == sid, ["unit_code", "indicator_code", "value"]]
        store.submit(tree.root.code, last, mine.assign(value=mine.value + 1), user="测试", file_name="again.xlsx",
                     sha256="e" * 64)
        store.checkpoint()
    port = free_port()
    redirect_uri = f"http://127.0.0.1:{port}/oauth2callback"
    client = _register(provider, redirect_uri)
    secrets_file = folder / "secrets.toml"
    secrets_file.write_text(
        "[auth]\n"
        f'redirect_uri = "{redirect_uri}"\n'
        f'cookie_secret = "{secrets.token_hex(32)}"\n'
        f'client_id = "{client["client_id"]}"\n'
        f'client_secret = "{client["client_secret"]}"\n'
        f'server_metadata_url = "{provider}/.well-known/openid-configuration"\n', encoding="utf-8")
    env = {"DANGJIAN_DB": str(db), "DANGJIAN_AUTH": ""}  # empty is unset: [auth] alone means sign-in
    server = Server(APP, env, folder / "app.log", port=port, args=("--secrets.files", str(secrets_file)))
    server.db = db
    yield server
    server.stop()


def sign_in(page, server, person: dict) -> None:
    """The whole flow as a person goes through it."""
    page.goto(server.url)
    wait_for_app(page)
    assert page.locator("h1").first.inner_text() == "请登录"
    page.get_by_role("button", name="登录").click()
    page.locator("input[name=sub]").wait_for()  # the provider's own form
    page.locator("input[name=sub]").fill(person["sub"])
    page.get_by_role("button", name="Authorize").click()
    page.wait_for_url(f"{server.url}/**")
    wait_for_app(page)


def main_text(page) -> str:
    return page.locator("[data-testid='stMain']").inner_text()


def chart_labels(page) -> set[str]:
    """Every category and series name of every plotly chart on the page."""
    data = page.evaluate("""() => [...document.querySelectorAll('.js-plotly-plot')].flatMap(gd => gd.data.map(
        t => [].concat(t.x || [], t.y || [], t.name ? [t.name] : [], t.labels || [])))""")
    return {str(v) for trace in data for v in trace if isinstance(v, str)}


def nav_labels(page) -> list[str]:
    """The sidebar's page links as read (the last line: before it, a material icon's ligature name)."""
    return [a.inner_text().strip().split("\n")[-1].strip()
            for a in page.locator("[data-testid='stSidebarNav'] a").all()]


def test_a_reporter_signs_in_and_sees_only_its_committee(page, signed_app, tmp_path, screenshot_dir):
    sign_in(page, signed_app, REPORTER)
    page.screenshot(path=str(screenshot_dir / "sign_in_reporter.png"))
    sidebar = page.locator("[data-testid='stSidebar']").inner_text()
    assert "zhou.baosong@bureau.example" in sidebar.replace("\u2060", "").replace("\\", "")  # who, as the claim
    assert "报表上传" in nav_labels(page) and "用户管理" not in nav_labels(page)

    with Store(snapshot_db(signed_app, tmp_path / "now.duckdb")) as store:
        tree = store.tree()
    inside = {u.code for u in tree.subtree(SCOPE)}
    above = {u.code for u in tree.ancestors(SCOPE)}
    mine = {tree[c].name_zh for c in inside | above}
    outside = {u.name_zh for u in tree.units if u.code not in inside | above
               and not any(u.name_zh in n for n in mine)}
    assert tree[OTHER].name_zh in outside

    # every page the reporter is offered, and a link asking for another committee
    pages = ["overview", "study", "members", "stars", "discipline", "flood", "compare", "explorer", "upload",
             "submissions"]
    for path in pages:
        for query in ("", f"unit={OTHER}"):
            page.goto(page_url(signed_app, path, query))
            wait_for_app(page)
            text, labels = main_text(page), chart_labels(page)
            assert "超出权限" not in text and "出错" not in text, (path, query, text[:500])
            seen = {name for name in outside if name in text} | (labels & outside)
            assert not seen, (path, query, sorted(seen))
    page.goto(page_url(signed_app, "study", f"unit={OTHER}"))
    wait_for_app(page)
    page.screenshot(path=str(screenshot_dir / "sign_in_reporter_other_link.png"))
    assert tree[SCOPE].name_zh in main_text(page)  # the link opened the reporter's own committee

    # an export holds the committee's units only
    page.get_by_text("查看数据表并导出").first.click()
    rows = list(csv.reader(io.StringIO(open(download(page, "study_ranking_csv").path(), encoding="utf-8-sig").read())))
    codes = [r[rows[0].index("单位代码")] for r in rows[1:]]
    assert codes and set(codes) <= inside, codes

    # a return for another committee is refused, with nothing changed
    with Store(snapshot_db(signed_app, tmp_path / "before.duckdb")) as store:
        data, _ = fill(build_template(store, OTHER, store.quarter_span()[1]))
        before = store.snapshot()
    path = tmp_path / f"{OTHER}.xlsx"
    path.write_bytes(data)
    page.goto(page_url(signed_app, "upload"))
    wait_for_app(page)
    assert page.locator(".st-key-upload_user").count() == 0  # who submits is the signed-in identity
    options = page.locator(".st-key-upload_unit")
    assert tree[OTHER].name_zh not in options.inner_text()
    page.locator(".st-key-upload_files input[type=file]").set_input_files([str(path)])
    page.locator(".st-key-upload_files").get_by_text(path.name).wait_for()
    page.locator(".st-key-upload_submit button:not([disabled])").click()
    page.locator("[data-testid='stMain']").get_by_text("③ 校验结果").wait_for()
    wait_for_app(page)
    page.screenshot(path=str(screenshot_dir / "sign_in_reporter_refused.png"), full_page=True)
    assert f"这份报表属于 {OTHER}" in main_text(page).replace("\u2060", "")
    with Store(snapshot_db(signed_app, tmp_path / "after.duckdb")) as store:
        after = store.snapshot()
        audit = store.table("audit")
    assert {k: v for k, v in after.items() if k != "audit"} == {k: v for k, v in before.items() if k != "audit"}
    refusal = audit[(audit.target == path.name)]
    assert refusal[["actor", "via", "action", "outcome"]].values.tolist() == [
        ["zhou.baosong@bureau.example", "app", "return.import", "rejected"]]


def test_a_leader_signs_in_and_has_no_upload_or_restore(page, signed_app, screenshot_dir):
    sign_in(page, signed_app, LEADER)
    assert "报表上传" not in nav_labels(page) and "用户管理" not in nav_labels(page)
    assert "报送情况" in nav_labels(page)
    page.goto(page_url(signed_app, "upload"))
    wait_for_app(page)
    assert page.locator("[data-testid='stFileUploader']").count() == 0
    assert page.locator(".st-key-upload_submit, .st-key-upload_template").count() == 0
    page.goto(page_url(signed_app, "submissions"))
    wait_for_app(page)
    page.screenshot(path=str(screenshot_dir / "sign_in_leader_submissions.png"), full_page=True)
    text = main_text(page)
    assert "恢复历史版本需要管理员权限" in text  # there is an earlier version, and no control to restore it
    assert page.locator(".st-key-subs_restore, .st-key-subs_restore_id").count() == 0
    assert "市水务局党组" in text  # a leader of the bureau reads the whole bureau


def test_a_person_not_in_the_users_table_sees_only_who_they_are(page, signed_app, screenshot_dir):
    sign_in(page, signed_app, STRANGER)
    page.screenshot(path=str(screenshot_dir / "sign_in_stranger.png"))
    text = main_text(page).replace("\u2060", "").replace("\\", "")
    assert "您尚未获得看板权限" in text and STRANGER["email"] in text
    assert nav_labels(page) == []
    assert page.locator("[data-testid='stPlotlyChart']").count() == 0
    page.goto(page_url(signed_app, "study", "unit=SW01"))
    wait_for_app(page)
    assert "您尚未获得看板权限" in main_text(page)
    assert page.locator("[data-testid='stPlotlyChart']").count() == 0
