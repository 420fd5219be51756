"""Reminders (催报): for every reporting unit whose return of a quarter is due and not in, a message
to the reporters in scope — by e-mail and/or a 企业微信 or 钉钉 group robot.

The steps, each plain Python (the command `python -m dashboard remind` and the 报送情况 page's
button run the same ones):

- `plan(store, quarter, channels)`: who is due and not in (the status the 报送情况 page shows:
  queries/charts/submission_status.sql under each quarter's deadline, domain/deadlines.py, and the
  product's clock), the reporters whose scope holds each unit (users with role reporter, with
  their e-mail and mobile), the exact messages, and what will not be sent and why (a unit already
  reminded on that channel today, a reporter with no e-mail address, no reporter at all);
- `send(store, planned, config)`: sends each message through its channel and records every send —
  to whom, on which channel, how it ended and why — in the `reminders` table and the audit trail
  (remind.send), in one transaction after the sends.  A channel that fails says why; its messages
  stay unsent, so the next run (the same day too) tries them again: nothing is lost.

At most one reminder per unit, channel and day: the day is the product's clock (dashboard/clock.py).
Where the channels are is in `.streamlit/secrets.toml` (settings.secrets), section [remind]:

    [remind.smtp]       host, port, sender, and optionally user, password, ssl = true | starttls = true
    [remind.wecom]      webhook = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=..."
    [remind.dingtalk]   webhook = "https://oapi.dingtalk.com/robot/send?access_token=...", secret = "SEC..."

企业微信's group robot takes {"msgtype": "text", "text": {"content", "mentioned_mobile_list"}};
钉钉's takes {"msgtype": "text", "text": {"content"}, "at": {"atMobiles", "isAtAll"}} at a URL signed
with timestamp (ms) and sign = base64(HMAC-SHA256(secret, f"{timestamp}\\n{secret}")); both answer
{"errcode": 0, "errmsg": "ok"} when the message is taken.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import smtplib
import ssl
import time
import tomllib
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from email.message import EmailMessage
from email.utils import formataddr

from . import clock
from .domain import analysis, audit, deadlines, periods
from .i18n import t
from .settings import current as settings

CHANNELS = ("email", "wecom", "dingtalk")
SEND_TIMEOUT_S = 15  # one SMTP conversation or robot call; a slower channel is reported as failed
NOT_IN = ("missing", "pending")  # submission_status: due, nothing in (past the deadline, or not yet)


class RemindError(ValueError):
    """What the command or the page cannot do: words for the person, in both languages."""


@dataclass(frozen=True)
class Reporter:
    login: str
    name: str
    email: str
    mobile: str


@dataclass(frozen=True)
class Message:
    """One message to send: an e-mail to one address, or one group robot post per unit."""

    unit: str
    quarter: str
    channel: str
    to: str  # an e-mail address, or the robot's channel name
    subject: str
    body: str
    mentions: tuple[str, ...] = ()  # mobiles the robot @-mentions
    logins: tuple[str, ...] = ()  # the reporters it reaches


@dataclass(frozen=True)
class Skip:
    unit: str
    channel: str  # "" for the whole unit
    reason: str  # a text key (remind_skip_*)
    fields: tuple[tuple[str, str], ...] = ()

    def text(self, lang: str = "zh") -> str:
        return t(self.reason, lang, **dict(self.fields))


@dataclass(frozen=True)
class DueUnit:
    code: str
    name: str
    quarter: str
    deadline: date
    days_left: int  # negative: overdue by that many days
    reporters: tuple[Reporter, ...]


@dataclass
class Plan:
    quarter: str
    today: date
    deadline: date
    channels: tuple[str, ...]
    units: list[DueUnit] = field(default_factory=list)
    messages: list[Message] = field(default_factory=list)
    skipped: list[Skip] = field(default_factory=list)


@dataclass(frozen=True)
class Outcome:
    message: Message
    ok: bool
    reason: str = ""


# --- the channels' settings -----------------------------------------------------------------------


def read_config(path=None) -> dict:
    """The [remind] section of the secrets file (settings.secrets); {} when there is none."""
    path = path or settings().secrets
    try:
        with open(path, "rb") as f:
            return dict(tomllib.load(f).get("remind", {}))
    except FileNotFoundError:
        return {}
    except tomllib.TOMLDecodeError as exc:
        raise RemindError(t("remind_bad_secrets", path=path, why=str(exc)[:200])) from exc


def configured(config: Mapping) -> tuple[str, ...]:
    """The channels the settings describe, in CHANNELS order."""
    keys = {"email": "smtp", "wecom": "wecom", "dingtalk": "dingtalk"}
    return tuple(c for c in CHANNELS if isinstance(config.get(keys[c]), Mapping))


# --- who is due, and the messages --------------------------------------------------------------------


def last_ended_quarter(today: date | None = None) -> str:
    """The latest quarter that has ended by today: the one whose returns are being collected."""
    return periods.shift(periods.quarter_of(today or clock.today()), -1)


def reporters_of(store, unit: str) -> tuple[Reporter, ...]:
    """The reporters whose scope holds reporting unit `unit` (they may file its return), by login."""
    tree = store.tree()
    return tuple(Reporter(u.login, u.name or u.login, u.email, u.mobile) for u in store.users()
                 if u.role == "reporter" and u.principal().may_upload(tree, unit))


def days_text(days_left: int, lang: str = "zh") -> str:
    if days_left > 0:
        return t("remind_days_left", lang, n=days_left)
    if days_left == 0:
        return t("remind_due_today", lang)
    return t("remind_overdue", lang, n=-days_left)


def days_left_of(planned: Plan) -> int:
    return deadlines.days_left(planned.deadline, planned.today)


def template_link(unit: str, quarter: str) -> str:
    """Where the reporter downloads the template: the upload page with the unit and quarter chosen."""
    base = settings().app_url.strip().rstrip("/")
    if not base:
        return t("remind_link_unset")
    return f"{base}/upload?" + urllib.parse.urlencode({"upload_unit": unit, "upload_quarter": quarter})


def _fields(due: DueUnit) -> dict:
    return {"unit": due.name, "code": due.code, "period": periods.label(due.quarter), "quarter": due.quarter,
            "deadline": f"{due.deadline.year}年{due.deadline.month}月{due.deadline.day}日",
            "days": days_text(due.days_left), "link": template_link(due.code, due.quarter),
            "contact": settings().contact.strip() or t("remind_contact_unset")}


def messages_for(due: DueUnit, channel: str) -> tuple[list[Message], list[Skip]]:
    """The messages of one unit on one channel, and the reporters it cannot reach there."""
    f = _fields(due)
    subject = t("remind_subject", **f)
    if channel == "email":
        out, skipped = [], []
        for r in due.reporters:
            if r.email:
                out.append(Message(due.code, due.quarter, channel, r.email, subject,
                                   t("remind_email_body", name=r.name, **f), logins=(r.login,)))
            else:
                skipped.append(Skip(due.code, channel, "remind_skip_no_email", (("login", r.login),)))
        return out, skipped
    names = "、".join(r.name for r in due.reporters)
    mentions = tuple(r.mobile for r in due.reporters if r.mobile)
    body = t("remind_robot_body", names=names, **f) + "".join(f" @{m}" for m in mentions)
    return [Message(due.code, due.quarter, channel, channel, subject, body, mentions,
                    tuple(r.login for r in due.reporters))], []


def plan(store, quarter: str | None = None, channels: tuple[str, ...] = CHANNELS) -> Plan:
    """Who is due and not in for `quarter` (default: the latest ended), whom to remind on each of
    `channels`, the exact messages, and what will not be sent and why."""
    today = clock.today()
    quarter = periods.quarter(quarter) if quarter else last_ended_quarter(today)
    set_apart = store.deadlines()
    deadline = deadlines.due(quarter, set_apart)
    out = Plan(quarter, today, deadline, tuple(channels))
    if periods.quarter_end(quarter).date() >= today:
        raise RemindError(t("remind_not_ended", quarter=periods.label(quarter)))
    tree = store.tree()
    due = analysis.expected_returns(store.history(), [tree.root.code], [quarter], whole=True, deadlines=set_apart)
    status = store.query("submission_status", **due)
    sent = _sent_today(store, quarter, today)
    for row in status[status["status"].isin(NOT_IN)].itertuples():
        unit = DueUnit(row.unit_code, row.unit_name_zh, quarter, deadline, deadlines.days_left(deadline, today),
                       reporters_of(store, row.unit_code))
        out.units.append(unit)
        if not unit.reporters:
            out.skipped.append(Skip(unit.code, "", "remind_skip_no_reporter"))
            continue
        for channel in channels:
            if (unit.code, channel) in sent:
                out.skipped.append(Skip(unit.code, channel, "remind_skip_today",
                                        (("at", sent[unit.code, channel]), ("channel", t(f"remind_channel_{channel}")))))
                continue
            found, skipped = messages_for(unit, channel)
            out.messages += found
            out.skipped += skipped
    return out


def _sent_today(store, quarter: str, today: date) -> dict[tuple[str, str], str]:
    """(unit, channel) -> the time of the reminder already sent today on that channel."""
    rows = store.reminders_sent(quarter, today)
    return {(unit, channel): str(at)[11:16] for unit, channel, at in rows}


# --- sending --------------------------------------------------------------------------------------


def send(store, planned: Plan, config: Mapping) -> list[Outcome]:
    """Send every planned message through its channel, then record each send (reminders table and
    audit, one transaction).  A channel that is not configured, or fails, fails its messages with
    the reason; the others go on."""
    outcomes = []
    for channel in planned.channels:
        batch = [m for m in planned.messages if m.channel == channel]
        if not batch:
            continue
        outcomes += _SENDERS[channel](batch, config)
    store.record_reminders(planned.today, outcomes)
    for s in planned.skipped:
        if s.reason == "remind_skip_today":
            store.audit("remind.send", f"{s.unit} {planned.quarter} {s.channel}", "rejected",
                        audit.words(unit=s.unit, quarter=planned.quarter, channel=s.channel, reason="reminded_today"))
    return outcomes


def _send_email(batch: list[Message], config: Mapping) -> list[Outcome]:
    smtp = config.get("smtp")
    if not isinstance(smtp, Mapping) or not smtp.get("host") or not smtp.get("sender"):
        return [Outcome(m, False, t("remind_fail_not_configured", channel="email")) for m in batch]
    try:
        port = int(smtp.get("port", 465 if smtp.get("ssl") else 25))
        if smtp.get("ssl"):
            server = smtplib.SMTP_SSL(smtp["host"], port, timeout=SEND_TIMEOUT_S, context=ssl.create_default_context())
        else:
            server = smtplib.SMTP(smtp["host"], port, timeout=SEND_TIMEOUT_S)
    except (OSError, smtplib.SMTPException, ValueError) as exc:
        return [Outcome(m, False, t("remind_fail_smtp_connect", why=_why(exc))) for m in batch]
    out = []
    try:
        if smtp.get("starttls"):
            server.starttls(context=ssl.create_default_context())
        if smtp.get("user"):
            server.login(smtp["user"], smtp.get("password", ""))
        for m in batch:
            mail = EmailMessage()
            mail["From"] = formataddr((t("remind_sender_name"), smtp["sender"]))
            mail["To"] = m.to
            mail["Subject"] = m.subject
            mail.set_content(m.body)
            try:
                server.send_message(mail)
                out.append(Outcome(m, True))
            except smtplib.SMTPException as exc:
                out.append(Outcome(m, False, t("remind_fail_smtp", why=_why(exc))))
    except (OSError, smtplib.SMTPException) as exc:
        done = {id(o.message) for o in out}
        out += [Outcome(m, False, t("remind_fail_smtp", why=_why(exc))) for m in batch if id(m) not in done]
    finally:
        try:
            server.quit()
        except (OSError, smtplib.SMTPException):
            server.close()
    return out


def dingtalk_url(webhook: str, secret: str, now_ms: int | None = None) -> str:
    """钉钉's signed webhook: the URL with &timestamp=…&sign=… (no secret: the URL as given)."""
    if not secret:
        return webhook
    stamp = str(now_ms if now_ms is not None else int(time.time() * 1000))
    digest = hmac.new(secret.encode("utf-8"), f"{stamp}\n{secret}".encode("utf-8"), hashlib.sha256).digest()
    sign = urllib.parse.quote_plus(base64.b64encode(digest))
    return f"{webhook}{'&' if '?' in webhook else '?'}timestamp={stamp}&sign={sign}"


