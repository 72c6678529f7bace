"""The crawl-run recorder: one ``crawl_runs`` row per crawl of a source, with counts and errors.

Counts (a flat dict of ints): ``requests``, ``status_<code>``, discovery counters
(``feeds``, ``sitemaps``, ``listings``, ``entries``, ``too_old``, ``already_seen``,
``limit_pages``, ``limit_depth``, ``limit_url_length``, ``robots_forbidden``, ``deferred``…),
``articles_found`` and the store outcomes ``new`` / ``syndicated`` / ``duplicate`` /
``updated`` / ``not_matching`` / ``skipped`` / ``skipped_<reason>``; every page not stored as
``dropped_<reason>`` (``precheck``, ``not_matching``, ``duplicate``, ``unchanged``,
``unresolved``…); incremental counters ``already_seen``, ``refetch_updated``, ``revalidated``,
``revalidated_304``, ``unresolved``, ``links_resolved``.

Status: ``interrupted`` when the crawl was stopped (SIGTERM/SIGINT), ``failed`` when nothing
was fetched or every start URL failed, ``partial`` when errors were recorded, a page or time
limit cut the crawl short or requests were deferred to the next crawl, else ``ok``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.http import Response
from sqlalchemy.exc import SQLAlchemyError

from monitor.crawl.context import ERRORS_KEY, count, crawl_context
from monitor.db.models import RunStatus
from monitor.db.repository import start_crawl_run
from monitor.errors import DatabaseError
from monitor.extract.outcomes import Fault
from monitor.stories.outcomes import StoreOutcome

logger = logging.getLogger(__name__)

OUTCOMES = tuple(outcome.value for outcome in StoreOutcome)  # the one list
Progress = Callable[[str, str, dict[str, Any]], None]


@dataclass
class RunRecord:
    """What the recorder knows about the run once the spider has closed."""

    source: str
    run_id: int | None = None
    status: str = RunStatus.RUNNING
    counts: dict[str, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    close_reason: str | None = None
    documents: list[Any] = field(default_factory=list)  # validators to store with the close
    close_pending: bool = False  # the worker writes the close with its batch of finished polls


OPENED_RUN_ATTR = "monitor_run_id"
"""A crawl-run id the worker opened for this crawl with its batch of claims."""
BATCHED_CLOSE_ATTR = "monitor_batched_close"
"""True: the recorder leaves the run's close (outcome + validators) to the worker's batch."""


def counts_from_stats(stats: dict[str, Any]) -> dict[str, int]:
    """The flat crawl-run counts from a Scrapy stats dict."""
    counts: dict[str, int] = {"requests": int(stats.get("downloader/request_count", 0))}
    for key, value in stats.items():
        if not isinstance(value, int):
            continue
        if key.startswith("downloader/response_status_count/"):
            counts[f"status_{key.rsplit('/', 1)[1]}"] = value
        elif key.startswith("monitor/skipped/"):
            counts[f"skipped_{key.split('/', 2)[2]}"] = value
        elif key.startswith("monitor/dropped/"):
            counts[f"dropped_{key.split('/', 2)[2]}"] = value
        elif key.startswith("monitor/faults/"):
            counts[f"fault_{key.split('/', 2)[2]}"] = value
        elif key.startswith("monitor/outcome/"):
            counts[key.split("/", 2)[2]] = value
        elif key.startswith("monitor/"):
            counts[key.split("/", 1)[1]] = value
    # Candidate pages fetched and analysed: stored ones and dropped ones, but not a 304 of a
    # revalidation or a search-engine page that led nowhere.
    not_pages = counts.get("dropped_unchanged", 0) + counts.get("dropped_unresolved", 0)
    counts["articles_found"] = (
        int(stats.get("item_scraped_count", 0))
        + int(stats.get("item_dropped_count", 0))
        - not_pages
    )
    for outcome in OUTCOMES:
        counts.setdefault(outcome, 0)
    if stats.get("robotstxt/forbidden"):
        counts["robots_forbidden"] = int(stats["robotstxt/forbidden"])
    if stats.get("urllength/request_ignored_count"):
        counts["limit_url_length"] = int(stats["urllength/request_ignored_count"])
    if stats.get("retry/max_reached"):
        counts["retry_exhausted"] = int(stats["retry/max_reached"])
    return counts


INCREMENTAL_COUNTS = (
    "already_seen",
    "refetch_updated",
    "revalidated",
    "revalidated_304",
    "links_resolved",
    "unresolved",
)


def reason_lines(name: str, counts: dict[str, Any]) -> list[str]:
    """One line of pages dropped by reason and one of incremental counters (when any)."""
    lines: list[str] = []
    dropped = sorted(
        (k.removeprefix("dropped_"), v) for k, v in counts.items() if k.startswith("dropped_") and v
    )
    if dropped:
        lines.append(f"  {name}: not stored: " + ", ".join(f"{k} {v}" for k, v in dropped))
    incremental = [(k, counts[k]) for k in INCREMENTAL_COUNTS if counts.get(k)]
    if incremental:
        lines.append(f"  {name}: " + ", ".join(f"{k} {v}" for k, v in incremental))
    return lines


def run_status(close_reason: str | None, counts: dict[str, int], errors: list[str]) -> RunStatus:
    """``ok`` / ``partial`` / ``failed`` / ``interrupted`` for a finished crawl."""
    if close_reason not in (None, "finished") and not str(close_reason).startswith("closespider"):
        return RunStatus.INTERRUPTED
    responses = sum(v for k, v in counts.items() if k.startswith("status_"))
    started_ok = counts.get("start_ok", 0)
    if responses == 0 or (started_ok == 0 and counts.get("start_failed", 0) > 0):
        return RunStatus.FAILED
    # cut short by a page or time limit, or requests put off to the next crawl: not "ok"
    cut_short = str(close_reason).startswith("closespider") or counts.get("limit_pages", 0) > 0
    deferred = counts.get("deferred", 0) > 0
    return RunStatus.PARTIAL if errors or cut_short or deferred else RunStatus.OK


#: Seconds between two progress events of a source (each page's event cost the crawl a
#: snapshot of its stats and a flushed JSON line).
PROGRESS_INTERVAL = 0.25


class CrawlRunRecorder:
    """Opens the crawl-run row when the spider opens and closes it with counts and status."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.context = crawl_context(crawler)
        self.source = self.context.source
        self.trigger = crawler.settings.get("MONITOR_TRIGGER", "manual")
        self.record = RunRecord(self.source.name)
        self.progress: Progress | None = getattr(crawler, "monitor_progress", None)
        self._last_emit = float("-inf")
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(self.item_scraped, signal=signals.item_scraped)
        crawler.signals.connect(self.item_scraped, signal=signals.item_dropped)
        crawler.signals.connect(self.response_received, signal=signals.response_received)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CrawlRunRecorder:
        return cls(crawler)

    async def spider_opened(self, spider: Spider) -> None:
        opened = getattr(self.crawler, OPENED_RUN_ATTR, None)
        if opened is not None:
            self.record.run_id = opened
            self._emit("started")
            return
        runtime = self.context.runtime
        self.record.run_id = await runtime.db_call(
            start_crawl_run,
            runtime.db,
            self.source.name,
            kind=self.source.type,
            trigger=self.trigger,
        )
        self._emit("started")

    def response_received(self, response: Response, request: Any, spider: Spider) -> None:
        if self.progress is not None and response.status != 200:
            self._emit("response")

    def item_scraped(self, item: Any, response: Response, spider: Spider, **_: Any) -> None:
        self._emit("article")

    def _snapshot(self) -> dict[str, int]:
        assert self.crawler.stats is not None
        return counts_from_stats(self.crawler.stats.get_stats())

    def _emit(self, event: str) -> None:
        if self.progress is None:
            return
        now = time.monotonic()
        if event in ("response", "article") and now - self._last_emit < PROGRESS_INTERVAL:
            return  # a live table refreshes a few times a second; "finished" has the totals
        self._last_emit = now
        try:
            self.progress(self.source.name, event, self._snapshot())
        except Exception:  # boundary: a progress printer must never break the crawl; counted
            assert self.crawler.stats is not None
            count(self.crawler.stats, f"faults/{Fault.PROGRESS}")
            logger.exception("progress callback failed")

    def _documents(self, reason: str) -> list[Any]:
        """Feed/sitemap validators to keep: only after a complete crawl (else all is refetched)."""
        assert self.crawler.stats is not None
        if reason != "finished" or self.crawler.stats.get_value("monitor/limit_pages"):
            return []
        failed = self.context.failed_documents
        return [row for url, row in self.context.documents.items() if url not in failed]

    async def spider_closed(self, spider: Spider, reason: str) -> None:
        assert self.crawler.stats is not None
        stats = self.crawler.stats.get_stats()
        counts = counts_from_stats(stats)
        errors = [str(e) for e in stats.get(ERRORS_KEY) or []]
        status = run_status(reason, counts, errors)
        self.record.counts, self.record.errors = counts, errors
        self.record.status, self.record.close_reason = status, reason
        runtime = self.context.runtime
        documents = self._documents(reason)
        if getattr(self.crawler, BATCHED_CLOSE_ATTR, False):
            self.record.documents, self.record.close_pending = documents, True
        elif self.record.run_id is not None or documents:
            from monitor.db.crawlstate import close_crawl_run

            try:
                await runtime.db_call(
                    close_crawl_run,
                    runtime.db,
                    self.record.run_id,
                    status=status,
                    counts=counts,
                    errors=errors,
                    documents=documents,
                )
            except (SQLAlchemyError, DatabaseError) as exc:  # the run is marked interrupted later
                logger.error("cannot record crawl run %s: %s", self.record.run_id, exc)
        self._emit("finished")


