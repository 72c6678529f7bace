"""``make demo``: the whole product, offline, through the real CLI.

Starts the demo news web on 127.0.0.2–127.0.0.5 and a local SMTP server on 127.0.0.6, writes a
config for them into ``demo-output/``, then runs ``monitor init``, ``monitor crawl``, lists the
stories and the near misses (noise the query matched and the relevance model caught), promotes
one near miss with ``monitor feedback``, sends the digest (also written to
``demo-output/digest.eml`` and ``.html``), publishes
a breaking story, crawls again (incremental: 304s, nothing re-downloaded) and sends the next
digest, which holds only the new story; then runs the daemon (``monitor run``, the embedded
deployment) until it stores an article published while it runs, shows ``monitor status``,
exports, and says how to start the distributed deployment. ``--output DIR`` writes elsewhere
than ``demo-output/``; every message the SMTP server receives is also kept as ``DIR/inbox/NNN.eml``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Any

from monitor.demo.articles import ARTICLES, NOISE_ARTICLES
from monitor.demo.site import NewsWeb

DEFAULT_OUTPUT = Path("demo-output")
SMTP_ADDRESS = "127.0.0.6"


def _toml(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def write_config(
    web: NewsWeb,
    smtp_port: int | None,
    folder: Path,
    *,
    schedule: str = "every 30 minutes",
    name: str = "monitor.toml",
) -> Path:
    """The demo's config: four sources of four kinds, two analysts, the local SMTP server."""
    havana, moscow, post, search = (
        web.host(name) for name in ("havana-daily", "moscow-wire", "caribbean-post", "news-search")
    )
    sources: list[dict[str, Any]] = [
        {"name": "havana-daily", "feeds": [havana.url("/feed/")]},
        {"name": "moscow-wire", "sitemaps": [moscow.url("/sitemap.xml")]},
        {"name": "caribbean-post", "site": post.url("/")},
        {"name": "news-search", "type": "google_news", "feeds": [search.url("/rss/search")]},
    ]
    lines = [
        "# Written by `make demo`: the demo news web and SMTP server on loopback.",
        "[database]",
        f"url = {_toml('sqlite:///' + str((folder / 'monitor.db').resolve()))}",
        "",
        "[crawl]",
        "download_timeout = 3.0",
        "retry_times = 1",
        "autothrottle = false",
        "per_domain_concurrency = 4",
        "",
        "[email]",
        f"smtp_host = {_toml(SMTP_ADDRESS)}",
        f"smtp_port = {smtp_port or 2525}",
        'sender = "monitor@example.org"',
        'digest_schedule = "0 7 * * *"',
        "",
        "[[email.recipients]]",
        'address = "analyst@example.org"',
        'frequency = "daily"',
        'timezone = "Europe/Madrid"',
        "",
        "[[email.recipients]]",
        'address = "kremlin-desk@example.org"',
        'frequency = "daily"',
        "query = 'putin OR путин* OR kremlin OR кремл*'",
    ]
    for source in sources:
        lines += ["", "[[sources]]"]
        lines += [f"{key} = {_toml(value)}" for key, value in source.items()]
        lines += ["allow_private = true", f"schedule = {_toml(schedule)}"]
    path = folder / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _cli(config: Path, *args: str) -> int:
    """Run the real ``monitor`` CLI and let it print."""
    print(f"\n$ monitor {' '.join(args)}", flush=True)
    env = {
        k: v for k, v in os.environ.items() if k not in ("MONITOR_CONFIG", "MONITOR_DATABASE_URL")
    }
    env["COLUMNS"] = env.get("COLUMNS", "140")
    return subprocess.call(
        [sys.executable, "-m", "monitor", "--config", str(config), *args], env=env
    )


