"""``monitor crawl`` and ``monitor sources check``: progress while it runs, a summary at the end.

While a daemon runs (it holds the scheduler lease), ``monitor crawl`` queues one poll per source
in ``poll_requests`` and waits for the daemon's crawl worker to finish them, so a source is never
polled twice at once. With no daemon the crawl runs in a child process
(``python -m monitor.crawl --json``): a Twisted reactor runs once per process and a crash stays
contained.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

from rich.console import Console
from rich.live import Live
from rich.table import Table

from monitor.config import MonitorConfig
from monitor.db.engine import Database

SUMMARY_COLUMNS = (
    ("requests", "requests"),
    ("found", "articles_found"),
    ("new", "new"),
    ("near miss", "near_miss"),
    ("syndicated", "syndicated"),
    ("dup", "duplicate"),
    ("updated", "updated"),
    ("no match", "not_matching"),
    ("skipped", "skipped"),
)


def _events(command: list[str]) -> Iterator[dict[str, Any]]:
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True, bufsize=1) as child:
        assert child.stdout is not None
        for line in child.stdout:
            line = line.strip()
            if line.startswith("{"):
                try:
                    yield json.loads(line)
                except json.JSONDecodeError:
                    continue
        child.wait()
        if child.returncode:
            yield {"event": "exit", "code": child.returncode}


def _table(rows: dict[str, dict[str, Any]], *, title: str) -> Table:
    table = Table(title=title)
    table.add_column("source")
    table.add_column("status")
    for label, _ in SUMMARY_COLUMNS:
        table.add_column(label, justify="right")
    table.add_column("errors", overflow="fold")
    for name, row in rows.items():
        counts = row.get("counts", {})
        errors = row.get("errors", [])
        table.add_row(
            name,
            row.get("status", row.get("stage", "")),
            *(str(counts.get(key, 0)) for _, key in SUMMARY_COLUMNS),
            (f"{len(errors)}: {errors[0]}" if errors else ""),
        )
    return table


def crawl_command(
    config: MonitorConfig,
    sources: list[str] | None,
    *,
    trigger: str,
    console: Console,
    verbose: bool = False,
    db: Database | None = None,
) -> int:
    """Crawl now (through the daemon's worker when one runs, else in a child process); exit 0
    when it ran, even if some sources failed."""
    if db is not None and _daemon_running(db):
        return _crawl_through_daemon(config, db, sources, console=console)
    command = [sys.executable, "-m", "monitor.crawl", "--json", "--trigger", trigger]
    if not verbose:  # Scrapy's INFO lines drown the table; --verbose shows them
        command += ["--log-level", "WARNING"]
    if config.path is not None:
        command += ["--config", str(config.path)]
    for name in sources or []:
        command += ["--source", name]
    progress: dict[str, dict[str, Any]] = {}
    summaries: dict[str, dict[str, Any]] = {}
    exit_code = 0
    with Live(console=console, transient=True, refresh_per_second=4) as live:
        for event in _events(command):
            if event.get("event") == "progress":
                progress[event["source"]] = event
                live.update(_table(progress, title="crawling…"))
            elif event.get("event") == "summary":
                summaries[event["source"]] = event
            elif event.get("event") == "exit":
                exit_code = int(event["code"])
    _print_summaries(summaries, console)
    if exit_code:
        console.print(f"error: the crawl process exited with code {exit_code}", markup=False)
        return 1 if exit_code != 2 else 2
    return 0


def _print_summaries(summaries: dict[str, dict[str, Any]], console: Console) -> None:
    from monitor.crawl.extensions import reason_lines

    if summaries:
        console.print(_table(summaries, title="crawl summary"))
    for name, row in summaries.items():
        for line in reason_lines(name, row.get("counts", {})):
            console.print(line, markup=False, highlight=False)
    from monitor.db.models import RunStatus

    failed = [name for name, row in summaries.items() if row.get("status") == RunStatus.FAILED]
    for name, row in summaries.items():
        for error in row.get("errors", [])[1:6]:
            console.print(f"  {name}: {error}", markup=False)
    if failed:
        console.print(f"failed sources: {', '.join(failed)}", markup=False)


def _daemon_running(db: Database) -> bool:
    from monitor.db.leases import SCHEDULER_LEASE, holder_is_dead, lease_holder

    holder = lease_holder(db, SCHEDULER_LEASE)
    return holder is not None and not holder_is_dead(holder.holder)


def _crawl_through_daemon(
    config: MonitorConfig, db: Database, sources: list[str] | None, *, console: Console
) -> int:
    """Queue one poll per source for the running daemon's worker and wait for the outcomes."""
    from monitor.crawl.queue import PollQueue, submit_poll
    from monitor.crawl.runner import select_sources
    from monitor.db.models import PollRequester
    from monitor.db.polls import PollState, wait_for_polls

    names = [source.name for source in select_sources(config, sources)]
    queue = PollQueue.from_config(config)
    ids: dict[int, str] = {}
    for name in names:
        poll_id, _queued = submit_poll(db, queue, name, PollRequester.CLI)
        ids[poll_id] = name
    console.print(f"queued {len(ids)} poll(s) for the running daemon", markup=False)

    def _rows(states: dict[int, PollState]) -> dict[str, dict[str, Any]]:
        rows: dict[str, dict[str, Any]] = {}
        for poll_id, name in ids.items():
            state = states.get(poll_id)
            if state is None:
                rows[name] = {"status": "lost", "counts": {}, "errors": []}
            elif state.outcome is not None:
                rows[name] = state.outcome
            else:
                rows[name] = {"status": state.status.value, "counts": {}, "errors": []}
        return rows

    with Live(console=console, transient=True, refresh_per_second=4) as live:
        states = wait_for_polls(
            db,
            list(ids),
            timeout=float(config.daemon.lease_seconds),
            on_update=lambda s: live.update(_table(_rows(s), title="crawling…")),
        )
    _print_summaries(_rows(states), console)
    if not all(state.finished for state in states.values()):
        console.print("error: the daemon did not finish the polls in time", markup=False)
        return 1
    return 0


def sources_check_command(
    config: MonitorConfig, sources: list[str] | None, *, console: Console
) -> int:
    """Fetch each start URL once; exit 1 when any source has no working start URL."""
    from monitor.crawl.check import check_sources

    checks = check_sources(config, sources)
    table = Table(title="sources check")
    for column in ("source", "kind", "url", "status", "type", "entries", "latest", "error"):
        table.add_column(column, overflow="fold")
    working: dict[str, bool] = {}
    for check in checks:
        working[check.source] = working.get(check.source, False) or check.ok
        table.add_row(
            check.source,
            check.kind,
            check.url,
            str(check.status or "—"),
            (check.content_type or "").split(";")[0],
            str(check.entries),
            check.last_entry.strftime("%Y-%m-%d %H:%M") if check.last_entry else "—",
            check.error or "",
            style=None if check.ok else "red",
        )
    console.print(table)
    dead = [name for name, ok in working.items() if not ok]
    if dead:
        console.print(f"dead sources: {', '.join(dead)}", markup=False)
        return 1
    console.print(f"all {len(working)} source(s) answer")
    return 0
