"""The soak run: :func:`run_soak` starts the local news web, a slow SMTP server and the real
daemon (``monitor run``; distributed: ``monitor run --no-worker`` and ``monitor worker``s on
Redis + PostgreSQL), publishes articles for many cycles, SIGKILLs the scheduler, a crawl worker
or the digest sender at seeded random moments, restarts what it killed, and finally checks
every relevant article stored once, one story each, and delivered once per recipient.

Recovery times (restart to the first successful poll, to the first article stored) are
measured and reported, never asserted: they depend on the machine.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import random
import signal
import statistics
import subprocess
import sys
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from monitor.db.engine import Database
from monitor.db.migrate import upgrade
from monitor.db.models import AlertDelivery, Article, Digest, PollRequest
from tests.daemon.conftest import render_toml
from tests.faults.helpers import child_pids
from tests.soak.parts import NewsWeb, SlowMailbox, slug_of

ROOT = Path(__file__).resolve().parents[2]
REDIS_DB = 12  # the soak's own Redis database (its stream key is unique per run too)
HOSTS = ("127.0.0.61", "127.0.0.62")
INSTANT = "instant@example.org"
DAILY = "daily@example.org"
RECIPIENTS = (INSTANT, DAILY)


class Deployment(StrEnum):
    EMBEDDED = "embedded"  # monitor run (scheduler + local worker), SQLite
    DISTRIBUTED = "distributed"  # monitor run --no-worker + monitor workers, Redis + PostgreSQL


class Victim(StrEnum):
    SCHEDULER = "scheduler"  # monitor run, during a crawl
    WORKER = "worker"  # a crawl worker process, during a crawl
    SENDER = "sender"  # monitor run (digests are its threads) while the SMTP server holds a 250
    # (distributed only) the queue's data: the stream and its consumer group deleted during a
    # crawl, as a Redis restart without persistence loses them; nothing is restarted
    REDIS = "redis"


def victims(deployment: Deployment) -> list[Victim]:
    """The kinds of failure a soak of ``deployment`` deals out, in turn."""
    if deployment is Deployment.DISTRIBUTED:
        return list(Victim)
    return [v for v in Victim if v is not Victim.REDIS]


@dataclass
class Kill:
    """One SIGKILL and what followed it."""

    cycle: int
    victim: Victim
    during: str  # what was under way: "crawl", "send" (a 250 held), or "idle"
    at: float  # time.monotonic()
    restarted_wall: datetime  # when the replacement was started (the database's clock is UTC)
    to_poll_s: float | None = None  # restart -> first poll finished ok
    to_article_s: float | None = None  # restart -> first article stored
    to_mail_s: float | None = None  # restart -> next message received (the sender's kills)


@dataclass
class SoakReport:
    """The counts of one soak run; :attr:`ok` when nothing was lost or duplicated."""

    deployment: Deployment
    seed: int
    cycles: int
    kills: list[Kill] = field(default_factory=list)
    relevant_published: int = 0
    irrelevant_published: int = 0
    stored: int = 0
    duplicated: list[str] = field(default_factory=list)  # relevant slugs stored more than once
    lost: list[str] = field(default_factory=list)  # relevant slugs never stored
    irrelevant_stored: list[str] = field(default_factory=list)
    shared_stories: list[str] = field(default_factory=list)  # slugs whose story has others too
    messages: int = 0
    delivered: int = 0  # (recipient, article) pairs delivered
    resent: int = 0  # extra copies of one Message-ID, each after a kill of the sender
    excess_resends: list[str] = field(default_factory=list)  # copies no kill explains
    delivered_twice: list[str] = field(default_factory=list)  # one article in two messages
    undelivered: list[str] = field(default_factory=list)  # (recipient, article) never received
    irrelevant_alerted: list[str] = field(default_factory=list)
    not_recovered: list[str] = field(default_factory=list)
    pending_left: int = 0  # outbox rows or digests still pending at the end
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not (
            self.duplicated or self.lost or self.shared_stories or self.excess_resends
            or self.delivered_twice or self.undelivered or self.irrelevant_alerted
            or self.not_recovered or self.pending_left
        )  # fmt: skip

    def lines(self) -> list[str]:
        """The report as printed by ``make soak``."""
        kinds = Counter(k.victim.value for k in self.kills)
        during = Counter(f"{k.victim.value}/{k.during}" for k in self.kills)
        out = [
            f"soak {self.deployment.value}: seed {self.seed}, {self.cycles} cycles, "
            f"{self.seconds:.0f} s — {'OK' if self.ok else 'FAILED'}",
            "  kills: "
            + ", ".join(f"{kind} {kinds.get(kind.value, 0)}" for kind in victims(self.deployment))
            + f" ({', '.join(f'{k} {n}' for k, n in sorted(during.items()))})",
            f"  articles: published {self.relevant_published} relevant + "
            f"{self.irrelevant_published} irrelevant; stored {self.stored}, "
            f"duplicated {len(self.duplicated)}, lost {len(self.lost)}, "
            f"irrelevant stored {len(self.irrelevant_stored)}, "
            f"sharing a story {len(self.shared_stories)}",
            f"  messages: {self.messages} received; delivered {self.delivered} "
            f"(article × recipient), resent {self.resent} (same Message-ID after a kill), "
            f"unexplained resends {len(self.excess_resends)}, "
            f"in two messages {len(self.delivered_twice)}, lost {len(self.undelivered)}, "
            f"irrelevant alerted {len(self.irrelevant_alerted)}, pending at the end "
            f"{self.pending_left}",
        ]
        for what, values in (
            ("restart → first successful poll", [k.to_poll_s for k in self.kills]),
            ("restart → first article stored", [k.to_article_s for k in self.kills]),
            (
                "sender restart → next message received",
                [k.to_mail_s for k in self.kills if k.victim is Victim.SENDER],
            ),
        ):
            if spread := _spread(values):
                out.append(f"  recovery, {what}: {spread}")
        for kind in Victim:
            mine = [k for k in self.kills if k.victim is kind]
            poll, article = (
                _spread([k.to_poll_s for k in mine]),
                _spread([k.to_article_s for k in mine]),
            )
            if poll or article:
                out.append(
                    f"    after {kind.value} kills: poll {poll or 'none'}; "
                    f"article {article or 'none'}"
                )
        for name in ("duplicated", "lost", "irrelevant_stored", "shared_stories",
                     "excess_resends", "delivered_twice", "undelivered",
                     "irrelevant_alerted", "not_recovered"):  # fmt: skip
            if values := getattr(self, name):
                out.append(f"  {name}: {', '.join(values[:20])}")
        return out


def _spread(values: list[float | None]) -> str:
    """``min … median … max`` of the known values, or "" when none is known."""
    known = sorted(v for v in values if v is not None)
    if not known:
        return ""
    return (
        f"min {known[0]:.1f} s, median {statistics.median(known):.1f} s, "
        f"max {known[-1]:.1f} s ({len(known)} of {len(values)} kills)"
    )


# --- the processes -------------------------------------------------------------------------------


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _cmdline(pid: int) -> str:
    try:
        return (Path("/proc") / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


class Fleet:
    """The monitor's processes of one deployment, started and killed by the soak."""

    def __init__(self, config: Path, deployment: Deployment, logs: Path, workers: int) -> None:
        self.config = config
        self.deployment = deployment
        self.logs = logs
        self.worker_count = workers if deployment is Deployment.DISTRIBUTED else 0
        self.scheduler: subprocess.Popen[bytes] | None = None
        self.workers: list[subprocess.Popen[bytes]] = []
        self.started = 0

    def _start(self, *args: str) -> subprocess.Popen[bytes]:
        self.started += 1
        log = (self.logs / f"{self.started:03d}-{args[0]}.log").open("wb")
        env = {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")}
        command = [sys.executable, "-m", "monitor", "--config", str(self.config), *args]
        return subprocess.Popen(
            command, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=log
        )

    def start_scheduler(self) -> None:
        distributed = self.deployment is Deployment.DISTRIBUTED
        self.scheduler = self._start("run", *(["--no-worker"] if distributed else []))

    def start_worker(self) -> None:
        self.workers.append(self._start("worker"))

    def start(self) -> None:
        self.start_scheduler()
        for _ in range(self.worker_count):
            self.start_worker()

    def worker_pids(self) -> list[int]:
        """The live crawl workers: the embedded one is the daemon's child."""
        if self.deployment is Deployment.DISTRIBUTED:
            return [w.pid for w in self.workers if w.poll() is None]
        if self.scheduler is None or self.scheduler.poll() is not None:
            return []
        return [p for p in child_pids(self.scheduler.pid) if "monitor.crawl.worker" in _cmdline(p)]

    def kill_scheduler(self) -> None:
        assert self.scheduler is not None
        self.scheduler.send_signal(signal.SIGKILL)
        self.scheduler.wait()

    def kill_worker(self, rng: random.Random) -> bool:
        """SIGKILL one live worker; False when none runs (it is restarting)."""
        pids = self.worker_pids()
        if not pids:
            return False
        pid = rng.choice(pids)
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        for worker in self.workers:
            if worker.pid == pid:
                worker.wait()
                self.workers.remove(worker)
                break
        return True

    def stop(self) -> None:
        """SIGTERM to all, then SIGKILL whatever is left after a grace period."""
        processes = [p for p in [self.scheduler, *self.workers] if p is not None]
        for process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


# --- the run -------------------------------------------------------------------------------------


def _wait(condition: Callable[[], bool], timeout: float, interval: float = 0.1) -> bool:
    """Poll ``condition`` until true or ``timeout`` (a bound against a hang, not a speed check)."""
    deadline = time.monotonic() + timeout
    while True:
        if condition():
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(interval)


def soak_config(
    db_url: str, web: NewsWeb, mailbox: SlowMailbox, queue: dict[str, str] | None
) -> dict[str, Any]:
    """The project config: one source per outlet polled every 2 s, an instant and a daily
    recipient (the daily digest every 5 s), short leases so a dead holder is seen quickly."""
    config: dict[str, Any] = {
        "database": {"url": db_url},
        "crawl": {
            "per_domain_concurrency": 2,
            "concurrent_requests": 4,
            "autothrottle": False,
            "retry_times": 1,
            "download_timeout": 10,
            "extract_workers": 1,  # one pool process per worker: quicker (re)starts
        },
        "daemon": {
            "lease_seconds": 120,
            "lease_ttl_seconds": 10,
            "heartbeat_seconds": 2,
            "adaptive_polling": False,
        },
        "worker": {"concurrent_polls": 2, "claim_interval_seconds": 0.2},
        "email": {
            "smtp_host": "127.0.0.1",
            "smtp_port": mailbox.port,
            "timeout_seconds": 15,
            "run_deadline_seconds": 60,
            "digest_schedule": "every 5 seconds",
            "recipients": [
                {"address": INSTANT, "frequency": "instant"},
                {"address": DAILY, "frequency": "daily"},
            ],
        },
        "sources": [
            {
                "name": f"outlet-{n}",
                "feeds": [f"{outlet.base}/feed.xml"],
                "allow_private": True,
                "schedule": "every 2 seconds",
            }
            for n, outlet in enumerate(web.outlets)
        ],
    }
    if queue is not None:
        config["queue"] = queue
    return config


class _Probe:
    """Read-only looks at the project database while the daemon runs."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def stored_slugs(self) -> Counter[str]:
        with self.db.session() as session:
            urls = list(session.scalars(select(Article.url)))
        return Counter(filter(None, map(slug_of, urls)))

    def first_ok_poll_after(self, when: datetime) -> datetime | None:
        """When the first poll requested after ``when`` finished well (crawling works again)."""
        with self.db.session() as session:
            rows = session.execute(
                select(PollRequest.requested_at, PollRequest.finished_at, PollRequest.outcome)
            ).all()
        done = [
            _aware(finished)
            for requested, finished, outcome in rows
            if finished is not None and _aware(requested) > when
            and (outcome or {}).get("status") in ("ok", "partial")
        ]  # fmt: skip
        return min(done, default=None)

    def first_article_after(self, when: datetime) -> datetime | None:
        with self.db.session() as session:
            seen = list(session.scalars(select(Article.first_seen_at)))
        return min((_aware(s) for s in seen if _aware(s) > when), default=None)

    def pending(self) -> int:
        with self.db.session() as session:
            rows = session.scalar(
                select(func.count())
                .select_from(AlertDelivery)
                .where(AlertDelivery.status == "pending")
            )
            digests = session.scalar(
                select(func.count()).select_from(Digest).where(Digest.status == "pending")
            )
        return int(rows or 0) + int(digests or 0)


@contextlib.contextmanager
def _postgres_database() -> Iterator[str]:
    """A fresh PostgreSQL database of the soak's own on the local server, dropped afterwards."""
    from tests.conftest import POSTGRES_ADMIN_URL, _postgres_admin

    name = f"monitor_soak_{uuid.uuid4().hex[:12]}"
    with _postgres_admin() as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{POSTGRES_ADMIN_URL.rsplit('/', 1)[0]}/{name}"
    finally:
        with _postgres_admin() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextlib.contextmanager
def _redis_stream() -> Iterator[dict[str, str]]:
    import redis

    stream = f"soak:{uuid.uuid4().hex}:polls"
    url = f"redis://127.0.0.1:6379/{REDIS_DB}"
    try:
        yield {"url": url, "stream": stream}
    finally:
        redis.Redis.from_url(url).delete(stream)


def run_soak(
    cycles: int,
    seed: int,
    deployment: Deployment | str,
    *,
    workdir: Path,
    db_url: str | None = None,
    workers: int = 2,
    settle_timeout: float = 240.0,
    echo: Callable[[str], None] | None = None,
) -> SoakReport:
    """Soak ``deployment`` for ``cycles`` publish-and-kill cycles (random moments from ``seed``).

    ``db_url``: the database to use (migrated here); None: a SQLite file in ``workdir``
    (embedded) or a fresh PostgreSQL database of the soak's own (distributed).
    """
    deployment = Deployment(deployment)
    workdir.mkdir(parents=True, exist_ok=True)
    with contextlib.ExitStack() as stack:
        if db_url is None:
            db_url = (
                f"sqlite:///{workdir / 'monitor.db'}"
                if deployment is Deployment.EMBEDDED
                else stack.enter_context(_postgres_database())
            )
        queue = (
            stack.enter_context(_redis_stream()) if deployment is Deployment.DISTRIBUTED else None
        )
        return _Soak(
            cycles, seed, deployment, workdir, db_url, queue, workers, settle_timeout, echo
        ).run()


class _Soak:
    def __init__(
        self,
        cycles: int,
        seed: int,
        deployment: Deployment,
        workdir: Path,
        db_url: str,
        queue: dict[str, str] | None,
        workers: int,
        settle_timeout: float,
        echo: Callable[[str], None] | None,
    ) -> None:
        self.rng = random.Random(seed)
        self.report = SoakReport(deployment, seed, cycles)
        self.workdir = workdir
        self.db_url = db_url
        self.queue = queue
        self.workers = workers
        self.settle_timeout = settle_timeout
        self.echo = echo or (lambda line: None)
        self.order: list[Victim] = []

    def run(self) -> SoakReport:
        began = time.monotonic()
        db = Database(self.db_url)
        upgrade(db)
        probe = _Probe(db)
        web = NewsWeb(list(HOSTS))
        mailbox = SlowMailbox(data_delay=1.0)
        config = self.workdir / "monitor.toml"
        config.write_text(
            render_toml(soak_config(self.db_url, web, mailbox, self.queue)), encoding="utf-8"
        )
        logs = self.workdir / "logs"
        logs.mkdir(exist_ok=True)
        fleet = Fleet(config, self.report.deployment, logs, self.workers)
        try:
            fleet.start()
            started = datetime.now(UTC)
            if not _wait(lambda: probe.first_ok_poll_after(started) is not None, 120):
                self.report.not_recovered.append("first start: no poll finished in 120 s")
            for cycle in range(self.report.cycles):
                self._cycle(cycle, fleet, web, mailbox, probe)
            self._settle(web, mailbox, probe)
        finally:
            fleet.stop()
            mailbox.stop()
            web.stop()
            self._count(web, mailbox, probe)
            db.dispose()
        self.report.seconds = time.monotonic() - began
        return self.report

    def _victim(self, cycle: int) -> Victim:
        """Every kind in turn, in a seeded order per round of all kinds: they stay balanced."""
        kinds = victims(self.report.deployment)
        if cycle % len(kinds) == 0:
            self.order = list(kinds)
            self.rng.shuffle(self.order)
        return self.order[cycle % len(kinds)]

    def _lose_queue(self) -> None:
        """Delete the stream and its group, as a Redis restart without persistence does."""
        import redis

        assert self.queue is not None
        client = redis.Redis.from_url(self.queue["url"])
        client.delete(self.queue["stream"])
        client.close()

    # --- one cycle: publish, wait for the moment, kill, restart, wait for recovery --------------

    def _cycle(
        self, cycle: int, fleet: Fleet, web: NewsWeb, mailbox: SlowMailbox, probe: _Probe
    ) -> None:
        rng = self.rng
        hits = web.page_hits()
        for _ in range(rng.randint(1, 3)):
            web.publish(rng.randrange(len(web.outlets)), relevant=True)
        if rng.random() < 0.4:
            web.publish(rng.randrange(len(web.outlets)), relevant=False)
        victim = self._victim(cycle)
        if victim is Victim.SENDER:
            # the instant digest follows the crawl of the new articles: wait for a held 250
            during = "send" if _wait(mailbox.in_flight, 30, interval=0.02) else "idle"
            time.sleep(rng.uniform(0, 0.5))  # anywhere in the 1 s the server holds the 250
        else:
            during = "crawl" if _wait(lambda: web.page_hits() > hits, 20, 0.02) else "idle"
            time.sleep(rng.uniform(0, 0.6))
        if victim is Victim.REDIS:
            self._lose_queue()
        elif victim is Victim.WORKER and not fleet.kill_worker(rng):
            during = "no worker running"
        elif victim is not Victim.WORKER:
            fleet.kill_scheduler()
        at = time.monotonic()
        restarted = datetime.now(UTC)
        if victim is Victim.REDIS:
            pass  # nothing died: the scheduler and the workers carry on
        elif victim is not Victim.WORKER:
            fleet.start_scheduler()
        elif fleet.deployment is Deployment.DISTRIBUTED:
            fleet.start_worker()
        # (embedded: the daemon restarts its own worker)
        kill = Kill(cycle, victim, during, at, restarted)
        self.report.kills.append(kill)
        self.echo(f"cycle {cycle}: killed the {victim.value} ({during})")  # redis: its data
        if not _wait(lambda: probe.first_ok_poll_after(restarted) is not None, 120):
            self.report.not_recovered.append(f"cycle {cycle}: no poll in 120 s after {victim}")
        time.sleep(rng.uniform(0, 1.0))

    # --- the end: wait until everything is stored and delivered, then count ---------------------

    def _settle(self, web: NewsWeb, mailbox: SlowMailbox, probe: _Probe) -> None:
        relevant = {a.slug for a in web.published if a.relevant}

        def done() -> bool:
            if not relevant <= set(probe.stored_slugs()):
                return False
            received: dict[str, set[str]] = defaultdict(set)
            for message in mailbox.snapshot():
                received[message.recipient] |= message.slugs
            if not all(relevant <= received[r] for r in RECIPIENTS):
                return False
            return probe.pending() == 0 and not mailbox.in_flight()

        _wait(done, self.settle_timeout, interval=0.5)

    def _count(self, web: NewsWeb, mailbox: SlowMailbox, probe: _Probe) -> None:
        report = self.report
        relevant = {a.slug for a in web.published if a.relevant}
        irrelevant = {a.slug for a in web.published if not a.relevant}
        report.relevant_published, report.irrelevant_published = len(relevant), len(irrelevant)
        with probe.db.session() as session:
            rows = session.execute(select(Article.url, Article.story_id)).all()
        stored = Counter(filter(None, (slug_of(url) for url, _ in rows)))
        report.stored = sum(n for slug, n in stored.items() if slug in relevant)
        report.duplicated = sorted(s for s in relevant if stored[s] > 1)
        report.lost = sorted(relevant - set(stored))
        report.irrelevant_stored = sorted(irrelevant & set(stored))
        by_story: dict[int | None, set[str]] = defaultdict(set)
        for url, story_id in rows:
            if (slug := slug_of(url)) is not None:
                by_story[story_id].add(slug)
        report.shared_stories = sorted(
            s for sid, slugs in by_story.items() for s in slugs if sid is None or len(slugs) > 1
        )
        report.pending_left = probe.pending()
        # messages: per recipient and article, one Message-ID; its extra copies each follow a
        # kill of the sending process (the documented single resend per crash)
        messages = mailbox.snapshot()
        report.messages = len(messages)
        sender_kills = sorted(k.at for k in report.kills if k.victim is not Victim.WORKER)
        copies: dict[tuple[str, str], list[float]] = defaultdict(list)
        ids: dict[tuple[str, str], set[str]] = defaultdict(set)
        for message in messages:
            copies[message.recipient, message.message_id].append(message.at)
            for slug in message.slugs:
                ids[message.recipient, slug].add(message.message_id)
                if slug in irrelevant:
                    report.irrelevant_alerted.append(f"{slug} to {message.recipient}")
        for (recipient, message_id), times in copies.items():
            for before, after in itertools.pairwise(times):
                report.resent += 1
                if not any(before < k < after for k in sender_kills):
                    report.excess_resends.append(f"{message_id} to {recipient}")
        for recipient in RECIPIENTS:
            for slug in sorted(relevant):
                found = ids.get((recipient, slug), set())
                if not found:
                    report.undelivered.append(f"{slug} to {recipient}")
                elif len(found) > 1:
                    report.delivered_twice.append(f"{slug} to {recipient}")
                else:
                    report.delivered += 1
        for kill in report.kills:
            poll = probe.first_ok_poll_after(kill.restarted_wall)
            article = probe.first_article_after(kill.restarted_wall)
            if poll is not None:
                kill.to_poll_s = (poll - kill.restarted_wall).total_seconds()
            if article is not None:
                kill.to_article_s = (article - kill.restarted_wall).total_seconds()
            if kill.victim is Victim.SENDER:
                after = [m.at for m in messages if m.at > kill.at]
                kill.to_mail_s = min(after) - kill.at if after else None
