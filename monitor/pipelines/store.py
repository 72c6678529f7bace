"""The Scrapy item pipeline: a thin adapter over :mod:`monitor.processing`.

Each page goes to a worker process that runs ``analyze_page`` (decode, trafilatura, match,
fingerprint) and then ``ArticleStore.store`` (one transaction; the store catches up with rows
other processes wrote, so one store per worker is safe). Nothing CPU-heavy and no database
write runs on the reactor thread, and the main process's GIL is left to networking: storing
on a thread of the main process capped the crawl at the speed of one core (see
``bench/crawl_bench.py``). Outcomes are counted in the crawler stats
(``monitor/outcome/<outcome>``, ``monitor/skipped/<reason>``).
"""

from __future__ import annotations

import concurrent.futures
import gc
import logging
import multiprocessing
import os
import threading
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from scrapy.crawler import Crawler

from monitor.config import MonitorConfig
from monitor.crawl.context import (
    add_error,
    await_future,
    count,
    crawler_config,
    crawler_source,
    match_query,
)
from monitor.crawl.items import ArticlePage
from monitor.processing import ArticleStore, FetchedPage, StoreResult
from monitor.stories.outcomes import StoreOutcome

logger = logging.getLogger(__name__)

_lock = threading.Lock()
_pool: concurrent.futures.ProcessPoolExecutor | None = None
_pool_config: MonitorConfig | None = None

# In a worker process: its own Database and ArticleStore, made by the pool initializer, and
# (SQLite only) a lock shared by the workers: handing the write lock over through it is much
# faster than SQLite's busy handler, which sleeps up to 100 ms between attempts.
_worker_store: ArticleStore | None = None
_worker_lock: Any = None


def worker_count(config: MonitorConfig) -> int:
    """Worker processes: ``crawl.extract_workers`` or the CPU count."""
    return config.crawl.extract_workers or os.cpu_count() or 1


def _init_worker(config: MonitorConfig, lock: Any) -> None:
    """Pool initializer: one Database and ArticleStore per worker process."""
    global _worker_store, _worker_lock
    from monitor.db.engine import Database
    from monitor.processing import configure_relevance

    # The [relevance] section (model, threshold, enabled), loaded once per worker process.
    configure_relevance(config)
    # Everything inherited from the parent (imported modules, config) lives for the whole
    # process: keep the cyclic GC from traversing it again on every full collection.
    gc.freeze()

    _worker_lock = lock
    db = Database(
        config.database.url,
        busy_timeout_ms=config.database.busy_timeout_ms,
        reconnect_seconds=config.database.reconnect_seconds,
    )
    _worker_store = ArticleStore.for_config(db, config)


def _warm() -> int:
    return os.getpid()


def process_page(page: FetchedPage, query: str, kind: str) -> StoreResult:
    """In a worker: analyse and store one page; never raises (errors become a result)."""
    assert _worker_store is not None, "worker not initialised"
    analysis = _worker_store.analyze(page, query)  # with the source's learned templates
    try:
        if _worker_lock is None:
            return _worker_store.store(analysis, kind=kind, page=page)
        with _worker_lock:
            return _worker_store.store(analysis, kind=kind, page=page)
    except Exception as exc:  # report, don't pickle arbitrary driver exceptions
        first = (str(getattr(exc, "orig", None) or exc).strip().splitlines() or [""])[0]
        error = f"{type(exc).__name__}: {first}"[:300]
        return StoreResult(StoreOutcome.ERROR, detail={"error": error, "stage": "store"})


