"""``monitor``: init, crawl, run, articles, feedback, export, reprocess, digest, status, sources,
query, extract, relevance, web.

Exit codes: 0 ok, 1 failure, 2 usage or configuration error. Errors are one line on stderr.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from monitor.cli.options import MATCH_COLUMNS, match_cells, parse_since
from monitor.cli.relevance import relevance_app
from monitor.cli.web import web_app
from monitor.config import MonitorConfig, load_config
from monitor.db.engine import Database
from monitor.errors import MonitorError

app = typer.Typer(
    help="Russia–Cuba news monitor: find, clean, store and alert on new articles.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
sources_app = typer.Typer(help="Inspect the configured sources.", no_args_is_help=True)
query_app = typer.Typer(help="Try queries against the stored articles.", no_args_is_help=True)
app.add_typer(sources_app, name="sources")
app.add_typer(query_app, name="query")
app.add_typer(relevance_app, name="relevance")
app.add_typer(web_app, name="web")

# Markup off everywhere: titles, URLs and errors carry web text, and "[/]" in a title must
# print as itself (Rich styling goes through style=, never through markup in strings).
console = Console(highlight=False, soft_wrap=True, markup=False)
err_console = Console(stderr=True, highlight=False, soft_wrap=True, markup=False)


class State:
    """What the global options resolved to; the config is loaded on first use."""

    def __init__(self, config_path: Path | None) -> None:
        self.config_path = config_path
        self._config: MonitorConfig | None = None

    @property
    def config(self) -> MonitorConfig:
        if self._config is None:
            self._config = load_config(self.config_path)
        return self._config

    def check_relevance(self) -> None:
        """Load the configured relevance model now (exit 2, one line, when it is missing or
        corrupt) and warn once when it was trained for another query than ``[query] match``."""
        from monitor.processing import query_mismatch_warning

        warning = query_mismatch_warning(self.config)
        if warning:
            err_console.print(warning, markup=False)

    def database(self, *, require_schema: bool = True, writable: bool = False) -> Database:
        """The configured database, checked to be reachable and at the head migration (and,
        for commands that write, to take a write: fail fast, one line, exit 1)."""
        from monitor.db.migrate import require_current_schema

        db = Database(
            self.config.database.url, busy_timeout_ms=self.config.database.busy_timeout_ms
        )
        db.ping()
        if writable:
            db.check_writable()
        if require_schema:
            require_current_schema(db)
        return db


ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config",
        "-c",
        help="Config file (default: $MONITOR_CONFIG, else ./monitor.toml).",
        show_default=False,
    ),
]


@app.callback()
def _global(ctx: typer.Context, config: ConfigOption = None) -> None:
    ctx.obj = State(config)


def _state(ctx: typer.Context) -> State:
    state = ctx.find_root().obj
    assert isinstance(state, State)
    return state


@app.command()
def init(ctx: typer.Context) -> None:
    """Create the database or upgrade it to the newest schema."""
    from monitor.db.migrate import current_revision, head_revision, upgrade

    state = _state(ctx)
    db = state.database(require_schema=False, writable=True)
    before = current_revision(db)
    try:
        upgrade(db)
    except Exception as exc:
        raise MonitorError(
            f"migration failed (the database is unchanged past {before}): {exc}"
        ) from exc
    head = head_revision()
    if before == head:
        console.print(f"database already at schema {head}")
    else:
        console.print(f"database upgraded from {before or 'empty'} to schema {head}")


@app.command()
def crawl(
    ctx: typer.Context,
    source: Annotated[
        list[str] | None,
        typer.Option("--source", "-s", help="Crawl only this source (repeatable)."),
    ] = None,
    trigger: Annotated[
        str, typer.Option(help="Recorded in the crawl run.", hidden=True)
    ] = "manual",
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Show Scrapy's log.")] = False,
) -> None:
    """Crawl the configured sources now and print a per-source summary."""
    from monitor.cli.crawl import crawl_command

    state = _state(ctx)
    config = state.config
    for name in source or []:
        config.source(name)
    state.check_relevance()
    db = state.database(writable=True)
    code = crawl_command(
        config, source or None, trigger=trigger, console=console, verbose=verbose, db=db
    )
    raise typer.Exit(code)


@app.command()
def run(
    ctx: typer.Context,
    no_worker: Annotated[
        bool,
        typer.Option("--no-worker", help="Scheduler only; `monitor worker`s crawl ([queue])."),
    ] = False,
) -> None:
    """Run the daemon: scheduled crawls, digests and housekeeping until stopped."""
    from monitor.daemon.scheduler import run_daemon

    state = _state(ctx)
    state.check_relevance()
    state.database(writable=True)
    path = state.config.path or state.config_path
    raise typer.Exit(run_daemon(path, worker=not no_worker))


@app.command()
def worker(ctx: typer.Context) -> None:
    """One crawl worker of the distributed deployment: takes polls from the [queue]."""
    from monitor.crawl.worker import run_worker

    state = _state(ctx)
    state.check_relevance()
    state.database(writable=True)
    path = state.config.path or state.config_path
    raise typer.Exit(run_worker(str(path) if path else None, distributed=True))


@app.command()
def articles(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
    since: Annotated[str | None, typer.Option(help="ISO date or age like 12h, 7d.")] = None,
    limit: Annotated[int, typer.Option(min=1, help="At most this many.")] = 50,
    near_misses: Annotated[
        bool,
        typer.Option(
            "--near-misses",
            help="List the near misses instead: query matches the relevance model judged "
            "off-topic (kept, not alerted; promote one with `monitor feedback ID relevant`).",
        ),
    ] = False,
) -> None:
    """List stored articles of relevant stories, newest first (near misses with --near-misses)."""
    from sqlalchemy import false, select
    from sqlalchemy.orm import selectinload

    from monitor.db.models import Article, Story
    from monitor.extract.control import strip_control

    db = _state(ctx).database()
    since_at = parse_since(since)
    with db.session() as session:
        query = (
            select(Article)
            .outerjoin(Story, Story.id == Article.story_id)
            .where(
                Story.near_miss.is_(True)
                if near_misses
                else (Story.id.is_(None) | Story.near_miss.is_(false()))
            )
            .order_by(Article.first_seen_at.desc(), Article.id.desc())
            .options(selectinload(Article.story))
        )
        if as_json:
            query = query.options(selectinload(Article.revisions))
        if since_at is not None:
            query = query.where(Article.first_seen_at >= since_at)
        rows = session.scalars(query.limit(limit)).all()
        if as_json:
            for row in rows:
                sys.stdout.write(json.dumps(_article_json(row), ensure_ascii=False) + "\n")
            return
        noun = "near miss(es)" if near_misses else "article(s)"
        table = Table(title=f"{len(rows)} {noun}")
        columns = ["id", "story", "first seen", "site", "lang", "rel", "title"]
        columns.append("why" if near_misses else "terms")
        for column in columns:
            table.add_column(column)
        for row in rows:
            table.add_row(
                str(row.id),
                str(row.story_id or ""),
                row.first_seen_at.strftime("%Y-%m-%d %H:%M"),
                strip_control(row.site_name or _host(row.canonical_url)),
                strip_control(row.language or ""),
                "" if row.relevance is None else f"{row.relevance:.2f}",
                _badge(row.access) + strip_control(row.title)[:80],
                strip_control("; ".join(map(str, row.relevance_reasons or [])))[:80]
                if near_misses
                else strip_control(", ".join(map(str, row.matched_terms)))[:40],
            )
        console.print(table)


def _badge(access: str) -> str:
    """``[paywalled] `` / ``[consent wall] `` before a title whose text is not all visible."""
    return "" if access == "open" else f"[{access.replace('_', ' ')}] "


def _host(url: str) -> str:
    from urllib.parse import urlsplit

    return urlsplit(url).hostname or ""


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _article_json(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "story_id": row.story_id,
        "canonical_url": row.canonical_url,
        "url": row.url,
        "title": row.title,
        "author": row.author,
        "site_name": row.site_name,
        "language": row.language,
        "published_at": _iso(row.published_at),
        "published_method": row.published_method,
        "modified_at": _iso(row.modified_at),
        "feed_published_at": _iso(row.feed_published_at),
        "date_disagreement": row.date_disagreement,
        "first_seen_at": _iso(row.first_seen_at),
        "updated_at": _iso(row.updated_at),
        "revision_count": row.revision_count,
        "matched_terms": row.matched_terms,
        "score": row.score,
        "relevance": row.relevance,
        "relevance_reasons": list(row.relevance_reasons or []),
        # The story's decision (a copy of a relevant story is not a near miss).
        "near_miss": row.story.near_miss if row.story is not None else row.near_miss,
        "access": row.access,
        "snippet": row.snippet,
        # Hit offsets into the snippet (None on articles stored before they existed, whose
        # snippet marks hits with [brackets]).
        "snippet_spans": row.snippet_spans,
        "text": row.text,  # always the latest version
        "revisions": [
            {
                "revised_at": _iso(revision.revised_at),
                "title": revision.title,
                "title_changed": revision.title_changed,
                "paragraphs_added": revision.paragraphs_added,
                "paragraphs_removed": revision.paragraphs_removed,
                "diff": revision.diff,
            }
            for revision in row.revisions
        ],
    }


@app.command()
def feedback(
    ctx: typer.Context,
    article_id: Annotated[int, typer.Argument(help="An article id (see `monitor articles`).")],
    label: Annotated[
        str, typer.Argument(help="relevant (promote: alert it) or irrelevant (demote).")
    ],
) -> None:
    """Label an article's story relevant or irrelevant; a promoted near miss is alerted next."""
    from monitor.feedback import give_feedback
    from monitor.relevance import Label

    try:
        verdict = Label(label.strip().lower())
    except ValueError:
        raise typer.BadParameter(
            f"{label!r}: use 'relevant' or 'irrelevant'", param_hint="LABEL"
        ) from None
    state = _state(ctx)
    db = state.database()
    result = give_feedback(db, state.config, article_id, verdict)
    if result.promoted:
        what = f"promoted: {result.alerts_written} alert(s) queued for the next digest"
    elif result.demoted:
        what = f"demoted to a near miss: {result.alerts_withdrawn} unsent alert(s) withdrawn"
    elif result.label == Label.RELEVANT:
        what = "already relevant" + (
            f": {result.alerts_written} alert(s) queued" if result.alerts_written else ""
        )
    else:
        what = "already a near miss"
    console.print(
        f"story {result.story_id} (article {result.article_id}) marked {result.label}: {what}",
        markup=False,
    )