def _near_miss_id(config: Path, title_part: str) -> int | None:
    """The id of the near miss whose title contains ``title_part`` (via the real CLI)."""
    command = [sys.executable, "-m", "monitor", "--config", str(config)]
    listed = subprocess.run(
        [*command, "articles", "--near-misses", "--json"],
        capture_output=True,
        text=True,
        env={k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")},
    )
    for line in listed.stdout.splitlines():
        row = json.loads(line)
        if title_part.lower() in str(row.get("title", "")).lower():
            return int(row["id"])
    return None


DAEMON_SCHEDULE = "every 5 seconds"
DAEMON_WAIT_SECONDS = 120.0


def run_daemon_until_stored(config: Path, title: str) -> int:
    """The embedded deployment: ``monitor run`` (scheduler + one local crawl worker) until the
    article published meanwhile is stored, then a graceful stop (SIGTERM); its exit status."""
    import signal
    import time

    from sqlalchemy import func, select

    from monitor.config import load_config
    from monitor.db.engine import Database
    from monitor.db.models import Article

    db = Database(load_config(config).database.url)  # one engine for every look below

    def stored() -> bool:
        with db.session() as session:
            found = session.scalar(select(func.count()).where(Article.title == title))
            return bool(found)

    print(f"\n$ monitor --config {config.name} run    (stopped with SIGTERM once it is stored)")
    env = {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")}
    daemon = subprocess.Popen(
        [sys.executable, "-m", "monitor", "--config", str(config), "run"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    started = time.monotonic()
    try:
        while not stored():
            if daemon.poll() is not None:
                break
            if time.monotonic() - started > DAEMON_WAIT_SECONDS:
                print(f"the daemon did not store it within {DAEMON_WAIT_SECONDS:.0f}s")
                break
            time.sleep(0.5)
        else:
            print(f"stored by the daemon after {time.monotonic() - started:.1f}s: {title}")
    finally:
        if daemon.poll() is None:
            daemon.send_signal(signal.SIGTERM)
        try:
            output, _ = daemon.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            daemon.kill()
            output, _ = daemon.communicate()
    lines = [line for line in output.splitlines() if line.strip()]
    print("daemon log (last lines):")
    for line in lines[-8:]:
        print(f"  {line}")
    try:
        return 0 if stored() else 1
    finally:
        db.dispose()


DISTRIBUTED_HOWTO = """\
The distributed deployment runs the same code: put the database on PostgreSQL and add
    [queue]
    url = "redis://127.0.0.1:6379/0"
to the config, then start exactly one scheduler and any number of workers, on any machines:
    monitor --config monitor.toml run --no-worker     # the scheduler
    monitor --config monitor.toml worker              # a crawl worker (start as many as wanted)
(docs/operations.md: "Two deployments of the same code")."""


def _heading(text: str) -> None:
    print(f"\n=== {text}", flush=True)


class _Inbox:
    """A real SMTP server (aiosmtpd) on loopback that keeps what it receives."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.messages: list[tuple[list[str], Message]] = []
        self.controller: Any = None

    def start(self) -> int | None:
        try:
            from aiosmtpd.controller import Controller
        except ImportError:
            return None
        inbox = self

        class Handler:
            async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
                inbox.folder.mkdir(parents=True, exist_ok=True)
                (inbox.folder / f"{len(inbox.messages):03d}.eml").write_bytes(
                    envelope.original_content
                )
                inbox.messages.append(
                    (list(envelope.rcpt_tos), message_from_bytes(envelope.original_content))
                )
                return "250 OK"

        with socket.socket() as probe:  # aiosmtpd's Controller cannot bind port 0 itself
            probe.bind((SMTP_ADDRESS, 0))
            port = int(probe.getsockname()[1])
        self.controller = Controller(Handler(), hostname=SMTP_ADDRESS, port=port)
        self.controller.start()
        return port

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()

    def report(self, since: int) -> None:
        new = self.messages[since:]
        if not new:
            print("inbox: no message arrived")
        for recipients, message in new:
            print(f"inbox: to {', '.join(recipients)}: {message['Subject']}")


def main(argv: list[str] | None = None) -> int:
    """Run the demo end to end; exit non-zero if a step fails."""
    parser = argparse.ArgumentParser(prog="python -m monitor.demo", description=__doc__)
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="removed first")
    output: Path = parser.parse_args(argv).output
    if output.exists():
        shutil.rmtree(output)
    output.mkdir(parents=True)
    web = NewsWeb(
        slow_seconds=4.0, oversized_bytes=600_000, articles=ARTICLES + NOISE_ARTICLES
    ).start()
    inbox = _Inbox(output / "inbox")
    smtp_port = inbox.start()
    daemon_status = 1
    try:
        _heading("demo news web")
        for host in web.hosts.values():
            print(f"{host.name:16} {host.base}")
        print(f"{'smtp':16} {SMTP_ADDRESS}:{smtp_port}" if smtp_port else "smtp: aiosmtpd missing")
        config = write_config(web, smtp_port, output)
        print(f"config: {config}")

        _heading("1. create the database")
        if _cli(config, "init"):
            return 1
        _heading("2. first crawl: feeds, sitemaps, section pages, a news-search feed")
        if _cli(config, "crawl"):
            return 1
        _heading("3. the stored stories (syndicated copies are one story)")
        _cli(config, "articles", "--limit", "20")
        _cli(config, "query", "test", 'title:(putin OR путин*) OR "díaz-canel"', "--limit", "5")
        _heading("3b. near misses: the query matched, the relevance model says not about the topic")
        _cli(config, "articles", "--near-misses")
        missile = _near_miss_id(config, "thirteen days")
        if missile is not None:
            _heading("3c. an analyst wants the missile-crisis piece after all: promote it")
            _cli(config, "feedback", str(missile), "relevant")
        _heading("4. the digest: one email per analyst, sent to the local SMTP server")
        eml = output / "digest.eml"
        seen = len(inbox.messages)
        if smtp_port:
            _cli(config, "digest", "--out", str(eml))
        else:
            _cli(config, "digest", "--dry-run", "--out", str(eml))
        inbox.report(seen)

        _heading("5. news breaks: a new article is published; crawl again (incremental)")
        published = web.publish_next()
        if published is not None:
            print(f"published on {published.host}: {published.title}")
        _cli(config, "crawl")
        _heading("6. the next digest holds only the new story; a third sends nothing")
        seen = len(inbox.messages)
        _cli(config, "digest", "--out", str(output / "next" / "digest.eml"))
        inbox.report(seen)
        seen = len(inbox.messages)
        _cli(config, "digest")
        inbox.report(seen)
        _heading("7. the daemon, embedded deployment: scheduler + one local crawl worker")
        daemon_config = write_config(
            web, smtp_port, output, schedule=DAEMON_SCHEDULE, name="monitor-daemon.toml"
        )
        breaking = web.publish_next()
        if breaking is not None:
            print(f"published while the daemon runs, on {breaking.host}: {breaking.title}")
            daemon_status = run_daemon_until_stored(daemon_config, breaking.title)
        _heading("8. health, schedule and outbox")
        _cli(config, "status")
        _cli(config, "export", str(output / "export"))
        _heading("9. the distributed deployment")
        print(DISTRIBUTED_HOWTO)
    finally:
        inbox.stop()
        web.stop()
    _heading("files")
    for path in (eml, eml.with_suffix(".html"), output / "export", output / "monitor.db"):
        state = "" if path.exists() else "  (missing)"
        print(f"{path.resolve()}{state}")
    _heading("the web console on the demo database")
    print(f"run:  .venv/bin/monitor --config {config.resolve()} web --host 127.0.0.1 --port 8080")
    print("then open http://127.0.0.1:8080/ (open on loopback: no token needed; Ctrl-C stops it)")
    return daemon_status if eml.exists() and eml.with_suffix(".html").exists() else 1


if __name__ == "__main__":
    sys.exit(main())
