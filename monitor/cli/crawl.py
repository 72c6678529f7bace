"""``monitor crawl`` and ``monitor sources check``: progress while it runs, a summary at the end.

The crawl itself runs in a child process (``python -m monitor.crawl --json``), as the daemon's
crawls do: a Twisted reactor runs once per process and a crash stays contained.
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
) -> int:
    """Crawl now in a child process; exit 0 when it ran, even if some sources failed."""
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
    if summaries:
        console.print(_table(summaries, title="crawl summary"))
    failed = [name for name, row in summaries.items() if row.get("status") in ("failed",)]
    for name, row in summaries.items():
        for error in row.get("errors", [])[1:6]:
            console.print(f"  {name}: {error}", markup=False)
    if failed:
        console.print(f"failed sources: {', '.join(failed)}", markup=False)
    if exit_code:
        console.print(f"error: the crawl process exited with code {exit_code}", markup=False)
        return 1 if exit_code != 2 else 2
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
