"""``monitor status``: per-source health, the schedule, the outbox and SMTP reachability."""

from __future__ import annotations

from datetime import datetime

from rich.console import Console
from rich.table import Table
from sqlalchemy import func, select

from monitor.alerts.smtp import check_smtp
from monitor.config import MonitorConfig
from monitor.daemon.health import new_articles, scheduled_jobs, source_health
from monitor.db.engine import Database
from monitor.db.leases import SCHEDULER_LEASE, lease_holder, list_leases
from monitor.db.models import AlertDelivery, Article, Story
from monitor.db.web import Override, list_keys, list_saved_queries, source_overrides
from monitor.errors import QueueError


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else "—"


def _stamp(value: datetime) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S")


def _override(overrides: dict[str, Override], name: str) -> str:
    """`` (disabled in the console, muted)``: the operator overrides stored in the database."""
    override = overrides.get(name)
    if override is None:
        return ""
    parts = (["disabled in the console"] if override.enabled is False else []) + (
        ["muted"] if override.muted else []
    )
    return f" ({', '.join(parts)} by {override.updated_by or '?'})" if parts else ""


def _console_state(db: Database) -> str:
    """The web console's state in the database: saved queries and live keys."""
    saved = len(list_saved_queries(db))
    keys = [k for k in list_keys(db) if k.active]
    if not saved and not keys:
        return ""
    feeds = sum(1 for k in keys if k.kind.value == "feed")
    return (
        f"console: {saved} saved quer{'y' if saved == 1 else 'ies'}, "
        f"{len(keys) - feeds} API key(s), {feeds} feed token(s)"
    )


def _polls_line(db: Database, config: MonitorConfig) -> tuple[str, bool]:
    """Queued and running polls, those waiting longer than one lease TTL, and (distributed)
    the Redis stream; True when the queue cannot be reached."""
    from monitor.crawl.queue import PollQueue
    from monitor.db.models import PollStatus
    from monitor.db.polls import active_polls, waiting_polls

    active = active_polls(db)
    queued = sum(1 for poll in active if poll.status is PollStatus.QUEUED)
    ttl = config.daemon.lease_ttl_seconds
    line = f"polls: {queued} queued, {len(active) - queued} running"
    if waiting := waiting_polls(db, ttl):
        line += f" ({len(waiting)} waiting longer than one lease TTL, {ttl} s)"
    if config.queue.url is None or config.database.url.startswith("sqlite"):
        return line, False
    try:
        queue = PollQueue.from_config(config)
        assert queue is not None
        try:
            line += (
                f"; Redis stream {queue.stream}: {queue.length()} message(s), "
                f"{queue.pending()} delivered and not yet acknowledged"
            )
        finally:
            queue.close()
    except QueueError as exc:
        return f"{line}; {exc}", True
    return line, False


def status_command(db: Database, config: MonitorConfig, *, console: Console) -> int:
    """Print the monitor's state; exit 1 when a source needs attention or SMTP is down."""
    healths = source_health(db, config)
    overrides = source_overrides(db)
    table = Table(title="sources")
    for column in (
        "source",
        "last run",
        "result",
        "next run",
        "new/day (7d)",
        "fails",
        "quiet",
        "poll",
        "alerts",
    ):
        table.add_column(column, overflow="fold")
    attention = False
    for health in healths:
        last = health.last_run
        result = "never run"
        if last is not None:
            new = new_articles(last.counts)
            result = f"{last.status} ({new} new)"
        if health.running_holder:
            result = f"running on {health.running_holder}"
        attention = attention or bool(health.open_alerts) or health.consecutive_failures > 0
        table.add_row(
            health.name
            + ("" if health.enabled else " (disabled)")
            + _override(overrides, health.name),
            _when(last.started_at if last else None),
            result,
            _when(health.next_run),
            " ".join(str(count) for _, count in health.new_per_day),
            str(health.consecutive_failures),
            "—" if health.days_since_new is None else f"{health.days_since_new:.1f}d",
            f"×{health.poll_factor}",
            "; ".join(health.open_alerts),
        )
    console.print(table)
    console_state = _console_state(db)
    if console_state:
        console.print(console_state, markup=False)

    jobs = scheduled_jobs(db)
    holder = lease_holder(db, SCHEDULER_LEASE)
    daemon = f"daemon: running on {holder.holder}" if holder else "daemon: not running"
    console.print(daemon)
    leases = list_leases(db)
    if leases:
        lease_table = Table(title="leases (database clock)")
        for column in ("lease", "holder", "since", "expires", "state"):
            lease_table.add_column(column, overflow="fold")
        for lease in leases:
            state = "held"
            if lease.holder_dead:
                state = "holder gone (taken over at next poll)"
            elif lease.expired:
                state = "expired"
            lease_table.add_row(
                lease.name, lease.holder, _stamp(lease.acquired_at), _stamp(lease.expires_at), state
            )
        console.print(lease_table)
    if jobs:
        job_table = Table(title="scheduled jobs (job store)")
        for column in ("job", "next run", "trigger"):
            job_table.add_column(column)
        for job in jobs:
            job_table.add_row(job.id, _when(job.next_run_time), job.trigger)
        console.print(job_table)

    polls_line, queue_down = _polls_line(db, config)
    console.print(polls_line, markup=False, style="bold red" if queue_down else None)
    attention = attention or queue_down

    with db.session() as session:
        articles = session.scalar(select(func.count()).select_from(Article)) or 0
        stories = session.scalar(select(func.count()).select_from(Story)) or 0
        outbox: dict[str, int] = {
            state: count
            for state, count in session.execute(
                select(AlertDelivery.status, func.count()).group_by(AlertDelivery.status)
            ).all()
        }
    pending = outbox.get("pending", 0)
    console.print(
        f"store: {articles} articles in {stories} stories; outbox: "
        + (", ".join(f"{n} {state}" for state, n in sorted(outbox.items())) or "empty")
    )
    smtp_problem = check_smtp(config.email) if config.email.active_recipients() else None
    if smtp_problem:
        console.print(f"SMTP: {smtp_problem}", markup=False)
        attention = True
    elif config.email.active_recipients():
        console.print(
            f"SMTP: {config.email.smtp_host}:{config.email.smtp_port} ok "
            f"({pending} alert(s) pending)"
        )
    from monitor.db.engine import last_write_failure

    write_failure = last_write_failure(db.url)
    if write_failure:
        console.print(f"database: the last write failed: {write_failure}", style="bold red")
        attention = True
    return 1 if attention else 0
