"""The Scrapy item pipeline: a thin adapter over :mod:`monitor.processing`.

Each page goes to a worker process of the runtime's :class:`WorkerPool` that runs the query
pre-check, then ``analyze_page`` (decode, trafilatura, match, fingerprint) and
``ArticleStore.store`` (one transaction; the store catches up with rows other processes wrote,
so one store per worker is safe), and records the rest of the page's redirect chain and its
validators. Nothing CPU-heavy and no database write runs on the reactor thread, and the main
process's GIL is left to networking: storing on a thread of the main process capped the crawl
at the speed of one core (see ``bench/crawl_bench.py``). A page that is not stored is dropped
(``DropItem``) with its reason counted (``monitor/dropped/<reason>``); outcomes are counted as
``monitor/outcome/<outcome>``.
"""

from __future__ import annotations

import concurrent.futures
import gc
import logging
import multiprocessing
import os
import signal
import threading
import time
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from sqlalchemy.exc import SQLAlchemyError

from monitor.config import MonitorConfig
from monitor.crawl.context import (
    CrawlComponent,
    add_error,
    await_future,
    count,
    count_drop,
)
from monitor.crawl.items import ArticlePage, FetchKind
from monitor.errors import DatabaseError
from monitor.extract import Fault, ParsedPage, parse_page
from monitor.pipelines.precheck import PrecheckGate
from monitor.processing import ArticleStore, FetchedPage, StoreResult
from monitor.stories.outcomes import StoreOutcome

logger = logging.getLogger(__name__)


class DropReason(StrEnum):
    """Why a fetched page was not stored (counted as ``dropped_<reason>``)."""

    PRECHECK = "precheck"  # its raw text cannot satisfy the query
    NOT_MATCHING = "not_matching"
    SKIPPED = "skipped"  # the cleaner found no article (its reason: ``skipped_<reason>``)
    DUPLICATE = "duplicate"
    UNCHANGED = "unchanged"  # a revalidation answered 304
    UNRESOLVED = "unresolved"  # a news-search link that led to no publisher page
    STORE_ERROR = "store_error"
    ANALYSIS_ERROR = "analysis_error"  # an unexpected error in cleaning or matching (logged)
    WORKER_ERROR = "worker_error"


DROPPED_OUTCOMES = {
    "not_matching": DropReason.NOT_MATCHING,
    "skipped": DropReason.SKIPPED,
    "duplicate": DropReason.DUPLICATE,
    "unchanged": DropReason.UNCHANGED,
}


def worker_count(config: MonitorConfig) -> int:
    """Worker processes: ``crawl.extract_workers`` or the CPU count."""
    return config.crawl.extract_workers or os.cpu_count() or 1


@dataclass
class _WorkerState:
    """A pool worker process's own Database and ArticleStore (on SQLite its ``write_lock`` is a
    lock shared by the workers: handing the write lock over through it is much faster than
    SQLite's busy handler, which sleeps up to 100 ms between attempts), its compiled pre-checks
    and gate. Lives in the worker process only."""

    store: ArticleStore
    prechecks: dict[str, Any] = field(default_factory=dict)
    gate: PrecheckGate = field(default_factory=PrecheckGate)


# Set by the pool initializer in each worker process (never in the crawl process).
_worker: _WorkerState | None = None


def _init_worker(config: MonitorConfig, lock: Any, creator: int) -> None:
    """Pool initializer: one Database and ArticleStore per worker process."""
    global _worker
    _die_with_parent(creator)
    from monitor.db.engine import Database
    from monitor.processing import configure_relevance

    # The [relevance] section (model, threshold, enabled), loaded once per worker process.
    configure_relevance(config)
    # Everything inherited from the parent (imported modules, config) lives for the whole
    # process: keep the cyclic GC from traversing it again on every full collection.
    gc.freeze()
    db = Database(
        config.database.url,
        busy_timeout_ms=config.database.busy_timeout_ms,
        reconnect_seconds=config.database.reconnect_seconds,
    )
    store = ArticleStore.for_config(db, config)
    if lock is not None:
        store.write_lock = lock
    _worker = _WorkerState(store)


PARENT_CHECK_SECONDS = 1.0


