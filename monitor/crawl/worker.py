"""The long-running crawl worker: one process, one Scrapy reactor, many polls.

``python -m monitor.crawl.worker --config FILE`` claims queued rows of ``poll_requests``, runs
up to ``worker.concurrent_polls`` source polls at once in the same reactor (a new Crawler per
poll through Scrapy's ``CrawlerRunner``; per-domain politeness comes from Scrapy's download
slots), holds each source's lease while it polls, keeps leases and rows alive with a heartbeat,
and writes each poll's outcome into its row. After ``worker.max_polls`` polls or above
``worker.max_rss_mb`` it stops claiming, finishes what it holds and exits 0 (its supervisor starts
a fresh one). SIGTERM: the running polls are closed and recorded as interrupted, then it exits.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
from dataclasses import dataclass, field
from typing import Any

from monitor.config import MonitorConfig, SourceConfig
from monitor.crawl.queue import PollQueue
from monitor.crawl.runner import SourceRunSummary
from monitor.db.engine import Database
from monitor.db.leases import (
    acquire_lease,
    default_holder,
    release_lease,
    renew_leases,
    source_lease_name,
)
from monitor.db.models import PollRequester, PollStatus
from monitor.db.polls import (
    PollClaim,
    claim_poll,
    claim_polls,
    finish_poll,
    heartbeat_polls,
    release_polls,
)
from monitor.db.repository import mark_abandoned_runs
from monitor.errors import ConfigError

log = logging.getLogger("monitor.crawl.worker")

_STATUS_OF_RUN = {
    "ok": PollStatus.DONE,
    "partial": PollStatus.DONE,
    "skipped": PollStatus.DONE,
    "interrupted": PollStatus.INTERRUPTED,
    "failed": PollStatus.FAILED,
}


def resident_mb() -> float:
    """This process's resident memory in MiB (Linux ``/proc/self/statm``; 0 elsewhere)."""
    try:
        with open("/proc/self/statm", encoding="ascii") as statm:
            pages = int(statm.read().split()[1])
    except (OSError, ValueError, IndexError):
        return 0.0
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


@dataclass
class _Poll:
    claim: PollClaim
    message_id: str | None = None  # the queue message to acknowledge (distributed deployment)
    source: SourceConfig | None = None
    crawler: Any = None
    error: str | None = None


@dataclass
class WorkerStats:
    completed: int = 0
    by_status: dict[str, int] = field(default_factory=dict)


