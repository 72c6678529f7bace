"""Run crawls: one Scrapy CrawlerProcess in the current process, one crawler per source.

A Twisted reactor cannot be restarted, so :func:`run_crawl` runs once per process; the CLI and
the daemon start ``python -m monitor.crawl`` as a child process for each crawl.

Each source is crawled while holding its lease (``crawl:<name>``, ``daemon.lease_ttl_seconds``
long, renewed every ``daemon.heartbeat_seconds``); a source whose lease is held by another live
crawl is waited for up to ``lease_wait`` seconds, then skipped with "already running elsewhere".
A lease of a dead process on this host is taken over at once; runs it left ``running`` are marked
interrupted.
"""

from __future__ import annotations

import gc
import logging
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from monitor.config import MonitorConfig, SourceConfig
from monitor.db.engine import Database
from monitor.db.leases import (
    acquire_lease,
    default_holder,
    release_lease,
    renew_leases,
    source_lease_name,
)
from monitor.db.models import RunStatus
from monitor.db.repository import mark_abandoned_runs
from monitor.errors import DatabaseError

logger = logging.getLogger(__name__)

Progress = Callable[[str, str, dict[str, Any]], None]
"""``progress(source_name, event, counts)``; events: started, response, article, finished."""


@dataclass
class SourceRunSummary:
    """How the crawl of one source ended (also for sources skipped before crawling)."""

    source: str
    run_id: int | None
    status: str  # ok | partial | failed | interrupted | skipped
    counts: dict[str, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def select_sources(config: MonitorConfig, names: list[str] | None) -> list[SourceConfig]:
    """The named sources (ConfigError for an unknown name), else every enabled source."""
    if names:
        return [config.source(name) for name in dict.fromkeys(names)]
    return [source for source in config.sources if source.enabled]


def _acquire_leases(
    db: Database, sources: list[SourceConfig], holder: str, ttl: float, wait: float
) -> tuple[list[SourceConfig], list[SourceConfig]]:
    """(sources whose lease we hold, sources still held elsewhere after ``wait`` seconds)."""
    pending = list(sources)
    held: list[SourceConfig] = []
    deadline = time.monotonic() + wait
    while True:
        still: list[SourceConfig] = []
        for source in pending:
            if acquire_lease(db, source_lease_name(source.name), holder, ttl):
                held.append(source)
            else:
                still.append(source)
        pending = still
        if not pending or time.monotonic() >= deadline:
            return held, pending
        time.sleep(min(0.5, max(0.0, deadline - time.monotonic())))


def run_crawl(
    config: MonitorConfig,
    source_names: list[str] | None = None,
    *,
    trigger: str = "manual",
    progress: Progress | None = None,
    lease_wait: float = 10.0,
    log_level: str | None = None,
) -> list[SourceRunSummary]:
    """Crawl the sources (all enabled ones when ``source_names`` is None); one summary each.

    Blocks until every crawl has ended. Raises only when the crawl machinery itself fails
    (a source failing is a summary with status ``failed``).
    """
    from monitor.crawl.context import CrawlRuntime

    sources = select_sources(config, source_names)
    runtime = CrawlRuntime(config)
    db = runtime.db
    holder = default_holder()
    ttl = float(config.daemon.lease_ttl_seconds)
    held, busy = _acquire_leases(db, sources, holder, ttl, lease_wait)
    summaries: dict[str, SourceRunSummary] = {
        s.name: SourceRunSummary(s.name, None, RunStatus.SKIPPED, {}, ["already running elsewhere"])
        for s in busy
    }
    try:
        for source in held:
            marked = mark_abandoned_runs(db, source.name)
            if marked:
                logger.info("marked %d abandoned run(s) of %s as interrupted", marked, source.name)
        if held:
            summaries.update(_crawl(runtime, held, trigger, progress, log_level, holder, ttl))
    finally:
        for source in held:
            try:
                release_lease(db, source_lease_name(source.name), holder)
            except (SQLAlchemyError, DatabaseError) as exc:  # the lease expires on its own
                logger.error("cannot release the lease of %s: %s", source.name, exc)
        runtime.close()
    return [summaries[s.name] for s in sources]


def _crawl(
    runtime: Any,
    sources: list[SourceConfig],
    trigger: str,
    progress: Progress | None,
    log_level: str | None,
    holder: str,
    ttl: float,
) -> dict[str, SourceRunSummary]:
    from scrapy.crawler import Crawler, CrawlerProcess
    from twisted.internet import task

    from monitor.crawl.context import attach_runtime
    from monitor.crawl.extensions import CrawlRunRecorder
    from monitor.crawl.settings import build_settings, project_defaults
    from monitor.daemon.logging import align_scrapy_logger
    from monitor.spiders.source import SourceSpider

    config, db = runtime.config, runtime.db
    runtime.warm()
    base = project_defaults() | {"LOG_LEVEL": log_level or config.logging.level}
    process = CrawlerProcess(base)
    align_scrapy_logger(base["LOG_LEVEL"])
    crawlers: list[tuple[SourceConfig, Crawler]] = []
    startup_errors: dict[str, str] = {}
    try:
        for index, source in enumerate(sources):
            settings = build_settings(config, source, trigger=trigger, log_level=log_level)
            # The first crawler installs the reactor the settings name (asyncio).
            crawler = Crawler(SourceSpider, settings, init_reactor=index == 0)
            attach_runtime(crawler, runtime)
            crawler.monitor_progress = progress  # type: ignore[attr-defined]
            done = process.crawl(crawler, source=source.name)

            def _failed(failure: Any, name: str = source.name) -> None:
                startup_errors[name] = f"crawler failed: {failure.getErrorMessage()}"
                logger.error("crawl of %s failed: %s", name, failure.getTraceback())

            done.addErrback(_failed)
            crawlers.append((source, crawler))

        names = [source_lease_name(source.name) for source in sources]

        def _renew() -> None:
            for name in renew_leases(db, names, holder, ttl):
                logger.warning("lost the lease %s", name)

        from twisted.internet.threads import deferToThread

        def _heartbeat() -> None:
            deferToThread(_renew).addErrback(
                lambda failure: logger.warning("lease heartbeat failed: %s", failure.value)
            )

        renewer = task.LoopingCall(_heartbeat)
        renewer.start(config.daemon.heartbeat_seconds, now=False)
        _install_stop_handlers([crawler for _, crawler in crawlers])
        # Imported modules and the crawl set-up live until the process exits: keep the cyclic
        # GC from traversing them again on every full collection while the crawl runs.
        gc.freeze()
        try:
            process.start(install_signal_handlers=False)
        finally:
            if renewer.running:
                renewer.stop()
    finally:
        runtime.close()
    results: dict[str, SourceRunSummary] = {}
    for source, crawler in crawlers:
        recorder = _recorder(crawler, CrawlRunRecorder)
        if recorder is None or recorder.record.status == "running":
            error = startup_errors.get(source.name, "crawler did not run")
            run_id = recorder.record.run_id if recorder else None
            results[source.name] = SourceRunSummary(
                source.name, run_id, RunStatus.FAILED, {}, [error]
            )
            continue
        record = recorder.record
        results[source.name] = SourceRunSummary(
            source.name, record.run_id, record.status, dict(record.counts), list(record.errors)
        )
    return results


def close_gracefully(crawler: Any) -> None:
    """Ask a running crawl to finish what it holds (its spider closes with ``shutdown``)."""
    from scrapy.utils.defer import deferred_from_coro

    engine = getattr(crawler, "_engine", None)
    if engine is None or not crawler.crawling:
        return
    if engine.spider is not None:
        deferred_from_coro(engine.close_spider_async(reason="shutdown"))
    else:
        deferred_from_coro(crawler.stop_async())


def _install_stop_handlers(crawlers: list[Any]) -> None:
    """SIGTERM/SIGINT: close every spider with reason ``shutdown`` (its run is recorded as
    interrupted); a second signal stops the reactor at once.

    Scrapy's own handler stops crawlers through ``engine.stop_async()``, which does nothing
    once the start requests are consumed (``engine.running`` is False), so the reactor
    stopped without closing the spiders or recording the runs.
    """
    import signal

    from twisted.internet import reactor

    received: list[int] = []

    def _graceful() -> None:
        logger.warning("stop requested: closing the crawls (send again to force)")
        for crawler in crawlers:
            close_gracefully(crawler)

    def _force() -> None:
        logger.warning("second stop signal: stopping now")
        if reactor.running:  # type: ignore[attr-defined]
            reactor.stop()  # type: ignore[attr-defined,misc]

    def _handler(signum: int, _frame: Any) -> None:
        received.append(signum)
        callback = _graceful if len(received) == 1 else _force
        reactor.callFromThread(callback)  # type: ignore[attr-defined]

    try:
        signal.signal(signal.SIGTERM, _handler)
        signal.signal(signal.SIGINT, _handler)
    except ValueError:  # not the main thread: the caller handles signals
        logger.debug("stop signals not installed (not in the main thread)")


def _recorder(crawler: Any, cls: type) -> Any:
    try:
        return crawler.get_extension(cls)
    except (RuntimeError, KeyError, AttributeError):
        return None
