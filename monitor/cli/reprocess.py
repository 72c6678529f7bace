"""``monitor reprocess``: today's cleaner, query and relevance model over the page archive."""

from __future__ import annotations

import json
import sys
from datetime import datetime

from rich.console import Console
from rich.table import Table

from monitor.cli.options import MATCH_COLUMNS, match_cells
from monitor.config import MonitorConfig
from monitor.db.archive import archive_usage, count_archived
from monitor.db.engine import Database
from monitor.reprocess import ROWS, ReprocessSummary, reprocess

_LABELS = {
    "new": "newly matching (alerted)",
    "near_miss": "newly matching, near miss",
    "syndicated": "newly matching, copy of a story",
    "updated": "updated",
    "unchanged": "unchanged",
    "not_matching": "not matching",
    "skipped": "skipped",
    "error": "errors",
}


def reprocess_command(
    db: Database,
    config: MonitorConfig,
    *,
    source: str | None,
    since: datetime | None,
    dry_run: bool,
    as_json: bool,
    console: Console,
) -> int:
    """Reprocess the archive and print the summary table; exit 1 when a page failed."""
    with db.session() as session:
        usage = archive_usage(session)
        if source is not None and not count_archived(session, source=source):
            config.source(source)  # a typo is one line (exit 2), not an empty table
    summary = reprocess(db, config, source=source, since=since, dry_run=dry_run)
    if as_json:
        sys.stdout.write(json.dumps(summary.as_dict()) + "\n")
    else:
        console.print(summary_table(summary, archived=usage.pages))
        for line in summary.errors[:10]:
            console.print(f"error: {line}", markup=False)
    return 1 if summary.outcomes["error"] else 0


def summary_table(summary: ReprocessSummary, *, archived: int) -> Table:
    """Pages by outcome, then skips by reason."""
    title = f"reprocessed {summary.pages} of {archived} archived page(s)"
    if summary.dry_run:
        title += " (dry run: nothing written)"
    table = Table(title=title)
    table.add_column("outcome")
    table.add_column("pages", justify="right")
    for row in (*ROWS, "error"):
        if row == "error" and not summary.outcomes[row]:
            continue
        table.add_row(_LABELS[row], str(summary.outcomes[row]))
        if row == "skipped":
            for reason, n in sorted(summary.skipped.items()):
                table.add_row(f"  skipped: {reason}", str(n))
    if not summary.dry_run:
        table.add_row("alerts queued", str(summary.alerts))
    return table


def query_test_archive(
    db: Database,
    config: MonitorConfig,
    query: str,
    *,
    limit: int,
    source: str | None,
    console: Console,
) -> None:
    """``monitor query test --archive``: the trial query over every archived page."""
    from monitor.reprocess import search_archive

    hits, searched = search_archive(db, config, query, limit=limit, source=source)
    table = Table(title=f"{len(hits)} match(es) among {searched} archived page(s)")
    for column in ("page", "stored", "source", *MATCH_COLUMNS):
        table.add_column(column, overflow="fold")
    for hit in hits:
        stored = f"article {hit.article_id}" if hit.article_id else "not stored"
        table.add_row(str(hit.archive_id), stored, hit.source_name, *match_cells(hit))
    console.print(table)
