"""The daemon's poll watcher: many jobs waiting on their poll rows, one reader."""

from __future__ import annotations

import threading
from typing import Any

from sqlalchemy import event, update

from monitor.daemon.watcher import PollWatcher
from monitor.db.engine import Database
from monitor.db.models import PollRequest, PollRequester, PollStatus
from monitor.db.polls import PollState, request_poll
from tests.daemon.jobfuncs import wait_for

WAITERS = 20


def _finish(db: Database, ids: list[int]) -> None:
    db.write(
        lambda session: session.execute(
            update(PollRequest)
            .where(PollRequest.id.in_(ids))
            .values(status=PollStatus.DONE.value, outcome={"status": "ok"})
        )
    )


def test_many_waiters_share_one_read_per_tick(sqlite_db: Database) -> None:
    ids = [request_poll(sqlite_db, f"s{n}", PollRequester.SCHEDULER)[0] for n in range(WAITERS)]
    watcher = PollWatcher(sqlite_db, interval=0.05)
    reads_of_polls: list[str] = []

    @event.listens_for(sqlite_db.engine, "before_cursor_execute")
    def spy(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if "FROM poll_requests" in statement:
            reads_of_polls.append(statement)

    got: dict[int, PollState | None] = {}

    def wait(poll_id: int) -> None:
        got[poll_id] = watcher.wait(poll_id, timeout=120)

    threads = [threading.Thread(target=wait, args=(poll_id,)) for poll_id in ids]
    for thread in threads:
        thread.start()
    assert wait_for(lambda: len(watcher._waiters) == WAITERS, timeout=60, interval=0.01)
    _finish(sqlite_db, ids)
    for thread in threads:
        thread.join(60)
    event.remove(sqlite_db.engine, "before_cursor_execute", spy)
    assert all(state is not None and state.finished for state in got.values()) and len(got) == 20
    # the waiting threads never read the table themselves: every read is one of the watcher's
    assert len(reads_of_polls) == watcher.reads
    assert wait_for(lambda: watcher._thread is None, timeout=60, interval=0.01)  # nothing awaited


def test_a_wait_ends_at_its_timeout_or_stop_with_the_last_state(sqlite_db: Database) -> None:
    poll_id, _ = request_poll(sqlite_db, "slow", PollRequester.SCHEDULER)
    watcher = PollWatcher(sqlite_db, interval=0.05)
    state = watcher.wait(poll_id, timeout=120, should_stop=lambda: watcher.reads >= 2)
    assert state is not None and state.status == PollStatus.QUEUED  # read, not finished
    assert watcher.wait(poll_id, timeout=0) is None  # nothing read for this wait yet
    stop = threading.Event()
    stop.set()
    assert watcher.wait(poll_id, timeout=120, should_stop=stop.is_set) is None  # at once