def robot_payload(m: Message) -> dict:
    """The documented JSON of the channel's group robot for one message."""
    if m.channel == "wecom":
        return {"msgtype": "text", "text": {"content": m.body, "mentioned_mobile_list": list(m.mentions)}}
    return {"msgtype": "text", "text": {"content": m.body}, "at": {"atMobiles": list(m.mentions), "isAtAll": False}}


def _send_robot(batch: list[Message], config: Mapping) -> list[Outcome]:
    channel = batch[0].channel
    section = config.get(channel)
    if not isinstance(section, Mapping) or not section.get("webhook"):
        return [Outcome(m, False, t("remind_fail_not_configured", channel=channel)) for m in batch]
    out = []
    for m in batch:
        url = section["webhook"]
        if channel == "dingtalk":
            url = dingtalk_url(url, section.get("secret", ""))
        body = json.dumps(robot_payload(m), ensure_ascii=False).encode("utf-8")
        request = urllib.request.Request(url, data=body, method="POST",
                                         headers={"Content-Type": "application/json; charset=utf-8"})
        try:
            with urllib.request.urlopen(request, timeout=SEND_TIMEOUT_S) as r:
                answer = json.loads(r.read(65536).decode("utf-8") or "{}")
        except (OSError, ValueError) as exc:
            out.append(Outcome(m, False, t("remind_fail_robot", why=_why(exc))))
            continue
        code = answer.get("errcode")
        if code == 0:
            out.append(Outcome(m, True))
        else:
            out.append(Outcome(m, False, t("remind_fail_robot_answer", code=code, msg=str(answer.get("errmsg", ""))[:200])))
    return out


def _why(exc: Exception) -> str:
    return f"{type(exc).__name__}: {str(exc)[:200]}"


_SENDERS = {"email": _send_email, "wecom": _send_robot, "dingtalk": _send_robot}
