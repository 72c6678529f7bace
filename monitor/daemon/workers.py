"""The daemon's local crawl worker: one child process (``python -m monitor.crawl.worker``),
started with the parent-death signal, restarted when it exits (it recycles itself), stopped with
SIGTERM (its polls are recorded as interrupted) and SIGKILL after a grace period.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

log = logging.getLogger("monitor.daemon")

WORKER_TERM_GRACE_SECONDS = 30.0
RESTART_BACKOFF_MAX_SECONDS = 30.0


def worker_command(config_path: str | Path) -> list[str]:
    """The worker's argv, wrapped so that it gets SIGTERM if the daemon dies."""
    return [
        sys.executable, "-m", "monitor.daemon.child", str(os.getpid()), "--",
        sys.executable, "-m", "monitor.crawl.worker", "--config", str(config_path),
    ]  # fmt: skip


class WorkerSupervisor:
    """Keeps one local crawl worker running."""

    def __init__(self, config_path: Path) -> None:
        self.config_path = config_path
        self.child: subprocess.Popen[bytes] | None = None
        self.starts = 0
        self._backoff = 0.0
        self._next_start = 0.0

    @property
    def pid(self) -> int | None:
        return self.child.pid if self.child is not None and self.child.poll() is None else None

    def check(self) -> None:
        """Start the worker if it is not running (with a backoff after quick failures)."""
        if self.child is not None:
            code = self.child.poll()
            if code is None:
                return
            self.child = None
            if code == 0:
                log.info("crawl worker exited (recycled); starting a new one")
                self._backoff = 0.0
            else:
                self._backoff = min(RESTART_BACKOFF_MAX_SECONDS, max(1.0, self._backoff * 2))
                log.error("crawl worker exited with code %s; restarting", code)
                self._next_start = time.monotonic() + self._backoff
        if time.monotonic() < self._next_start:
            return
        try:
            self.child = subprocess.Popen(
                worker_command(self.config_path),
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, start_new_session=True,
            )  # fmt: skip
        except OSError as exc:
            log.error("cannot start the crawl worker: %s", exc)
            self._next_start = time.monotonic() + RESTART_BACKOFF_MAX_SECONDS
            return
        self.starts += 1
        log.info("crawl worker started (pid %d)", self.child.pid, extra={"pid": self.child.pid})

    def restart(self) -> None:
        """Ask the worker to finish gracefully; :meth:`check` starts the next one."""
        self._signal(signal.SIGTERM)

    def stop(self, grace_seconds: float = WORKER_TERM_GRACE_SECONDS) -> None:
        """SIGTERM, then SIGKILL after the grace period."""
        child = self.child
        if child is None:
            return
        self._signal(signal.SIGTERM)
        try:
            child.wait(timeout=grace_seconds)
        except subprocess.TimeoutExpired:
            log.warning("crawl worker %s ignored SIGTERM; killing it", child.pid)
            self._signal(signal.SIGKILL)
            child.wait()
        self.child = None

    def _signal(self, sig: int) -> None:
        child = self.child
        if child is not None and child.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                child.send_signal(sig)