@app.command()
def export(
    ctx: typer.Context,
    directory: Annotated[Path, typer.Argument(help="Folder to write the story files into.")],
    since: Annotated[str | None, typer.Option(help="ISO date or age like 12h, 7d.")] = None,
    export_format: Annotated[
        str,
        typer.Option(
            "--format",
            help="txt: the story files; jsonl: also stories.jsonl (URL, outlet, language, "
            "dates and their method, access, relevance and text per story).",
        ),
    ] = "txt",
    near_misses: Annotated[
        bool, typer.Option("--near-misses", help="Export only the near misses instead.")
    ] = False,
) -> None:
    """Write one seed-format .txt file per story into DIR (re-running writes the same files).

    A story's file name never changes: it is numbered by the story's first-seen order.
    """
    from monitor.export import JSONL_NAME, export_stories

    if export_format not in ("txt", "jsonl"):
        raise typer.BadParameter(f"{export_format!r}: use 'txt' or 'jsonl'", param_hint="--format")
    jsonl = export_format == "jsonl"
    db = _state(ctx).database()
    try:
        files = export_stories(
            db, directory, since=parse_since(since), near_misses=near_misses, jsonl=jsonl
        )
    except OSError as exc:
        raise MonitorError(f"cannot write to {directory}: {exc.strerror}") from exc
    changed = sum(1 for f in files if f.changed)
    console.print(
        f"exported {len(files)} stor{'y' if len(files) == 1 else 'ies'} to {directory} "
        f"({changed} written, {len(files) - changed} unchanged"
        + (f"; {JSONL_NAME} rewritten)" if jsonl else ")")
    )