def _die_with_parent(creator: int) -> None:
    """Exit when ``creator`` (the crawl process that made the pool) dies, even by SIGKILL.

    A pool process blocks on a queue whose write end it inherited, so it never notices on its
    own and lived on, with its database connection, after every killed crawl worker. A forked
    pool process gets SIGKILL from the kernel when its parent dies (SIGKILL: it may have
    inherited the crawl's Python SIGTERM handler); one started by the forkserver (which
    outlives the crawl) watches the creator's pid and start time instead.
    """
    from monitor.daemon.child import set_parent_death_signal
    from monitor.db.leases import process_start_time

    if os.getppid() == creator and set_parent_death_signal(signal.SIGKILL):
        if os.getppid() != creator:  # it died before the signal was armed
            os._exit(1)
        return
    started = process_start_time(creator)

    def watch() -> None:
        while started is not None and process_start_time(creator) == started:
            time.sleep(PARENT_CHECK_SECONDS)
        os._exit(1)

    threading.Thread(target=watch, name="pool-parent-watch", daemon=True).start()


def _warm() -> int:
    return os.getpid()


@dataclass(frozen=True)
class PageJob:
    """What a worker needs besides the page: the query, the source kind, the fetch context."""

    query: str
    kind: str
    chain: tuple[str, ...] = ()  # every URL that led to the page (redirect hops, the link)
    etag: str | None = None
    last_modified: str | None = None
    revalidation_step: int | None = None
    precheck: bool = True


def _locked(work: Any) -> Any:
    assert _worker is not None
    with _worker.store.write_lock:
        return work()


def _precheck_rejects(parsed: ParsedPage, query: str) -> bool:
    """The pre-check on the page's one parse: True when its raw text cannot match the query.

    Raises only on a bug (the caller logs and counts it and sends the page the full path).
    """
    from monitor.pipelines.precheck import page_may_match
    from monitor.query.precheck import PreCheck

    assert _worker is not None
    check = _worker.prechecks.get(query)
    if check is None:
        check = _worker.prechecks[query] = PreCheck.compile(query)
    return not page_may_match(check, parsed)


def _record_after_store(page: FetchedPage, job: PageJob, result: StoreResult) -> None:
    """The rest of the redirect chain, mapped to the article; the page's validators."""
    from monitor.db.crawlstate import record_chain, record_validators

    assert _worker is not None
    stored = {page.url, page.final_url or page.url}
    extra = [url for url in job.chain if url not in stored]
    final = page.final_url or page.url
    # Validators only serve the revalidation of stored articles: no extra write for the rest.
    revalidated = job.revalidation_step is not None
    validators = result.article_id is not None and bool(job.etag or job.last_modified)
    if not (extra or validators or revalidated):
        return

    def _work(session: Any) -> None:
        if extra:
            record_chain(
                session,
                extra,
                outcome=result.outcome,
                source_name=page.source_name,
                kind=job.kind,
                canonical_url=None,
                article_id=result.article_id,
                reason=str(result.detail.get("reason") or "") or None,
            )
        if validators or revalidated:
            record_validators(
                session,
                final,
                etag=job.etag,
                last_modified=job.last_modified,
                step=job.revalidation_step,
            )

    _locked(lambda: _worker.store.db.write(_work))  # type: ignore[union-attr]


def _error_result(exc: BaseException, stage: str) -> StoreResult:
    first = (str(getattr(exc, "orig", None) or exc).strip().splitlines() or [""])[0]
    error = f"{type(exc).__name__}: {first}"[:300]
    return StoreResult(StoreOutcome.ERROR, detail={"error": error, "stage": stage})


def process_page(page: FetchedPage, job: PageJob) -> StoreResult:
    """In a worker: parse once, pre-check, analyse and store one page; never raises (errors
    are results, and a fault of an optional step is listed in ``detail["faults"]``)."""
    assert _worker is not None, "worker not initialised"
    try:
        parsed = parse_page(page.body, page.content_type)
    except Exception as exc:  # boundary: a bug in decoding or parsing; counted by the crawl
        logger.exception("cannot parse %s", page.url[:300])
        return _error_result(exc, "analysis")
    faults: list[str] = []
    try:
        rejected = False
        gate = _worker.gate
        wanted = job.precheck and isinstance(parsed, ParsedPage)
        checked = wanted and gate.should_check(page.source_name)
        if checked and isinstance(parsed, ParsedPage):
            try:
                rejected = _precheck_rejects(parsed, job.query)
            except Exception:  # boundary: never reject on our own failure; counted
                logger.exception("pre-check failed on %s; it takes the full path", page.url[:300])
                faults.append(str(Fault.PRECHECK))
            gate.record(page.source_name, rejected)
        if rejected:
            result = StoreResult(
                StoreOutcome.NOT_MATCHING, detail={"reason": DropReason.PRECHECK.value}
            )
            _record_unmatched(page, job)
        else:
            store = _worker.store
            analysis = store.analyze(  # with the source's learned templates
                page, job.query, parsed=parsed if isinstance(parsed, ParsedPage) else None
            )
            if analysis.article is not None:
                faults.extend(str(fault) for fault in analysis.article.faults)
            result = store.store(analysis, kind=job.kind, page=page)  # locks its write only
        _record_after_store(page, job, result)
    except Exception as exc:  # boundary: the worker process reports; the crawl counts it
        if not isinstance(exc, SQLAlchemyError | DatabaseError):  # a bug: its traceback here
            logger.exception("cannot process %s", page.url[:300])
        return _error_result(exc, "store")
    if faults:
        result.detail["faults"] = [*result.detail.get("faults", ()), *faults]
    if wanted and not checked:
        result.detail["precheck_skipped"] = True  # the source's pages rarely fail it
    return result


