"""The scheduled jobs. Module-level functions with picklable arguments (config path, names), so the
persistent job store refers to them by textual reference (``monitor.daemon.jobs:crawl_source``).

Nothing here raises: a failing crawl, digest or check is logged and the daemon carries on.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from monitor.config import MonitorConfig, load_config
from monitor.db.engine import Database
from monitor.db.models import AlertDelivery, CrawlRun, OperatorAlert, utcnow

log = logging.getLogger("monitor.daemon.jobs")

CRAWL_TERM_GRACE_SECONDS = 30.0
"""How long a crawl child gets to record its run as interrupted after SIGTERM, before SIGKILL."""

_lock = threading.Lock()
_configs: dict[str, MonitorConfig] = {}
_databases: dict[str, Database] = {}
_children: set[subprocess.Popen[bytes]] = set()
_stopping = threading.Event()
_digest_lock = threading.Lock()


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


def reset_state() -> None:
    """Forget configs, dispose engines and clear the stop flag (daemon exit, tests)."""
    with _lock:
        databases = list(_databases.values())
        _databases.clear()
        _configs.clear()
    for db in databases:
        db.dispose()
    _stopping.clear()


# --- crawl children ------------------------------------------------------------------------------


def begin_shutdown() -> None:
    """No new crawls start from now on."""
    _stopping.set()


def running_children() -> list[int]:
    """Pids of the crawl children running now."""
    with _lock:
        return [child.pid for child in _children]


def terminate_children(grace_seconds: float = CRAWL_TERM_GRACE_SECONDS) -> None:
    """SIGTERM every crawl child (it records its run as interrupted), SIGKILL after the grace."""
    with _lock:
        children = list(_children)
    for child in children:
        _signal(child, signal.SIGTERM)
    deadline = time.monotonic() + grace_seconds
    for child in children:
        try:
            child.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            log.warning("crawl child %s ignored SIGTERM; killing it", child.pid)
            _signal(child, signal.SIGKILL)
            child.wait()


def _signal(child: subprocess.Popen[bytes], sig: int) -> None:
    if child.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            child.send_signal(sig)


def crawl_command(config_path: str | Path, source_name: str, trigger: str) -> list[str]:
    """The child's argv: the crawl, wrapped so that it gets SIGTERM if the daemon dies."""
    return [
        sys.executable, "-m", "monitor.daemon.child", str(os.getpid()), "--",
        sys.executable, "-m", "monitor.crawl", "--config", str(config_path),
        "--source", source_name, "--trigger", trigger,
    ]  # fmt: skip


def run_crawl_child(
    config_path: str | Path, source_name: str, *, trigger: str, timeout: float
) -> int | None:
    """Run one crawl child to completion (SIGTERM/SIGKILL on timeout); its exit code."""
    command = crawl_command(config_path, source_name, trigger)
    try:
        child = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, start_new_session=True
        )
    except OSError as exc:
        log.error("cannot start crawl of %s: %s", source_name, exc, extra={"source": source_name})
        return None
    with _lock:
        _children.add(child)
    try:
        if _stopping.is_set():  # shutdown began while we were starting it
            _signal(child, signal.SIGTERM)
        try:
            return child.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            log.error(
                "crawl of %s timed out after %.0f s; stopping it",
                source_name, timeout, extra={"source": source_name},
            )  # fmt: skip
            _signal(child, signal.SIGTERM)
            try:
                return child.wait(timeout=CRAWL_TERM_GRACE_SECONDS)
            except subprocess.TimeoutExpired:
                _signal(child, signal.SIGKILL)
                return child.wait()
    finally:
        with _lock:
            _children.discard(child)


def _runs_since(db: Database, source_name: str, since: Any) -> list[CrawlRun]:
    with db.session() as session:
        runs = list(
            session.scalars(
                select(CrawlRun)
                .where(CrawlRun.source_name == source_name, CrawlRun.started_at >= since)
                .order_by(CrawlRun.id)
            )
        )
        session.expunge_all()
        return runs


def crawl_source(config_path: str, source_name: str) -> None:
    """Scheduled crawl of one source in a child process; logs one line with the run's counts."""
    from monitor.daemon.health import adaptive_decision, evaluate_alerts

    if _stopping.is_set():
        return
    try:
        config = get_config(config_path)
        source = next((s for s in config.sources if s.name == source_name), None)
        if source is None or not source.enabled:
            log.info("source %s is no longer enabled; skipping", source_name)
            return
        db = get_database(config)
        if config.daemon.adaptive_polling:
            decision = adaptive_decision(db, config, source)
            if decision.skip:
                log.info(
                    "crawl of %s skipped: nothing new in %d runs, polling every %d× its schedule",
                    source_name, decision.empty_streak, decision.factor,
                    extra={"source": source_name, "poll_factor": decision.factor},
                )  # fmt: skip
                return
        started = utcnow() - timedelta(seconds=1)
        clock = time.monotonic()
        code = run_crawl_child(
            config_path, source_name, trigger="scheduled",
            timeout=float(config.daemon.lease_seconds),
        )  # fmt: skip
        duration = round(time.monotonic() - clock, 3)
        runs = _runs_since(db, source_name, started)
        run = runs[-1] if runs else None
        extra: dict[str, Any] = {
            "source": source_name,
            "exit_code": code,
            "duration_s": duration,
            "run_id": run.id if run else None,
            "status": run.status if run else None,
            "counts": run.counts if run else {},
        }
        if run is None and _stopping.is_set():
            log.info("crawl of %s stopped by the shutdown", source_name, extra=extra)
        elif run is None and code == 0:  # the source was busy: another crawl holds its lease
            log.info("crawl of %s skipped: already running elsewhere", source_name, extra=extra)
        elif run is None:
            log.error(
                "crawl of %s ended (exit %s) without a crawl run", source_name, code, extra=extra
            )
        else:
            level = logging.INFO if run.status in ("ok", "partial") else logging.WARNING
            log.log(level, "crawl of %s %s", source_name, run.status, extra=extra)
        try:
            evaluate_alerts(db, config, only=[source_name])
        except Exception:
            log.exception("health check after the crawl of %s failed", source_name)
        if config.email.active_recipients() and instant_work_pending(db):
            send_digest_job(config_path, "instant")
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


def send_digest_job(config_path: str, frequency: str) -> None:
    """Send the digests of one frequency (serialised within the daemon)."""
    if _stopping.is_set():
        return
    from monitor.alerts.sender import send_digests

    try:
        config = get_config(config_path)
        db = get_database(config)
        with _digest_lock:
            result = send_digests(db, config, frequency=frequency)
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
            send_digest_job(config_path, "instant")
    except Exception:
        log.exception("health check failed")
