"""The crawl runtime: what every Scrapy component of a crawl shares, reached through the crawler.

:class:`CrawlRuntime` is process-wide and long-lived: the validated config, the Database, the
one database thread (all database work of the reactor's components goes through it) and the
extraction worker pool. The long-running worker builds one per process and attaches it to the
crawler of every poll (:func:`attach_runtime`); ``scrapy crawl source -a source=NAME`` builds its
own from ``$MONITOR_CONFIG`` / ``./monitor.toml``. :class:`CrawlContext` is per crawl: the runtime
plus the source being crawled. Nothing here is a module-level registry, pool or lock.

No secret ever reaches Scrapy settings (Scrapy logs overridden settings at INFO): the config
travels as an attribute of the crawler.
"""

from __future__ import annotations

import concurrent.futures
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Self, TypeVar

from scrapy.crawler import Crawler
from scrapy.exceptions import UsageError
from scrapy.statscollectors import StatsCollector
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.defer import CancelledError, Deferred
from twisted.python.failure import Failure

from monitor.config import MonitorConfig, SourceConfig, load_config
from monitor.db.engine import Database

if TYPE_CHECKING:
    from monitor.pipelines.store import WorkerPool

T = TypeVar("T")

CONFIG_PATH_SETTING = "MONITOR_CONFIG_PATH"
SOURCE_SETTING = "MONITOR_SOURCE"
ERRORS_KEY = "monitor/errors"
MAX_ERRORS = 200
_RUNTIME_ATTR = "monitor_runtime"
_CONTEXT_ATTR = "monitor_context"


