"""``make demo`` as a test: the whole product through the real ``monitor`` CLI.

``python -m monitor.demo --output DIR`` serves the demo news web and a real SMTP server on
loopback and runs init, crawl, articles, digest, a second crawl after one article is published,
two more digests and export. The assertions are relations between what the demo printed, what
the SMTP server received, what the database holds and what was exported, so they hold however
many articles the demo web carries.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from datetime import datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from sqlalchemy import select

from monitor.db.engine import Database
from monitor.db.models import Article, Digest, Story

pytestmark = pytest.mark.slow


@dataclass(frozen=True)
class Received:
    """One message the demo's SMTP server received, in arrival order."""

    to: str
    message_id: str
    text: str


@dataclass(frozen=True)
class DemoRun:
    output: Path
    returncode: int
    stdout: str
    stderr: str
    received: list[Received]
    articles: list[tuple[str, str, datetime]]  # title, text, first seen
    story_texts: list[str]  # the first article of each relevant story that has one
    digests: dict[str, tuple[str, str, datetime | None, int]]  # id: recipient, status, sent, count


def _message_id(value: str) -> str:
    return value.strip().strip("<>")


def _read_message(path: Path) -> Received:
    message = message_from_bytes(path.read_bytes(), policy=policy.default)
    assert isinstance(message, EmailMessage)
    body = message.get_body(("plain",))
    assert body is not None, f"{path} has no text part"
    return Received(str(message["To"]), _message_id(message["Message-ID"]), body.get_content())


