"""Stand-ins for the reminder channels, on 127.0.0.1 only: an SMTP server (aiosmtpd) that keeps
every message it is handed, and an HTTP server standing in for the 企业微信 and 钉钉 group robots
that keeps every post (its path, query and JSON) and answers as the robots do.  Nothing leaves the
machine."""

from __future__ import annotations

import json
import threading
import urllib.parse
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller

from dashboard.bench.browser import free_port


class MailBox:
    """An SMTP server on 127.0.0.1; `.messages`: (envelope recipients, parsed message) of each."""

    def __init__(self):
        self.messages: list[tuple[list[str], EmailMessage]] = []
        self.lock = threading.Lock()
        self.port = free_port()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd's handler hook
        with self.lock:
            self.messages.append((list(envelope.rcpt_tos),
                                  message_from_bytes(envelope.original_content, policy=policy.default)))
        return "250 OK"

    def __enter__(self) -> MailBox:
        self.controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self.controller.stop()


class Robots:
    """An HTTP server on 127.0.0.1 for both robots: /wecom and /dingtalk.  `.posts`: (path, query
    dict, JSON body) of each post; `.answer[path]`: the JSON it answers (default errcode 0)."""

    def __init__(self):
        self.posts: list[tuple[str, dict, dict]] = []
        self.answer: dict[str, dict] = {}
        robots = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                url = urllib.parse.urlsplit(self.path)
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])).decode("utf-8"))
                robots.posts.append((url.path, dict(urllib.parse.parse_qsl(url.query)), body))
                data = json.dumps(robots.answer.get(url.path, {"errcode": 0, "errmsg": "ok"})).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> Robots:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    def of(self, path: str) -> list[tuple[dict, dict]]:
        return [(q, b) for p, q, b in self.posts if p == path]


def secrets_file(path, mail: MailBox | None, robots: Robots | None, *, ding_secret: str = "SECtest") -> str:
    """A secrets file whose [remind] channels are these servers."""
    lines = []
    if mail is not None:
        lines += ["[remind.smtp]", 'host = "127.0.0.1"', f"port = {mail.port}", 'sender = "dangjian@bureau.example"']
    if robots is not None:
        lines += ["[remind.wecom]", f'webhook = "{robots.url}/wecom?key=k1"',
                  "[remind.dingtalk]", f'webhook = "{robots.url}/dingtalk?access_token=t1"', f'secret = "{ding_secret}"']
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)
