"""Source health for ``monitor status`` and operator alerts; adaptive polling decisions.

Everything returned is a plain dataclass; the CLI renders it.
"""

from __future__ import annotations

import logging
import pickle
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Column, Float, LargeBinary, MetaData, String, Table, inspect, select
from sqlalchemy.orm import Session

from monitor.alerts.operator import raise_operator_alert, resolve_operator_alert
from monitor.config import MonitorConfig, SourceConfig
from monitor.db.engine import Database
from monitor.db.leases import lease_holder, source_lease_name
from monitor.db.models import Article, CrawlRun, OperatorAlert, RunStatus, Source, utcnow
from monitor.stories.outcomes import StoreOutcome

log = logging.getLogger("monitor.daemon.health")

JOBS_TABLE = "apscheduler_jobs"
#: What unpickling a stored job state raises when the job's class or function moved or went.
_UNREADABLE_JOB_STATE = (
    pickle.UnpicklingError,
    AttributeError,
    ImportError,
    EOFError,
    TypeError,
    ValueError,
)
NEW_KEYS = ("new", "syndicated")
"""Crawl-run counters of newly stored articles."""
OUTCOME_KEYS = tuple(outcome.value for outcome in StoreOutcome)
"""Crawl-run counters of analysed pages, one per outcome."""
FINISHED = (RunStatus.OK, RunStatus.PARTIAL, RunStatus.FAILED)
EMPTY_RUNS_PER_STEP = 3
"""Adaptive polling: every this many empty runs in a row double the polling interval."""
HISTORY_RUNS = 50

PROBLEM_FAILING = "failing"
PROBLEM_SILENT = "silent"
PROBLEM_BLOCKED = "blocked"
OWN = (PROBLEM_FAILING, PROBLEM_SILENT, PROBLEM_BLOCKED)


@dataclass(frozen=True)
class RunSummary:
    """One crawl run as status shows it."""

    id: int
    trigger: str
    started_at: datetime
    finished_at: datetime | None
    status: str
    counts: dict[str, Any]


@dataclass(frozen=True)
class ScheduledJob:
    """A job as the persistent job store holds it."""

    id: str
    next_run_time: datetime | None
    trigger: str
    func: str


@dataclass(frozen=True)
class SourceHealth:
    """Everything ``monitor status`` shows about one source."""

    name: str
    enabled: bool
    schedule: str
    last_run: RunSummary | None
    next_run: datetime | None
    new_per_day: list[tuple[date, int]]
    consecutive_failures: int
    days_since_new: float | None
    skipped_share: float | None
    running_holder: str | None
    poll_factor: int
    open_alerts: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class AdaptiveDecision:
    """Whether a scheduled tick of a source is skipped by adaptive polling."""

    factor: int
    empty_streak: int
    skip: bool


def new_articles(counts: dict[str, Any]) -> int:
    """Newly stored articles in a run's counts."""
    return sum(_int(counts.get(key)) for key in NEW_KEYS)


def _int(value: Any) -> int:
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        return 0


def analysed_pages(counts: dict[str, Any]) -> int:
    """Pages with an outcome in a run's counts."""
    return sum(_int(counts.get(key)) for key in OUTCOME_KEYS)


def skipped_share(counts: dict[str, Any]) -> float | None:
    """Share of skipped pages (blocked, paywalled, consent walls) among analysed ones."""
    total = analysed_pages(counts)
    return None if total == 0 else _int(counts.get("skipped")) / total


def _recent_runs(session: Session, source_name: str, limit: int = HISTORY_RUNS) -> list[CrawlRun]:
    return list(
        session.scalars(
            select(CrawlRun)
            .where(CrawlRun.source_name == source_name)
            .order_by(CrawlRun.started_at.desc(), CrawlRun.id.desc())
            .limit(limit)
        )
    )


def consecutive_failures(runs: list[CrawlRun]) -> int:
    """Failed runs in a row, newest first; running and interrupted runs are neither."""
    count = 0
    for run in runs:
        if run.status == RunStatus.FAILED:
            count += 1
        elif run.status in (RunStatus.OK, RunStatus.PARTIAL):
            break
    return count


def empty_streak(runs: list[CrawlRun]) -> int:
    """Successful runs in a row, newest first, that stored nothing new."""
    count = 0
    for run in runs:
        if run.status not in (RunStatus.OK, RunStatus.PARTIAL):
            continue
        if new_articles(run.counts or {}):
            break
        count += 1
    return count


