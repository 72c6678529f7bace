"""The guards and the escaping: Host and Origin checks, security headers, hostile titles and
bodies (stored through the real pipeline) rendered escaped in HTML, Atom and JSON."""

from __future__ import annotations

import feedparser
import pytest
from fastapi.testclient import TestClient
from lxml import etree

from monitor.db.engine import Database
from monitor.web.security import allowed_hosts, is_loopback
from monitor.web.service import save_query
from tests.web.conftest import HOSTILE_TITLE, RECIPIENTS, Stored


def test_loopback_addresses() -> None:
    for host in ("127.0.0.1", "127.3.2.1", "::1", "[::1]", "localhost", "LOCALHOST"):
        assert is_loopback(host), host
    for host in ("0.0.0.0", "::", "192.168.1.10", "10.0.0.1", "example.org", "127.0.0.1.nip.io"):
        assert not is_loopback(host), host
    assert allowed_hosts("127.0.0.1") == {"127.0.0.1", "localhost", "::1"}
    assert allowed_hosts("0.0.0.0") is None
    assert allowed_hosts("0.0.0.0", ["console.example"]) == {"console.example"}


def test_foreign_host_is_refused(client: TestClient, stored: Stored) -> None:
    # DNS rebinding: a page on evil.example resolving to 127.0.0.1 sends Host: evil.example
    for path in ("/api/stories", "/", "/feeds/stories.atom"):
        response = client.get(path, headers={"Host": "evil.example:8080"})
        assert response.status_code == 403, path
    posted = client.post(
        f"/api/stories/{stored.oil}/feedback",
        json={"label": "irrelevant"},
        headers={"Host": "evil.example"},
    )
    assert posted.status_code == 403
    assert client.get("/api/stories", headers={"Host": "testserver"}).status_code == 200


def test_foreign_origin_is_refused_on_state_changes(client: TestClient, stored: Stored) -> None:
    url = f"/api/stories/{stored.oil}/feedback"
    for origin in ("http://evil.example", "null", "http://testserver:9999", "https://testserver"):
        response = client.post(url, json={"label": "irrelevant"}, headers={"Origin": origin})
        assert response.status_code == 403, origin
    cross = client.post(url, json={"label": "irrelevant"}, headers={"Sec-Fetch-Site": "cross-site"})
    assert cross.status_code == 403
    crawl = client.post(
        "/api/sources/havana-daily/crawl", headers={"Origin": "http://evil.example"}
    )
    assert crawl.status_code == 403
    # nothing happened: the story is still relevant
    assert client.get(f"/api/stories/{stored.oil}").json()["story"]["label"] is None
    same = client.post(url, json={"label": "relevant"}, headers={"Origin": "http://testserver"})
    assert same.status_code == 200
    # reads from another origin are not state changes
    assert client.get("/api/stories", headers={"Origin": "http://evil.example"}).status_code == 200


def test_security_headers(client: TestClient) -> None:
    for path in ("/api/stories", "/", "/openapi.json", "/feeds/stories.atom", "/nope"):
        headers = client.get(path).headers
        csp = headers["content-security-policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp, path
        assert "http:" not in csp and "https:" not in csp and "unsafe-inline" not in csp
        assert headers["x-frame-options"] == "DENY"
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "same-origin"
    assert client.get("/docs").status_code == 404  # Swagger UI loads remote assets: off


def _no_live_markup(html: str) -> None:
    assert "<script>alert" not in html
    assert "<img src=x" not in html


def test_hostile_strings_are_escaped_in_pages(client: TestClient, stored: Stored) -> None:
    inbox = client.get("/")
    assert inbox.status_code == 200
    _no_live_markup(inbox.text)
    assert "&lt;script&gt;alert(" in inbox.text
    searched = client.get("/", params={"q": "tanker"})
    assert searched.status_code == 200
    _no_live_markup(searched.text)
    story = client.get(f"/stories/{stored.hostile}")
    assert story.status_code == 200
    _no_live_markup(story.text)
    assert "&lt;img src=x onerror=alert(1)&gt;" in story.text
    # a hostile query string comes back escaped too
    reflected = client.get("/", params={"q": '"><script>alert(9)</script>'})
    assert "<script>alert(9)" not in reflected.text


def test_hostile_strings_are_escaped_in_atom(
    client: TestClient, stored: Stored, db: Database
) -> None:
    saved = save_query(db, "<b>oil</b>", "tanker")
    for path in (
        "/feeds/stories.atom",
        f"/feeds/queries/{saved.id}.atom",
        f"/feeds/recipients/{RECIPIENTS[1]}.atom",
    ):
        response = client.get(path)
        assert response.status_code == 200, path
        parsed = feedparser.parse(response.content)
        assert not parsed.bozo, (path, parsed.get("bozo_exception"))
        tree = etree.fromstring(response.content)
        ns = {"a": "http://www.w3.org/2005/Atom"}
        assert tree.tag == "{http://www.w3.org/2005/Atom}feed"
        titles = [t.text for t in tree.findall("a:entry/a:title", ns)]
        assert HOSTILE_TITLE in titles, path
        assert tree.findall(".//a:script", ns) == [] and tree.findall(".//script") == []
        for entry in tree.findall("a:entry", ns):
            assert entry.find("a:id", ns) is not None and entry.find("a:updated", ns) is not None
            for link in entry.findall("a:link", ns):
                assert link.get("href", "").startswith("https://")
    assert client.get("/feeds/queries/999.atom").status_code == 404
    assert client.get("/feeds/recipients/nobody@example.org.atom").status_code == 404


def test_feed_entries_follow_the_query(client: TestClient, stored: Stored, db: Database) -> None:
    saved = save_query(db, "flights", "flights OR resorts")
    parsed = feedparser.parse(client.get(f"/feeds/queries/{saved.id}.atom").content)
    assert [e.id.rsplit("/", 1)[1] for e in parsed.entries] == [str(stored.flights)]
    oil_feed = feedparser.parse(client.get(f"/feeds/recipients/{RECIPIENTS[1]}.atom").content)
    ids = {int(e.id.rsplit("/", 1)[1]) for e in oil_feed.entries}
    assert ids == {stored.oil, stored.spanish, stored.hostile}


@pytest.mark.parametrize("path", ["/api/stories/abc", "/api/stories/0", "/api/polls/-1"])
def test_bad_ids_are_client_errors(client: TestClient, path: str) -> None:
    assert client.get(path).status_code == 422
