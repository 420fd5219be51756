"""Reminders (催报, issue 22): the units due and not in, their reporters, the exact messages as a
local SMTP server and a local robot server receive them, one reminder per unit, channel and day, a
failed channel that says why and loses nothing, and the audit of every send."""

from __future__ import annotations

import base64
import hashlib
import hmac
import shutil
import urllib.parse

import pytest

from dashboard import cli, remind
from dashboard.db import Store
from tests.support.channels import MailBox, Robots, secrets_file

APP_URL = "https://dangjian.bureau.example"
CONTACT = "局机关党委 李明 0571-87654321"
SUBJECT_SW08 = "【催报】节约用水办公室党总支2024年第4季度党建指标报表（截止2025年1月15日）"
SUBJECT_SW09 = "【催报】水政监察支队党总支2024年第4季度党建指标报表（截止2025年1月15日）"
LINK_SW08 = f"{APP_URL}/upload?upload_unit=SW08&upload_quarter=2024Q4"
LINK_SW09 = f"{APP_URL}/upload?upload_unit=SW09&upload_quarter=2024Q4"
EMAIL_ZHAO = f"""赵节水同志：

节约用水办公室党总支2024年第4季度党建指标报表尚未报送。
报送截止：2025年1月15日（已逾期 5 天）
模板下载：{LINK_SW08}

已报送的请忽略本提醒。如有问题请联系：{CONTACT}

—— 党建指标看板（自动发送，请勿回复）
"""
WECOM_SW08 = f"""【催报】节约用水办公室党总支2024年第4季度党建指标报表尚未报送。
报送截止：2025年1月15日（已逾期 5 天）
模板下载：{LINK_SW08}
请钱节约、赵节水同志及时报送；已报送的请忽略。联系人：{CONTACT} @13800000801"""
ROBOT_SW09 = f"""【催报】水政监察支队党总支2024年第4季度党建指标报表尚未报送。
报送截止：2025年1月15日（已逾期 5 天）
模板下载：{LINK_SW09}
请孙政法同志及时报送；已报送的请忽略。联系人：{CONTACT} @13800000901"""


@pytest.fixture
def demo_db(demo_db_file, tmp_path, monkeypatch):
    path = tmp_path / "demo.duckdb"
    shutil.copy(demo_db_file, path)
    monkeypatch.setenv("DANGJIAN_TODAY", "2025-01-20")
    monkeypatch.setenv("DANGJIAN_APP_URL", APP_URL)
    monkeypatch.setenv("DANGJIAN_CONTACT", CONTACT)
    monkeypatch.setenv("DANGJIAN_SECRETS", str(tmp_path / "none.toml"))
    return path


def run(capsys, *args) -> tuple[int, str]:
    code = cli.main(["remind", *args])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def test_the_dry_run_lists_the_units_not_in_and_their_reporters_and_sends_nothing(demo_db, capsys):
    with Store(demo_db) as store:
        before = store.snapshot()
    code, out = run(capsys, "--db", str(demo_db), "--period", "2024Q4", "--dry-run")
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "2024年第4季度催报：2 个单位尚未报送（截止 2025-01-15，已逾期 5 天）（预览，未发送）"
    assert lines[1] == ("  SW08  节约用水办公室党总支  报送人 reporters: 钱节约 <qian.jieshui@sw.demo.example>、"
                        "赵节水 <zhao.jieshui@sw.demo.example> 13800000801")
    assert "  SW09  水政监察支队党总支  报送人 reporters: 孙政法 <sun.zhengfa@sw.demo.example> 13800000901" in lines
    assert f"    → 邮件  zhao.jieshui@sw.demo.example  {SUBJECT_SW08}" in lines
    assert sum("→" in line for line in lines) == 3 + 2 + 2  # 3 e-mails, a post per unit on each robot
    with Store(demo_db) as store:
        assert store.snapshot() == before  # a preview writes nothing, not even the audit


