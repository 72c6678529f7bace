"""Fixtures for alert tests: real SMTP servers on loopback (aiosmtpd), a webhook, databases."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from monitor.alerts.delivery import RetryPolicy
from monitor.alerts.outbox import enqueue_story_alerts
from monitor.config import MonitorConfig
from monitor.db.engine import Database
from monitor.db.models import Article, Story
from tests.conftest import migrated_sqlite
from tests.sites.loopback import LoopbackServer

FAST_RETRY = RetryPolicy(attempts=3, initial_wait=0.01, max_wait=0.05)
NOW = datetime.now(UTC)


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


@dataclass
class Received:
    """One message the server accepted."""

    mail_from: str
    rcpt_tos: list[str]
    data: bytes

    @property
    def message(self) -> EmailMessage:
        parsed = BytesParser(policy=policy.default).parsebytes(self.data)
        assert isinstance(parsed, EmailMessage)
        return parsed

    @property
    def message_id(self) -> str:
        return str(self.message["Message-ID"])


@dataclass
class Behaviour:
    """How the server answers DATA: the first ``times`` calls misbehave, then it accepts."""

    mode: str = "ok"  # ok | tempfail | drop | slow | reject
    times: int = 0
    # "slow": the answer is held until the test sets this (after the client gave up), so the
    # outcome does not depend on how two timers race on a busy machine.
    release: threading.Event = field(default_factory=threading.Event)


@dataclass
class SMTPServer:
    """A recording aiosmtpd server on 127.0.0.1 whose DATA behaviour tests can change."""

    port: int
    behaviour: Behaviour = field(default_factory=Behaviour)
    received: list[Received] = field(default_factory=list)
    data_calls: int = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.data_calls += 1
        behaviour = self.behaviour
        misbehave = behaviour.mode != "ok" and self.data_calls <= behaviour.times
        if misbehave and behaviour.mode == "tempfail":
            return "451 4.3.0 Try again later"
        if misbehave and behaviour.mode == "reject":
            return "554 5.7.1 Message rejected as spam"
        if misbehave and behaviour.mode == "drop":
            server.transport.close()
            return "421 closing"
        # Queued before answering: a "slow" server has the message but replies too late.
        self.received.append(
            Received(envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.content))
        )
        if misbehave and behaviour.mode == "slow":
            for _ in range(3000):  # at most 30 s, so a test that forgets cannot hang the server
                if behaviour.release.is_set():
                    break
                await asyncio.sleep(0.01)
        return "250 2.0.0 OK queued"

    def wait_for(self, count: int, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while len(self.received) < count and time.monotonic() < deadline:
            time.sleep(0.02)

    def message_ids(self) -> list[str]:
        return [r.message_id for r in self.received]


@pytest.fixture
def smtp_server() -> Iterator[SMTPServer]:
    """A normal SMTP server (tests may set ``.behaviour`` to make it misbehave)."""
    server = SMTPServer(port=free_port())
    controller = Controller(server, hostname="127.0.0.1", port=server.port)
    controller.start()
    try:
        yield server
    finally:
        controller.stop()


class HangingServer:
    """Accepts TCP connections and never says a word (no greeting)."""

    def __init__(self) -> None:
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(16)
        self.port = int(self.listener.getsockname()[1])
        self.connections: list[socket.socket] = []
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        self.listener.settimeout(0.1)
        while not self._stop.is_set():
            try:
                connection, _ = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections.append(connection)

    def wait_for_connections(self, count: int, timeout: float = 10.0) -> None:
        """Until ``count`` connections were accepted (the accept loop runs in a thread)."""
        deadline = time.monotonic() + timeout
        while len(self.connections) < count and time.monotonic() < deadline:
            time.sleep(0.02)

    def close(self) -> None:
        self._stop.set()
        self.thread.join(2)
        for connection in self.connections:
            connection.close()
        self.listener.close()


@pytest.fixture
def hanging_server() -> Iterator[HangingServer]:
    server = HangingServer()
    try:
        yield server
    finally:
        server.close()


class Webhook(LoopbackServer):
    """A JSON webhook on 127.0.0.2 recording POSTs; ``fail_next`` answers 500 that many times."""

    methods = ("POST",)

    def __init__(self) -> None:
        self.posts: list[dict[str, Any]] = []
        self.fail_next = 0
        super().__init__("127.0.0.2")

    @property
    def url(self) -> str:
        return f"json://127.0.0.2:{self.port}/"

    def handle(self, request: BaseHTTPRequestHandler) -> None:
        body = request.rfile.read(int(request.headers.get("Content-Length", 0)))
        if self.fail_next > 0:
            self.fail_next -= 1
            self.send(request, 500, None, b"")
            return
        self.posts.append(json.loads(body))
        self.send(request, 200, "application/json", b"{}")


@pytest.fixture
def webhook() -> Iterator[Webhook]:
    hook = Webhook()
    try:
        yield hook
    finally:
        hook.stop()


def make_config(
    port: int,
    recipients: list[Any] | None = None,
    *,
    database_url: str = "sqlite://",
    **email: Any,
) -> MonitorConfig:
    """A config mailing ``recipients`` through 127.0.0.1:``port``."""
    data = {
        "database": {"url": database_url},
        # the webhook's address counts as public: channel tests run with the SSRF guard on
        "crawl": {"public_networks": ["127.0.0.2/32"]},
        "email": {
            "smtp_host": "127.0.0.1",
            "smtp_port": port,
            "timeout_seconds": 2.0,
            "sender": "monitor@example.org",
            "recipients": recipients if recipients is not None else ["analyst@example.org"],
            **email,
        },
    }
    return MonitorConfig.model_validate(data)


@pytest.fixture
def alerts_db(tmp_path: Path, sqlite_template: Path) -> Iterator[Database]:
    """A migrated SQLite database in a temporary file."""
    database = Database(migrated_sqlite(sqlite_template, tmp_path / "alerts.db"))
    yield database
    database.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def any_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A migrated database on SQLite and on PostgreSQL (a database of its own, dropped after)."""
    if request.param == "sqlite":
        url = migrated_sqlite(request.getfixturevalue("sqlite_template"), tmp_path / "alerts.db")
    else:
        url = str(request.getfixturevalue("migrated_postgres_url"))
    database = Database(url)
    yield database
    database.dispose()


