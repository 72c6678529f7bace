"""Two processes raising the same operator problem at once open ONE alert, on PostgreSQL,
by constraint (partial unique index over open alerts, INSERT … ON CONFLICT DO NOTHING)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select, text

from monitor.alerts.operator import enqueue_operator_alert
from monitor.db.engine import Database
from monitor.db.migrate import upgrade
from monitor.db.models import OperatorAlert


@pytest.fixture
def pg_db(postgres_url: str) -> Iterator[Database]:
    database = Database(postgres_url)
    upgrade(database)
    yield database
    database.dispose()


def _open_alerts(db: Database) -> int:
    with db.session() as session:
        query = select(func.count()).where(OperatorAlert.resolved_at.is_(None))
        return int(session.scalar(query.select_from(OperatorAlert)) or 0)


def _waiting_on_a_lock(db: Database) -> bool:
    with db.engine.connect() as connection:
        return bool(
            connection.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND wait_event_type = 'Lock'"
                )
            )
        )


def test_interleaved_raises_open_one_alert(pg_db: Database) -> None:
    results: dict[str, object] = {}
    with pg_db.session() as first:
        assert enqueue_operator_alert(first, "outlet", "failing", "3 failed runs") is not None

        def second() -> None:
            with pg_db.session() as session:
                results["second"] = enqueue_operator_alert(session, "outlet", "failing", "again")

        worker = threading.Thread(target=second)
        worker.start()
        # the first transaction is still open: the second raise runs in between
        for _ in range(2000):  # a bounded poll, not a timed assertion
            if not worker.is_alive() or _waiting_on_a_lock(pg_db):
                break
            time.sleep(0.005)
    worker.join(30)
    assert not worker.is_alive()
    assert results["second"] is None
    assert _open_alerts(pg_db) == 1


def test_a_resolved_alert_does_not_block_a_new_one(pg_db: Database) -> None:
    with pg_db.session() as session:
        alert = enqueue_operator_alert(session, "outlet", "silent", "no news for 3 days")
        assert alert is not None
        alert.resolved_at = alert.opened_at
    with pg_db.session() as session:
        assert enqueue_operator_alert(session, "outlet", "silent", "quiet again") is not None
        assert enqueue_operator_alert(session, "outlet", "silent", "still quiet") is None
    assert _open_alerts(pg_db) == 1