def _record_unmatched(page: FetchedPage, job: PageJob) -> None:
    """A page the pre-check rejected: its URLs as seen (not matching), and, with
    ``[archive]``, its HTML kept as the store keeps every page it analyses (a later query or
    reprocess can still reach it); one transaction (compressed before it starts)."""
    from monitor.db.archive import archive_entry, archive_page
    from monitor.db.crawlstate import record_chain
    from monitor.dedup import canonicalize_url

    assert _worker is not None
    store = _worker.store
    final = page.final_url or page.url
    try:
        canonical: str | None = canonicalize_url(final)
    except ValueError:
        canonical = None
    urls = list(dict.fromkeys((page.url, final)))
    entry = archive_entry(page) if store.archive_pages else None
    known = store.known_source_id(page.source_name)

    def _work(session: Any) -> int | None:
        if entry is not None:
            archive_page(session, entry)
        return record_chain(
            session,
            urls,
            outcome=StoreOutcome.NOT_MATCHING,
            source_name=page.source_name,
            kind=job.kind,
            canonical_url=canonical,
            reason=DropReason.PRECHECK.value,
            source=known,
        )

    source = _locked(lambda: store.db.write(_work))
    if source is not None:
        store.remember_source_id(page.source_name, source)


class WorkerPool:
    """The extraction worker processes of one crawl runtime (one per process, shared by polls).

    Forked (cheap: workers inherit the imported modules) when started by :meth:`warm` before any
    other thread runs, i.e. before the reactor starts; otherwise from a forkserver, so a process
    with running threads is never forked. A pool whose worker died is replaced on next use.
    """

    def __init__(self, config: MonitorConfig) -> None:
        self.config = config
        self._executor: concurrent.futures.ProcessPoolExecutor | None = None
        self._lock = threading.Lock()

    def _start(self, *, allow_fork: bool) -> concurrent.futures.ProcessPoolExecutor:
        methods = multiprocessing.get_all_start_methods()
        context: Any
        if allow_fork and "fork" in methods and threading.active_count() == 1:
            from monitor.processing import warm_analysis

            warm_analysis()  # loaded once here, shared by the forked workers
            context = multiprocessing.get_context("fork")
        else:
            context = multiprocessing.get_context(
                "forkserver" if "forkserver" in methods else "spawn"
            )
            if context.get_start_method() == "forkserver":
                context.set_forkserver_preload(["monitor.processing"])  # type: ignore[attr-defined]
        sqlite = self.config.database.url.startswith("sqlite")
        return concurrent.futures.ProcessPoolExecutor(
            worker_count(self.config),
            mp_context=context,
            initializer=_init_worker,
            initargs=(self.config, context.Lock() if sqlite else None, os.getpid()),
        )

    def executor(self, *, allow_fork: bool = False) -> concurrent.futures.ProcessPoolExecutor:
        """The running executor (started now if needed)."""
        with self._lock:
            if self._executor is None:
                self._executor = self._start(allow_fork=allow_fork)
            return self._executor

    def warm(self) -> None:
        """Start the workers now, before the reactor (and its threads) run."""
        executor = self.executor(allow_fork=True)
        for future in [executor.submit(_warm) for _ in range(worker_count(self.config))]:
            future.result()

    def submit(self, page: FetchedPage, job: PageJob) -> concurrent.futures.Future[StoreResult]:
        """Process one page in a worker."""
        return self.executor().submit(process_page, page, job)

    def reset(self, broken: concurrent.futures.ProcessPoolExecutor) -> None:
        """Forget a broken executor (a worker died); the next page starts a new one."""
        with self._lock:
            if self._executor is broken:
                self._executor = None
        broken.shutdown(wait=False, cancel_futures=True)

    def shutdown(self) -> None:
        """Stop the workers (after the crawl)."""
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)