STANDALONE_SETTING = "MONITOR_STANDALONE"
"""True when Scrapy itself started the crawl (``scrapy crawl source -a source=NAME``)."""


class SourceLease:
    """Holds the source's lease for a crawl started by ``scrapy crawl`` (the runner and the worker
    hold it themselves, so there the extension switches itself off)."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.context = crawl_context(crawler)
        self.config = self.context.config
        self.source = self.context.source
        self.db = self.context.db
        self.name = f"crawl:{self.source.name}"
        self.holder = ""
        self.held = False
        self.beat: Any = None
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SourceLease:
        from scrapy.exceptions import NotConfigured

        if not crawler.settings.getbool(STANDALONE_SETTING):
            raise NotConfigured  # the runner or the worker holds the lease (no message: no log)
        return cls(crawler)

    async def spider_opened(self, spider: Spider) -> None:
        from twisted.internet import task

        from monitor.db.leases import acquire_lease, default_holder
        from monitor.db.repository import mark_abandoned_runs

        self.holder = default_holder()
        ttl = float(self.config.daemon.lease_ttl_seconds)
        db_call = self.context.runtime.db_call
        self.held = await db_call(acquire_lease, self.db, self.name, self.holder, ttl)
        if not self.held:
            logger.error("%s: already running elsewhere; closing", self.source.name)
            assert self.crawler.engine is not None
            from scrapy.utils.defer import deferred_from_coro

            deferred_from_coro(self.crawler.engine.close_spider_async(reason="already_running"))
            return
        await db_call(mark_abandoned_runs, self.db, self.source.name)
        self.beat = task.LoopingCall(self._renew, ttl)
        self.beat.start(self.config.daemon.heartbeat_seconds, now=False)

    def _renew(self, ttl: float) -> Any:
        from monitor.crawl.context import deferred_from_future
        from monitor.db.leases import renew_lease

        future = self.context.runtime.submit(renew_lease, self.db, self.name, self.holder, ttl)
        beat = deferred_from_future(future)
        return beat.addErrback(lambda f: logger.warning("lease heartbeat failed: %s", f.value))

    async def spider_closed(self, spider: Spider, reason: str) -> None:
        from monitor.db.leases import release_lease

        if self.beat is not None and self.beat.running:
            self.beat.stop()
        if self.held:
            await self.context.runtime.db_call(release_lease, self.db, self.name, self.holder)