@app.command()
def reprocess(
    ctx: typer.Context,
    since: Annotated[
        str | None, typer.Option(help="Only pages fetched since: ISO date or age like 12h, 7d.")
    ] = None,
    source: Annotated[str | None, typer.Option("--source", "-s", help="Only this source.")] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Analyse and classify only; write nothing.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="The summary as one JSON line.")] = False,
) -> None:
    """Run today's cleaner, query and relevance model over the archived pages: a page that
    matches now is stored and alerted as new, an article whose text changed is updated."""
    from monitor.cli.reprocess import reprocess_command

    state = _state(ctx)
    since_at = parse_since(since)
    state.check_relevance()
    db = state.database(writable=not dry_run)
    raise typer.Exit(
        reprocess_command(
            db,
            state.config,
            source=source,
            since=since_at,
            dry_run=dry_run,
            as_json=as_json,
            console=console,
        )
    )


@app.command()
def digest(
    ctx: typer.Context,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Render only; send and mark nothing.")
    ] = False,
    out: Annotated[
        Path | None, typer.Option(help="Also write the message(s) to this .eml file.")
    ] = None,
    frequency: Annotated[
        str | None,
        typer.Option(help="Only recipients of this frequency (instant, hourly, daily, weekly)."),
    ] = None,
) -> None:
    """Send (or with --dry-run, render) the digest of new stories to every recipient."""
    from monitor.cli.digest import digest_command

    state = _state(ctx)
    db = state.database(writable=not dry_run)
    raise typer.Exit(
        digest_command(
            db, state.config, dry_run=dry_run, out=out, frequency=frequency, console=console
        )
    )