class StorePipeline(CrawlComponent):
    """Analyse and store each ArticlePage in a worker process; count the outcome; drop (with a
    counted reason) what was not stored."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.query = self.context.runtime.query
        self.store_failed = False  # one ERROR line per crawl, WARNINGs after

    def _failed(self, item: ArticlePage) -> None:
        """Keep the feed/sitemap that listed a failed page from being marked unchanged."""
        if item.discovered_from:
            self.context.failed_documents.add(item.discovered_from)

    def _drop(self, reason: DropReason, item: ArticlePage) -> DropItem:
        assert self.crawler.stats is not None
        count_drop(self.crawler.stats, reason.value)
        return DropItem(f"{reason.value}: {item.url[:200]}")

    async def process_item(self, item: Any) -> Any:
        if not isinstance(item, ArticlePage):
            return item
        stats = self.crawler.stats
        assert stats is not None
        runtime = self.context.runtime
        if item.fetch is FetchKind.UNCHANGED:
            from monitor.db.crawlstate import mark_unchanged

            count(stats, "revalidated_304")
            await runtime.db_call(mark_unchanged, runtime.db, item.final_url, item.step or 0)
            raise self._drop(DropReason.UNCHANGED, item)
        if item.fetch is FetchKind.UNRESOLVED:
            from monitor.db.crawlstate import record_chain

            count(stats, "unresolved")
            urls = list(dict.fromkeys((*item.chain, item.url, item.final_url)))
            await runtime.db_call(
                runtime.db.write,
                lambda session: record_chain(
                    session,
                    urls,
                    outcome=StoreOutcome.UNRESOLVED,
                    source_name=self.context.source.name,
                    kind=self.context.source.type,
                ),
            )
            raise self._drop(DropReason.UNRESOLVED, item)
        if item.fetch is FetchKind.REVALIDATION:
            count(stats, "revalidated")
        page = item.to_fetched_page()
        job = PageJob(
            query=self.query,
            kind=self.context.source.type,
            chain=tuple(item.chain),
            etag=item.etag,
            last_modified=item.last_modified,
            revalidation_step=item.step if item.fetch is FetchKind.REVALIDATION else None,
        )
        item.body = b""  # the bytes now travel to the worker; don't keep them in the item
        pool = runtime.pool
        executor = pool.executor()
        try:
            result = await await_future(executor.submit(process_page, page, job))
        except Exception as exc:  # boundary: counted, dropped with its reason, raised on
            if isinstance(exc, BrokenProcessPool):
                pool.reset(executor)
            why = "worker_died" if isinstance(exc, BrokenProcessPool) else "extract_error"
            add_error(stats, f"processing failed on {page.url[:200]}: {type(exc).__name__}")
            count(stats, "outcome/skipped")
            count(stats, f"skipped/{why}")
            self._failed(item)
            raise self._drop(DropReason.WORKER_ERROR, item) from exc
        if result.outcome == StoreOutcome.ERROR and result.detail.get("stage") == "store":
            # one ERROR line per crawl (a full or read-only database fails every page after)
            level = logging.WARNING if self.store_failed else logging.ERROR
            self.store_failed = True
            logger.log(level, "cannot store %s: %s", page.url, result.detail.get("error"))
            add_error(stats, f"store failed for {page.url[:200]}: {result.detail.get('error')}")
            count(stats, "store_errors")
            self._failed(item)
            raise self._drop(DropReason.STORE_ERROR, item)
        if result.outcome == StoreOutcome.ERROR:  # the analysis raised: logged in the worker
            add_error(stats, f"analysis failed on {page.url[:200]}: {result.detail.get('error')}")
            count(stats, "outcome/error")
            self._failed(item)
            raise self._drop(DropReason.ANALYSIS_ERROR, item)
        for fault in result.detail.get("faults", ()):
            count(stats, f"faults/{fault}")  # logged with its traceback in the worker
        if result.detail.get("precheck_skipped"):
            count(stats, "precheck_skipped")
        item.outcome = result.outcome
        count(stats, f"outcome/{result.outcome}")
        reason = result.detail.get("reason") if result.outcome == "skipped" else None
        if reason:
            count(stats, f"skipped/{str(reason).split(':', 1)[0]}")
        if result.detail.get("reason") == DropReason.PRECHECK.value:
            raise self._drop(DropReason.PRECHECK, item)
        dropped = DROPPED_OUTCOMES.get(result.outcome)
        if dropped is not None:
            raise self._drop(dropped, item)
        return item
