"""The distributed deployment's hand-over: a Redis stream with a consumer group.

The ``poll_requests`` row stays the record of a poll (its status and outcome, in the shared
PostgreSQL database); the stream only carries "poll N is queued" to whichever ``monitor worker``
reads it first (``XREADGROUP``). A worker acknowledges (``XACK``) once the outcome is in the row;
messages a dead worker never acknowledged are taken over by another after one lease TTL
(``XAUTOCLAIM``). A duplicate message is harmless: claiming the row is atomic, so the second
reader finds it no longer queued and just acknowledges. A queued row whose message is gone
(Redis lost its data, a push failed) is sent again by the scheduler's sweep
(:func:`resend_orphaned_polls`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from monitor.config import MonitorConfig
from monitor.db.engine import Database
from monitor.db.models import PollRequester
from monitor.db.polls import request_poll, requeue_abandoned, waiting_polls
from monitor.errors import ConfigError, QueueError

log = logging.getLogger("monitor.crawl.queue")


@dataclass(frozen=True)
class QueuedPoll:
    message_id: str
    poll_id: int


def require_distributed(config: MonitorConfig, what: str) -> None:
    """ConfigError (exit 2) unless ``[queue]`` is set and the database is not SQLite."""
    if config.queue.url is None:
        raise ConfigError(f'{what} needs a [queue] url = "redis://HOST:PORT/DB" in the config')
    if config.database.url.startswith("sqlite"):
        raise ConfigError(f"{what} needs a shared database (PostgreSQL), not SQLite")


class PollQueue:
    """One Redis stream and its consumer group."""

    def __init__(self, url: str, stream: str, group: str) -> None:
        import redis

        self.stream = stream
        self.group = group
        self.redis = redis.Redis.from_url(url, decode_responses=True, socket_timeout=30)
        self._errors: tuple[type[Exception], ...] = (redis.RedisError,)

    @classmethod
    def from_config(cls, config: MonitorConfig) -> PollQueue | None:
        """The configured queue, pinged and with its group created; None without ``[queue]``."""
        if config.queue.url is None:
            return None
        queue = cls(config.queue.url, config.queue.stream, config.queue.group)
        queue.ensure_group()
        return queue

    def _call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        try:
            return getattr(self.redis, method)(*args, **kwargs)
        except self._errors as exc:
            raise QueueError(f"Redis queue: {exc}") from exc

    def ensure_group(self) -> None:
        """Fail fast when Redis is unreachable; create the stream and group if missing."""
        self._call("ping")
        try:
            self.redis.xgroup_create(self.stream, self.group, id="0", mkstream=True)
        except self._errors as exc:
            if "BUSYGROUP" not in str(exc):
                raise QueueError(f"Redis queue: {exc}") from exc

    def push(self, poll_id: int) -> str:
        return str(self._call("xadd", self.stream, {"poll_id": str(poll_id)}))

    def take(
        self, consumer: str, count: int, *, block_ms: int, reclaim_idle_ms: int
    ) -> list[QueuedPoll]:
        """Messages dead consumers left unacknowledged (idle > ``reclaim_idle_ms``), then new
        ones (waiting up to ``block_ms``). When Redis lost the group (a restart without
        persistence), it is created again, over whatever the stream holds by now."""
        if count <= 0:
            return []
        try:
            return self._take(consumer, count, block_ms=block_ms, reclaim_idle_ms=reclaim_idle_ms)
        except QueueError as exc:
            if "NOGROUP" not in str(exc):
                raise
        log.warning(
            "Redis lost the stream %s or its group %s: creating them", self.stream, self.group
        )
        self.ensure_group()
        return self._take(consumer, count, block_ms=block_ms, reclaim_idle_ms=reclaim_idle_ms)

    def _take(
        self, consumer: str, count: int, *, block_ms: int, reclaim_idle_ms: int
    ) -> list[QueuedPoll]:
        taken: list[QueuedPoll] = []
        reclaimed = self._call(
            "xautoclaim", self.stream, self.group, consumer, reclaim_idle_ms, "0-0", count=count
        )
        taken += _entries(reclaimed[1])
        if len(taken) < count:
            fresh = self._call(
                "xreadgroup", self.group, consumer, {self.stream: ">"},
                count=count - len(taken), block=block_ms,
            )  # fmt: skip
            for _stream, entries in fresh or []:
                taken += _entries(entries)
        return taken

    def ack(self, *message_ids: str) -> None:
        """Acknowledge messages and delete them from the stream (one round trip for many): an
        acknowledged message is never read again, and the stream stays as small as the queue."""
        if not message_ids:
            return
        pipe = self.redis.pipeline(transaction=False)
        pipe.xack(self.stream, self.group, *message_ids)
        pipe.xdel(self.stream, *message_ids)
        try:
            pipe.execute()
        except self._errors as exc:
            raise QueueError(f"Redis queue: {exc}") from exc

    def queued_poll_ids(self) -> set[int]:
        """The polls named by every message still in the stream, read or not (an acknowledged
        message is deleted), read in pages of 1,000."""
        ids: set[int] = set()
        start = "-"
        while True:
            entries = self._call("xrange", self.stream, min=start, max="+", count=1000)
            ids.update(poll.poll_id for poll in _entries(entries))
            if len(entries) < 1000:
                return ids
            start = "(" + str(entries[-1][0])  # exclusive: after the last one read

    def length(self) -> int:
        """Messages in the stream (read or not: acknowledged ones are deleted)."""
        return int(self._call("xlen", self.stream))

    def pending(self) -> int:
        """Messages delivered and not yet acknowledged."""
        return int(self._call("xpending", self.stream, self.group)["pending"])

    def close(self) -> None:
        self.redis.close()


def _entries(entries: Any) -> list[QueuedPoll]:
    polls: list[QueuedPoll] = []
    for message_id, fields in entries or []:
        if fields and str(fields.get("poll_id", "")).isdigit():
            polls.append(QueuedPoll(str(message_id), int(fields["poll_id"])))
    return polls


def submit_poll(
    db: Database, queue: PollQueue | None, source_name: str, requested_by: PollRequester
) -> tuple[int, bool]:
    """Queue a poll (a row, and a stream message in the distributed deployment). The row is
    the record: when Redis does not take the message, the poll stays queued and the
    scheduler's sweep sends it once Redis answers again (:func:`resend_orphaned_polls`)."""
    poll_id, queued = request_poll(db, source_name, requested_by)
    if queued and queue is not None:
        try:
            queue.push(poll_id)
        except QueueError as exc:
            log.warning(
                "poll %d of %s is queued, but its message was not sent (%s); the scheduler "
                "sends it again once Redis answers", poll_id, source_name, exc,
            )  # fmt: skip
    return poll_id, queued


