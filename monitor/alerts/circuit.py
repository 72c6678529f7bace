"""A circuit breaker for a mail server that does not answer, and a deadline for a whole run.

The breaker lives in the sender's owner (the daemon keeps one per process and passes it to
every run), not in a module global: after a failure the server is skipped for a backoff
period that doubles with each further failure (capped), so a dead server costs one timeout
per period instead of one per run and recipient.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class CircuitBreaker:
    """Open after a failure for ``base_seconds`` × 2^(failures − 1), at most ``max_seconds``."""

    base_seconds: float = 60.0
    max_seconds: float = 3600.0
    clock: Callable[[], float] = field(default=time.monotonic, repr=False)
    failures: int = 0
    open_until: float = 0.0
    last_error: str | None = None

    def allows(self) -> bool:
        """Whether an attempt may be made now."""
        return self.clock() >= self.open_until

    def reason(self) -> str:
        """Why attempts are skipped (for the report and the log)."""
        wait = max(0.0, self.open_until - self.clock())
        return f"{self.last_error} (not retried for {wait:.0f}s after {self.failures} failure(s))"

    def failed(self, error: str) -> None:
        self.failures += 1
        self.last_error = error
        backoff = min(self.max_seconds, self.base_seconds * 2 ** (self.failures - 1))
        self.open_until = self.clock() + backoff

    def succeeded(self) -> None:
        self.failures, self.open_until, self.last_error = 0, 0.0, None


@dataclass(frozen=True)
class Deadline:
    """The end of a whole run on ``clock``; ``None`` seconds means no deadline."""

    seconds: float | None
    clock: Callable[[], float] = time.monotonic
    started: float = field(default_factory=time.monotonic)

    @classmethod
    def start(cls, seconds: float | None, clock: Callable[[], float] = time.monotonic) -> Deadline:
        return cls(seconds, clock, clock())

    def remaining(self) -> float | None:
        """Seconds left (may be ≤ 0), or None without a deadline."""
        if self.seconds is None:
            return None
        return self.seconds - (self.clock() - self.started)
