"""The scheduled jobs: module-level functions over the running daemon.

The persistent job store keeps a textual reference (``monitor.daemon.jobs:crawl_source``) and
picklable arguments (source name, frequency). The daemon itself is not in the store: the
daemon's own APScheduler executor (:class:`monitor.daemon.scheduler.DaemonExecutor`) passes it
as the first argument of every function marked :func:`daemon_job`, so no module keeps a config,
a database, a queue or a stop flag.

Nothing here raises: a failing crawl, digest or check is logged and the daemon carries on.
"""

from __future__ import annotations

import inspect
import logging
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import select

from monitor.db.engine import Database
from monitor.db.models import AlertDelivery, OperatorAlert

if TYPE_CHECKING:
    from monitor.daemon.scheduler import Daemon

log = logging.getLogger("monitor.daemon.jobs")

POLL_WAIT_GRACE_SECONDS = 120.0
DAEMON_JOB_ATTRIBUTE = "__daemon_job__"

F = TypeVar("F", bound=Callable[..., Any])


def daemon_job(func: F) -> F:
    """Mark ``func`` as taking the running daemon as its first argument (given by the executor).

    The signature APScheduler checks a job's stored arguments against leaves that argument out.
    """
    setattr(func, DAEMON_JOB_ATTRIBUTE, True)
    signature = inspect.signature(func)
    stored = list(signature.parameters.values())[1:]
    func.__signature__ = signature.replace(parameters=stored)  # type: ignore[attr-defined]
    return func


def is_daemon_job(func: Any) -> bool:
    return bool(getattr(func, DAEMON_JOB_ATTRIBUTE, False))


# --- crawl polls ---------------------------------------------------------------------------------


@daemon_job
def crawl_source(daemon: Daemon, source_name: str) -> None:
    """Scheduled poll of one source: queue it for the crawl worker, wait for its row to finish,
    log one line with the outcome the worker wrote into the row."""
    from monitor.crawl.queue import submit_poll
    from monitor.daemon.health import adaptive_decision, evaluate_alerts
    from monitor.db.models import PollRequester, RunStatus
    from monitor.db.web import disabled_sources

    if daemon.stopping.is_set():
        return
    try:
        config = daemon.config
        source = next((s for s in config.sources if s.name == source_name), None)
        if source is None or not source.enabled:
            log.info("source %s is no longer enabled; skipping", source_name)
            return
        db = daemon.db
        if source_name in disabled_sources(db):  # an operator override made in the console
            log.info("source %s is disabled in the console; skipping", source_name)
            return
        if config.daemon.adaptive_polling:
            decision = adaptive_decision(db, config, source)
            if decision.skip:
                log.info(
                    "crawl of %s skipped: nothing new in %d runs, polling every %d× its schedule",
                    source_name, decision.empty_streak, decision.factor,
                    extra={"source": source_name, "poll_factor": decision.factor},
                )  # fmt: skip
                return
        clock = time.monotonic()
        poll_id, queued = submit_poll(db, daemon.queue, source_name, PollRequester.SCHEDULER)
        if not queued:
            log.info("poll of %s already queued or running (poll %d)", source_name, poll_id)
        # The worker closes a poll after lease_seconds (CLOSESPIDER_TIMEOUT); allow it to finish.
        state = daemon.polls.wait(
            poll_id, timeout=float(config.daemon.lease_seconds) + POLL_WAIT_GRACE_SECONDS,
            should_stop=daemon.stopping.is_set,
        )  # fmt: skip
        outcome = (state.outcome if state is not None else None) or {}
        extra: dict[str, Any] = {
            "source": source_name,
            "poll_id": poll_id,
            "duration_s": round(time.monotonic() - clock, 3),
            "run_id": state.crawl_run_id if state else None,
            "status": outcome.get("status"),
            "counts": outcome.get("counts", {}),
        }
        if state is None or not state.finished:
            if daemon.stopping.is_set():
                log.info("poll of %s left queued by the shutdown", source_name, extra=extra)
            else:
                log.error("crawl of %s did not finish in time", source_name, extra=extra)
            return
        status = outcome.get("status", state.status.value)
        quiet = (RunStatus.OK, RunStatus.PARTIAL, RunStatus.SKIPPED)
        level = logging.INFO if status in quiet else logging.WARNING
        log.log(level, "crawl of %s %s", source_name, status, extra=extra)
        try:
            evaluate_alerts(db, config, only=[source_name])
        except Exception:  # boundary: the crawl is over; a failed check must not hide it
            daemon.count_failure("health")
            log.exception("health check after the crawl of %s failed", source_name)
        if config.email.active_recipients() and instant_work_pending(db):
            kick_instant_digest(daemon)
    except Exception:  # boundary: a scheduled job; the scheduler thread must go on
        daemon.count_failure("crawl")
        log.exception("crawl job of %s failed", source_name, extra={"source": source_name})


