"""Digests through a real SMTP server on loopback: what arrives, and that nothing arrives twice."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from monitor.alerts import sender as sender_module
from monitor.alerts.sender import send_digests
from monitor.db.engine import Database
from monitor.db.models import AlertDelivery, Digest
from tests.alerts.conftest import (
    FAST_RETRY,
    NOW,
    Behaviour,
    HangingServer,
    SMTPServer,
    make_config,
    story_with_alerts,
)


def _statuses(db: Database) -> dict[str, int]:
    with db.session() as session:
        rows = session.execute(
            select(AlertDelivery.status, func.count()).group_by(AlertDelivery.status)
        ).all()
    return {status: count for status, count in rows}


def _digests(db: Database) -> list[Digest]:
    with db.session() as session:
        digests = list(session.scalars(select(Digest).order_by(Digest.id)))
        session.expunge_all()
        return digests


def test_one_message_per_recipient_then_nothing(any_db: Database, smtp_server: SMTPServer) -> None:
    alerts_db = any_db
    config = make_config(smtp_server.port, ["a@example.org", "b@example.org"])
    for i in range(3):
        story_with_alerts(alerts_db, config, f"Russia and Cuba story {i}", score=float(i))
    report = send_digests(alerts_db, config, retry=FAST_RETRY)
    assert report.ok and len(report.sent) == 2
    assert sorted(r.rcpt_tos[0] for r in smtp_server.received) == ["a@example.org", "b@example.org"]
    for received in smtp_server.received:
        message = received.message
        assert len(received.rcpt_tos) == 1 and message["To"] == received.rcpt_tos[0]
        assert message["Subject"].startswith("Russia–Cuba monitor: 3 new stories, ")
        assert message["From"] == "monitor@example.org"
        assert message.get_content_type() == "multipart/alternative"
        assert "<mailto:monitor@example.org?subject=unsubscribe>" in message["List-Unsubscribe"]
        text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
        # Most relevant first.
        assert text.index("story 2") < text.index("story 1") < text.index("story 0")
    ids = smtp_server.message_ids()
    assert len(set(ids)) == 2 and all(
        i.startswith("<digest-") and i.endswith("@example.org>") for i in ids
    )
    assert _statuses(alerts_db) == {"sent": 6}
    assert [d.status for d in _digests(alerts_db)] == ["sent", "sent"]

    again = send_digests(alerts_db, config, retry=FAST_RETRY)
    assert again.ok and again.outcomes == []
    assert len(smtp_server.received) == 2


def test_new_stories_after_a_send_go_in_the_next_digest(
    alerts_db: Database, smtp_server: SMTPServer
) -> None:
    config = make_config(smtp_server.port)
    story_with_alerts(alerts_db, config, "First story")
    send_digests(alerts_db, config, retry=FAST_RETRY)
    story_with_alerts(alerts_db, config, "Second story")
    send_digests(alerts_db, config, retry=FAST_RETRY)
    subjects = [r.message["Subject"] for r in smtp_server.received]
    assert len(subjects) == 2 and all("1 new story," in s for s in subjects)
    bodies = [r.message.get_body(("plain",)).get_content() for r in smtp_server.received]  # type: ignore[union-attr]
    assert "First story" in bodies[0] and "Second story" not in bodies[0]
    assert "Second story" in bodies[1] and "First story" not in bodies[1]


def test_4xx_then_accept_is_retried_within_the_run(
    alerts_db: Database, smtp_server: SMTPServer
) -> None:
    smtp_server.behaviour = Behaviour("tempfail", times=2)
    config = make_config(smtp_server.port)
    story_with_alerts(alerts_db, config)
    report = send_digests(alerts_db, config, retry=FAST_RETRY)
    assert report.ok and len(report.sent) == 1
    assert smtp_server.data_calls == 3 and len(smtp_server.received) == 1
    assert _statuses(alerts_db) == {"sent": 1}
    assert send_digests(alerts_db, config, retry=FAST_RETRY).outcomes == []
    assert len(smtp_server.received) == 1


def test_4xx_beyond_the_retries_waits_for_the_next_run_with_the_same_message_id(
    alerts_db: Database, smtp_server: SMTPServer
) -> None:
    smtp_server.behaviour = Behaviour("tempfail", times=100)
    config = make_config(smtp_server.port)
    story_with_alerts(alerts_db, config, "Waiting story")
    report = send_digests(alerts_db, config, retry=FAST_RETRY)
    assert not report.ok and len(report.deferred) == 1 and "451" in (report.deferred[0].error or "")
    assert smtp_server.data_calls == FAST_RETRY.attempts and smtp_server.received == []
    assert _statuses(alerts_db) == {"pending": 1}
    [digest] = _digests(alerts_db)
    assert (
        digest.status == "pending" and digest.attempts == 1 and "451" in (digest.last_error or "")
    )

    # A story arriving meanwhile goes into a later digest, not into the pending one.
    story_with_alerts(alerts_db, config, "Later story")
    smtp_server.behaviour = Behaviour("ok")
    report = send_digests(alerts_db, config, retry=FAST_RETRY)
    assert report.ok and len(report.sent) == 2
    assert smtp_server.received[0].message_id == digest.message_id
    first = smtp_server.received[0].message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "Waiting story" in first and "Later story" not in first
    assert _statuses(alerts_db) == {"sent": 2}
    assert send_digests(alerts_db, config, retry=FAST_RETRY).outcomes == []
    assert len(smtp_server.received) == 2


def test_connection_dropped_mid_data_is_retried_later(
    alerts_db: Database, smtp_server: SMTPServer
) -> None:
    smtp_server.behaviour = Behaviour("drop", times=1)
    config = make_config(smtp_server.port)
    story_with_alerts(alerts_db, config)
    report = send_digests(alerts_db, config, retry=FAST_RETRY.__class__(attempts=1))
    assert len(report.deferred) == 1 and "closed" in (report.deferred[0].error or "")
    assert smtp_server.received == [] and _statuses(alerts_db) == {"pending": 1}
    report = send_digests(alerts_db, config, retry=FAST_RETRY)
    assert report.ok and len(smtp_server.received) == 1
    assert send_digests(alerts_db, config, retry=FAST_RETRY).outcomes == []
    assert len(smtp_server.received) == 1


def test_server_that_never_greets_times_out_and_nothing_is_lost(
    alerts_db: Database, hanging_server: HangingServer, smtp_server: SMTPServer
) -> None:
    hanging = make_config(
        hanging_server.port, ["a@example.org", "b@example.org"], timeout_seconds=0.3
    )
    story_with_alerts(alerts_db, hanging)
    report = send_digests(alerts_db, hanging, retry=FAST_RETRY)
    # Bounded: 3 attempts for the first recipient, then the server is known to be down and the
    # second recipient is not tried (counted as connections, not measured as time).
    hanging_server.wait_for_connections(3)
    assert len(hanging_server.connections) == FAST_RETRY.attempts == 3
    assert len(report.deferred) == 2 and all(
        "timed out" in (o.error or "") for o in report.deferred
    )
    assert any("timed out after 0.3s" in line for line in report.errors)
    assert _statuses(alerts_db) == {"pending": 2}

    working = make_config(smtp_server.port, ["a@example.org", "b@example.org"])
    report = send_digests(alerts_db, working, retry=FAST_RETRY)
    assert report.ok and sorted(r.rcpt_tos[0] for r in smtp_server.received) == [
        "a@example.org",
        "b@example.org",
    ]
    assert send_digests(alerts_db, working, retry=FAST_RETRY).outcomes == []
    assert len(smtp_server.received) == 2


def test_slow_accept_after_timeout_causes_at_most_one_duplicate_with_the_same_id(
    alerts_db: Database, smtp_server: SMTPServer
) -> None:
    # The server stores the message but answers 250 only after the client gave up: the
    # client cannot know it was accepted, so the next run resends it (same Message-ID).
    smtp_server.behaviour = Behaviour("slow", times=1)
    config = make_config(smtp_server.port, timeout_seconds=0.4)
    story_with_alerts(alerts_db, config)
    report = send_digests(alerts_db, config, retry=FAST_RETRY.__class__(attempts=1))
    assert len(report.deferred) == 1 and _statuses(alerts_db) == {"pending": 1}
    smtp_server.behaviour.release.set()
    smtp_server.wait_for(1)
    send_digests(alerts_db, config, retry=FAST_RETRY)
    send_digests(alerts_db, config, retry=FAST_RETRY)
    ids = smtp_server.message_ids()
    assert len(ids) == 2 and ids[0] == ids[1]
    assert _statuses(alerts_db) == {"sent": 1}


def test_5xx_marks_failed_tells_the_operator_and_is_not_retried(
    alerts_db: Database, smtp_server: SMTPServer
) -> None:
    smtp_server.behaviour = Behaviour("reject", times=100)
    config = make_config(smtp_server.port)
    story_with_alerts(alerts_db, config)
    report = send_digests(alerts_db, config, retry=FAST_RETRY)
    assert len(report.failed) == 1 and smtp_server.data_calls == 1
    assert any("554" in line and "analyst@example.org" in line for line in report.errors)
    [digest] = _digests(alerts_db)
    assert digest.status == "failed" and "554" in (digest.last_error or "")
    assert _statuses(alerts_db) == {"failed": 1}
    assert send_digests(alerts_db, config, retry=FAST_RETRY).outcomes == []
    assert smtp_server.data_calls == 1


def test_crash_before_sending_reuses_the_digest(
    alerts_db: Database, smtp_server: SMTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = make_config(smtp_server.port)
    story_with_alerts(alerts_db, config)

    def crash(*args: object, **kwargs: object) -> None:
        raise SystemExit("killed before SMTP")

    monkeypatch.setattr(sender_module, "send_bytes", crash)
    with pytest.raises(SystemExit):
        send_digests(alerts_db, config, retry=FAST_RETRY)
    [digest] = _digests(alerts_db)
    assert digest.status == "pending" and smtp_server.received == []
    monkeypatch.undo()
    assert send_digests(alerts_db, config, retry=FAST_RETRY).ok
    assert smtp_server.message_ids() == [digest.message_id]
    assert len(_digests(alerts_db)) == 1


def test_crash_between_accept_and_mark_sent_in_process(
    any_db: Database, smtp_server: SMTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    alerts_db = any_db
    config = make_config(smtp_server.port)
    story_with_alerts(alerts_db, config)

    def crash(*args: object, **kwargs: object) -> None:
        raise SystemExit("killed after 250")

    monkeypatch.setattr(sender_module, "mark_digest_sent", crash)
    with pytest.raises(SystemExit):
        send_digests(alerts_db, config, retry=FAST_RETRY)
    assert len(smtp_server.received) == 1  # never zero
    monkeypatch.undo()
    send_digests(alerts_db, config, retry=FAST_RETRY)
    send_digests(alerts_db, config, retry=FAST_RETRY)
    ids = smtp_server.message_ids()
    assert len(ids) == 2 and ids[0] == ids[1]  # at most one duplicate, same Message-ID
    assert _statuses(alerts_db) == {"sent": 1}


def test_dry_run_renders_and_writes_files_but_sends_and_marks_nothing(
    alerts_db: Database, smtp_server: SMTPServer, tmp_path: Path
) -> None:
    config = make_config(smtp_server.port, ["a@example.org", "b@example.org"])
    story_with_alerts(alerts_db, config, "Dry story")
    out = tmp_path / "out" / "digest.eml"
    report = send_digests(alerts_db, config, dry_run=True, out=out)
    assert report.dry_run and len(report.rendered) == 2
    assert [p.name for p in report.files] == [
        "digest.eml",
        "digest.html",
        "digest-2.eml",
        "digest-2.html",
    ]
    assert b"Dry story" in out.read_bytes() or b"Dry_story" in out.read_bytes()
    assert "Dry story" in out.with_suffix(".html").read_text()
    assert smtp_server.received == [] and _digests(alerts_db) == []
    assert _statuses(alerts_db) == {"pending": 2}


def test_out_writes_the_sent_message(
    alerts_db: Database, smtp_server: SMTPServer, tmp_path: Path
) -> None:
    config = make_config(smtp_server.port)
    story_with_alerts(alerts_db, config)
    report = send_digests(alerts_db, config, out=tmp_path / "sent.eml", retry=FAST_RETRY)
    assert report.ok
    assert (tmp_path / "sent.eml").read_bytes() == smtp_server.received[0].data
    assert (tmp_path / "sent.html").read_text().startswith("<!DOCTYPE html>")


def test_frequencies_instant_priority_and_nothing_new(
    alerts_db: Database, smtp_server: SMTPServer
) -> None:
    config = make_config(
        smtp_server.port,
        [
            {"address": "daily@example.org", "frequency": "daily"},
            {"address": "instant@example.org", "frequency": "instant"},
            {"address": "weekly@example.org", "frequency": "weekly", "nothing_new": True},
            {"address": "quiet@example.org", "frequency": "hourly"},
        ],
        priority_query="putin",
    )
    story_with_alerts(alerts_db, config, "Putin receives Díaz-Canel", text="Putin and Cuba.")
    story_with_alerts(alerts_db, config, "Cuba buys Russian oil", text="Cuba and Russia oil.")

    send_digests(alerts_db, config, frequency="instant", retry=FAST_RETRY)
    got = {r.rcpt_tos[0]: r.message["Subject"] for r in smtp_server.received}
    # The priority story goes out at once to everyone; the instant recipient gets both.
    assert set(got) == {
        "daily@example.org",
        "instant@example.org",
        "weekly@example.org",
        "quiet@example.org",
    }
    assert got["daily@example.org"] == "Russia–Cuba monitor: Putin receives Díaz-Canel"
    assert "2 new stories" in got["instant@example.org"]
    smtp_server.received.clear()

    send_digests(alerts_db, config, frequency="daily", retry=FAST_RETRY)
    assert [
        (r.rcpt_tos[0], "1 new story" in r.message["Subject"]) for r in smtp_server.received
    ] == [("daily@example.org", True)]
    smtp_server.received.clear()

    send_digests(alerts_db, config, frequency="weekly", retry=FAST_RETRY)
    send_digests(alerts_db, config, frequency="hourly", retry=FAST_RETRY)
    # weekly had one pending story; hourly has one; neither is "nothing new".
    assert sorted(r.rcpt_tos[0] for r in smtp_server.received) == [
        "quiet@example.org",
        "weekly@example.org",
    ]
    smtp_server.received.clear()

    # Nothing pending: only the nothing_new recipient hears "no new stories", once per period.
    later = NOW + timedelta(days=8)
    send_digests(alerts_db, config, frequency="weekly", now=later, retry=FAST_RETRY)
    send_digests(alerts_db, config, frequency="weekly", now=later, retry=FAST_RETRY)
    send_digests(alerts_db, config, frequency="hourly", now=later, retry=FAST_RETRY)
    assert [(r.rcpt_tos[0], r.message["Subject"].split(",")[0]) for r in smtp_server.received] == [
        ("weekly@example.org", "Russia–Cuba monitor: no new stories")
    ]


def test_suppressed_recipient_rows_are_never_sent(
    alerts_db: Database, smtp_server: SMTPServer
) -> None:
    config = make_config(smtp_server.port, ["a@example.org", "b@example.org"])
    story_with_alerts(alerts_db, config)
    suppressed = make_config(
        smtp_server.port, ["a@example.org", "b@example.org"], suppressed=["B@example.org"]
    )
    report = send_digests(alerts_db, suppressed, retry=FAST_RETRY)
    assert report.ok and [r.rcpt_tos for r in smtp_server.received] == [["a@example.org"]]
    assert _statuses(alerts_db) == {"sent": 1, "suppressed": 1}


def test_unknown_frequency_is_refused(alerts_db: Database) -> None:
    with pytest.raises(ValueError, match="unknown frequency"):
        send_digests(alerts_db, make_config(25), frequency="monthly")


def test_a_second_sender_waits_then_gives_up_without_sending(
    alerts_db: Database, smtp_server: SMTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from monitor.db.leases import acquire_lease

    config = make_config(smtp_server.port)
    story_with_alerts(alerts_db, config)
    assert acquire_lease(alerts_db, sender_module.SENDER_LEASE, "otherhost:1", 60)
    monkeypatch.setattr(sender_module, "LEASE_WAIT_SECONDS", 0.0)
    report = send_digests(alerts_db, config, retry=FAST_RETRY)
    assert report.errors == ["another digest sender is running (otherhost:1)"]
    assert smtp_server.received == [] and _statuses(alerts_db) == {"pending": 1}
