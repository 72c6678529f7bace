"""The scheduled jobs. Module-level functions with picklable arguments (config path, names), so the
persistent job store refers to them by textual reference (``monitor.daemon.jobs:crawl_source``).

Nothing here raises: a failing crawl, digest or check is logged and the daemon carries on.
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path
from typing import Any

from sqlalchemy import select

from monitor.config import MonitorConfig, load_config
from monitor.db.engine import Database
from monitor.db.models import AlertDelivery, OperatorAlert

log = logging.getLogger("monitor.daemon.jobs")

_lock = threading.Lock()
_configs: dict[str, MonitorConfig] = {}
_databases: dict[str, Database] = {}
_queues: dict[str, Any] = {}
POLL_WAIT_GRACE_SECONDS = 120.0
_stopping = threading.Event()
_digest_lock = threading.Lock()
# The daemon's one mail circuit breaker: a dead server is skipped between runs (monitor.alerts).
_mail_circuit: Any = None


# --- shared state: the daemon's current config and one Database per URL --------------------------


def _key(config_path: str | Path) -> str:
    return str(Path(config_path).resolve())


def set_active_config(config_path: str | Path, config: MonitorConfig) -> None:
    """Jobs of ``config_path`` use ``config`` (the daemon's validated copy) until replaced."""
    with _lock:
        _configs[_key(config_path)] = config


def get_config(config_path: str | Path) -> MonitorConfig:
    """The daemon's current config for ``config_path`` (loaded from the file if there is none)."""
    with _lock:
        config = _configs.get(_key(config_path))
    if config is None:
        config = load_config(config_path)
        set_active_config(config_path, config)
    return config


def get_database(config: MonitorConfig) -> Database:
    """A shared Database for the config's URL (engines are pooled and thread-safe)."""
    url = config.database.url
    with _lock:
        db = _databases.get(url)
        if db is None:
            db = _databases[url] = Database(url, busy_timeout_ms=config.database.busy_timeout_ms)
        return db


def get_queue(config: MonitorConfig) -> Any:
    """The shared PollQueue of ``[queue]`` (None in the embedded deployment)."""
    from monitor.crawl.queue import PollQueue

    url = config.queue.url
    if url is None:
        return None
    with _lock:
        queue = _queues.get(url)
        if queue is None:
            queue = _queues[url] = PollQueue.from_config(config)
        return queue


def reset_state() -> None:
    """Forget configs, dispose engines and clear the stop flag (daemon exit, tests)."""
    with _lock:
        databases = list(_databases.values())
        queues = list(_queues.values())
        _databases.clear()
        _queues.clear()
        _configs.clear()
    for db in databases:
        db.dispose()
    for queue in queues:
        queue.close()
    _stopping.clear()


# --- crawl polls ---------------------------------------------------------------------------------


def begin_shutdown() -> None:
    """No new polls are requested from now on; waiting crawl jobs return."""
    _stopping.set()


def stopping() -> bool:
    return _stopping.is_set()


def crawl_source(config_path: str, source_name: str) -> None:
    """Scheduled poll of one source: queue it for the crawl worker, wait for its row to finish,
    log one line with the outcome the worker wrote into the row."""
    from monitor.crawl.queue import submit_poll
    from monitor.daemon.health import adaptive_decision, evaluate_alerts
    from monitor.db.models import PollRequester
    from monitor.db.polls import wait_for_polls
    from monitor.db.web import disabled_sources

    if _stopping.is_set():
        return
    try:
        config = get_config(config_path)
        source = next((s for s in config.sources if s.name == source_name), None)
        if source is None or not source.enabled:
            log.info("source %s is no longer enabled; skipping", source_name)
            return
        db = get_database(config)
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
        poll_id, queued = submit_poll(db, get_queue(config), source_name, PollRequester.SCHEDULER)
        if not queued:
            log.info("poll of %s already queued or running (poll %d)", source_name, poll_id)
        # The worker closes a poll after lease_seconds (CLOSESPIDER_TIMEOUT); allow it to finish.
        states = wait_for_polls(
            db, [poll_id], timeout=float(config.daemon.lease_seconds) + POLL_WAIT_GRACE_SECONDS,
            should_stop=_stopping.is_set,
        )  # fmt: skip
        state = states.get(poll_id)
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
            if _stopping.is_set():
                log.info("poll of %s left queued by the shutdown", source_name, extra=extra)
            else:
                log.error("crawl of %s did not finish in time", source_name, extra=extra)
            return
        status = outcome.get("status", state.status.value)
        level = logging.INFO if status in ("ok", "partial", "skipped") else logging.WARNING
        log.log(level, "crawl of %s %s", source_name, status, extra=extra)
        try:
            evaluate_alerts(db, config, only=[source_name])
        except Exception:
            log.exception("health check after the crawl of %s failed", source_name)
        if config.email.active_recipients() and instant_work_pending(db):
            kick_instant_digest(config_path)
    except Exception:
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


def kick_instant_digest(config_path: str) -> None:
    """Send instant digests now in a thread of their own, so a slow or dead mail server never
    holds a crawl job; skipped while a send is under way (the every-minute job catches up)."""
    if _stopping.is_set() or _digest_lock.locked():
        return
    threading.Thread(
        target=send_digest_job, args=(config_path, "instant"), name="instant-digest", daemon=True
    ).start()


def send_digest_job(config_path: str, frequency: str) -> None:
    """Send the digests of one frequency (serialised within the daemon)."""
    if _stopping.is_set():
        return
    from monitor.alerts.circuit import CircuitBreaker
    from monitor.alerts.sender import send_digests

    global _mail_circuit
    try:
        config = get_config(config_path)
        db = get_database(config)
        with _digest_lock:
            _mail_circuit = _mail_circuit or CircuitBreaker()
            result = send_digests(
                db,
                config,
                frequency=frequency,
                circuit=_mail_circuit,
                deadline_seconds=config.email.run_deadline_seconds,
            )
        level = logging.INFO if result.ok else logging.WARNING
        log.log(
            level, "%s digests: %d sent, %d failed, %d deferred", frequency,
            len(result.sent), len(result.failed), len(result.deferred),
            extra={"frequency": frequency, "operator_alerts_sent": result.operator_alerts_sent,
                   "errors": result.errors[:5]},
        )  # fmt: skip
    except Exception:
        log.exception("sending %s digests failed", frequency, extra={"frequency": frequency})


def housekeeping(config_path: str) -> None:
    """Retention of old crawl runs and uninteresting seen URLs; expired leases."""
    from monitor.daemon.housekeeping import run_housekeeping

    try:
        config = get_config(config_path)
        counts = run_housekeeping(get_database(config), config)
        log.info("housekeeping done", extra={"counts": counts})
    except Exception:
        log.exception("housekeeping failed")


def check_health(config_path: str) -> None:
    """Raise operator alerts for failing, silent or blocked sources."""
    from monitor.daemon.health import evaluate_alerts

    try:
        config = get_config(config_path)
        db = get_database(config)
        evaluate_alerts(db, config)
        if config.email.active_recipients() and instant_work_pending(db):
            kick_instant_digest(config_path)
    except Exception:
        log.exception("health check failed")
