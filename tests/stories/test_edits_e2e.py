"""End to end through real crawls of a local site (127.0.0.7), real SMTP and the CLI: an edited
article becomes one revision and is not announced again, a near miss edited into relevance is
alerted once, a paywalled teaser is stored with access=paywalled and badged in the digest, and
``monitor export`` / ``monitor articles --json`` show the latest text and the revisions.

The edited pages are fetched again through short links of a second feed (301 to the article),
as FeedBurner-style feeds link them; the feed/sitemap-date and revalidation re-fetches of
issue 11 (crawl side) reach the same store path.
"""

from __future__ import annotations

import html
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

import pytest
from sqlalchemy import func, select

from monitor.db.models import AlertDelivery, ArticleRevision, Story
from monitor.demo import templates
from monitor.demo.site import Call, Host, NewsWeb, Reply, not_found
from monitor.demo.site import html as html_reply
from tests.alerts.conftest import SMTPServer
from tests.pages import NOISE, RELEVANT, page_html
from tests.sites.fixtures import REPO, CrawlEnv

ADDRESS = "127.0.0.7"
ADDED = "Port officials said on Friday that a second tanker would arrive before the month ends."
TEASER = [
    "Russia and Cuba agreed in Moscow on Wednesday to restore direct flights from several "
    "Russian cities to Varadero and Cayo Coco, Cuban officials said.",
    "Cuba hopes to receive half a million Russian visitors next year under the deal.",
]


def walled_page(title: str, teaser: list[str]) -> bytes:
    paragraphs = "".join(f"<p>{html.escape(p)}</p>" for p in teaser)
    return (
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{title}</title>"
        "<meta property='og:type' content='article'></head><body>"
        f"<article><h1>{title}</h1>{paragraphs}<div class='paywall'>"
        "<p>Subscribe to continue reading.</p>"
        "<p>Already a subscriber? <a href='/login'>Log in</a></p></div></article></body></html>"
    ).encode()


class EditableSite:
    """Articles whose pages can change between crawls, a feed, and a feed of short links."""

    def __init__(self, host: Host) -> None:
        self.host = host
        self.pages: dict[str, bytes] = {
            "accord": page_html(*RELEVANT["oil"]),
            "wrestling": page_html(*NOISE["wrestling"]),
            "walled": walled_page("Russia and Cuba restore flights to the resorts", TEASER),
        }
        self.short_links: list[str] = []
        host.route("/robots.txt", lambda call: Reply(200, b"User-agent: *\nAllow: /\n"))
        host.route("/feed/", lambda call: self._feed([f"/news/{k}" for k in self.pages]))
        host.route("/short/", lambda call: self._feed([f"/r/{k}" for k in self.short_links]))
        host.route("/news/", self._article, prefix=True)
        host.route("/r/", self._redirect, prefix=True)

    def _feed(self, paths: list[str]) -> Reply:
        now = datetime.now(UTC)
        items = [(p.rsplit("/", 1)[-1], self.host.url(p), now, "") for p in paths]
        body = templates.rss_feed(site="Editable", base=self.host.base, items=items)
        return Reply(200, body.encode(), {"Content-Type": "application/rss+xml; charset=utf-8"})

    def _article(self, call: Call) -> Reply:
        page = self.pages.get(call.path.removeprefix("/news/"))
        return html_reply(page.decode()) if page is not None else not_found()

    def _redirect(self, call: Call) -> Reply:
        return Reply(301, b"", {"Location": self.host.url("/news/" + call.path[3:])})


@pytest.fixture
def site() -> Iterator[EditableSite]:
    web = NewsWeb().start()
    try:
        yield EditableSite(web.add_host("editable", ADDRESS))
    finally:
        web.stop()


def write_config(env: CrawlEnv, site: EditableSite, port: int) -> Path:
    feeds = [site.host.url("/feed/")]
    env.write_config(
        [
            {"name": "editable", "feeds": feeds, "allow_private": True},
            {"name": "editable-short", "feeds": [site.host.url("/short/")], "allow_private": True},
        ]
    )
    with env.config_path.open("a", encoding="utf-8") as config:
        config.write(
            f'\n[email]\nsmtp_host = "127.0.0.1"\nsmtp_port = {port}\n'
            'sender = "monitor@example.org"\nrecipients = ["analyst@example.org"]\n'
            "updated_section = true\n"
        )
    return env.config_path