class CrawlRuntime:
    """Process-wide crawl state: config, database, database thread, extraction pool.

    Build one per process (it is cheap; the pool starts on first use or :meth:`warm`), attach it
    to each crawler before the crawl starts, :meth:`close` it after the reactor stopped.
    """

    def __init__(self, config: MonitorConfig, *, db: Database | None = None) -> None:
        self.config = config
        self.db = db or Database(
            config.database.url,
            busy_timeout_ms=config.database.busy_timeout_ms,
            reconnect_seconds=config.database.reconnect_seconds,
        )
        self._owns_db = db is None
        self._executor: concurrent.futures.ThreadPoolExecutor | None = None
        self._pool: WorkerPool | None = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:  # never the config (it may carry secrets)
        return f"<CrawlRuntime {len(self.config.sources)} sources>"

    @property
    def query(self) -> str:
        """The analysts' query (the config fills in the built-in default when left empty)."""
        return self.config.query.match

    @property
    def pool(self) -> WorkerPool:
        """The extraction worker pool (created on first use)."""
        with self._lock:
            if self._pool is None:
                from monitor.pipelines.store import WorkerPool

                self._pool = WorkerPool(self.config)
            return self._pool

    def warm(self) -> None:
        """Start the pool's workers now, before the reactor (and its threads) run: forked."""
        self.pool.warm()

    def submit(
        self, work: Callable[..., T], *args: Any, **kwargs: Any
    ) -> concurrent.futures.Future[T]:
        """Run blocking database work on the runtime's one database thread."""
        with self._lock:
            if self._executor is None:
                self._executor = concurrent.futures.ThreadPoolExecutor(1, "monitor-db")
            executor = self._executor
        return executor.submit(work, *args, **kwargs)

    async def db_call(self, work: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run ``work`` on the database thread and await its result (from the reactor)."""
        return await await_future(self.submit(work, *args, **kwargs))

    def close(self) -> None:
        """Stop the pool and the database thread (after the reactor has stopped)."""
        with self._lock:
            pool, self._pool = self._pool, None
            executor, self._executor = self._executor, None
        if pool is not None:
            pool.shutdown()
        if executor is not None:
            executor.shutdown(wait=True)
        if self._owns_db:
            self.db.dispose()


@dataclass
class DocumentState:
    """A feed or sitemap answer of this crawl, stored as validators once the crawl is complete."""

    url: str
    etag: str | None
    last_modified: str | None
    status: int
    entry_count: int | None


@dataclass
class CrawlContext:
    """One crawl's view: the shared runtime, the source, and the crawl's own in-memory state."""

    runtime: CrawlRuntime
    source: SourceConfig
    owns_runtime: bool = False  # built for a ``scrapy crawl`` run: closed with the spider
    max_pages: int = 2000
    scheduled: int = 0  # requests taken from the page budget
    requested: set[str] = field(default_factory=set)  # URLs requested in this crawl
    documents: dict[str, DocumentState] = field(default_factory=dict)
    failed_documents: set[str] = field(default_factory=set)  # feeds whose pages failed

    def take_budget(self, stats: StatsCollector) -> bool:
        """One request more from the page budget (``MONITOR_MAX_PAGES``), counted when out."""
        if self.scheduled >= self.max_pages:
            count(stats, "limit_pages")
            return False
        self.scheduled += 1
        return True

    @property
    def config(self) -> MonitorConfig:
        return self.runtime.config

    @property
    def db(self) -> Database:
        return self.runtime.db


def attach_runtime(crawler: Crawler, runtime: CrawlRuntime) -> None:
    """Give a crawler the process's runtime (before ``crawl()``: components read it then)."""
    setattr(crawler, _RUNTIME_ATTR, runtime)


def standalone_runtime(crawler: Crawler) -> CrawlRuntime:
    """The runtime of a ``scrapy crawl`` run: built from the config file, owned by the crawl."""
    runtime = getattr(crawler, _RUNTIME_ATTR, None)
    if runtime is None:
        runtime = CrawlRuntime(load_config(crawler.settings.get(CONFIG_PATH_SETTING)))
        attach_runtime(crawler, runtime)
        crawler.monitor_owns_runtime = True  # type: ignore[attr-defined]
    return runtime


def crawl_context(crawler: Crawler, source_name: str | None = None) -> CrawlContext:
    """The crawler's context (made on first call from its runtime and ``MONITOR_SOURCE``)."""
    context: CrawlContext | None = getattr(crawler, _CONTEXT_ATTR, None)
    if context is not None:
        return context
    runtime: CrawlRuntime | None = getattr(crawler, _RUNTIME_ATTR, None)
    if runtime is None:
        raise UsageError("no crawl runtime: attach_runtime(crawler, runtime) before crawl()")
    name = source_name or crawler.settings.get(SOURCE_SETTING)
    context = CrawlContext(
        runtime,
        runtime.config.source(name),
        owns_runtime=bool(getattr(crawler, "monitor_owns_runtime", False)),
        max_pages=crawler.settings.getint("MONITOR_MAX_PAGES", 2000),
    )
    setattr(crawler, _CONTEXT_ATTR, context)
    return context


def crawler_runtime(crawler: Crawler) -> CrawlRuntime:
    """The runtime attached to ``crawler``."""
    return crawl_context(crawler).runtime


def crawler_config(crawler: Crawler) -> MonitorConfig:
    """The validated config of a crawl."""
    return crawl_context(crawler).config


def crawler_source(crawler: Crawler, name: str | None = None) -> SourceConfig:
    """The source a crawler crawls."""
    return crawl_context(crawler, name).source


def match_query(config: MonitorConfig) -> str:
    """The analysts' query (the config fills in the built-in default when left empty)."""
    return config.query.match


def deferred_from_future(future: concurrent.futures.Future[T]) -> Deferred[T]:
    """A Deferred fired on the reactor thread when a concurrent future completes."""
    from twisted.internet import reactor

    deferred: Deferred[T] = Deferred()

    def _fire(done: concurrent.futures.Future[T]) -> None:
        if done.cancelled():
            deferred.errback(Failure(CancelledError()))
            return
        exc = done.exception()
        if exc is not None:
            deferred.errback(Failure(exc))
        else:
            deferred.callback(done.result())

    future.add_done_callback(lambda done: reactor.callFromThread(_fire, done))  # type: ignore[attr-defined]
    return deferred


async def await_future(future: concurrent.futures.Future[T]) -> T:
    """Await a concurrent future from a Scrapy coroutine (any reactor)."""
    return await maybe_deferred_to_future(deferred_from_future(future))  # type: ignore[no-any-return]


async def in_thread(work: Callable[..., T], *args: Any) -> T:
    """Run CPU-light blocking work that is not database work (parsing a big feed, resolving a
    host name) in the reactor's thread pool."""
    from twisted.internet.threads import deferToThread

    return await maybe_deferred_to_future(deferToThread(work, *args))  # type: ignore[no-any-return]


def add_error(stats: StatsCollector, message: str) -> None:
    """Append one short line to the crawl-run errors (bounded)."""
    errors = stats.get_value(ERRORS_KEY)
    if errors is None:
        errors = []
        stats.set_value(ERRORS_KEY, errors)
    if len(errors) < MAX_ERRORS and message[:300] not in errors:
        errors.append(message[:300])


def count(stats: StatsCollector, name: str, amount: int = 1) -> None:
    """Increment a crawl-run counter (``monitor/<name>`` in the Scrapy stats)."""
    stats.inc_value(f"monitor/{name}", amount)


def count_drop(stats: StatsCollector, reason: str, amount: int = 1) -> None:
    """Count a dropped item by reason (``monitor/dropped/<reason>``: ``dropped_<reason>``)."""
    stats.inc_value(f"monitor/dropped/{reason}", amount)


class CrawlComponent:
    """A Scrapy component of a monitor crawl (middleware, pipeline, extension): built by
    ``from_crawler`` with the crawler and its :class:`CrawlContext`."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.context: CrawlContext = crawl_context(crawler)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)
