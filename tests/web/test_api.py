"""The console's JSON API over stories stored by the real pipeline, on SQLite and PostgreSQL:
the contract endpoints, filters and search, feedback and near-miss promotion, marks, sources,
Crawl now (the daemon rule), the query lab, saved queries and digests."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from monitor.config import MonitorConfig
from monitor.db.engine import Database
from monitor.db.leases import SCHEDULER_LEASE, acquire_lease, default_holder
from monitor.db.models import AlertDelivery, Digest, PollRequest
from monitor.processing import ArticleStore
from tests.web.conftest import HOSTILE_TITLE, RECIPIENTS, RELEVANT, Stored, store_page


def _ids(body: dict[str, Any]) -> list[int]:
    return [item["id"] for item in body["items"]]


def _all_pages(client: TestClient, **params: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    for _ in range(50):
        response = client.get(
            "/api/stories", params={**params, **({"cursor": cursor} if cursor else {})}
        )
        assert response.status_code == 200, response.text
        body = response.json()
        items += body["items"]
        cursor = body["next"]
        if cursor is None:
            return items
    raise AssertionError("the cursor never ended")


def test_stories_contract(client: TestClient, stored: Stored) -> None:
    response = client.get("/api/stories")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"items", "next"} and body["next"] is None
    items = body["items"]
    assert sorted(_ids(body)) == sorted(
        [stored.oil, stored.flights, stored.spanish, stored.hostile]
    )
    for item in items:
        assert {"id", "title", "relevance", "first_seen_at", "articles"} <= set(item)
        assert item["articles"] and all(a["story_id"] == item["id"] for a in item["articles"])
    seen = [datetime.fromisoformat(i["first_seen_at"]) for i in items]
    assert seen == sorted(seen, reverse=True)  # newest first
    oil = next(i for i in items if i["id"] == stored.oil)
    assert [a["id"] for a in oil["articles"]] == list(stored.oil_articles)
    assert oil["outlets"] == ["Havana Daily", "Moscow Wire"]
    assert oil["sources"] == ["havana-daily", "moscow-wire"]
    assert oil["relevance"] is not None and oil["relevance"] > 0.5


def test_near_misses_and_limit_with_cursor(client: TestClient, stored: Stored) -> None:
    near = client.get("/api/stories", params={"near_misses": 1}).json()
    assert _ids(near) == [stored.near_miss]
    assert near["items"][0]["articles"][0]["relevance_reasons"]
    first = client.get("/api/stories", params={"limit": 3}).json()
    assert len(first["items"]) == 3 and first["next"] is not None
    everything = _all_pages(client, limit=1)
    assert len(everything) == 4 and len({i["id"] for i in everything}) == 4
    assert [i["id"] for i in everything][:3] == _ids(first)
    by_relevance = _all_pages(client, limit=1, sort="relevance")
    assert sorted(i["id"] for i in by_relevance) == sorted(i["id"] for i in everything)
    scores = [i["relevance"] for i in by_relevance]
    assert scores == sorted(scores, reverse=True)
    assert client.get("/api/stories", params={"cursor": "not-a-cursor"}).status_code == 400
    assert client.get("/api/stories", params={"limit": 0}).status_code == 422


def test_filters(client: TestClient, stored: Stored) -> None:
    def ids(**params: Any) -> set[int]:
        response = client.get("/api/stories", params=params)
        assert response.status_code == 200, response.text
        return set(_ids(response.json()))

    assert ids(language="es") == {stored.spanish}
    assert ids(language="EN") == {stored.oil, stored.flights, stored.hostile}
    assert ids(source="prensa-es") == {stored.spanish}
    assert ids(source="moscow-wire") == {stored.oil, stored.flights}
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).date().isoformat()
    assert ids(since=tomorrow) == set()
    assert ids(until=tomorrow) == {stored.oil, stored.flights, stored.spanish, stored.hostile}
    assert ids(min_relevance=1.0) <= {stored.oil, stored.flights, stored.spanish, stored.hostile}
    assert ids(near_misses=1, language="en") == {stored.near_miss}


def test_search_uses_the_query_language(client: TestClient, stored: Stored) -> None:
    body = client.get("/api/stories", params={"q": "matanzas AND tanker"}).json()
    assert _ids(body) == [stored.oil]
    hits = [text for text, hit in body["items"][0]["snippet"] if hit]
    assert {h.lower() for h in hits} >= {"matanzas"}
    assert "matanzas" in body["items"][0]["matched_terms"]
    # accent- and case-insensitive, like the pipeline's matcher
    assert _ids(client.get("/api/stories", params={"q": "PETROLEO"}).json()) == [stored.spanish]
    assert set(_ids(client.get("/api/stories", params={"q": "flights OR apagones"}).json())) == {
        stored.flights,
        stored.spanish,
    }
    assert _ids(client.get("/api/stories", params={"q": "tanker NOT matanzas"}).json()) == [
        stored.hostile
    ]
    bad = client.get("/api/stories", params={"q": "cuba AND (russia"})
    assert bad.status_code == 400
    assert "invalid query" in bad.json()["detail"] and isinstance(bad.json()["position"], int)
    paged = _all_pages(client, q="cuba", limit=1)
    assert sorted(i["id"] for i in paged) == sorted(
        [stored.oil, stored.flights, stored.spanish, stored.hostile]
    )


def test_story_detail(client: TestClient, stored: Stored) -> None:
    body = client.get(f"/api/stories/{stored.oil}").json()
    story = body["story"]
    assert story["id"] == stored.oil and len(story["articles"]) == 2
    first = story["articles"][0]
    assert "Matanzas" in first["text"] and first["published_method"]
    assert first["first_seen_at"] and first["outlet"] == "Havana Daily"
    assert body["feedback"] == [] and body["revisions"] == []
    assert client.get("/api/stories/999999").status_code == 404


def _pending_alerts(db: Database, story_id: int) -> int:
    with db.session() as session:
        return int(
            session.scalar(
                select(func.count())
                .select_from(AlertDelivery)
                .where(AlertDelivery.story_id == story_id, AlertDelivery.status == "pending")
            )
            or 0
        )


def test_near_miss_marked_relevant_is_alerted(
    client: TestClient, stored: Stored, db: Database
) -> None:
    assert _pending_alerts(db, stored.near_miss) == 0
    response = client.post(f"/api/stories/{stored.near_miss}/feedback", json={"label": "relevant"})
    assert response.status_code == 200, response.text
    result = response.json()
    assert (
        result["promoted"] and result["alerts_written"] == len(RECIPIENTS) - 1
    )  # oil@ has a query
    assert _pending_alerts(db, stored.near_miss) == result["alerts_written"]
    assert stored.near_miss in _ids(client.get("/api/stories").json())
    assert _ids(client.get("/api/stories", params={"near_misses": 1}).json()) == []
    detail = client.get(f"/api/stories/{stored.near_miss}").json()
    assert detail["story"]["label"] == "relevant" and detail["feedback"][0]["origin"].startswith(
        "web"
    )
    # the next digest carries it: the preview (a dry run) lists it for the daily recipient
    previews = client.get("/api/digests/preview", params={"recipient": RECIPIENTS[0]}).json()
    assert previews and any("Treasury" in p["html"] for p in previews)
    demoted = client.post(
        f"/api/stories/{stored.near_miss}/feedback", json={"label": "irrelevant"}
    ).json()
    assert demoted["demoted"] and _pending_alerts(db, stored.near_miss) == 0
    assert (
        client.post(f"/api/stories/{stored.oil}/feedback", json={"label": "maybe"}).status_code
        == 422
    )


def test_marks_and_bulk(client: TestClient, stored: Stored) -> None:
    assert client.post(f"/api/stories/{stored.oil}/read", json={"read": True}).json()["done"] == 1
    assert stored.oil not in _ids(client.get("/api/stories", params={"unread": 1}).json())
    bulk = client.post(
        "/api/stories/bulk",
        json={"ids": [stored.flights, stored.spanish, 999999], "action": "star"},
    ).json()
    assert bulk["done"] == 2 and [f[0] for f in bulk["failed"]] == [999999]
    starred = set(_ids(client.get("/api/stories", params={"starred": 1}).json()))
    assert starred == {stored.flights, stored.spanish}
    item = next(i for i in client.get("/api/stories").json()["items"] if i["id"] == stored.flights)
    assert item["starred"] and not item["read"]
    client.post("/api/stories/bulk", json={"ids": [stored.flights], "action": "unstar"})
    assert set(_ids(client.get("/api/stories", params={"starred": 1}).json())) == {stored.spanish}
    irrelevant = client.post(
        "/api/stories/bulk", json={"ids": [stored.flights, stored.spanish], "action": "irrelevant"}
    ).json()
    assert irrelevant["done"] == 2
    near = set(_ids(client.get("/api/stories", params={"near_misses": 1}).json()))
    assert near == {stored.near_miss, stored.flights, stored.spanish}
    assert client.post("/api/stories/bulk", json={"ids": [], "action": "star"}).status_code == 422


def test_sources_health_and_overrides(
    client: TestClient, stored: Stored, db: Database, web_config: MonitorConfig
) -> None:
    rows = client.get("/api/sources").json()
    assert [r["name"] for r in rows] == [s.name for s in web_config.sources]
    havana = next(r for r in rows if r["name"] == "havana-daily")
    assert havana["enabled"] and not havana["muted"] and len(havana["new_per_day"]) == 7
    assert sum(n for _, n in havana["new_per_day"]) == 3  # oil, hostile, the near miss
    muted = client.patch("/api/sources/havana-daily", json={"muted": True}).json()
    assert muted["muted"] and muted["enabled"]
    # stories only on the muted source leave the inbox; the syndicated oil story stays
    assert set(_ids(client.get("/api/stories").json())) == {
        stored.oil,
        stored.flights,
        stored.spanish,
    }
    assert stored.hostile in _ids(client.get("/api/stories", params={"include_muted": 1}).json())
    off = client.patch("/api/sources/moscow-wire", json={"enabled": False}).json()
    assert off["enabled"] is False and off["enabled_in_config"] is True
    from monitor.db.web import disabled_sources, muted_sources

    assert disabled_sources(db) == {"moscow-wire"} and muted_sources(db) == {"havana-daily"}
    on = client.patch("/api/sources/moscow-wire", json={"enabled": True}).json()
    assert on["enabled"] and on["disabled_override"] is None
    assert disabled_sources(db) == set()
    assert client.patch("/api/sources/nope", json={"muted": True}).status_code == 404


def test_disabled_source_is_not_polled_by_the_scheduler(
    db: Database, config_path: Path, client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    from monitor.config import load_config
    from monitor.daemon import jobs
    from monitor.daemon.scheduler import Daemon

    assert client.patch("/api/sources/prensa-es", json={"enabled": False}).status_code == 200
    caplog.set_level(logging.INFO, logger="monitor.daemon.jobs")
    jobs.crawl_source(Daemon(config_path, load_config(config_path), db, worker=False), "prensa-es")
    assert "disabled in the console" in caplog.text
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(PollRequest)) == 0


def test_status_shows_the_overrides(
    client: TestClient, db: Database, web_config: MonitorConfig
) -> None:
    from rich.console import Console

    from monitor.cli.status import status_command

    client.patch("/api/sources/moscow-wire", json={"enabled": False})
    client.patch("/api/sources/prensa-es", json={"muted": True})
    client.post("/api/saved-queries", json={"name": "oil", "query": "oil"})
    client.post("/api/tokens", json={"role": "feed"})
    console = Console(record=True, width=250, markup=False)
    status_command(db, web_config, console=console)
    text = console.export_text()
    assert "moscow-wire (disabled in the console by local)" in text
    assert "prensa-es (muted by local)" in text
    assert "console: 1 saved query, 0 API key(s), 1 feed token(s)" in text


def test_crawl_now_queues_one_poll_for_the_running_daemon(client: TestClient, db: Database) -> None:
    # A live scheduler lease (this test process) means a daemon runs: polls go to its workers.
    assert acquire_lease(db, SCHEDULER_LEASE, default_holder(), 60)
    first = client.post("/api/sources/havana-daily/crawl")
    assert first.status_code == 202, first.text
    poll_id = first.json()["poll_id"]
    assert first.json()["by_daemon"] and first.json()["queued"]
    again = client.post("/api/sources/havana-daily/crawl")
    assert again.status_code == 202 and again.json()["poll_id"] == poll_id
    assert not again.json()["queued"]
    other = client.post("/api/sources/moscow-wire/crawl").json()["poll_id"]
    assert other != poll_id
    assert client.post("/api/sources/unknown/crawl").status_code == 404
    poll = client.get(f"/api/polls/{poll_id}").json()
    assert poll["status"] == "queued" and poll["requested_by"] == "web" and not poll["finished"]
    row = next(r for r in client.get("/api/sources").json() if r["name"] == "havana-daily")
    assert row["active_poll"]["id"] == poll_id
    assert client.get("/api/polls/999999").status_code == 404


def test_query_lab_and_saved_queries(client: TestClient, stored: Stored) -> None:
    lab = client.get("/api/query-lab", params={"q": "tanker", "days": 7}).json()
    assert lab["matches"] == 3  # two copies of the oil story and the hostile one
    assert sum(n for _, n in lab["per_day"]) == 3 and len(lab["per_day"]) == 7
    assert {h["story_id"] for h in lab["hits"]} == {stored.oil, stored.hostile}
    assert client.get("/api/query-lab", params={"q": "(("}).status_code == 400
    saved = client.post("/api/saved-queries", json={"name": "Oil", "query": "oil OR petróleo"})
    assert saved.status_code == 201, saved.text
    assert saved.json()["feed_path"] == f"/feeds/queries/{saved.json()['id']}.atom"
    dup = client.post("/api/saved-queries", json={"name": "Oil", "query": "oil"})
    assert dup.status_code == 400
    assert (
        client.post("/api/saved-queries", json={"name": "x", "query": "a AND"}).status_code == 400
    )
    assert [q["name"] for q in client.get("/api/saved-queries").json()] == ["Oil"]
    assert client.delete(f"/api/saved-queries/{saved.json()['id']}").status_code == 204
    assert client.get("/api/saved-queries").json() == []


def test_digest_preview_and_outbox(client: TestClient, stored: Stored, db: Database) -> None:
    previews = client.get("/api/digests/preview").json()
    by_recipient = {p["recipient"]: p for p in previews if p["channel"] == "email"}
    assert set(by_recipient) == set(RECIPIENTS)
    daily = by_recipient[RECIPIENTS[0]]
    assert daily["story_count"] == 4 and daily["subject"] and "<html" in daily["html"].lower()
    assert by_recipient[RECIPIENTS[1]]["story_count"] == 3  # its query: oil OR petróleo
    assert "&lt;script&gt;" in daily["html"] and "<script>alert" not in daily["html"]
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(Digest)) == 0  # a dry run
    box = client.get("/api/outbox").json()
    assert box["counts"] == {"pending": 7} and box["digests"] == []
    assert (
        client.get("/api/digests/preview", params={"recipient": "x@y.example"}).status_code == 404
    )


def test_hostile_strings_are_data_in_json(client: TestClient, stored: Stored) -> None:
    response = client.get(f"/api/stories/{stored.hostile}")
    assert response.headers["content-type"].startswith("application/json")
    story = response.json()["story"]
    assert story["title"] == HOSTILE_TITLE
    assert "<img src=x onerror=alert(1)>" in story["articles"][0]["text"]


def test_an_edit_is_shown_as_a_revision_with_its_diff(
    client: TestClient, stored: Stored, db: Database
) -> None:
    # The store keeps a material edit as a revision (headline it introduced, unified diff).
    title, paragraphs = RELEVANT["oil"]
    edited = [*paragraphs[:-1], "A paragraph added later."]
    outcome, story, article = store_page(
        ArticleStore(db), "https://havana.example/oil", "New headline: " + title, edited,
        source="havana-daily", site="Havana Daily",
    )  # fmt: skip
    assert outcome == "updated" and story == stored.oil
    revisions = client.get(f"/api/stories/{stored.oil}").json()["revisions"]
    assert len(revisions) == 1 and revisions[0]["article_id"] == article
    assert revisions[0]["title"] == "New headline: " + title
    assert ["+", "A paragraph added later."] in revisions[0]["diff"]
    assert ["-", paragraphs[-1]] in revisions[0]["diff"]