def test_each_unit_and_channel_gets_exactly_one_message_and_a_second_run_sends_nothing(demo_db, tmp_path,
                                                                                        capsys, monkeypatch):
    with MailBox() as mail, Robots() as robots:
        monkeypatch.setenv("DANGJIAN_SECRETS", secrets_file(tmp_path / "secrets.toml", mail, robots))
        code, out = run(capsys, "--db", str(demo_db), "--period", "2024Q4", "--user", "党办王芳")
        assert code == 0, out
        assert "已发送 7 条，失败 0 条" in out
        # e-mail: one per reporter with an address, exactly as written
        got = {tuple(rcpt): m for rcpt, m in mail.messages}
        assert sorted(got) == [("qian.jieshui@sw.demo.example",), ("sun.zhengfa@sw.demo.example",),
                               ("zhao.jieshui@sw.demo.example",)]
        zhao = got[("zhao.jieshui@sw.demo.example",)]
        assert zhao["Subject"] == SUBJECT_SW08 and zhao["To"] == "zhao.jieshui@sw.demo.example"
        assert zhao["From"].addresses[0].addr_spec == "dangjian@bureau.example"
        assert zhao.get_content() == EMAIL_ZHAO
        # 企业微信: one post per unit, the documented text message with the @-mentioned mobiles
        wecom = robots.of("/wecom")
        assert [q for q, _ in wecom] == [{"key": "k1"}] * 2
        assert wecom[0][1] == {"msgtype": "text", "text": {"content": WECOM_SW08,
                                                           "mentioned_mobile_list": ["13800000801"]}}
        # 钉钉: the same, at a URL signed with the timestamp and HMAC-SHA256 of the secret
        ding = robots.of("/dingtalk")
        assert len(ding) == 2
        query, body = ding[1]
        assert body == {"msgtype": "text", "text": {"content": ROBOT_SW09},
                        "at": {"atMobiles": ["13800000901"], "isAtAll": False}}
        sign = base64.b64encode(hmac.new(b"SECtest", f"{query['timestamp']}\nSECtest".encode(), hashlib.sha256).digest())
        assert query["access_token"] == "t1" and query["sign"] == sign.decode()

        code, again = run(capsys, "--db", str(demo_db), "--period", "2024Q4")
        assert code == 0
        assert (len(mail.messages), len(robots.posts)) == (3, 4)  # nothing more
        assert again.count("× 邮件  今日已通过邮件催报") == 2 and "未发送任何提醒" in again
        assert "每个单位每天每个渠道只催报一次" in again

    with Store(demo_db) as store:
        trail = store.table("audit")
        sends = trail[trail["action"] == "remind.send"]
        ok = sends[sends["outcome"] == "ok"]
        assert (ok["actor"] == "党办王芳").all() and (ok["via"] == "cli").all()
        assert sorted(ok["target"]) == sorted(f"{u} 2024Q4 {c}" for u in ("SW08", "SW09")
                                              for c in ("email", "wecom", "dingtalk"))
        assert "recipients=qian.jieshui@sw.demo.example,zhao.jieshui@sw.demo.example" in \
            ok[ok["target"] == "SW08 2024Q4 email"]["detail"].iloc[0]
        assert len(sends[sends["outcome"] == "rejected"]) == 6  # the second run: each unit and channel, refused
        kept = store.table("reminders")
        assert len(kept) == 7 and set(kept["outcome"]) == {"ok"} and set(kept["day"].astype(str)) == {"2025-01-20"}


def test_a_failed_channel_says_why_and_the_next_run_sends_what_it_lost(demo_db, tmp_path, capsys, monkeypatch):
    with MailBox() as mail, Robots() as robots:
        monkeypatch.setenv("DANGJIAN_SECRETS", secrets_file(tmp_path / "secrets.toml", mail, robots))
        robots.answer["/dingtalk"] = {"errcode": 310000, "errmsg": "sign not match"}
        code, out = run(capsys, "--db", str(demo_db), "--period", "2024Q4")
        assert code == 1
        assert out.count("群机器人拒收（errcode 310000：sign not match）") == 2 and "已发送 5 条，失败 2 条" in out
        robots.answer.pop("/dingtalk")
        code, out = run(capsys, "--db", str(demo_db), "--period", "2024Q4")  # the same day: only what failed
        assert code == 0 and "已发送 2 条，失败 0 条" in out
        assert len(mail.messages) == 3 and len(robots.of("/wecom")) == 2 and len(robots.of("/dingtalk")) == 4
    with Store(demo_db) as store:
        kept = store.table("reminders")
        failed = kept[kept["outcome"] == "failed"]
        assert sorted(failed["unit_code"]) == ["SW08", "SW09"] and set(failed["channel"]) == {"dingtalk"}
        assert set(failed["reason"]) == {"群机器人拒收（errcode 310000：sign not match）"}
        trail = store.table("audit")
        assert len(trail[(trail["action"] == "remind.send") & (trail["outcome"] == "failed")]) == 2


def test_a_mail_server_that_cannot_be_reached_fails_its_messages_in_words(demo_db, tmp_path, capsys, monkeypatch):
    mail = MailBox()  # never started: nothing listens on its port
    monkeypatch.setenv("DANGJIAN_SECRETS", secrets_file(tmp_path / "secrets.toml", mail, None))
    code, out = run(capsys, "--db", str(demo_db), "--period", "2024Q4")
    assert code == 1 and out.count("无法连接邮件服务器：ConnectionRefusedError") == 3
    with Store(demo_db) as store:
        assert set(store.table("reminders")["outcome"]) == {"failed"}


def test_before_the_deadline_the_message_counts_the_days_left(demo_db, monkeypatch):
    monkeypatch.setenv("DANGJIAN_TODAY", "2025-01-10")
    with Store(demo_db) as store:
        planned = remind.plan(store, "2024Q4", ("email",))
    assert [u.code for u in planned.units] == ["SW08", "SW09"] and planned.units[0].days_left == 5
    assert "报送截止：2025年1月15日（还剩 5 天）" in planned.messages[0].body


def test_no_channel_configured_is_said_and_a_quarter_not_ended_has_nothing_due(demo_db, capsys, monkeypatch):
    code, out = run(capsys, "--db", str(demo_db), "--period", "2024Q4")
    assert code == 1 and "未配置任何催报渠道" in out
    code, out = run(capsys, "--db", str(demo_db), "--period", "2025Q1", "--dry-run")
    assert code == 1 and "2025年第1季度尚未结束" in out


def test_the_dingtalk_signature_is_the_documented_one():
    url = remind.dingtalk_url("https://oapi.dingtalk.com/robot/send?access_token=abc", "SEC123", now_ms=1700000000000)
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))
    digest = hmac.new(b"SEC123", b"1700000000000\nSEC123", hashlib.sha256).digest()
    assert query == {"access_token": "abc", "timestamp": "1700000000000", "sign": base64.b64encode(digest).decode()}
