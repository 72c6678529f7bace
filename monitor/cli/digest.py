"""``monitor digest``: send or render the pending digests and say what happened."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.table import Table

from monitor.alerts.sender import send_digests
from monitor.alerts.smtp import check_smtp
from monitor.config import MonitorConfig
from monitor.db.engine import Database

FREQUENCIES = ("instant", "hourly", "daily", "weekly")


def digest_command(
    db: Database,
    config: MonitorConfig,
    *,
    dry_run: bool,
    out: Path | None,
    frequency: str | None,
    console: Console,
) -> int:
    """Send (or render) digests; exit code 0 when everything due was delivered."""
    if frequency is not None and frequency not in FREQUENCIES:
        console.print(f"error: --frequency must be one of {', '.join(FREQUENCIES)}", style="red")
        return 2
    if not config.email.active_recipients():
        console.print("no recipients configured in [email].recipients: nothing to send")
        return 0
    if not dry_run:
        problem = check_smtp(config.email)
        if problem:
            console.print(f"error: {problem} (pending alerts kept for the next run)", markup=False)
            return 1
    report = send_digests(db, config, dry_run=dry_run, out=out, frequency=frequency)
    if report.outcomes:
        table = Table(title="digest (dry run: nothing sent or marked)" if dry_run else "digest")
        for column in ("recipient", "channel", "status", "stories", "subject / error"):
            table.add_column(column, overflow="fold")
        for outcome in report.outcomes:
            table.add_row(
                outcome.recipient,
                outcome.channel,
                outcome.status,
                str(outcome.story_count),
                outcome.error or outcome.subject,
            )
        console.print(table)
    else:
        console.print("no new stories for any recipient: nothing to send")
    for path in report.files:
        console.print(f"wrote {path}", markup=False)
    for line in report.errors:
        console.print(f"error: {line}", markup=False)
    return 0 if report.ok else 1
