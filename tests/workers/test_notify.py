"""The notification outbox, delivered to a real SMTP server (aiosmtpd) on loopback, or into the .eml sink."""

from __future__ import annotations

import email
from dataclasses import replace
from datetime import timedelta
from email.policy import default as default_policy

import pytest
from click.testing import CliRunner
from sqlalchemy import update

from service import clock, db
from service.cli import main
from service.models import User
from service.notifications import outbox
from service.runtime import Runtime
from tests.conftest import count_rows
from workers import notify
from workers.runner import run_once

SUBJECT = "【绩效评价】请于三日内提交自评报告"
BODY = "尊敬的用户：\n\n市教育局2015年度项目支出绩效自评报告待您提交。\n\n——市财政局"


@pytest.fixture
def mail_runtime(runtime, smtp_server, tmp_path):
    settings = replace(runtime.settings, smtp_host="127.0.0.1", smtp_port=smtp_server.port, smtp_timeout_s=5.0,
                       smtp_from="jixiao@czj.example.cn", mail_sink_dir=tmp_path / "never")
    return Runtime(settings, runtime.engine, runtime.specs, runtime.workflows)


def _enqueue(rt, key="remind-1", email_addr="staff_a@edu.example.cn", recipient="staff_a", **kw) -> bool:
    with db.write(rt.engine) as conn:
        return outbox.enqueue(conn, key=key, recipient=recipient, email=email_addr, subject=SUBJECT, body=BODY,
                              kind=kw.get("kind", "reminder"), instance_id=None, now=clock.now())


def test_same_key_twice_is_sent_once_with_utf8_subject_and_body(mail_runtime, smtp_server, frozen_clock):
    assert _enqueue(mail_runtime) is True
    assert _enqueue(mail_runtime) is False  # the same key again: a no-op
    assert count_rows(mail_runtime, "notifications") == 1
    result = run_once(mail_runtime, "w1")
    assert len(result.notifications.sent) == 1
    assert run_once(mail_runtime, "w1").notifications.sent == []  # nothing is sent twice
    [envelope] = smtp_server.inbox.envelopes
    assert envelope.rcpt_tos == ["staff_a@edu.example.cn"] and envelope.mail_from == "jixiao@czj.example.cn"
    [msg] = smtp_server.inbox.messages()
    assert msg["Subject"] == SUBJECT and msg["To"] == "staff_a@edu.example.cn"
    assert msg.get_content().replace("\r\n", "\n").rstrip("\n") == BODY  # CRLF on the wire
    with db.read(mail_runtime.engine) as conn:
        [row] = outbox.list_notifications(conn, status="sent")["items"]
    assert row["sent_at"] is not None and row["attempts"] == 1 and row["lock_owner"] is None


def test_address_comes_from_the_users_table_and_a_missing_one_is_an_incident(mail_runtime, smtp_server,
                                                                              frozen_clock):
    users = User.__table__
    with db.write(mail_runtime.engine) as conn:
        conn.execute(update(users).where(users.c.username == "expert").values(email="expert@example.cn"))
    try:
        assert _enqueue(mail_runtime, key="to-expert", email_addr=None, recipient="expert")
        assert _enqueue(mail_runtime, key="to-agency", email_addr=None, recipient="agency")  # agency has none
    finally:
        with db.write(mail_runtime.engine) as conn:
            conn.execute(update(users).where(users.c.username == "expert").values(email=None))
    assert len(notify.deliver_due(mail_runtime, "w1").sent) == 1
    assert [e.rcpt_tos for e in smtp_server.inbox.envelopes] == [["expert@example.cn"]]
    with db.read(mail_runtime.engine) as conn:
        [failed] = outbox.list_notifications(conn, status="failed")["items"]
    assert failed["recipient"] == "agency" and "no e-mail address" in failed["last_error"]