def poll_factor_for(streak: int, max_factor: int) -> int:
    """1 normally, doubling every EMPTY_RUNS_PER_STEP empty runs, at most ``max_factor``."""
    steps = min(streak // EMPTY_RUNS_PER_STEP, 16)
    return max(1, min(max_factor, 2**steps))


def adaptive_decision(
    db: Database, config: MonitorConfig, source: SourceConfig, *, now: datetime | None = None
) -> AdaptiveDecision:
    """Skip this tick when the stretched interval has not elapsed since the last run started."""
    now = now or utcnow()
    with db.session() as session:
        runs = _recent_runs(session, source.name)
    streak = empty_streak(runs)
    factor = poll_factor_for(streak, config.daemon.max_poll_factor)
    if not config.daemon.adaptive_polling or factor <= 1 or not runs:
        return AdaptiveDecision(factor if config.daemon.adaptive_polling else 1, streak, False)
    period = source.parsed_schedule.nominal_period
    elapsed = now - runs[0].started_at
    return AdaptiveDecision(factor, streak, elapsed < factor * period - period / 2)


# --- the job store's view ------------------------------------------------------------------------


def _jobs_table() -> Table:
    return Table(
        JOBS_TABLE,
        MetaData(),
        Column("id", String(191), primary_key=True),
        Column("next_run_time", Float(25)),
        Column("job_state", LargeBinary, nullable=False),
    )


def scheduled_jobs(db: Database) -> list[ScheduledJob]:
    """The persistent job store's jobs (id, next run, trigger); empty before the first start."""
    if not inspect(db.engine).has_table(JOBS_TABLE):
        return []
    table = _jobs_table()
    jobs: list[ScheduledJob] = []
    with db.engine.connect() as connection:
        rows = connection.execute(
            select(table.c.id, table.c.next_run_time, table.c.job_state).order_by(table.c.id)
        ).all()
    for job_id, next_run, state in rows:
        trigger, func = "?", "?"
        try:
            data = pickle.loads(state)  # our own job store, written by our own scheduler
            trigger, func = str(data.get("trigger")), str(data.get("func"))
        except _UNREADABLE_JOB_STATE as exc:  # a class that no longer exists, a bad row
            trigger = f"<unreadable: {type(exc).__name__}>"
        when = None if next_run is None else datetime.fromtimestamp(float(next_run), UTC)
        jobs.append(ScheduledJob(str(job_id), when, trigger, func))
    return jobs


def crawl_job_id(source_name: str) -> str:
    return f"crawl:{source_name}"


# --- per-source health ---------------------------------------------------------------------------


def _new_per_day(session: Session, source_id: int | None, now: datetime) -> list[tuple[date, int]]:
    days = [(now - timedelta(days=offset)).date() for offset in range(6, -1, -1)]
    counts = dict.fromkeys(days, 0)
    if source_id is not None:
        start = datetime.combine(days[0], datetime.min.time(), UTC)
        for seen in session.scalars(
            select(Article.first_seen_at).where(
                Article.source_id == source_id, Article.first_seen_at >= start
            )
        ):
            day = seen.astimezone(UTC).date()
            if day in counts:
                counts[day] += 1
    return list(counts.items())


def _last_new(session: Session, source_id: int | None) -> datetime | None:
    if source_id is None:
        return None
    return session.scalar(
        select(Article.first_seen_at)
        .where(Article.source_id == source_id)
        .order_by(Article.first_seen_at.desc())
        .limit(1)
    )


def _silent_since(session: Session, source: str, source_id: int | None) -> datetime | None:
    """Since when the source has yielded nothing: its last new article, else its first run."""
    last = _last_new(session, source_id)
    if last is not None:
        return last
    return session.scalar(
        select(CrawlRun.started_at)
        .where(CrawlRun.source_name == source)
        .order_by(CrawlRun.started_at)
        .limit(1)
    )


def _open_alerts(session: Session, source_name: str) -> list[OperatorAlert]:
    return list(
        session.scalars(
            select(OperatorAlert).where(
                OperatorAlert.source_name == source_name, OperatorAlert.resolved_at.is_(None)
            )
        )
    )


def source_health(
    db: Database, config: MonitorConfig, now: datetime | None = None
) -> list[SourceHealth]:
    """Health of every configured source, in config order."""
    now = now or utcnow()
    next_runs = {job.id: job.next_run_time for job in scheduled_jobs(db)}
    result: list[SourceHealth] = []
    for source in config.sources:
        with db.session() as session:
            source_id = session.scalar(select(Source.id).where(Source.name == source.name))
            runs = _recent_runs(session, source.name)
            last_run = runs[0] if runs else None
            last_new = _last_new(session, source_id)
            per_day = _new_per_day(session, source_id, now)
            alerts = [a.problem for a in _open_alerts(session, source.name)]
        finished = next((r for r in runs if r.status in FINISHED), None)
        holder = lease_holder(db, source_lease_name(source.name))
        streak = empty_streak(runs)
        factor = (
            poll_factor_for(streak, config.daemon.max_poll_factor)
            if config.daemon.adaptive_polling
            else 1
        )
        result.append(
            SourceHealth(
                name=source.name,
                enabled=source.enabled,
                schedule=source.schedule,
                last_run=_summary(last_run),
                next_run=next_runs.get(crawl_job_id(source.name)),
                new_per_day=per_day,
                consecutive_failures=consecutive_failures(runs),
                days_since_new=None
                if last_new is None
                else round((now - last_new).total_seconds() / 86400, 2),
                skipped_share=skipped_share(finished.counts or {}) if finished else None,
                running_holder=holder.holder if holder else None,
                poll_factor=factor,
                open_alerts=alerts,
            )
        )
    return result


def _summary(run: CrawlRun | None) -> RunSummary | None:
    if run is None:
        return None
    return RunSummary(
        run.id, run.trigger, run.started_at, run.finished_at, run.status, dict(run.counts or {})
    )


# --- operator alerts -----------------------------------------------------------------------------


def _problems(
    session: Session, config: MonitorConfig, source: SourceConfig, now: datetime
) -> dict[str, str]:
    """The problems a source has now, with a one-line detail each."""
    problems: dict[str, str] = {}
    source_id = session.scalar(select(Source.id).where(Source.name == source.name))
    runs = _recent_runs(session, source.name)
    failures = consecutive_failures(runs)
    if failures >= config.daemon.failure_alert_after:
        last_failed = next(r for r in runs if r.status == RunStatus.FAILED)
        error = _first_error(last_failed.errors)
        problems[PROBLEM_FAILING] = f"{failures} failed crawls in a row" + (
            f"; last error: {error}" if error else ""
        )
    since = _silent_since(session, source.name, source_id)
    if since is not None and runs:
        silent_days = (now - since).total_seconds() / 86400
        if silent_days >= config.daemon.silent_alert_days:
            problems[PROBLEM_SILENT] = f"nothing new for {silent_days:.1f} days"
    finished = next((r for r in runs if r.status in FINISHED), None)
    if finished is not None:
        counts = finished.counts or {}
        skipped = _int(counts.get("skipped"))
        if skipped and skipped == analysed_pages(counts):
            problems[PROBLEM_BLOCKED] = (
                f"the last crawl (run {finished.id}) returned only skipped pages ({skipped}): "
                "blocked, paywalled or behind a consent wall?"
            )
    return problems


def _first_error(errors: Any) -> str:
    if isinstance(errors, list) and errors:
        first = errors[0]
        text = (
            first.get("message") or first.get("error") or str(first)
            if isinstance(first, dict)
            else str(first)
        )
        return str(text)[:200]
    return ""


def evaluate_alerts(
    db: Database,
    config: MonitorConfig,
    now: datetime | None = None,
    *,
    only: list[str] | None = None,
) -> list[tuple[str, str]]:
    """Raise an operator alert once per (source, problem) while it lasts; resolve cleared ones.

    Returns the (source, problem) pairs raised by this call.
    """
    now = now or utcnow()
    raised: list[tuple[str, str]] = []
    for source in config.sources:
        if not source.enabled or (only is not None and source.name not in only):
            continue
        with db.session() as session:
            problems = _problems(session, config, source, now)
            open_by_problem = {
                a.problem for a in _open_alerts(session, source.name) if a.problem in OWN
            }
        for problem, detail in problems.items():
            if problem not in open_by_problem and raise_operator_alert(
                db, source.name, problem, detail
            ):
                raised.append((source.name, problem))
                log.warning(
                    "operator alert: %s is %s: %s", source.name, problem, detail,
                    extra={"source": source.name, "problem": problem},
                )  # fmt: skip
        for problem in open_by_problem:
            if problem not in problems and resolve_operator_alert(db, source.name, problem):
                log.info(
                    "operator alert resolved: %s %s",
                    source.name,
                    problem,
                    extra={"source": source.name, "problem": problem},
                )
    return raised