def resend_orphaned_polls(db: Database, queue: PollQueue, older_than_seconds: float) -> list[int]:
    """Queued polls, waiting longer than ``older_than_seconds``, that no message in the stream
    names, sent again; their ids. Such a row is stuck otherwise: a new request for its source
    returns the queued row without sending anything. It happens when Redis lost its data (a
    restart without persistence), when the process that queued the row died or lost Redis
    between its commit and its ``XADD``, or when a worker acknowledged the message of a row it
    found locked by another transaction. A message sent twice is harmless (see above)."""
    waiting = waiting_polls(db, older_than_seconds)
    if not waiting:
        return []
    present = queue.queued_poll_ids()
    orphans = [poll_id for poll_id in waiting if poll_id not in present]
    for poll_id in orphans:
        queue.push(poll_id)
    return orphans


def sweep_polls(
    db: Database, queue: PollQueue | None, ttl_seconds: float
) -> tuple[list[int], list[int]]:
    """The scheduler's heartbeat over the polls: re-queue those of dead workers and, in the
    distributed deployment, send their messages and re-send lost ones. (re-queued, re-sent)"""
    requeued = requeue_abandoned(db, ttl_seconds)
    if queue is None:
        return requeued, []
    for poll_id in requeued:
        queue.push(poll_id)
    return requeued, resend_orphaned_polls(db, queue, ttl_seconds)
