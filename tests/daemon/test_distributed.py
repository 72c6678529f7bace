"""The distributed deployment: ``[queue]`` on real Redis, a shared PostgreSQL database,
``monitor run --no-worker`` and ``monitor worker`` processes; the CLI contract."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

from monitor.crawl.queue import PollQueue, resend_orphaned_polls, submit_poll
from monitor.db.engine import Database
from monitor.db.leases import database_now, parse_holder
from monitor.db.migrate import upgrade
from monitor.db.models import Article, PollRequest, PollRequester, PollStatus
from monitor.db.polls import request_poll
from tests.daemon.conftest import render_toml
from tests.daemon.jobfuncs import wait_for
from tests.daemon.killkit import ARTICLES, KILL_AFTER, NewsSite

ROOT = Path(__file__).resolve().parents[2]
REDIS_DB = 11  # this suite's own Redis database; every test uses its own stream key too


def _redis_or_skip() -> None:
    import redis

    try:
        redis.Redis(host="127.0.0.1", port=6379, db=REDIS_DB, socket_timeout=2).ping()
    except redis.RedisError as exc:
        pytest.skip(f"no Redis on 127.0.0.1:6379: {exc}")


@pytest.fixture
def queue_section() -> Iterator[dict[str, str]]:
    _redis_or_skip()
    import redis

    stream = f"test:{uuid.uuid4().hex}:polls"
    yield {"url": f"redis://127.0.0.1:6379/{REDIS_DB}", "stream": stream}
    redis.Redis(host="127.0.0.1", port=6379, db=REDIS_DB).delete(stream)


def _stop(processes: list[subprocess.Popen[bytes]]) -> None:
    """SIGTERM to those still running, then SIGKILL whatever is left after 30 s."""
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in processes:
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _monitor(path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "monitor", "--config", str(path), *args],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def test_without_queue_or_with_sqlite_worker_and_no_worker_exit_2(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'monitor.db'}")
    upgrade(db)
    db.dispose()
    plain = tmp_path / "plain.toml"
    plain.write_text(render_toml({"database": {"url": db.url}}), encoding="utf-8")
    sqlite_queue = tmp_path / "queue.toml"
    sqlite_queue.write_text(
        render_toml({"database": {"url": db.url}, "queue": {"url": "redis://127.0.0.1:6379/11"}}),
        encoding="utf-8",
    )
    for path, args, needle in (
        (plain, ("worker",), "[queue]"),
        (plain, ("run", "--no-worker"), "[queue]"),
        (sqlite_queue, ("worker",), "not SQLite"),
        (sqlite_queue, ("run", "--no-worker"), "not SQLite"),
    ):
        done = _monitor(path, *args)
        lines = done.stderr.strip().splitlines()
        assert done.returncode == 2, (args, done.stderr)
        assert len(lines) == 1 and lines[0].startswith("error: ") and needle in lines[0], lines


def test_stream_hands_each_poll_to_one_consumer_and_reclaims_a_dead_ones(
    queue_section: dict[str, str],
) -> None:
    queue = PollQueue(queue_section["url"], queue_section["stream"], "workers")
    queue.ensure_group()
    queue.ensure_group()  # idempotent
    for poll_id in (1, 2, 3):
        queue.push(poll_id)
    first = queue.take("a", 2, block_ms=100, reclaim_idle_ms=60_000)
    second = queue.take("b", 5, block_ms=100, reclaim_idle_ms=60_000)
    assert sorted(m.poll_id for m in first + second) == [1, 2, 3]
    assert {m.poll_id for m in first}.isdisjoint(m.poll_id for m in second)
    for message in second:
        queue.ack(message.message_id)
    assert queue.pending() == 2
    # "a" died without acknowledging: once idle long enough, "b" takes its messages over
    reclaimed = queue.take("b", 5, block_ms=100, reclaim_idle_ms=0)
    assert sorted(m.poll_id for m in reclaimed) == sorted(m.poll_id for m in first)
    for message in reclaimed:
        queue.ack(message.message_id)
    assert queue.pending() == 0
    queue.close()


def _age(db: Database, ids: list[int], seconds: float) -> None:
    """Pretend the polls ``ids`` were requested ``seconds`` ago."""

    def work(session: Any) -> None:
        session.execute(
            update(PollRequest)
            .where(PollRequest.id.in_(ids))
            .values(requested_at=database_now(session) - timedelta(seconds=seconds))
        )

    db.write(work)


def test_queued_polls_whose_message_is_gone_are_sent_again(
    postgres_url: str, queue_section: dict[str, str]
) -> None:
    db = Database(postgres_url)
    upgrade(db)
    queue = PollQueue(queue_section["url"], queue_section["stream"], "workers")
    queue.ensure_group()
    lost, _ = request_poll(db, "alpha", PollRequester.SCHEDULER)  # died before its XADD
    sent, _ = submit_poll(db, queue, "beta", PollRequester.SCHEDULER)
    recent, _ = request_poll(db, "gamma", PollRequester.CLI)  # its XADD may still be coming
    finished, _ = request_poll(db, "delta", PollRequester.CLI)
    _age(db, [lost, sent, finished], 120)
    db.write(
        lambda session: session.execute(
            update(PollRequest)
            .where(PollRequest.id == finished)
            .values(status=PollStatus.DONE.value)
        )
    )
    assert resend_orphaned_polls(db, queue, 60) == [lost]
    assert queue.queued_poll_ids() == {lost, sent}  # not `recent` (yet), not `finished`
    assert recent not in queue.queued_poll_ids()
    assert resend_orphaned_polls(db, queue, 60) == []  # once is enough
    # Redis restarted without persistence: every waiting row is sent again, once
    queue.redis.delete(queue.stream)
    queue.ensure_group()
    assert resend_orphaned_polls(db, queue, 60) == sorted([lost, sent])
    assert sorted(m.poll_id for m in queue.take("w", 10, block_ms=100, reclaim_idle_ms=60_000)) == (
        sorted([lost, sent])
    )
    queue.close()
    db.dispose()


def test_a_poll_queued_while_redis_is_down_is_kept_and_sent_later(
    postgres_url: str, queue_section: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    db = Database(postgres_url)
    upgrade(db)
    down = PollQueue("redis://127.0.0.1:1/0", queue_section["stream"], "workers")  # nothing there
    with caplog.at_level(logging.WARNING, logger="monitor.crawl.queue"):
        poll_id, queued = submit_poll(db, down, "alpha", PollRequester.CLI)
    assert queued and "its message was not sent" in caplog.text
    with db.session() as session:
        assert session.get(PollRequest, poll_id).status == PollStatus.QUEUED.value  # type: ignore[union-attr]
    up = PollQueue(queue_section["url"], queue_section["stream"], "workers")
    up.ensure_group()
    _age(db, [poll_id], 120)
    assert resend_orphaned_polls(db, up, 60) == [poll_id]
    up.close()
    db.dispose()


def test_status_shows_the_polls_and_the_stream(
    tmp_path: Path, postgres_url: str, queue_section: dict[str, str]
) -> None:
    db = Database(postgres_url)
    upgrade(db)
    queue = PollQueue(queue_section["url"], queue_section["stream"], "crawl-workers")
    queue.ensure_group()
    old, _ = request_poll(db, "alpha", PollRequester.SCHEDULER)  # its message was lost
    submit_poll(db, queue, "beta", PollRequester.CLI)
    _age(db, [old], 600)
    path = tmp_path / "monitor.toml"
    path.write_text(
        render_toml({"database": {"url": postgres_url}, "queue": queue_section}), encoding="utf-8"
    )
    done = _monitor(path, "status")
    assert "polls: 2 queued, 0 running (1 waiting longer than one lease TTL, 60 s)" in done.stdout
    assert f"Redis stream {queue.stream}: 1 message(s), 0 delivered" in done.stdout, done.stdout
    down = tmp_path / "down.toml"
    down.write_text(
        render_toml({"database": {"url": postgres_url}, "queue": {"url": "redis://127.0.0.1:1/0"}}),
        encoding="utf-8",
    )
    done = _monitor(down, "status")
    assert done.returncode == 1 and "Redis queue:" in done.stdout, done.stdout
    queue.close()
    db.dispose()


def test_a_reader_creates_the_group_again_when_redis_lost_it(
    queue_section: dict[str, str],
) -> None:
    queue = PollQueue(queue_section["url"], queue_section["stream"], "workers")
    queue.ensure_group()
    queue.redis.delete(queue.stream)  # a restart without persistence
    queue.push(7)  # XADD makes the stream again, without the group
    assert [m.poll_id for m in queue.take("w", 5, block_ms=100, reclaim_idle_ms=60_000)] == [7]
    queue.close()


def test_the_stream_is_read_in_pages(queue_section: dict[str, str]) -> None:
    queue = PollQueue(queue_section["url"], queue_section["stream"], "workers")
    queue.ensure_group()
    pipe = queue.redis.pipeline(transaction=False)
    for poll_id in range(1, 2502):
        pipe.xadd(queue.stream, {"poll_id": str(poll_id)})
    pipe.execute()
    queue.take("w", 700, block_ms=100, reclaim_idle_ms=60_000)  # read, not acknowledged: kept
    assert queue.queued_poll_ids() == set(range(1, 2502))
    queue.close()


SOURCES = ("alpha", "beta", "gamma", "delta")


@pytest.mark.slow
def test_polls_survive_a_message_that_never_reached_redis_and_redis_losing_everything(
    tmp_path: Path,
    postgres_url: str,
    queue_section: dict[str, str],
    sites: dict[str, NewsSite],
) -> None:
    web = sites["alpha"]
    config: dict[str, Any] = {
        "database": {"url": postgres_url},
        "queue": queue_section,
        "crawl": {"autothrottle": False, "retry_times": 0, "download_timeout": 10},
        "daemon": {"lease_ttl_seconds": 5, "heartbeat_seconds": 1, "adaptive_polling": False},
        "sources": [
            {
                "name": "alpha",
                "feeds": [f"{web.base}/feed.xml"],
                "allow_private": True,
                "schedule": "every 1 hour",
            }
        ],
    }
    path = tmp_path / "monitor.toml"
    path.write_text(render_toml(config), encoding="utf-8")
    db = Database(postgres_url)
    upgrade(db)
    # Queued by a process that died (or lost Redis) between its commit and its XADD: the
    # scheduler's own poll of alpha finds this row queued and waits for it.
    poll_id, _ = request_poll(db, "alpha", PollRequester.CLI)
    logs = {name: tmp_path / f"{name}.log" for name in ("scheduler", "worker")}
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "monitor", "--config", str(path), *args],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=logs[name].open("wb"),
        )
        for name, args in (("scheduler", ("run", "--no-worker")), ("worker", ("worker",)))
    ]

    def status(poll_id: int) -> str:
        with db.session() as session:
            return str(session.get(PollRequest, poll_id).status)  # type: ignore[union-attr]

    def done(poll_id: int) -> None:
        if not wait_for(lambda: status(poll_id) == "done", timeout=120, interval=0.2):
            details = "\n".join(f"--- {p.name}\n{p.read_text()[-2500:]}" for p in logs.values())
            pytest.fail(f"poll {poll_id} still {status(poll_id)}\n{details}")

    try:
        done(poll_id)
        # Redis restarts without persistence: the stream and its consumer group are gone; the
        # next XADD makes a stream without the group, which the worker creates again.
        queue = PollQueue(queue_section["url"], queue_section["stream"], "crawl-workers")
        queue.redis.delete(queue.stream)
        again, queued = submit_poll(db, queue, "alpha", PollRequester.CLI)
        assert queued
        done(again)
        queue.close()
    finally:
        _stop(processes)
    assert "re-sent 1 queued poll(s) that had no queue message" in logs["scheduler"].read_text()
    assert "Redis lost the stream" in logs["worker"].read_text()
    with db.session() as session:
        assert len(list(session.scalars(select(Article.id)))) == ARTICLES
    db.dispose()


@pytest.mark.slow
def test_scheduler_and_two_workers_with_one_killed(
    tmp_path: Path,
    postgres_url: str,
    queue_section: dict[str, str],
    sites: dict[str, NewsSite],
) -> None:
    config: dict[str, Any] = {
        "database": {"url": postgres_url},
        "queue": queue_section,
        "crawl": {
            "per_domain_concurrency": 1,
            "concurrent_requests": 2,
            "autothrottle": False,
            "retry_times": 0,
            "download_timeout": 10,
        },
        "daemon": {"lease_ttl_seconds": 3600, "heartbeat_seconds": 1, "adaptive_polling": False},
        "worker": {"concurrent_polls": 1},
        "sources": [
            {
                "name": name,
                "feeds": [f"{web.base}/feed.xml"],
                "allow_private": True,
                "schedule": "every 1 hour",
            }
            for name, web in sites.items()
        ],
    }
    path = tmp_path / "monitor.toml"
    path.write_text(render_toml(config), encoding="utf-8")
    db = Database(postgres_url)
    upgrade(db)
    logs: list[Path] = []
    processes: list[subprocess.Popen[bytes]] = []

    def start(*args: str) -> subprocess.Popen[bytes]:
        log_file = tmp_path / f"{args[0]}-{len(logs)}.log"
        logs.append(log_file)
        process = subprocess.Popen(
            [sys.executable, "-m", "monitor", "--config", str(path), *args],
            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=log_file.open("wb"),
        )  # fmt: skip
        processes.append(process)
        return process

    def polls() -> list[PollRequest]:
        with db.session() as session:
            rows = list(session.scalars(select(PollRequest).order_by(PollRequest.id)))
            session.expunge_all()
            return rows

    def check(condition: Callable[[], bool], what: str) -> None:
        if not wait_for(condition, timeout=120, interval=0.1):
            rows = [(p.id, p.source_name, p.status, p.claimed_by) for p in polls()]
            details = "\n".join(f"--- {p.name}\n{p.read_text()[-2500:]}" for p in logs)
            pytest.fail(f"timed out waiting for {what}; polls={rows}\n{details}")

    try:
        scheduler = start("run", "--no-worker")
        workers = [start("worker"), start("worker")]
        worker_pids = {w.pid for w in workers}
        # both workers busy, one poll each (concurrent_polls = 1)
        check(
            lambda: len({p.claimed_by for p in polls() if p.status == "running"}) == 2,
            "two workers polling",
        )
        check(
            lambda: any(
                sites[p.source_name].article_fetches() >= KILL_AFTER
                for p in polls()
                if p.status == "running"
            ),
            "a poll under way",
        )
        victim = next(
            p
            for p in polls()
            if p.status == "running" and sites[p.source_name].article_fetches() >= KILL_AFTER
        )
        assert victim.claimed_by is not None
        victim_pid = parse_holder(victim.claimed_by).pid
        assert victim_pid in worker_pids  # the scheduler runs no crawl itself
        os.kill(victim_pid, signal.SIGKILL)  # type: ignore[arg-type]
        check(
            lambda: len(polls()) == len(SOURCES) and all(p.status == "done" for p in polls()),
            "every poll done",
        )
        scheduler.send_signal(signal.SIGTERM)
        assert scheduler.wait(60) == 0
    finally:
        _stop(processes)

    rows = {p.source_name: p for p in polls()}
    assert rows[victim.source_name].attempts == 2
    assert all(p.outcome and p.outcome["status"] == "ok" for p in rows.values())
    assert {parse_holder(p.claimed_by or "").pid for p in rows.values()} <= worker_pids
    with db.session() as session:
        stored = list(session.scalars(select(Article.canonical_url)))
    assert len(stored) == len(set(stored)) == ARTICLES * len(SOURCES)
    queue = PollQueue(queue_section["url"], queue_section["stream"], "crawl-workers")
    assert queue.pending() <= 1  # at most the dead worker's superseded message is left
    queue.close()
    db.dispose()
