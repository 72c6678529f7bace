"""A sender killed between the server's 250 and marking the digest sent: resent once, same ID."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from monitor.alerts.sender import SENDER_LEASE, send_digests
from monitor.db.engine import Database
from monitor.db.leases import lease_holder
from monitor.db.models import AlertDelivery, Digest
from tests.alerts.conftest import FAST_RETRY, SMTPServer, make_config, story_with_alerts
from tests.alerts.crash_sender import CRASH_EXIT

ROOT = Path(__file__).resolve().parents[2]


def _crash(alerts_db: Database, config: object, mode: str) -> None:
    """The sender dies between the 250 and the bookkeeping: ``exit`` ends itself there,
    ``sigkill`` waits there for a real SIGKILL from this test."""
    child = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.alerts.crash_sender",
            alerts_db.url,
            json.dumps(config.model_dump(mode="json", by_alias=True)),  # type: ignore[attr-defined]
            "hang" if mode == "sigkill" else "exit",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    if mode == "sigkill":
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "ACCEPTED"
        os.kill(child.pid, signal.SIGKILL)
    _out, err = child.communicate(timeout=120)
    expected = -signal.SIGKILL if mode == "sigkill" else CRASH_EXIT
    assert child.returncode == expected, err


@pytest.mark.parametrize("mode", ["exit", "sigkill"])
def test_killed_after_accept_then_restarted(
    alerts_db: Database, smtp_server: SMTPServer, mode: str
) -> None:
    config = make_config(smtp_server.port, ["a@example.org", "b@example.org"])
    story_with_alerts(alerts_db, config, "Story that must arrive")
    _crash(alerts_db, config, mode)
    # Killed right after the first acceptance: one message arrived, nothing was marked sent,
    # and the dead process still holds the sender lease.
    assert len(smtp_server.received) == 1
    first_id = smtp_server.received[0].message_id
    with alerts_db.session() as session:
        assert set(session.scalars(select(AlertDelivery.status))) == {"pending"}
        assert (
            session.scalar(
                select(Digest.message_id).where(
                    Digest.recipient == smtp_server.received[0].rcpt_tos[0]
                )
            )
            == first_id
        )
    assert lease_holder(alerts_db, SENDER_LEASE) is not None

    report = send_digests(alerts_db, config, retry=FAST_RETRY)  # the restart
    assert report.ok, report.errors
    send_digests(alerts_db, config, retry=FAST_RETRY)
    by_recipient: dict[str, list[str]] = {}
    for received in smtp_server.received:
        by_recipient.setdefault(received.rcpt_tos[0], []).append(received.message_id)
    # Every recipient got the story at least once and at most twice, duplicates share the ID.
    assert set(by_recipient) == {"a@example.org", "b@example.org"}
    for ids in by_recipient.values():
        assert 1 <= len(ids) <= 2 and len(set(ids)) == 1
    assert sum(len(ids) for ids in by_recipient.values()) == 3
    with alerts_db.session() as session:
        assert set(session.scalars(select(AlertDelivery.status))) == {"sent"}