class CrawlWorker:
    """One worker process: the reactor, the polls it runs, its holder identity and stop flag."""

    def __init__(
        self,
        config: MonitorConfig,
        db: Database,
        *,
        queue: PollQueue | None = None,
        log_level: str | None = None,
    ) -> None:
        self.config = config
        self.db = db
        self.queue = queue
        self.log_level = log_level
        self.holder = default_holder()
        self.ttl = float(config.daemon.lease_ttl_seconds)
        self.polls: dict[int, _Poll] = {}
        self.stats = WorkerStats()
        self.draining = False
        self._claiming = False
        self._signals = 0
        self.runtime: Any = None  # the CrawlRuntime every poll's crawler shares (run())

    # --- the reactor loop -----------------------------------------------------------------------

    def run(self) -> int:
        """Serve polls until recycled or stopped; 0 on a graceful end."""
        from scrapy.crawler import CrawlerRunner
        from scrapy.utils.log import configure_logging
        from scrapy.utils.reactor import install_reactor
        from twisted.internet import task

        from monitor.crawl.context import CrawlRuntime
        from monitor.crawl.settings import project_defaults

        install_reactor("twisted.internet.asyncioreactor.AsyncioSelectorReactor")
        from twisted.internet import reactor

        base = project_defaults() | {"LOG_LEVEL": self.log_level or self.config.logging.level}
        configure_logging(base)
        self.runner = CrawlerRunner(base)
        self.runtime = CrawlRuntime(self.config, db=self.db)
        self.runtime.warm()
        worker = self.config.worker
        claimer = task.LoopingCall(self._tick)
        claimer.start(worker.claim_interval_seconds, now=True)
        beater = task.LoopingCall(self._heartbeat)
        beater.start(self.config.daemon.heartbeat_seconds, now=False)
        signal.signal(signal.SIGTERM, self._on_signal)
        signal.signal(signal.SIGINT, self._on_signal)
        log.info("crawl worker %s started", self.holder)
        try:
            reactor.run(installSignalHandlers=False)  # type: ignore[attr-defined,misc,call-arg]
        finally:
            for loop in (claimer, beater):
                if loop.running:
                    loop.stop()
            self.runtime.close()
        log.info(
            "crawl worker %s stopped after %d polls", self.holder, self.stats.completed,
            extra={"polls": self.stats.by_status},
        )  # fmt: skip
        return 0

    def _tick(self) -> None:
        from twisted.internet import reactor
        from twisted.internet.threads import deferToThread

        worker = self.config.worker
        if not self.draining:
            rss = resident_mb()
            if self.stats.completed >= worker.max_polls or rss > worker.max_rss_mb:
                log.info(
                    "recycling: %d polls done, %.0f MiB resident", self.stats.completed, rss,
                )  # fmt: skip
                self.draining = True
        if self.draining:
            if not self.polls and not self._claiming and reactor.running:  # type: ignore[attr-defined]
                reactor.stop()  # type: ignore[attr-defined,misc]
            return
        free = worker.concurrent_polls - len(self.polls)
        free = min(free, worker.max_polls - self.stats.completed - len(self.polls))
        if free <= 0 or self._claiming:
            return
        self._claiming = True
        if self.queue is None:
            claimed = deferToThread(self._claim_from_table, free)
        else:
            claimed = deferToThread(self._claim_from_queue, free)
        claimed.addCallback(self._start_claims)
        claimed.addErrback(lambda f: log.warning("cannot claim polls: %s", f.value))
        claimed.addBoth(self._claimed)

    def _claim_from_table(self, free: int) -> list[tuple[PollClaim, str | None]]:
        return [(claim, None) for claim in claim_polls(self.db, self.holder, free)]

    def _claim_from_queue(self, free: int) -> list[tuple[PollClaim, str | None]]:
        """(thread) Read messages from the stream, claim the rows they name."""
        assert self.queue is not None
        claims: list[tuple[PollClaim, str | None]] = []
        messages = self.queue.take(
            self.holder, free, block_ms=500, reclaim_idle_ms=int(self.ttl * 1000)
        )
        for message in messages:
            claim = claim_poll(self.db, message.poll_id, self.holder)
            if claim is None:  # finished, re-queued under another message, or unknown
                self.queue.ack(message.message_id)
            else:
                claims.append((claim, message.message_id))
        return claims

    def _claimed(self, _result: Any) -> None:
        self._claiming = False

    def _start_claims(self, claims: list[tuple[PollClaim, str | None]]) -> None:
        from twisted.internet.threads import deferToThread

        if self.draining:  # stopped while claiming: hand them back (messages stay pending)
            deferToThread(release_polls, self.db, self.holder, [c.id for c, _ in claims])
            return
        for claim, message_id in claims:
            poll = _Poll(claim, message_id)
            self.polls[claim.id] = poll
            prepared = deferToThread(self._prepare, poll)
            prepared.addCallback(self._crawl_if_ready, poll)
            prepared.addErrback(self._fail_start, poll)

    def _prepare(self, poll: _Poll) -> bool:
        """(database thread) Take the source's lease; close runs a dead process left running."""
        name = poll.claim.source_name
        try:
            source = self.config.source(name)
        except ConfigError:
            self._finish(poll, SourceRunSummary(name, None, "failed", {}, ["unknown source"]))
            return False
        if not acquire_lease(self.db, source_lease_name(name), self.holder, self.ttl):
            summary = SourceRunSummary(name, None, "skipped", {}, ["already running elsewhere"])
            self._finish(poll, summary, release=False)
            return False
        poll.source = source
        marked = mark_abandoned_runs(self.db, name)
        if marked:
            log.info("marked %d abandoned run(s) of %s as interrupted", marked, name)
        return True

    def _crawl_if_ready(self, ready: bool, poll: _Poll) -> None:
        if ready:
            self._crawl(poll)

    def _fail_start(self, failure: Any, poll: _Poll) -> None:
        self._fail(poll, f"cannot start: {failure.value}")

    def _crawl(self, poll: _Poll) -> None:
        from scrapy.crawler import Crawler

        from monitor.crawl.context import attach_runtime
        from monitor.crawl.settings import build_settings
        from monitor.spiders.source import SourceSpider

        assert poll.source is not None
        trigger = "scheduled" if poll.claim.requested_by == PollRequester.SCHEDULER else "manual"
        settings = build_settings(
            self.config, poll.source, trigger=trigger, log_level=self.log_level,
        )  # fmt: skip
        # The crawl's wall-clock limit: Scrapy closes the spider with reason "closespider_timeout".
        settings["CLOSESPIDER_TIMEOUT"] = float(self.config.daemon.lease_seconds)
        poll.crawler = Crawler(SourceSpider, settings)
        attach_runtime(poll.crawler, self.runtime)
        done = self.runner.crawl(poll.crawler, source=poll.source.name)
        done.addErrback(lambda f: setattr(poll, "error", f"crawler failed: {f.getErrorMessage()}"))
        done.addBoth(lambda _: self._crawled(poll))

    def _crawled(self, poll: _Poll) -> None:
        from twisted.internet.threads import deferToThread

        from monitor.crawl.extensions import CrawlRunRecorder

        name = poll.claim.source_name
        recorder = _extension(poll.crawler, CrawlRunRecorder)
        if recorder is None or recorder.record.status == "running":
            run_id = recorder.record.run_id if recorder else None
            summary = SourceRunSummary(
                name, run_id, "failed", {}, [poll.error or "crawler did not run"]
            )
        else:
            record = recorder.record
            summary = SourceRunSummary(
                name, record.run_id, record.status, dict(record.counts), list(record.errors)
            )
        finished = deferToThread(self._finish, poll, summary)
        finished.addErrback(
            lambda f: log.error("cannot record poll %s: %s", poll.claim.id, f.value)
        )

    def _fail(self, poll: _Poll, error: str) -> None:
        from twisted.internet.threads import deferToThread

        summary = SourceRunSummary(poll.claim.source_name, None, "failed", {}, [error])
        deferToThread(self._finish, poll, summary)

    def _finish(self, poll: _Poll, summary: SourceRunSummary, *, release: bool = True) -> None:
        """(database thread) Write the outcome into the row, give the lease back."""
        from twisted.internet import reactor

        status = _STATUS_OF_RUN.get(summary.status, PollStatus.FAILED)
        try:
            if not finish_poll(
                self.db, poll.claim.id, self.holder, status, summary.to_dict(), summary.run_id
            ):
                log.warning("poll %s was re-queued while it ran", poll.claim.id)
            if self.queue is not None and poll.message_id is not None:
                self.queue.ack(poll.message_id)
        finally:
            if release:
                try:
                    release_lease(self.db, source_lease_name(poll.claim.source_name), self.holder)
                except Exception as exc:
                    log.error("cannot release the lease of %s: %s", poll.claim.source_name, exc)
            reactor.callFromThread(self._forget, poll, summary.status)  # type: ignore[attr-defined]

    def _forget(self, poll: _Poll, status: str) -> None:
        self.polls.pop(poll.claim.id, None)
        self.stats.completed += 1
        self.stats.by_status[status] = self.stats.by_status.get(status, 0) + 1

    def _heartbeat(self) -> None:
        from twisted.internet.threads import deferToThread

        ids = list(self.polls)
        names = [source_lease_name(p.claim.source_name) for p in self.polls.values() if p.source]

        def _beat() -> None:
            heartbeat_polls(self.db, self.holder, ids)
            for lost in renew_leases(self.db, names, self.holder, self.ttl):
                log.warning("lost the lease %s", lost)

        deferToThread(_beat).addErrback(lambda f: log.warning("heartbeat failed: %s", f.value))

    # --- stopping -------------------------------------------------------------------------------

    def _on_signal(self, signum: int, _frame: Any) -> None:
        from twisted.internet import reactor

        self._signals += 1
        callback = self._graceful if self._signals == 1 else self._force
        reactor.callFromThread(callback)  # type: ignore[attr-defined]

    def _graceful(self) -> None:
        from scrapy.utils.defer import deferred_from_coro

        log.warning("stop requested: closing %d running poll(s)", len(self.polls))
        self.draining = True
        for poll in self.polls.values():
            crawler = poll.crawler
            engine = getattr(crawler, "_engine", None) if crawler is not None else None
            if engine is None or not crawler.crawling:
                continue
            if engine.spider is not None:
                deferred_from_coro(engine.close_spider_async(reason="shutdown"))
            else:
                deferred_from_coro(crawler.stop_async())

    def _force(self) -> None:
        from twisted.internet import reactor

        log.warning("second stop signal: stopping now")
        if reactor.running:  # type: ignore[attr-defined]
            reactor.stop()  # type: ignore[attr-defined,misc]


