"""Module-level job functions for scheduler tests (the job store needs textual references)."""

from __future__ import annotations

import threading
import time
from collections import defaultdict

from monitor.daemon.jobs import daemon_job

_lock = threading.Lock()
calls: dict[str, list[float]] = defaultdict(list)
daemons: dict[str, list[object]] = defaultdict(list)


def record(key: str) -> None:
    """Remember that the job ``key`` ran."""
    with _lock:
        calls[key].append(time.time())


@daemon_job
def record_daemon(daemon: object, key: str) -> None:
    """Remember which daemon object the executor handed to the job ``key``."""
    with _lock:
        daemons[key].append(daemon)


def count(key: str) -> int:
    with _lock:
        return len(calls[key])


def reset() -> None:
    with _lock:
        calls.clear()
        daemons.clear()


def wait_for(predicate, timeout: float = 10.0, interval: float = 0.02) -> bool:  # type: ignore[no-untyped-def]
    """Poll ``predicate`` until true or the deadline passes."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return bool(predicate())
