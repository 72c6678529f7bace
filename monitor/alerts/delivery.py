"""What every delivery path shares: the retry policy, the report, and writing rendered files."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import TypeVar

from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from monitor.alerts.render import RenderedMessage
from monitor.errors import TransientDeliveryError

T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded exponential backoff for transient failures within one run."""

    attempts: int = 4
    initial_wait: float = 2.0
    max_wait: float = 30.0


DEFAULT_RETRY = RetryPolicy()


def with_retries(action: Callable[[], T], policy: RetryPolicy) -> T:
    """Run ``action``, retrying TransientDeliveryError with backoff; the last error is raised."""
    for attempt in Retrying(
        retry=retry_if_exception_type(TransientDeliveryError),
        stop=stop_after_attempt(max(policy.attempts, 1)),
        wait=wait_exponential(multiplier=policy.initial_wait, max=policy.max_wait),
        reraise=True,
    ):
        with attempt:
            return action()
    raise AssertionError("unreachable")  # pragma: no cover - Retrying always returns or raises


class OutcomeStatus(StrEnum):
    """What became of one message in one run."""

    SENT = "sent"
    FAILED = "failed"
    DEFERRED = "deferred"  # left pending for a later run
    RENDERED = "rendered"  # dry run: written, not sent


@dataclass
class DigestOutcome:
    """What happened to one message for one recipient and channel."""

    recipient: str
    channel: str
    status: OutcomeStatus
    story_count: int
    subject: str = ""
    message_id: str | None = None
    digest_id: int | None = None
    error: str | None = None
    files: list[Path] = field(default_factory=list)


@dataclass
class DigestReport:
    """The result of one ``send_digests`` run; ``errors`` are lines for the operator."""

    outcomes: list[DigestOutcome] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    operator_alerts_sent: int = 0
    dry_run: bool = False

    def _with(self, status: OutcomeStatus) -> list[DigestOutcome]:
        return [o for o in self.outcomes if o.status == status]

    @property
    def sent(self) -> list[DigestOutcome]:
        return self._with(OutcomeStatus.SENT)

    @property
    def failed(self) -> list[DigestOutcome]:
        return self._with(OutcomeStatus.FAILED)

    @property
    def deferred(self) -> list[DigestOutcome]:
        return self._with(OutcomeStatus.DEFERRED)

    @property
    def rendered(self) -> list[DigestOutcome]:
        return self._with(OutcomeStatus.RENDERED)

    @property
    def files(self) -> list[Path]:
        return [path for outcome in self.outcomes for path in outcome.files]

    @property
    def ok(self) -> bool:
        """True when nothing failed or was left for a later run."""
        return not (self.failed or self.deferred or self.errors)


class OutWriter:
    """Writes rendered messages next to ``base``: ``x.eml`` + ``x.html``, then ``x-2.eml``…"""

    def __init__(self, base: Path | None) -> None:
        self.base = base
        self.count = 0

    def write(self, rendered: RenderedMessage, *, email: bool) -> list[Path]:
        """Write one message; returns the files written (none without a base path)."""
        if self.base is None:
            return []
        self.count += 1
        stem = self.base.stem if self.count == 1 else f"{self.base.stem}-{self.count}"
        suffix = self.base.suffix or ".eml"
        target = self.base.with_name(stem + suffix)
        target.parent.mkdir(parents=True, exist_ok=True)
        if not email:
            text_path = target.with_suffix(".txt")
            text_path.write_text(f"{rendered.subject}\n\n{rendered.text}", encoding="utf-8")
            return [text_path]
        target.write_bytes(rendered.data)
        html_path = target.with_suffix(".html")
        html_path.write_text(rendered.html, encoding="utf-8")
        return [target, html_path]