@app.command()
def status(ctx: typer.Context) -> None:
    """Show each source's health, the schedule, the outbox and the SMTP server's state."""
    from monitor.cli.status import status_command

    state = _state(ctx)
    raise typer.Exit(status_command(state.database(), state.config, console=console))


@sources_app.command("check")
def sources_check(
    ctx: typer.Context,
    source: Annotated[
        list[str] | None, typer.Option("--source", "-s", help="Only this source.")
    ] = None,
) -> None:
    """Fetch each source's start URLs once and report what answers and what it returns."""
    from monitor.cli.crawl import sources_check_command

    config = _state(ctx).config
    for name in source or []:
        config.source(name)
    raise typer.Exit(sources_check_command(config, source or None, console=console))


@sources_app.command("templates")
def sources_templates(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Source name.")],
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Show the site-template blocks learned for a source (repeated on many of its pages)."""
    from monitor.cli.templates import templates_command

    state = _state(ctx)
    raise typer.Exit(templates_command(state.database(), name, as_json=as_json, console=console))


@query_app.command("test")
def query_test(
    ctx: typer.Context,
    query: Annotated[str, typer.Argument(help="The query, e.g. 'cuba AND (russia OR moscow)'.")],
    limit: Annotated[int, typer.Option(min=1)] = 20,
    archive: Annotated[
        bool,
        typer.Option(
            "--archive",
            help="Try QUERY on every archived page (all fetched pages, matching or not), "
            "cleaned and judged as the pipeline would now.",
        ),
    ] = False,
    source: Annotated[
        str | None, typer.Option("--source", "-s", help="With --archive: only this source.")
    ] = None,
) -> None:
    """Run QUERY against the stored articles (or, with --archive, every fetched page) and show
    what it matches."""
    from monitor.errors import QuerySyntaxError
    from monitor.processing import relevance_gate
    from monitor.search import search_articles

    state = _state(ctx)
    db = state.database()
    try:
        if archive:
            from monitor.cli.reprocess import query_test_archive

            query_test_archive(db, state.config, query, limit=limit, source=source, console=console)
            return
        hits, searched = search_articles(
            db, query, limit=limit, relevance=relevance_gate(state.config)
        )
    except QuerySyntaxError as exc:
        err_console.print(f"error: invalid query: {exc}")
        err_console.print(f"  {query}\n  {' ' * exc.position}^")
        raise typer.Exit(2) from None
    table = Table(title=f"{len(hits)} match(es) among {searched} stored article(s)")
    for column in ("id", "story", *MATCH_COLUMNS):
        table.add_column(column, overflow="fold")
    for hit in hits:
        table.add_row(str(hit.article_id), str(hit.story_id or ""), *match_cells(hit))
    console.print(table)


@app.command()
def extract(
    ctx: typer.Context,
    inputs: Annotated[list[str], typer.Argument(help="Saved HTML files or http(s) URLs.")],
    out: Annotated[
        Path | None, typer.Option(help="Write one .txt per input into this folder.")
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Add metadata, match result and skip reason.")
    ] = False,
) -> None:
    """Show the seed-format text the pipeline would store for each page, and why it matches."""
    from monitor.cli.extract import extract_command

    raise typer.Exit(
        extract_command(_state(ctx), inputs, out=out, as_json=as_json, console=console)
    )


def main() -> None:
    """Console-script entry point: one line on stderr and a meaningful exit code on errors."""
    try:
        code = app(standalone_mode=False)
    except MonitorError as exc:
        err_console.print(f"error: {exc}", markup=False)
        sys.exit(exc.exit_code)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        err_console.print("aborted")
        sys.exit(1)
    except KeyboardInterrupt:
        err_console.print("interrupted")
        sys.exit(130)
    except Exception as exc:  # usage errors of typer's bundled click; anything else re-raised
        show = getattr(exc, "show", None)
        if callable(show) and isinstance(getattr(exc, "exit_code", None), int):
            show()
            sys.exit(exc.exit_code)  # type: ignore[attr-defined]
        raise
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()