def _read_inbox(folder: Path) -> list[Received]:
    return [_read_message(path) for path in sorted(folder.glob("*.eml"))]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoRun:
    """The demo run once, in a folder of its own; its outputs read into plain data."""
    output = tmp_path_factory.mktemp("demo") / "output"
    env = {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")}
    done = subprocess.run(
        [sys.executable, "-m", "monitor.demo", "--output", str(output)],
        cwd=output.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    db = Database(f"sqlite:///{output / 'monitor.db'}")
    try:
        with db.session() as session:
            articles = [
                (a.title, a.text, a.first_seen_at)
                for a in session.scalars(select(Article).order_by(Article.id))
            ]
            story_texts = [
                story.articles[0].text
                for story in session.scalars(select(Story).order_by(Story.id))
                if story.articles and not story.near_miss  # export leaves near misses out
            ]
            digests = {
                _message_id(d.message_id): (d.recipient, d.status, d.sent_at, d.story_count)
                for d in session.scalars(select(Digest))
            }
    finally:
        db.dispose()
    return DemoRun(
        output,
        done.returncode,
        done.stdout,
        done.stderr,
        _read_inbox(output / "inbox"),
        articles,
        story_texts,
        digests,
    )


def _published_title(demo: DemoRun) -> str:
    found = re.findall(r"^published on [\w-]+: (.+)$", demo.stdout, flags=re.MULTILINE)
    assert len(found) == 1, demo.stdout[-3000:]
    return str(found[0]).strip()


def _daemon_title(demo: DemoRun) -> str:
    found = re.findall(
        r"^published while the daemon runs, on [\w-]+: (.+)$", demo.stdout, flags=re.MULTILINE
    )
    assert len(found) == 1, demo.stdout[-3000:]
    return str(found[0]).strip()


def _second_crawl_started(demo: DemoRun) -> datetime:
    """The published article's first sighting: after the first digest, in the second crawl."""
    title = _published_title(demo)
    (seen,) = [first_seen for t, _, first_seen in demo.articles if t == title]
    return seen


def test_demo_runs_every_step_without_error(demo: DemoRun) -> None:
    assert demo.returncode == 0, demo.stdout[-3000:] + demo.stderr[-3000:]
    assert "Traceback" not in demo.stdout + demo.stderr, demo.stderr[-3000:]
    for step in ("$ monitor init", "$ monitor crawl", "$ monitor articles", "$ monitor export"):
        assert step in demo.stdout


def test_first_crawl_stores_stories(demo: DemoRun) -> None:
    published = _second_crawl_started(demo)
    before = [title for title, _, first_seen in demo.articles if first_seen < published]
    assert before, "the first crawl stored nothing"
    assert demo.story_texts and "article(s)" in demo.stdout


def test_the_smtp_server_received_every_sent_digest_once(demo: DemoRun) -> None:
    assert demo.received, "the SMTP server received nothing"
    received_ids = [message.message_id for message in demo.received]
    assert len(received_ids) == len(set(received_ids))
    sent = {mid for mid, (_, status, _, _) in demo.digests.items() if status == "sent"}
    # The third digest had nothing to send: no message beyond the sent digests, none missing.
    assert set(received_ids) == sent
    for message in demo.received:
        recipient, _, _, story_count = demo.digests[message.message_id]
        assert message.to == recipient and story_count >= 1
        assert any(title in message.text for title, _, _ in demo.articles)


def test_second_crawl_stores_only_the_published_article(demo: DemoRun) -> None:
    """After the first digest: the second crawl's article, then the daemon's, nothing else."""
    first_digest = min(sent for _, _, sent, _ in demo.digests.values() if sent is not None)
    later = sorted((seen, t) for t, _, seen in demo.articles if seen > first_digest)
    assert [t for _, t in later] == [_published_title(demo), _daemon_title(demo)]


def test_the_daemon_stores_the_article_published_while_it_runs(demo: DemoRun) -> None:
    """``monitor run`` (scheduler + local worker) polls on its own and stores it once."""
    title = _daemon_title(demo)
    assert "stored by the daemon after" in demo.stdout, demo.stdout[-3000:]
    assert [t for t, _, _ in demo.articles].count(title) == 1
    assert "daemon stopped" in demo.stdout  # the graceful stop, from the daemon's own log
    assert "monitor --config monitor.toml worker" in demo.stdout  # how to go distributed


def test_next_digest_holds_only_the_new_story(demo: DemoRun) -> None:
    title = _published_title(demo)
    published = _second_crawl_started(demo)
    first: list[Received] = []
    later: list[Received] = []
    for message in demo.received:
        sent_at = demo.digests[message.message_id][2]
        assert sent_at is not None
        (later if sent_at > published else first).append(message)
    assert first and later
    assert all(title not in message.text for message in first)
    for message in later:
        assert title in message.text
        assert demo.digests[message.message_id][3] == 1
    assert title in _read_message(demo.output / "next" / "digest.eml").text


def test_export_writes_one_file_per_story(demo: DemoRun) -> None:
    exported = sorted((demo.output / "export").glob("*.txt"))
    assert len(exported) == len(demo.story_texts) > 0
    texts = {text.rstrip("\n") for text in demo.story_texts}
    assert {path.read_text(encoding="utf-8").rstrip("\n") for path in exported} == texts
    assert (demo.output / "digest.eml").is_file() and (demo.output / "digest.html").is_file()


def test_the_demo_ends_with_the_console_command_and_it_serves_the_demo_database(
    demo: DemoRun,
) -> None:
    import urllib.request

    from markupsafe import escape

    from tests.web.browser.console import ConsoleServer

    found = re.search(
        r"^run:\s+\S*monitor --config (\S+) web --host (127\.0\.0\.1) --port (\d+)$",
        demo.stdout,
        flags=re.MULTILINE,
    )
    assert found, demo.stdout[-1500:]
    config = Path(found.group(1))
    assert config == (demo.output / "monitor.toml").resolve()
    assert demo.stdout.rstrip().splitlines()[-1].startswith("then open http://127.0.0.1:")
    with ConsoleServer(config, log=demo.output / "web.log") as console:  # a free port, not 8080
        answer = urllib.request.urlopen(console.url("/"), timeout=30)
        page = answer.read().decode()
        answer.close()
    stored = {str(escape(title)) for title, _, _ in demo.articles}
    assert any(title in page for title in stored), "the inbox lists the demo's stories"