# --- digests, housekeeping, health ---------------------------------------------------------------


def instant_work_pending(db: Database) -> bool:
    """Instant alerts or un-notified operator alerts waiting in the outbox."""
    from monitor.alerts.outbox import KIND_INSTANT

    with db.session() as session:
        delivery = session.scalar(
            select(AlertDelivery.id)
            .where(AlertDelivery.status == "pending", AlertDelivery.kind == KIND_INSTANT)
            .limit(1)
        )
        alert = session.scalar(
            select(OperatorAlert.id)
            .where(OperatorAlert.resolved_at.is_(None), OperatorAlert.notified_at.is_(None))
            .limit(1)
        )
    return delivery is not None or alert is not None


def kick_instant_digest(daemon: Daemon) -> None:
    """Send instant digests now in a thread of their own, so a slow or dead mail server never
    holds a crawl job; skipped while a send is under way (the every-minute job catches up)."""
    if daemon.stopping.is_set() or daemon.digest_lock.locked():
        return
    threading.Thread(
        target=send_digest_job, args=(daemon, "instant"), name="instant-digest", daemon=True
    ).start()


@daemon_job
def send_digest_job(daemon: Daemon, frequency: str) -> None:
    """Send the digests of one frequency (serialised within the daemon)."""
    if daemon.stopping.is_set():
        return
    from monitor.alerts.sender import send_digests

    try:
        with daemon.digest_lock:
            result = send_digests(
                daemon.db,
                daemon.config,
                frequency=frequency,
                circuit=daemon.mail_circuit,
                deadline_seconds=daemon.config.email.run_deadline_seconds,
            )
        level = logging.INFO if result.ok else logging.WARNING
        log.log(
            level, "%s digests: %d sent, %d failed, %d deferred", frequency,
            len(result.sent), len(result.failed), len(result.deferred),
            extra={"frequency": frequency, "operator_alerts_sent": result.operator_alerts_sent,
                   "errors": result.errors[:5]},
        )  # fmt: skip
    except Exception:  # boundary: a scheduled job; the scheduler thread must go on
        daemon.count_failure("digest")
        log.exception("sending %s digests failed", frequency, extra={"frequency": frequency})


@daemon_job
def housekeeping(daemon: Daemon) -> None:
    """Retention of old crawl runs and uninteresting seen URLs; expired leases."""
    from monitor.daemon.housekeeping import run_housekeeping

    try:
        counts = run_housekeeping(daemon.db, daemon.config)
        log.info("housekeeping done", extra={"counts": counts})
    except Exception:  # boundary: a scheduled job; the scheduler thread must go on
        daemon.count_failure("housekeeping")
        log.exception("housekeeping failed")


@daemon_job
def check_health(daemon: Daemon) -> None:
    """Raise operator alerts for failing, silent or blocked sources."""
    from monitor.daemon.health import evaluate_alerts

    try:
        evaluate_alerts(daemon.db, daemon.config)
        if daemon.config.email.active_recipients() and instant_work_pending(daemon.db):
            kick_instant_digest(daemon)
    except Exception:  # boundary: a scheduled job; the scheduler thread must go on
        daemon.count_failure("health")
        log.exception("health check failed")
