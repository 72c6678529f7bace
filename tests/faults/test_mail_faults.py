"""Mail and chat faults: a webhook outage shorter than the give-up time loses nothing (limits
count elapsed time, not runs; the clock is injected, nothing sleeps), and a password is never
sent in plain text."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from monitor.alerts.circuit import CircuitBreaker
from monitor.alerts.outbox import channel_key
from monitor.alerts.sender import send_digests
from monitor.alerts.smtp import check_smtp
from monitor.db.engine import Database
from monitor.db.models import AlertDelivery, Digest, utcnow
from tests.alerts.conftest import (
    FAST_RETRY,
    HangingServer,
    SMTPServer,
    Webhook,
    make_config,
    story_with_alerts,
)


def _webhook_statuses(db: Database, webhook: Webhook) -> set[str]:
    with db.session() as session:
        return set(
            session.scalars(select(Digest.status).where(Digest.channel == channel_key(webhook.url)))
        )


def test_webhook_down_for_eleven_minutes_then_delivered_once(
    alerts_db: Database, smtp_server: SMTPServer, webhook: Webhook
) -> None:
    config = make_config(
        smtp_server.port, [{"address": "a@example.org", "channels": [webhook.url]}]
    )
    story_with_alerts(alerts_db, config)
    start = utcnow()
    webhook.fail_next = 10_000
    for minute in range(14):  # the once-a-minute instant job, 14 runs over 13 minutes
        send_digests(alerts_db, config, now=start + timedelta(minutes=minute), retry=FAST_RETRY)
    assert webhook.posts == []
    assert _webhook_statuses(alerts_db, webhook) == {"pending"}
    webhook.fail_next = 0  # the webhook is back
    report = send_digests(alerts_db, config, now=start + timedelta(minutes=14), retry=FAST_RETRY)
    assert report.ok, report.errors
    assert len(webhook.posts) == 1 and len(smtp_server.received) == 1
    assert _webhook_statuses(alerts_db, webhook) == {"sent"}


def test_webhook_down_past_the_give_up_time_fails_once_with_a_reason(
    alerts_db: Database, smtp_server: SMTPServer, webhook: Webhook
) -> None:
    config = make_config(
        smtp_server.port,
        [{"address": "a@example.org", "channels": [webhook.url]}],
        give_up_after_hours=24,
    )
    story_with_alerts(alerts_db, config)
    start = utcnow()
    webhook.fail_next = 10_000
    send_digests(alerts_db, config, now=start, retry=FAST_RETRY)
    send_digests(alerts_db, config, now=start + timedelta(hours=23, minutes=59), retry=FAST_RETRY)
    assert _webhook_statuses(alerts_db, webhook) == {"pending"}
    report = send_digests(alerts_db, config, now=start + timedelta(hours=24), retry=FAST_RETRY)
    assert _webhook_statuses(alerts_db, webhook) == {"failed"}
    assert any("gave up after 24 h" in line for line in report.errors), report.errors
    with alerts_db.session() as session:
        statuses = dict(session.execute(select(AlertDelivery.channel, AlertDelivery.status)).all())
    assert statuses["email"] == "sent"  # the other channel is not affected


def test_plain_text_login_is_refused(smtp_server: SMTPServer) -> None:
    email = make_config(smtp_server.port, username="monitor").email
    line = check_smtp(email)
    assert line is not None and "\n" not in line
    assert "refusing to send the SMTP password in plain text" in line


class FakeClock:
    """A monotonic clock the test moves by hand (no sleeping)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_dead_mail_server_is_circuit_broken_across_runs(
    alerts_db: Database, hanging_server: HangingServer
) -> None:
    config = make_config(
        hanging_server.port, ["a@example.org", "b@example.org"], timeout_seconds=0.2
    )
    story_with_alerts(alerts_db, config)
    clock = FakeClock()
    circuit = CircuitBreaker(base_seconds=60, clock=clock)
    first = send_digests(alerts_db, config, retry=FAST_RETRY, circuit=circuit)
    assert [o.status for o in first.outcomes] == ["deferred", "deferred"]
    assert "timed out" in (first.outcomes[0].error or "")
    assert circuit.failures == 1 and circuit.open_until == clock.now + 60

    clock.now += 30  # the next instant runs, within the backoff: no attempt at all (an
    # attempt would time out again and count a second failure)
    for _ in range(3):
        again = send_digests(alerts_db, config, retry=FAST_RETRY, circuit=circuit)
        assert [o.status for o in again.outcomes] == ["deferred", "deferred"]
        assert "not retried" in (again.outcomes[0].error or "")
    assert circuit.failures == 1

    clock.now += 31  # the backoff is over: one more try, then twice as long a backoff
    retried = send_digests(alerts_db, config, retry=FAST_RETRY, circuit=circuit)
    assert "timed out" in (retried.outcomes[0].error or "")
    assert circuit.failures == 2 and circuit.open_until == clock.now + 120
    with alerts_db.session() as session:
        assert set(session.scalars(select(AlertDelivery.status))) == {"pending"}


def test_run_deadline_cuts_every_timeout(
    alerts_db: Database, hanging_server: HangingServer
) -> None:
    # a 30 s SMTP timeout, three attempts per message: without the deadline this run would
    # wait minutes; with a 0.2 s deadline each connect waits at most the time left
    config = make_config(hanging_server.port, ["a@example.org"], timeout_seconds=30)
    story_with_alerts(alerts_db, config)
    report = send_digests(alerts_db, config, retry=FAST_RETRY, deadline_seconds=0.2)
    [outcome] = report.outcomes
    assert outcome.status == "deferred"
    assert "timed out after 0.2s" in (outcome.error or "") or "deadline" in (outcome.error or "")
