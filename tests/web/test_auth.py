"""Authentication and roles: $MONITOR_WEB_TOKEN, hashed API keys, login sessions with CSRF,
revocation, the login rate limit, and feed tokens."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import feedparser
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from monitor.config import MonitorConfig, load_config
from monitor.db.engine import Database
from monitor.db.models import WebKey
from monitor.db.web import find_session
from monitor.web.app import create_app
from monitor.web.auth import SESSION_COOKIE
from monitor.web.service import create_token, revoke_token
from tests.web.conftest import Stored, make_client

ENV_TOKEN = "env-admin-token-for-tests-0123456789"


@pytest.fixture
def secured(
    config_path: Path, db: Database, monkeypatch: pytest.MonkeyPatch
) -> Iterator[TestClient]:
    """A console with $MONITOR_WEB_TOKEN set."""
    monkeypatch.setenv("MONITOR_WEB_TOKEN", ENV_TOKEN)
    with make_client(load_config(config_path), db) as client:
        yield client


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_open_console_without_auth(client: TestClient, stored: Stored) -> None:
    assert client.get("/api/stories").status_code == 200
    assert client.get("/api/me").json() == {
        "role": "admin",
        "name": "local",
        "via": "open",
        "auth_configured": False,
    }
    assert client.get("/feeds/stories.atom").status_code == 200
    assert client.get("/login", follow_redirects=False).status_code == 303


def test_env_token_requires_bearer_or_login(secured: TestClient, stored: Stored) -> None:
    missing = secured.get("/api/stories")
    assert missing.status_code == 401 and missing.headers["www-authenticate"] == "Bearer"
    assert secured.get("/api/stories", headers=bearer("wrong")).status_code == 401
    assert secured.post("/api/sources/havana-daily/crawl").status_code == 401
    ok = secured.get("/api/stories", headers=bearer(ENV_TOKEN))
    assert ok.status_code == 200 and len(ok.json()["items"]) == 4
    assert secured.get("/api/me", headers=bearer(ENV_TOKEN)).json()["role"] == "admin"
    page = secured.get("/", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"] == "/login?next=%2F"
    story_page = secured.get(f"/stories/{stored.oil}?x=1", follow_redirects=False)
    assert story_page.status_code == 303
    assert story_page.headers["location"].startswith("/login?next=%2Fstories%2F")
    # open: the OpenAPI document, the login form, static files
    assert secured.get("/openapi.json").status_code == 200
    assert secured.get("/login").status_code == 200
    assert secured.get("/static/console.css").status_code == 200
    assert secured.get("/feeds/stories.atom").status_code == 401


def test_roles(secured: TestClient, db: Database, stored: Stored) -> None:
    tokens = {
        role: create_token(db, role, f"{role} key")[1] for role in ("viewer", "analyst", "admin")
    }
    feedback = f"/api/stories/{stored.oil}/feedback"
    for role, token in tokens.items():
        headers = bearer(token)
        assert secured.get("/api/stories", headers=headers).status_code == 200, role
        given = secured.post(feedback, json={"label": "relevant"}, headers=headers)
        assert given.status_code == (403 if role == "viewer" else 200), role
        muted = secured.patch("/api/sources/prensa-es", json={"muted": False}, headers=headers)
        assert muted.status_code == (403 if role == "viewer" else 200), role
        disabled = secured.patch("/api/sources/prensa-es", json={"enabled": True}, headers=headers)
        assert disabled.status_code == (200 if role == "admin" else 403), role
        tokens_list = secured.get("/api/tokens", headers=headers)
        assert tokens_list.status_code == (200 if role == "admin" else 403), role
    assert secured.get("/api/me", headers=bearer(tokens["analyst"])).json()["name"] == "analyst key"
    # the database holds hashes only
    with db.session() as session:
        hashes = set(session.scalars(select(WebKey.token_hash)))
    assert not hashes & set(tokens.values()) and len(hashes) == 3


def test_a_key_alone_turns_authentication_on_and_revoking_it_ends_it(
    client: TestClient, db: Database, stored: Stored
) -> None:
    view, token = create_token(db, "analyst", "temp")
    assert client.get("/api/stories").status_code == 401
    assert client.get("/api/stories", headers=bearer(token)).status_code == 200
    revoke_token(db, view.id)
    # no unrevoked key is left: the (loopback) console is open again, the old token is no key
    assert client.get("/api/stories").status_code == 200
    create_token(db, "viewer", "other")
    assert client.get("/api/stories", headers=bearer(token)).status_code == 401


def test_login_session_and_csrf(secured: TestClient, db: Database, stored: Stored) -> None:
    _view, token = create_token(db, "analyst", "analyst via form")
    failed = secured.post("/login", data={"token": "nope", "next": "/"}, follow_redirects=False)
    assert failed.status_code == 401 and SESSION_COOKIE not in failed.cookies
    response = secured.post(
        "/login", data={"token": token, "next": "/sources"}, follow_redirects=False
    )
    assert response.status_code == 303 and response.headers["location"] == "/sources"
    cookie_header = response.headers["set-cookie"]
    assert "HttpOnly" in cookie_header and "SameSite=strict" in cookie_header
    cookie = response.cookies[SESSION_COOKIE]
    session = find_session(db, cookie)
    assert session is not None and session.role.value == "analyst"
    assert secured.get("/api/me").json()["via"] == "session"
    assert secured.get("/", follow_redirects=False).status_code == 200
    url = f"/api/stories/{stored.oil}/feedback"
    no_csrf = secured.post(url, json={"label": "irrelevant"})
    assert no_csrf.status_code == 403 and "CSRF" in no_csrf.json()["detail"]
    wrong = secured.post(url, json={"label": "irrelevant"}, headers={"X-CSRF-Token": "x" * 43})
    assert wrong.status_code == 403
    right = secured.post(
        url, json={"label": "irrelevant"}, headers={"X-CSRF-Token": session.csrf_token}
    )
    assert right.status_code == 200 and right.json()["demoted"]
    # an analyst session cannot crawl
    crawl = secured.post(
        "/api/sources/havana-daily/crawl", headers={"X-CSRF-Token": session.csrf_token}
    )
    assert crawl.status_code == 403
    # logout needs the CSRF token too, then the cookie is dead
    assert secured.post("/logout", follow_redirects=False).status_code == 403
    out = secured.post("/logout", data={"csrf_token": session.csrf_token}, follow_redirects=False)
    assert out.status_code == 303 and find_session(db, cookie) is None
    secured.cookies.set(SESSION_COOKIE, cookie)
    assert secured.get("/api/stories").status_code == 401


def test_login_is_rate_limited(secured: TestClient) -> None:
    for _ in range(5):
        assert secured.post("/login", data={"token": "guess"}).status_code == 401
    blocked = secured.post("/login", data={"token": ENV_TOKEN}, follow_redirects=False)
    assert blocked.status_code == 429 and SESSION_COOKIE not in blocked.cookies


def test_login_never_redirects_off_site(secured: TestClient) -> None:
    for target in ("//evil.example/x", "https://evil.example/", "/\\evil.example"):
        response = secured.post(
            "/login", data={"token": ENV_TOKEN, "next": target}, follow_redirects=False
        )
        assert response.status_code == 303 and response.headers["location"] == "/", target


def test_feed_tokens(secured: TestClient, db: Database, stored: Stored) -> None:
    feed_view, feed_token = create_token(db, "feed", "reader app")
    _api_view, api_token = create_token(db, "viewer", "viewer")
    assert secured.get("/feeds/stories.atom").status_code == 401
    ok = secured.get("/feeds/stories.atom", params={"token": feed_token})
    assert ok.status_code == 200 and ok.headers["content-type"].startswith("application/atom+xml")
    parsed = feedparser.parse(ok.content)
    assert not parsed.bozo and len(parsed.entries) == 4
    assert secured.get("/feeds/stories.atom", headers=bearer(api_token)).status_code == 200
    # an API key is not a feed token; a feed token is not an API key
    assert secured.get("/feeds/stories.atom", params={"token": api_token}).status_code == 401
    assert secured.get("/api/stories", headers=bearer(feed_token)).status_code == 401
    revoke_token(db, feed_view.id)
    assert secured.get("/feeds/stories.atom", params={"token": feed_token}).status_code == 401


def test_form_posts_of_a_session_need_the_csrf_field(
    secured: TestClient, db: Database, stored: Stored
) -> None:
    _view, token = create_token(db, "analyst", "form user")
    login = secured.post("/login", data={"token": token}, follow_redirects=False)
    session = find_session(db, login.cookies[SESSION_COOKIE])
    assert session is not None
    url = f"/stories/{stored.near_miss}/feedback"
    refused = secured.post(url, data={"label": "relevant"}, follow_redirects=False)
    assert refused.status_code == 403
    assert secured.get(f"/api/stories/{stored.near_miss}").json()["story"]["near_miss"]
    accepted = secured.post(
        url, data={"label": "relevant", "csrf_token": session.csrf_token}, follow_redirects=False
    )
    assert accepted.status_code in (200, 303), accepted.text
    assert not secured.get(f"/api/stories/{stored.near_miss}").json()["story"]["near_miss"]


def test_a_console_on_a_public_address_never_opens(
    web_config: MonitorConfig, db: Database, stored: Stored
) -> None:
    view, token = create_token(db, "viewer", "only key")
    app = create_app(web_config, db, host="0.0.0.0", allowed_hosts_extra=["testserver"])
    with TestClient(app) as client:
        assert client.get("/api/stories", headers=bearer(token)).status_code == 200
        revoke_token(db, view.id)  # the last key is gone: locked, not open
        assert client.get("/api/stories").status_code == 401
        assert client.get("/", follow_redirects=False).status_code == 303
        assert client.get("/feeds/stories.atom").status_code == 401
