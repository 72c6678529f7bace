"""One reader for every poll the daemon's jobs wait on.

A scheduled crawl job queues its poll and waits for the row to finish. Each used to read its
own row every half second, so 50 polls in flight were 100 queries a second; here one thread
reads all the awaited rows in one query per tick and wakes the jobs whose poll finished.
Hand-written because the wait is on rows in our own table, which no library watches.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable

from sqlalchemy.exc import SQLAlchemyError

from monitor.db.engine import Database
from monitor.db.polls import PollState, poll_states
from monitor.errors import DatabaseError

log = logging.getLogger("monitor.daemon.watcher")


class PollWatcher:
    """Waits on poll rows for many threads with one query per ``interval``."""

    def __init__(self, db: Database, interval: float = 0.5) -> None:
        self.db = db
        self.interval = interval
        self.reads = 0  # queries made (one per tick with anything awaited)
        self._changed = threading.Condition()
        self._waiters: Counter[int] = Counter()
        self._states: dict[int, PollState] = {}
        self._thread: threading.Thread | None = None

    def wait(
        self, poll_id: int, *, timeout: float, should_stop: Callable[[], bool] = lambda: False
    ) -> PollState | None:
        """The row once finished; else, after ``timeout`` or once ``should_stop()``, the last
        state read (None when none was read yet)."""
        deadline = time.monotonic() + timeout
        with self._changed:
            self._waiters[poll_id] += 1
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="poll-watcher", daemon=True)
                self._thread.start()
            try:
                while True:
                    state = self._states.get(poll_id)
                    remaining = deadline - time.monotonic()
                    if (state is not None and state.finished) or remaining <= 0 or should_stop():
                        return state
                    self._changed.wait(min(remaining, self.interval))
            finally:
                self._waiters[poll_id] -= 1
                if not self._waiters[poll_id]:
                    del self._waiters[poll_id]
                    self._states.pop(poll_id, None)

    def _run(self) -> None:
        """(thread) Read the awaited rows each tick; exit when nothing is awaited."""
        while True:
            with self._changed:
                ids = sorted(self._waiters)
                if not ids:
                    self._thread = None
                    return
            try:
                states = poll_states(self.db, ids)
            except (SQLAlchemyError, DatabaseError) as exc:  # a hiccup: the next tick reads again
                log.warning("cannot read %d awaited poll(s): %s", len(ids), exc)
                states = {}
            with self._changed:
                self.reads += 1
                self._states.update((i, s) for i, s in states.items() if i in self._waiters)
                self._changed.notify_all()
            time.sleep(self.interval)