StoryFactory = Callable[..., int]


def add_story(
    db: Database,
    title: str = "Russia and Cuba sign an oil agreement",
    *,
    score: float = 1.0,
    created_at: datetime | None = None,
    copies: list[dict[str, Any]] | None = None,
    text: str = "Russia will ship oil to Cuba under an agreement signed in Havana.",
    snippet: str = "[Russia] will ship oil to [Cuba] under an agreement…",
) -> int:
    """Insert a story and its articles (one per entry of ``copies``); returns the story id."""
    created = created_at or NOW - timedelta(hours=2)
    copies = copies or [{"url": f"https://outlet.example/{uuid.uuid4().hex[:8]}"}]

    def _add(session: Any) -> int:
        story = Story(title=title, created_at=created, score=score, article_count=len(copies))
        session.add(story)
        session.flush()
        for copy in copies:
            session.add(
                Article(
                    canonical_url=copy.get("canonical_url", copy["url"])
                    + f"#{uuid.uuid4().hex[:6]}",
                    url=copy["url"],
                    story_id=story.id,
                    content_fingerprint=uuid.uuid4().hex,
                    title=copy.get("title", title),
                    text=text,
                    site_name=copy.get("site_name"),
                    language=copy.get("language", "en"),
                    published_at=copy.get("published_at", created),
                    first_seen_at=created,
                    matched_terms=copy.get("terms", ["russia", "cuba"]),
                    snippet=snippet,
                    score=score,
                )
            )
        return int(story.id)

    return db.write(_add)


def enqueue(db: Database, config: MonitorConfig, story_id: int) -> int:
    """Run the outbox hook for a stored story, as ArticleStore does for a new one."""

    def _enqueue(session: Any) -> int:
        story = session.get_one(Story, story_id)
        return enqueue_story_alerts(session, story, story.articles[0], config)

    return db.write(_enqueue)


def story_with_alerts(
    db: Database, config: MonitorConfig, title: str = "Russia–Cuba talks", **kw: Any
) -> int:
    """Add a story and enqueue its alerts; returns the story id."""
    story_id = add_story(db, title, **kw)
    enqueue(db, config, story_id)
    return story_id