def _extension(crawler: Any, cls: type) -> Any:
    try:
        return crawler.get_extension(cls)
    except (RuntimeError, KeyError, AttributeError):
        return None


def main(argv: list[str] | None = None) -> int:
    """``python -m monitor.crawl.worker --config FILE [--log-level LEVEL]``."""
    parser = argparse.ArgumentParser(prog="python -m monitor.crawl.worker")
    parser.add_argument("--config", help="config file (else $MONITOR_CONFIG, ./monitor.toml)")
    parser.add_argument("--log-level", default=None, help="Scrapy log level (default: config)")
    args = parser.parse_args(argv)
    return run_worker(args.config, log_level=args.log_level)


def run_worker(
    config_path: str | None, *, log_level: str | None = None, distributed: bool = False
) -> int:
    """Run one worker: 0 graceful end, 1 unreachable database or queue, 2 bad config.

    With ``[queue]`` it takes polls from the Redis stream, else from the table.
    ``distributed=True`` (``monitor worker``) requires ``[queue]`` and a shared database.
    """
    from monitor.config import load_config
    from monitor.crawl.queue import require_distributed
    from monitor.errors import MonitorError

    try:
        config = load_config(config_path)
        if distributed:
            require_distributed(config, "monitor worker")
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    from monitor.daemon.logging import install_config_redaction

    install_config_redaction(config)
    db = Database(config.database.url, busy_timeout_ms=config.database.busy_timeout_ms)
    try:
        db.ping()
        queue = PollQueue.from_config(config)
    except MonitorError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return CrawlWorker(config, db, queue=queue, log_level=log_level).run()


if __name__ == "__main__":
    sys.exit(main())
