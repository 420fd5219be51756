"""Names are shown as text: a browser fetches nothing a unit, file or user name points at.

The app is served on a database whose unit names hold Markdown images and links, raw HTML
(<img>, <a>, <iframe>, <script>), a bare URL, an e-mail address, Streamlit directives and
LaTeX, every address pointing at a listener this test runs on 127.0.0.1.  Every page is
opened (and a return uploaded under such a name): the listener receives no request, the
browser asks nothing of any address but the app's, no element's src or href holds the
listener's address, and the page shows each name as it was typed.
"""

from __future__ import annotations

import http.server
import re
import threading

import pytest

from dashboard.bench.browser import APP, Server
from tests.browser.conftest import page_url, wait_for_app
from tests.support.apptest import PAGES, UNSCOPED
from tests.support.hostile import build_db

WORD_JOINER = "\u2060"  # what app/escape.md puts in to break auto-links: invisible, not part of the name


class Listener:
    """A tiny HTTP server on a free loopback port that counts every request made to it."""

    def __init__(self):
        self.requests: list[str] = []
        seen = self.requests

        class Handler(http.server.BaseHTTPRequestHandler):
            def _any(self):
                seen.append(f"{self.command} {self.path}")
                self.send_response(204)
                self.end_headers()

            do_GET = do_POST = do_HEAD = do_OPTIONS = _any

            def log_message(self, *args):  # quiet
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def listener():
    it = Listener()
    yield it
    it.stop()


def hostile_units(url: str) -> list[tuple]:
    return [  # code, name_zh, name_en, level, parent
        ("G", f"![图]({url}/md-image.png) 党组", f"![img]({url}/md-image-en.png) Group", "party_group", None),
        ("C1", f'<img src="{url}/html-img.png">第一党委', f'<img src="{url}/html-img-en.png">C1', "committee", "G"),
        ("C1B1", f"[点我]({url}/md-link) 一支部", "Branch 1", "branch", "C1"),
        ("C1B2", f"{url}/autolink 二支部", "Branch 2", "branch", "C1"),
        ("C1B3", f'<a href="{url}/html-a">链接</a> 三支部', "Branch 3", "branch", "C1"),
        ("C2", "**粗** :red[红] $x^2$ www.example.com a@b.example <b>b</b> 第二党总支", "General Branch 2",
         "general_branch", "G"),
        ("C2B1", f'<iframe src="{url}/iframe"></iframe>四支部', "Branch 4", "branch", "C2"),
        ("C2B2", f"<script>fetch('{url}/script')</script>五支部", "Branch 5", "branch", "C2"),
    ]


@pytest.fixture(scope="module")
def hostile_server(listener, tmp_path_factory):
    folder = tmp_path_factory.mktemp("hostile_browser")
    units = hostile_units(listener.url)
    db = build_db(folder / "hostile.duckdb", units, user=f"![u]({listener.url}/user.png)",
                  file_name=f"[f]({listener.url}/file).xlsx")
    server = Server(APP, {"DANGJIAN_DB": str(db)}, folder / "app.log")
    server.names = {code: zh for code, zh, *_ in units}
    yield server
    server.stop()


# Attributes through which an element makes the browser fetch or link to an address.
FETCHING_ATTRIBUTES_JS = """(needle) => {
  const names = ['src', 'href', 'xlink:href', 'srcset', 'action', 'formaction', 'data', 'poster', 'background'];
  const found = [];
  for (const el of document.querySelectorAll('*')) {
    for (const name of names) {
      const v = el.getAttribute(name);
      if (v && v.includes(needle)) found.push(`${el.tagName} ${name}=${v}`);
    }
  }
  return found;
}"""


def shown(page, selector: str) -> str:
    """The text a person reads in the element (the invisible word joiners left out)."""
    return "\n".join(page.locator(selector).all_inner_texts()).replace(WORD_JOINER, "")


def _watch(page, server) -> list[str]:
    """Every request the page makes to anything but the app itself."""
    origin = re.compile(rf"^(https?|wss?)://127\.0\.0\.1:{server.port}(/|$)")
    stray: list[str] = []
    page.on("request", lambda r: None if origin.match(r.url) or r.url.startswith(("data:", "blob:"))
            else stray.append(r.url))
    return stray


@pytest.mark.parametrize("path", PAGES)
def test_no_page_fetches_what_a_name_points_at_and_every_name_reads_as_typed(page, hostile_server, listener,
                                                                             screenshot_dir, path):
    stray = _watch(page, hostile_server)
    page.set_viewport_size({"width": 1440, "height": 2600})
    page.goto(page_url(hostile_server, path, "unit=G&unit=C1&unit=C2&period=2024Q1&period=2024Q2"))
    wait_for_app(page)
    page.wait_for_timeout(500)  # time for anything a name might have made the page fetch
    page.screenshot(path=str(screenshot_dir / f"injection_{path}.png"))
    assert page.locator("[data-testid='stException']").count() == 0
    assert stray == []
    assert listener.requests == []
    assert page.evaluate(FETCHING_ATTRIBUTES_JS, f"127.0.0.1:{listener.port}") == []
    names = hostile_server.names
    main = shown(page, "[data-testid='stMain']")
    for code in ("G", "C1", "C2") if path not in UNSCOPED else ():  # the scope caption names the units, as typed
        assert names[code] in main, f"{code}: {names[code]!r} not shown as typed"
    sidebar = shown(page, "[data-testid='stSidebar']")  # the unit filter's chosen units: plain text
    assert names["G"] in sidebar and names["C1"] in sidebar


def test_an_upload_under_a_hostile_file_and_user_name_shows_them_as_text(page, hostile_server, listener, tmp_path,
                                                                         screenshot_dir):
    stray = _watch(page, hostile_server)
    # a file name cannot hold "/": a relative image and link, which would fetch from the app itself
    bad = tmp_path / "![f](f-img.png)[l](f-link)<img src=f-raw.png> www.example.com.xlsx"
    bad.write_bytes(b"not a workbook")
    user = f"![u]({listener.url}/typed-user.png)"
    page.set_viewport_size({"width": 1440, "height": 2000})
    page.goto(page_url(hostile_server, "upload", "unit=G"))
    wait_for_app(page)
    page.locator(".st-key-upload_user input").fill(user)
    page.locator(".st-key-upload_user input").press("Enter")
    page.locator(".st-key-upload_files input[type=file]").set_input_files([str(bad)])
    chip = page.locator(".st-key-upload_files [data-testid='stFileChipName']")  # the name is cut short on screen
    chip.wait_for()
    assert chip.get_attribute("title") == bad.name
    page.locator(".st-key-upload_submit button:not([disabled])").click()
    page.locator("[data-testid='stMain']").get_by_text("③ 校验结果").wait_for()
    wait_for_app(page)
    page.wait_for_timeout(500)
    page.screenshot(path=str(screenshot_dir / "injection_upload.png"))
    assert stray == [] and listener.requests == []
    for needle in ("f-img.png", "f-link", "f-raw.png", f"127.0.0.1:{listener.port}"):
        assert page.evaluate(FETCHING_ATTRIBUTES_JS, needle) == [], needle
    assert bad.name in shown(page, "[data-testid='stAlert']")  # the rejection message names the file
    assert bad.name in shown(page, "[data-testid='stTable']")  # and so does the problem list
