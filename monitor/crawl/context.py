"""Process-wide crawl state shared by spiders, middlewares, pipelines and extensions.

The validated config reaches Scrapy components through the crawler (never through settings
values that could hold secrets), and database work runs on one dedicated thread, off the
reactor and off the reactor's thread pool (which Scrapy uses for DNS).
"""

from __future__ import annotations

import concurrent.futures
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from scrapy.crawler import Crawler
from scrapy.statscollectors import StatsCollector
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.defer import CancelledError, Deferred
from twisted.python.failure import Failure

from monitor.config import MonitorConfig, SourceConfig, load_config
from monitor.db.engine import Database

T = TypeVar("T")

CONFIG_REF_SETTING = "MONITOR_CONFIG_REF"
CONFIG_PATH_SETTING = "MONITOR_CONFIG_PATH"
SOURCE_SETTING = "MONITOR_SOURCE"
ERRORS_KEY = "monitor/errors"
MAX_ERRORS = 200

_lock = threading.Lock()
_configs: dict[str, MonitorConfig] = {}
_databases: dict[str, Database] = {}
_db_executor: concurrent.futures.ThreadPoolExecutor | None = None


def register_config(config: MonitorConfig) -> str:
    """Keep ``config`` for this process's crawlers; returns the reference to put in settings."""
    ref = f"config-{id(config)}"
    with _lock:
        _configs[ref] = config
    return ref


def crawler_config(crawler: Crawler) -> MonitorConfig:
    """The validated config of a crawl: the registered object, else loaded from the path."""
    ref = crawler.settings.get(CONFIG_REF_SETTING)
    with _lock:
        if ref and ref in _configs:
            return _configs[ref]
    path = crawler.settings.get(CONFIG_PATH_SETTING)
    config = load_config(path)
    with _lock:
        _configs[f"path:{path}"] = config
    return config


def crawler_source(crawler: Crawler, name: str | None = None) -> SourceConfig:
    """The source a crawler crawls (from the spider argument or the ``MONITOR_SOURCE`` setting)."""
    config = crawler_config(crawler)
    return config.source(name or crawler.settings.get(SOURCE_SETTING))


def match_query(config: MonitorConfig) -> str:
    """The analysts' query (the config fills in the built-in default when left empty)."""
    return config.query.match


def shared_database(config: MonitorConfig) -> Database:
    """One Database (engine and pool) per URL for the whole process."""
    with _lock:
        db = _databases.get(config.database.url)
        if db is None:
            db = Database(
                config.database.url,
                busy_timeout_ms=config.database.busy_timeout_ms,
                reconnect_seconds=config.database.reconnect_seconds,
            )
            _databases[config.database.url] = db
        return db


def _executor() -> concurrent.futures.ThreadPoolExecutor:
    global _db_executor
    with _lock:
        if _db_executor is None:
            _db_executor = concurrent.futures.ThreadPoolExecutor(1, "monitor-db")
        return _db_executor


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


async def db_call(work: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run a blocking database call on the database thread and await its result."""
    return await await_future(_executor().submit(work, *args, **kwargs))


async def in_thread(work: Callable[..., T], *args: Any) -> T:
    """Run CPU-light blocking work (parsing a big feed) in the reactor's thread pool."""
    from twisted.internet.threads import deferToThread

    return await maybe_deferred_to_future(deferToThread(work, *args))  # type: ignore[no-any-return]


def shutdown_db_thread() -> None:
    """Stop the database thread (after the reactor has stopped)."""
    global _db_executor
    with _lock:
        executor, _db_executor = _db_executor, None
    if executor is not None:
        executor.shutdown(wait=True)


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