def cli(config: Path, *args: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")}
    done = subprocess.run(
        [sys.executable, "-m", "monitor", "--config", str(config), *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def text_part(message: EmailMessage) -> str:
    body = message.get_body(("plain",))
    assert body is not None
    return str(body.get_content())  # type: ignore[attr-defined]


def outcomes(summary: dict[str, dict[str, object]]) -> dict[str, int]:
    total: dict[str, int] = {}
    for event in summary.values():
        counts = event["counts"]
        assert isinstance(counts, dict)
        for key in ("new", "near_miss", "updated", "unchanged", "syndicated"):
            total[key] = total.get(key, 0) + int(counts.get(key, 0))
    return total


def test_edits_are_revisions_alerted_never_again_and_walled_pages_are_badged(
    site: EditableSite, crawl_env: CrawlEnv, smtp_server: SMTPServer, tmp_path: Path
) -> None:
    config = write_config(crawl_env, site, smtp_server.port)
    first = crawl_env.crawl()
    assert {s["status"] for s in first.values()} == {"ok"}, first
    assert outcomes(first) == {
        "new": 2,
        "near_miss": 1,
        "updated": 0,
        "unchanged": 0,
        "syndicated": 0,
    }, first
    listed = {
        a["url"].rsplit("/", 1)[-1]: a
        for a in map(json.loads, cli(config, "articles", "--json").splitlines())
    }
    assert listed["walled"]["access"] == "paywalled" and listed["accord"]["access"] == "open"
    cli(config, "digest")
    smtp_server.wait_for(1)
    digest = text_part(smtp_server.received[0].message)
    assert "[Paywalled] Russia and Cuba restore flights" in digest
    assert "Russian tanker delivers crude" in digest and "wrestl" not in digest.lower()

    # Both pages are edited; a second feed links them through short links (301 to the page).
    title, paragraphs = RELEVANT["oil"]
    site.pages["accord"] = page_html(title, [*paragraphs, ADDED])
    site.pages["wrestling"] = page_html(*RELEVANT["flights"])  # now about the topic
    site.short_links = ["accord", "wrestling"]
    second = crawl_env.crawl()
    assert {s["status"] for s in second.values()} == {"ok"}, second
    assert outcomes(second)["updated"] == 2 and outcomes(second)["new"] == 0, second
    with crawl_env.db.session() as session:
        assert session.scalar(select(func.count()).select_from(ArticleRevision)) == 2
        assert session.scalar(select(func.count()).select_from(Story)) == 3
        # One row per alerted story: the accord and the teaser, then the promoted near miss.
        assert session.scalar(select(func.count()).select_from(AlertDelivery)) == 3

    third = crawl_env.crawl()  # nothing changed: nothing stored, nothing re-announced
    assert outcomes(third)["updated"] == 0 and outcomes(third)["new"] == 0, third

    cli(config, "digest")
    smtp_server.wait_for(2)
    assert len(smtp_server.received) == 2
    new_part, _, updated_part = text_partition(text_part(smtp_server.received[1].message))
    assert "direct flights" in new_part  # the near miss, edited into relevance: new, once
    assert "tanker delivers" not in new_part  # the edited accord is not new again
    assert "tanker delivers" in updated_part

    listed = {
        a["url"].rsplit("/", 1)[-1]: a
        for a in map(json.loads, cli(config, "articles", "--json").splitlines())
    }
    accord = listed["accord"]
    assert accord["revision_count"] == 1 and accord["text"].endswith(ADDED)
    (revision,) = accord["revisions"]
    assert revision["paragraphs_added"] == 1 and f"+{ADDED}" in revision["diff"]

    out = tmp_path / "export"
    cli(config, "export", str(out))
    exported = [p.read_text(encoding="utf-8") for p in sorted(out.glob("*.txt"))]
    (accord_file,) = [t for t in exported if t.startswith(title)]
    assert ADDED in accord_file


def text_partition(text: str) -> tuple[str, str, str]:
    return text.partition("Updated since you were told")