def shared_pool(
    config: MonitorConfig, *, allow_fork: bool = False
) -> concurrent.futures.ProcessPoolExecutor:
    """The process-wide worker pool.

    Forked (cheap: workers inherit the imported modules) only when ``allow_fork`` and no other
    thread runs yet, i.e. before the reactor starts; otherwise from a forkserver, so a process
    with running threads is never forked.
    """
    global _pool, _pool_config
    with _lock:
        if _pool is None:
            methods = multiprocessing.get_all_start_methods()
            context: Any
            if allow_fork and "fork" in methods and threading.active_count() == 1:
                context = multiprocessing.get_context("fork")
            else:
                context = multiprocessing.get_context(
                    "forkserver" if "forkserver" in methods else "spawn"
                )
                if context.get_start_method() == "forkserver":
                    context.set_forkserver_preload(["monitor.processing"])  # type: ignore[attr-defined]
            sqlite = config.database.url.startswith("sqlite")
            _pool = concurrent.futures.ProcessPoolExecutor(
                worker_count(config),
                mp_context=context,
                initializer=_init_worker,
                initargs=(config, context.Lock() if sqlite else None),
            )
            _pool_config = config
        return _pool


def warm_pool(config: MonitorConfig) -> None:
    """Start the workers now, before the reactor (and its threads) run."""
    pool = shared_pool(config, allow_fork=True)
    for future in [pool.submit(_warm) for _ in range(worker_count(config))]:
        future.result()


def shutdown_pool() -> None:
    """Stop the workers (after the crawl)."""
    global _pool
    with _lock:
        pool, _pool = _pool, None
    if pool is not None:
        pool.shutdown(wait=True, cancel_futures=True)


def _reset_broken_pool(broken: concurrent.futures.ProcessPoolExecutor) -> None:
    global _pool
    with _lock:
        if _pool is broken:
            _pool = None
    broken.shutdown(wait=False, cancel_futures=True)


class StorePipeline:
    """Analyse and store each ArticlePage in a worker process; count the outcome."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.config = crawler_config(crawler)
        self.source = crawler_source(crawler)
        self.query = match_query(self.config)
        self.store_failed = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StorePipeline:
        return cls(crawler)

    def _failed(self, item: ArticlePage) -> None:
        """Keep the feed/sitemap that listed a failed page from being marked unchanged."""
        failed = getattr(self.crawler.spider, "failed_documents", None)
        if item.discovered_from and isinstance(failed, set):
            failed.add(item.discovered_from)

    async def process_item(self, item: Any) -> Any:
        if not isinstance(item, ArticlePage):
            return item
        stats = self.crawler.stats
        assert stats is not None
        page = item.to_fetched_page()
        item.body = b""  # the bytes now travel to the worker; don't keep them in the item
        pool = shared_pool(self.config)
        try:
            result = await await_future(
                pool.submit(process_page, page, self.query, self.source.type)
            )
        except Exception as exc:
            if isinstance(exc, BrokenProcessPool):
                _reset_broken_pool(pool)
            why = "worker_died" if isinstance(exc, BrokenProcessPool) else "extract_error"
            result = StoreResult(StoreOutcome.SKIPPED, detail={"reason": why})
            add_error(stats, f"processing failed on {page.url[:200]}: {type(exc).__name__}")
            self._failed(item)
        if result.outcome == StoreOutcome.ERROR and result.detail.get("stage") == "store":
            # one ERROR line per crawl (a full or read-only database fails every page after)
            level = logging.WARNING if self.store_failed else logging.ERROR
            self.store_failed = True
            logger.log(level, "cannot store %s: %s", page.url, result.detail.get("error"))
            add_error(stats, f"store failed for {page.url[:200]}: {result.detail.get('error')}")
            count(stats, "store_errors")
            self._failed(item)
            return item
        if result.outcome == StoreOutcome.ERROR:  # analysis raised: logged in the worker
            add_error(stats, f"analysis failed on {page.url[:200]}: {result.detail.get('error')}")
            self._failed(item)
        item.outcome = result.outcome
        count(stats, f"outcome/{result.outcome}")
        reason = result.detail.get("reason") if result.outcome == "skipped" else None
        if reason:
            count(stats, f"skipped/{str(reason).split(':', 1)[0]}")
        return item
