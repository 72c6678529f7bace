"""The daemon: an APScheduler 3.x scheduler over a persistent job store in the project database.

Jobs are re-synced with the config on every start (and on SIGHUP) without touching the stored next
run time of unchanged jobs, so a daemon that was down catches up with exactly one run per job
(``coalesce``) within ``misfire_grace_seconds``. One scheduler per database: it holds the
``scheduler`` lease and renews it while running.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import signal
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.job import Job
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import STATE_RUNNING
from apscheduler.triggers.base import BaseTrigger
from apscheduler.util import obj_to_ref, ref_to_obj
from sqlalchemy import Engine, select
from sqlalchemy.exc import SQLAlchemyError

from monitor.alerts.circuit import CircuitBreaker
from monitor.config import MonitorConfig, load_config
from monitor.daemon.health import JOBS_TABLE, crawl_job_id
from monitor.daemon.jobs import is_daemon_job
from monitor.daemon.logging import install_config_redaction, setup_logging
from monitor.daemon.triggers import daemon_trigger
from monitor.daemon.watcher import PollWatcher
from monitor.daemon.workers import WorkerSupervisor
from monitor.db.engine import Database
from monitor.db.leases import (
    SCHEDULER_LEASE,
    acquire_lease,
    default_holder,
    lease_holder,
    release_lease,
    renew_lease,
)
from monitor.db.models import CrawlRun, RunStatus, utcnow
from monitor.errors import ConfigError, DaemonError, DatabaseError, MonitorError, QueueError
from monitor.schedule import Schedule, parse_schedule

if TYPE_CHECKING:
    from monitor.crawl.queue import PollQueue

log = logging.getLogger("monitor.daemon")

CRAWL_FUNC = "monitor.daemon.jobs:crawl_source"
DIGEST_FUNC = "monitor.daemon.jobs:send_digest_job"
HOUSEKEEPING_FUNC = "monitor.daemon.jobs:housekeeping"
HEALTH_FUNC = "monitor.daemon.jobs:check_health"
HEALTH_SCHEDULE = "every 15 minutes"


@dataclass(frozen=True)
class JobSpec:
    """One job the config asks for."""

    id: str
    func: str
    args: tuple[str, ...]
    schedule: Schedule
    name: str
    run_now_when_new: bool = False


@dataclass
class SyncResult:
    """What a re-sync did, by job id."""

    added: list[str] = field(default_factory=list)
    rescheduled: list[str] = field(default_factory=list)
    modified: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)


# --- the jobs the config asks for ----------------------------------------------------------------


def _weekly(schedule: Schedule) -> Schedule:
    """The daily digest schedule moved to Mondays (or stretched to a week for intervals)."""
    if schedule.interval is not None:
        return Schedule(f"{schedule.source} ×7", interval=schedule.interval * 7)
    assert schedule.cron is not None
    fields = schedule.cron.split()
    if fields[4] == "*":
        fields[4] = "1"
    return parse_schedule(" ".join(fields))


def desired_jobs(config: MonitorConfig) -> list[JobSpec]:
    """Crawls of the enabled sources, digests per frequency in use, housekeeping, health.

    The arguments are names only: the daemon executor passes the running daemon itself.
    """
    specs = [
        JobSpec(
            crawl_job_id(source.name),
            CRAWL_FUNC,
            (source.name,),
            source.parsed_schedule,
            f"crawl {source.name} ({source.schedule})",
            run_now_when_new=True,
        )
        for source in config.sources
        if source.enabled
    ]
    daily = parse_schedule(config.email.digest_schedule)
    digest_schedules = {
        "instant": Schedule("every minute", interval=timedelta(minutes=1)),
        "hourly": parse_schedule("0 * * * *"),
        "daily": daily,
        "weekly": _weekly(daily),
    }
    recipients = config.email.active_recipients()
    # Instant runs also carry priority matches and operator alerts: needed by any recipient.
    in_use = {r.frequency for r in recipients} | ({"instant"} if recipients else set())
    for frequency, schedule in digest_schedules.items():
        if frequency in in_use:
            specs.append(
                JobSpec(
                    f"digest:{frequency}",
                    DIGEST_FUNC,
                    (frequency,),
                    schedule,
                    f"{frequency} digests ({schedule.source})",
                )
            )
    housekeeping = parse_schedule(config.daemon.housekeeping_schedule)
    specs.append(
        JobSpec(
            "housekeeping",
            HOUSEKEEPING_FUNC,
            (),
            housekeeping,
            f"housekeeping ({housekeeping.source})",
        )
    )
    specs.append(
        JobSpec(
            "health",
            HEALTH_FUNC,
            (),
            parse_schedule(HEALTH_SCHEDULE),
            f"health checks ({HEALTH_SCHEDULE})",
        )
    )
    return specs


def validate_specs(specs: Iterable[JobSpec]) -> None:
    """Fail fast unless every job names an importable, module-level function."""
    for spec in specs:
        try:
            target = ref_to_obj(spec.func)
        except (ValueError, LookupError, TypeError) as exc:
            raise DaemonError(
                f"job {spec.id}: bad function reference {spec.func!r}: {exc}"
            ) from None
        if not callable(target):
            raise DaemonError(f"job {spec.id}: {spec.func!r} is not callable")
        try:
            canonical = obj_to_ref(target)
        except ValueError:
            canonical = None
        if canonical != spec.func:
            raise DaemonError(f"job {spec.id}: {spec.func!r} is not a module-level function")


# --- the scheduler and the re-sync ---------------------------------------------------------------


class DaemonExecutor(ThreadPoolExecutor):
    """APScheduler's thread pool that hands the running daemon to the jobs marked ``daemon_job``.

    This is how a stored job (a textual function reference and picklable names) reaches the
    daemon's config, database, queue and stop flag without any module-level registry: the
    executor belongs to one :class:`Daemon` and binds it when it submits a run.
    """

    def __init__(self, context: Any, max_workers: int = 10) -> None:
        super().__init__(max_workers=max_workers)
        self.context = context

    def _do_submit_job(self, job: Job, run_times: list[datetime]) -> None:
        bound = _BoundJob(job, self.context) if is_daemon_job(job.func) else job
        super()._do_submit_job(bound, run_times)  # type: ignore[no-untyped-call]


class _BoundJob:
    """A job whose function gets ``context`` as its first argument (everything else delegated)."""

    def __init__(self, job: Job, context: Any) -> None:
        self._job = job
        self.func = functools.partial(job.func, context)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._job, name)

    def __str__(self) -> str:
        return str(self._job)


CLOCK_JUMP_TOLERANCE = timedelta(seconds=60)
"""Wall-clock steps smaller than this (NTP slews, a late wake-up) are not treated as jumps."""


class DaemonScheduler(BackgroundScheduler):
    """A BackgroundScheduler that processes no jobs once stopping and survives clock jumps.

    APScheduler 3.x wakes its thread after ``shutdown()`` set the state to stopped and processes due
    jobs once more: it cannot submit them (the executor is gone) but still advances their stored
    next run time, so a job due at shutdown would silently lose its run.

    Clock jumps (see :meth:`_correct_clock`): a job due long ago (the clock jumped ahead, or the
    daemon was down) is moved to its first fire time within the misfire grace period before
    APScheduler computes its run times, so a one-year jump of a one-minute job computes a few
    hundred run times at most (one of which runs, coalesced), not 525,601. When the wall clock goes
    back (it was a year ahead and is corrected), every next run moves back by the jump (to the
    trigger's next fire time from there), so nothing waits a year and nothing runs twice. Jumps are
    told from the wall clock against a monotonic one.
    """

    def __init__(
        self,
        *args: Any,
        wall_clock: Callable[[], datetime] | None = None,
        monotonic: Callable[[], float] = time.monotonic,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self._wall_clock = wall_clock or (lambda: datetime.now(UTC))
        self._monotonic = monotonic
        self._last_seen: tuple[datetime, float] | None = None
        self._clock_lock = threading.Lock()
        self.clock_jumps: list[timedelta] = []  # the jumps seen (for the log and the tests)

    def _process_jobs(self) -> float | None:
        if self.state != STATE_RUNNING:
            return None
        self._correct_clock()
        result: float | None = super()._process_jobs()  # type: ignore[no-untyped-call]
        return result

    def _correct_clock(self) -> None:
        with self._clock_lock:  # the scheduler thread and a wakeup may both get here
            self._correct_clock_locked()

    def _correct_clock_locked(self) -> None:
        wall, mono = self._wall_clock(), self._monotonic()
        last, self._last_seen = self._last_seen, (wall, mono)
        if last is None:  # first look after start: the daemon may have been down for long
            self._skip_stale_runs(wall)
            return
        drift = (wall - last[0]) - timedelta(seconds=mono - last[1])
        if abs(drift) < CLOCK_JUMP_TOLERANCE:
            return
        self.clock_jumps.append(drift)
        log.warning(
            "the wall clock jumped %s by %s; rescheduling jobs",
            "ahead" if drift > timedelta(0) else "back", abs(drift),
            extra={"clock_jump_s": drift.total_seconds()},
        )  # fmt: skip
        if drift > timedelta(0):
            self._skip_stale_runs(wall)
        else:
            self._pull_back_runs(wall, drift)

    def _skip_stale_runs(self, now: datetime) -> None:
        """Jobs due before ``now - misfire grace``: to their first fire time within the grace."""
        for job in self.get_jobs():
            due = job.next_run_time
            grace = job.misfire_grace_time
            if due is None or grace is None:
                continue
            horizon = now - timedelta(seconds=grace)
            if due >= horizon:
                continue
            first: datetime | None = job.trigger.get_next_fire_time(None, horizon)
            if first is not None and first != due:
                log.warning(
                    "job %s missed its runs since %s (daemon down or clock jump); next run %s",
                    job.id, due.isoformat(), first.isoformat(), extra={"job": job.id},
                )  # fmt: skip
                job.modify(next_run_time=first)

    def _pull_back_runs(self, now: datetime, jump: timedelta) -> None:
        """The clock went back by ``-jump``: move each next run back by as much (to the trigger's
        next fire time from there), so it keeps its distance in real time: no repeat, no stall."""
        for job in self.get_jobs():
            due = job.next_run_time
            if due is None:
                continue
            moved: datetime | None = job.trigger.get_next_fire_time(None, max(now, due + jump))
            if moved is not None and moved < due:
                job.modify(next_run_time=moved)


def make_scheduler(
    engine: Engine,
    *,
    timezone: str,
    misfire_grace_seconds: int,
    max_workers: int = 10,
    context: Any = None,
    wall_clock: Callable[[], datetime] | None = None,
    monotonic: Callable[[], float] = time.monotonic,
) -> DaemonScheduler:
    """A scheduler with the persistent job store on ``engine`` and the daemon's job defaults;
    ``context`` (the daemon) is handed to its jobs by the executor; the clocks are injectable."""
    return DaemonScheduler(
        wall_clock=wall_clock,
        monotonic=monotonic,
        jobstores={"default": SQLAlchemyJobStore(engine=engine, tablename=JOBS_TABLE)},
        executors={"default": DaemonExecutor(context, max_workers=max(2, max_workers))},
        job_defaults={
            "coalesce": True,
            "max_instances": 1,
            "misfire_grace_time": misfire_grace_seconds,
        },
        timezone=timezone,
    )


def trigger_signature(trigger: BaseTrigger) -> str:
    """What makes two triggers fire at the same times (the interval's start date aside)."""
    timezone = getattr(trigger, "timezone", "")
    jitter = getattr(trigger, "jitter", None)
    return f"{type(trigger).__name__}:{trigger}@{timezone}~{jitter}"


def sync_jobs(
    scheduler: BackgroundScheduler,
    specs: list[JobSpec],
    *,
    timezone: str,
    misfire_grace_seconds: int,
    now: datetime | None = None,
) -> SyncResult:
    """Make the job store match ``specs``, keeping the stored next run time of unchanged jobs.

    ``add_job(replace_existing=True)`` on every start would reset the next run time and lose the
    catch-up run; so: add missing jobs, reschedule those whose trigger changed, update the
    attributes of the others in place, and remove jobs nobody asks for any more.
    """
    result = SyncResult()
    wanted = {spec.id: spec for spec in specs}
    existing: dict[str, Job] = {job.id: job for job in scheduler.get_jobs()}
    for job_id in sorted(set(existing) - set(wanted)):
        scheduler.remove_job(job_id)
        result.removed.append(job_id)
    for spec in specs:
        trigger = daemon_trigger(spec.schedule, timezone)
        job = existing.get(spec.id)
        if job is None:
            extra: dict[str, Any] = {}
            if spec.run_now_when_new:
                extra["next_run_time"] = now or datetime.now(trigger.timezone)
            scheduler.add_job(
                spec.func, trigger, args=list(spec.args), id=spec.id, name=spec.name,
                misfire_grace_time=misfire_grace_seconds, coalesce=True, max_instances=1,
                **extra,
            )  # fmt: skip
            result.added.append(spec.id)
            continue
        if trigger_signature(job.trigger) != trigger_signature(trigger):
            scheduler.reschedule_job(spec.id, trigger=trigger)
            result.rescheduled.append(spec.id)
        changes: dict[str, Any] = {}
        if job.func_ref != spec.func:
            changes["func"] = spec.func
        if tuple(job.args) != spec.args or job.kwargs:
            changes.update(args=list(spec.args), kwargs={})
        if job.name != spec.name:
            changes["name"] = spec.name
        if job.misfire_grace_time != misfire_grace_seconds:
            changes["misfire_grace_time"] = misfire_grace_seconds
        if not job.coalesce or job.max_instances != 1:
            changes.update(coalesce=True, max_instances=1)
        if changes:
            scheduler.modify_job(spec.id, **changes)
            if spec.id not in result.rescheduled:
                result.modified.append(spec.id)
        elif spec.id not in result.rescheduled:
            result.kept.append(spec.id)
    return result


def catch_up_interrupted(
    scheduler: BackgroundScheduler, db: Database, config: MonitorConfig
) -> list[str]:
    """Run a source again right away when its latest crawl was interrupted (daemon killed)."""
    caught: list[str] = []
    now = utcnow()
    for source in config.sources:
        if not source.enabled:
            continue
        with db.session() as session:
            status = session.scalar(
                select(CrawlRun.status)
                .where(CrawlRun.source_name == source.name)
                .order_by(CrawlRun.started_at.desc(), CrawlRun.id.desc())
                .limit(1)
            )
        job = scheduler.get_job(crawl_job_id(source.name))
        due = job.next_run_time if job is not None else None
        if status == RunStatus.INTERRUPTED and job is not None and due is not None and due > now:
            scheduler.modify_job(job.id, next_run_time=now)
            caught.append(source.name)
    return caught


# --- the scheduler lease -------------------------------------------------------------------------


def acquire_scheduler_lease(db: Database, holder: str, ttl: float) -> None:
    """Take the scheduler lease (from a dead process on this host too); DaemonError if held."""
    if acquire_lease(db, SCHEDULER_LEASE, holder, ttl):
        return
    current = lease_holder(db, SCHEDULER_LEASE)
    if current is None and acquire_lease(db, SCHEDULER_LEASE, holder, ttl):
        return
    who = current.holder if current is not None else "unknown"
    raise DaemonError(f"another scheduler holds the database ({who})")


def scheduler_lease_ttl(config: MonitorConfig) -> float:
    return float(config.daemon.lease_ttl_seconds)


# --- run_daemon ----------------------------------------------------------------------------------


class _Signals:
    """SIGTERM/SIGINT set ``stop``; SIGHUP sets ``reload`` (installed from the main thread only)."""

    def __init__(self, stop: threading.Event) -> None:
        self.stop = stop
        self.reload = threading.Event()
        self._previous: dict[int, Any] = {}

    def install(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return
        handlers: dict[int, Callable[[int, FrameType | None], None]] = {
            signal.SIGTERM: self._on_stop,
            signal.SIGINT: self._on_stop,
        }
        if hasattr(signal, "SIGHUP"):
            handlers[signal.SIGHUP] = self._on_reload
        for sig, handler in handlers.items():
            self._previous[sig] = signal.signal(sig, handler)

    def restore(self) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
        self._previous.clear()

    def _on_stop(self, signum: int, _frame: FrameType | None) -> None:
        self.stop.set()

    def _on_reload(self, signum: int, _frame: FrameType | None) -> None:
        self.reload.set()


def _error(message: str) -> None:
    print(f"error: {message}", file=sys.stderr, flush=True)


class Daemon:
    """One running daemon, as scrapyd's launcher is one object: it owns the config, the database,
    the poll queue (distributed deployment), the local crawl worker, the scheduler with its lease,
    and the stop flag. Its jobs receive it from :class:`DaemonExecutor`."""

    def __init__(
        self,
        config_path: Path,
        config: MonitorConfig,
        db: Database,
        *,
        worker: bool = True,
        queue: PollQueue | None = None,
    ) -> None:
        self.config_path = config_path
        self.config = config
        self.db = db
        self.queue = queue
        self.holder = default_holder()
        self.ttl = scheduler_lease_ttl(config)
        self.scheduler: DaemonScheduler | None = None
        self.worker = WorkerSupervisor(config_path)
        self.embedded_worker = worker
        self.stopping = threading.Event()  # set by stop(): no new polls, waiting jobs return
        self.polls = PollWatcher(db)  # the crawl jobs' waits on their poll rows, one reader
        self.digest_lock = threading.Lock()  # one digest send at a time
        # One mail circuit breaker for every digest run: a dead server is skipped between runs.
        self.mail_circuit = CircuitBreaker()
        # Unexpected errors caught at a job's boundary (logged there with the traceback),
        # by job kind: in the "daemon stopped" line and in the log line of each failure.
        self.job_failures: Counter[str] = Counter()
        self._failures_lock = threading.Lock()

    def count_failure(self, job: str) -> int:
        """Count one unexpected error of a ``job`` kind; the count so far."""
        with self._failures_lock:
            self.job_failures[job] += 1
            return self.job_failures[job]

    @classmethod
    def open(cls, config_path: Path, config: MonitorConfig, *, worker: bool = True) -> Daemon:
        """The daemon of ``config``: database and (with ``[queue]``) Redis reached, or raises."""
        from monitor.crawl.queue import PollQueue
        from monitor.db.migrate import require_current_schema

        db = Database(
            config.database.url,
            busy_timeout_ms=config.database.busy_timeout_ms,
            reconnect_seconds=config.database.reconnect_seconds,
        )
        try:
            db.ping()
            require_current_schema(db)
            queue = PollQueue.from_config(config)  # fail fast: Redis unreachable
        except BaseException:
            db.dispose()
            raise
        return cls(config_path, config, db, worker=worker, queue=queue)

    def start(self) -> None:
        specs = desired_jobs(self.config)
        validate_specs(specs)
        acquire_scheduler_lease(self.db, self.holder, self.ttl)
        daemon = self.config.daemon
        self.scheduler = make_scheduler(
            self.db.engine, timezone=daemon.timezone,
            misfire_grace_seconds=daemon.misfire_grace_seconds, max_workers=len(specs) + 2,
            context=self,
        )  # fmt: skip
        self.scheduler.start(paused=True)
        result = sync_jobs(
            self.scheduler,
            specs,
            timezone=daemon.timezone,
            misfire_grace_seconds=daemon.misfire_grace_seconds,
        )
        caught = catch_up_interrupted(self.scheduler, self.db, self.config)
        self.requeue_abandoned()
        if self.embedded_worker:
            self.worker.check()
        self.scheduler.resume()
        log.info(
            "daemon started as %s: %d jobs", self.holder, len(specs),
            extra={"added": result.added, "rescheduled": result.rescheduled,
                   "removed": result.removed, "caught_up": caught},
        )  # fmt: skip

    def reload(self) -> None:
        """Re-read the config; keep the old one (and say so in one line) if the new one is bad."""
        try:
            config = load_config(self.config_path)
            specs = desired_jobs(config)
            validate_specs(specs)
        except MonitorError as exc:
            log.error("config reload failed, keeping the running config: %s", exc)
            return
        if config.database.url != self.config.database.url:
            log.warning("database.url changed: restart the daemon to use the new database")
            config = config.model_copy(update={"database": self.config.database})
        if config.queue.url != self.config.queue.url:
            log.warning("queue.url changed: restart the daemon to use the new queue")
            config = config.model_copy(update={"queue": self.config.queue})
        _configure_logging(config)
        self.config = config
        self.worker.restart()  # the worker finishes its polls and a new one reads the new config
        assert self.scheduler is not None
        result = sync_jobs(
            self.scheduler,
            specs,
            timezone=config.daemon.timezone,
            misfire_grace_seconds=config.daemon.misfire_grace_seconds,
        )
        log.info(
            "config reloaded",
            extra={
                "added": result.added,
                "removed": result.removed,
                "rescheduled": result.rescheduled,
            },
        )

    def requeue_abandoned(self) -> None:
        """Polls whose worker died go back to the queue (at once if it died on this host); in
        the distributed deployment, queued polls whose message was lost are sent again."""
        from monitor.crawl.queue import sweep_polls

        try:
            requeued, resent = sweep_polls(
                self.db, self.queue, float(self.config.daemon.lease_ttl_seconds)
            )
        except (SQLAlchemyError, DatabaseError, QueueError) as exc:  # a hiccup: next heartbeat
            # (rows re-queued before a failed push are re-sent by the next sweep)
            log.warning("cannot re-queue or re-send polls: %s", exc)
            return
        if requeued:
            log.warning(
                "re-queued %d poll(s) of a dead worker", len(requeued), extra={"polls": requeued}
            )
        if resent:
            log.warning(
                "re-sent %d queued poll(s) that had no queue message", len(resent),
                extra={"polls": resent},
            )  # fmt: skip

    def tick(self) -> None:
        """Every half second: keep the local worker running."""
        if self.embedded_worker and not self.stopping.is_set():
            self.worker.check()

    def renew(self) -> bool:
        """Renew the scheduler lease; False when another scheduler took it."""
        try:
            return renew_lease(self.db, SCHEDULER_LEASE, self.holder, self.ttl)
        except (SQLAlchemyError, DatabaseError) as exc:  # a database hiccup: next tick
            log.warning("cannot renew the scheduler lease: %s", exc)
            return True

    def abort(self) -> None:
        """Undo a failed start quietly: scheduler down, our lease (if we took it) released."""
        if self.scheduler is not None and self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        with contextlib.suppress(SQLAlchemyError, DatabaseError):  # it expires on its own
            release_lease(self.db, SCHEDULER_LEASE, self.holder)

    def stop(self) -> None:
        """Stop the worker (its polls end as interrupted), the scheduler, then the lease."""
        if self.scheduler is not None and self.scheduler.running:
            self.scheduler.pause()  # no new job runs; running ones finish below
        self.stopping.set()
        if self.worker.pid is not None:
            log.info("stopping the crawl worker", extra={"pid": self.worker.pid})
        self.worker.stop()
        if self.scheduler is not None and self.scheduler.running:
            self.scheduler.shutdown(wait=True)
        try:
            release_lease(self.db, SCHEDULER_LEASE, self.holder)
        except (SQLAlchemyError, DatabaseError) as exc:  # it expires on its own
            log.warning("cannot release the scheduler lease: %s", exc)
        log.info("daemon stopped", extra={"job_failures": dict(self.job_failures)})

    def close(self) -> None:
        """Dispose of the database engine and the queue connection."""
        if self.queue is not None:
            self.queue.close()
        self.db.dispose()

    def serve(self, stop: threading.Event, reload: threading.Event) -> int:
        """The main loop until ``stop``: reloads, worker checks, lease renewal; 1 if lost."""
        renew_every = self.config.daemon.heartbeat_seconds
        last_renewal = time.monotonic()
        while not stop.wait(0.5):
            if reload.is_set():
                reload.clear()
                try:
                    self.reload()
                except Exception:  # boundary: the main loop keeps the running config
                    self.count_failure("reload")
                    log.exception("config reload failed, keeping the running config")
            self.tick()
            if time.monotonic() - last_renewal >= renew_every:
                last_renewal = time.monotonic()
                if not self.renew():
                    log.error("lost the scheduler lease to another scheduler; stopping")
                    return 1
                self.requeue_abandoned()
        return 0


def _configure_logging(config: MonitorConfig) -> None:
    setup_logging(config.logging.level, config.logging.json_format)
    install_config_redaction(config)


def run_daemon(
    config_path: str | Path | None,
    *,
    stop_event: threading.Event | None = None,
    worker: bool = True,
) -> int:
    """Run until SIGTERM/SIGINT (or ``stop_event``): 0 clean stop, 1 failure, 2 bad config.

    ``worker=False`` (``monitor run --no-worker``): the scheduler alone; needs ``[queue]``.
    """
    from monitor.crawl.queue import require_distributed

    stop = stop_event or threading.Event()
    try:
        config = load_config(config_path)
        if not worker or config.queue.url is not None:
            require_distributed(config, "monitor run --no-worker" if not worker else "[queue]")
    except ConfigError as exc:
        _error(str(exc))
        return exc.exit_code
    path = Path(config.path or config_path or "monitor.toml").resolve()
    _configure_logging(config)
    signals = _Signals(stop)
    daemon: Daemon | None = None
    try:
        daemon = Daemon.open(path, config, worker=worker)
        signals.install()
        daemon.start()
    except Exception as exc:  # boundary: the process's exit code; a bug is logged in full
        if not isinstance(exc, MonitorError):
            log.exception("the daemon failed to start")
        _error(str(exc) if isinstance(exc, MonitorError) else f"cannot start the daemon: {exc}")
        if daemon is not None:
            daemon.abort()
            daemon.close()
        signals.restore()
        return exc.exit_code if isinstance(exc, MonitorError) else 1
    try:
        return daemon.serve(stop, signals.reload)
    finally:
        daemon.stop()
        signals.restore()
        daemon.close()