def test_smtp_down_retries_with_backoff_then_incident_then_retry_delivers(mail_runtime, smtp_server, frozen_clock,
                                                                         monkeypatch):
    backoff = timedelta(seconds=mail_runtime.settings.job_backoff_seconds)
    retries = mail_runtime.settings.job_retries
    smtp_server.stop()
    _enqueue(mail_runtime)
    first = run_once(mail_runtime, "w1").notifications
    assert first.retried and not first.sent
    assert run_once(mail_runtime, "w1").notifications.retried == []  # not due before its backoff
    for attempt in range(1, retries):
        clock.advance(backoff * 2 ** (attempt - 1) - timedelta(seconds=1))
        assert run_once(mail_runtime, "w1").notifications.retried == []  # the backoff doubles
        clock.advance(timedelta(seconds=1))
        assert run_once(mail_runtime, "w1").notifications.retried
    clock.advance(backoff * 2 ** (retries - 1))
    assert run_once(mail_runtime, "w1").notifications.failed  # retries ran out: an incident
    with db.read(mail_runtime.engine) as conn:
        [failed] = outbox.list_notifications(conn, status="failed")["items"]
    assert failed["attempts"] == retries + 1 and "Connection" in failed["last_error"]
    clock.advance(timedelta(days=1))
    assert run_once(mail_runtime, "w1").notifications.failed == []  # it waits for an administrator
    monkeypatch.setenv("DATABASE_URL", mail_runtime.settings.database_url)
    listed = CliRunner().invoke(main, ["notifications", "list"]).output
    assert "1 failed notification(s)" in listed and SUBJECT in listed
    assert smtp_server.inbox.envelopes == []  # nothing was delivered, nothing was lost
    smtp_server.start()
    assert CliRunner().invoke(main, ["notifications", "retry", str(failed["id"])]).exit_code == 0
    assert len(run_once(mail_runtime, "w1").notifications.sent) == 1
    [msg] = smtp_server.inbox.messages()
    assert msg["Subject"] == SUBJECT
    with db.read(mail_runtime.engine) as conn:
        assert outbox.list_notifications(conn, status="failed")["total"] == 0
    assert CliRunner().invoke(main, ["notifications", "retry", str(failed["id"])]).exit_code != 0


def test_a_dead_workers_lease_expires_and_another_worker_sends(mail_runtime, smtp_server, frozen_clock):
    _enqueue(mail_runtime)
    lease = timedelta(seconds=mail_runtime.settings.worker_lease_seconds)
    [claimed] = notify.acquire(mail_runtime, "dead-worker", clock.now(), lease)  # …and then it dies
    assert notify.deliver_due(mail_runtime, "w2").sent == []
    clock.advance(lease + timedelta(seconds=1))
    assert len(notify.deliver_due(mail_runtime, "w2").sent) == 1 and claimed.lock_owner == "dead-worker"
    assert len(smtp_server.inbox.envelopes) == 1


def test_without_smtp_host_mail_lands_as_eml_in_the_sink(runtime, tmp_path, frozen_clock):
    sink = tmp_path / "mail"
    rt = Runtime(replace(runtime.settings, smtp_host=None, mail_sink_dir=sink), runtime.engine, runtime.specs,
                 runtime.workflows)
    _enqueue(rt, key="remind/1 sink")
    assert len(run_once(rt, "w1").notifications.sent) == 1
    [eml] = sink.glob("*.eml")
    msg = email.message_from_bytes(eml.read_bytes(), policy=default_policy)
    assert msg["Subject"] == SUBJECT and msg["To"] == "staff_a@edu.example.cn"
    assert msg.get_content().replace("\r\n", "\n").rstrip("\n") == BODY  # CRLF on the wire
    assert list(sink.glob("*.tmp")) == []


def test_settings_read_smtp_from_the_environment(tmp_path):
    from service.config import Settings

    s = Settings.from_env({"SMTP_HOST": "mail.example.cn", "SMTP_PORT": "587", "SMTP_USER": "u",
                           "SMTP_PASSWORD": "p", "SMTP_FROM": "jx@example.cn", "SMTP_STARTTLS": "true",
                           "MAIL_SINK_DIR": str(tmp_path)})
    assert (s.smtp_host, s.smtp_port, s.smtp_user, s.smtp_password, s.smtp_from, s.smtp_starttls) == (
        "mail.example.cn", 587, "u", "p", "jx@example.cn", True)
    assert s.mail_sink_dir == tmp_path
    d = Settings.from_env({})
    assert d.smtp_host is None and d.mail_sink_dir.parts[-2:] == ("instance", "mail")
