"""Crawl now with no daemon running: the console queues the poll and its own crawl worker (the
daemon's worker process) runs it against the local news web; the new stories reach the inbox."""

from __future__ import annotations

import time

from fastapi.testclient import TestClient

from monitor.config import load_config
from monitor.demo.site import NewsWeb
from tests.sites.fixtures import CrawlEnv
from tests.web.conftest import make_client


def _wait_finished(client: TestClient, poll_id: int) -> dict[str, object]:
    for _ in range(1200):  # the worker starts (Scrapy imports), claims the row, crawls
        poll = client.get(f"/api/polls/{poll_id}").json()
        if poll["finished"]:
            return dict(poll)
        time.sleep(0.25)
    raise AssertionError(f"poll {poll_id} never finished: {poll}")


def test_crawl_now_runs_in_the_console_without_a_daemon(
    crawl_env: CrawlEnv, news_web: NewsWeb
) -> None:
    havana = news_web.host("havana-daily")
    path = crawl_env.write_config(
        [{"name": "havana-daily", "feeds": [havana.url("/feed/")], "allow_private": True}]
    )
    config = load_config(path)
    with make_client(config, crawl_env.db) as client:
        assert client.get("/api/stories").json()["items"] == []
        answer = client.post("/api/sources/havana-daily/crawl")
        assert answer.status_code == 202, answer.text
        body = answer.json()
        assert body["queued"] and not body["by_daemon"]
        assert client.post("/api/sources/havana-daily/crawl").json()["poll_id"] == body["poll_id"]
        crawler = client.app.state.crawler  # type: ignore[attr-defined]
        assert crawler.pid is not None  # the console's own worker
        poll = _wait_finished(client, body["poll_id"])
        assert poll["status"] == "done", poll
        summary = poll["summary"]
        assert isinstance(summary, dict) and summary["status"] in ("ok", "partial"), summary
        assert summary["counts"]["new"] > 0
        stories = client.get("/api/stories", params={"source": "havana-daily"}).json()["items"]
        assert len(stories) >= 1
        row = next(r for r in client.get("/api/sources").json() if r["name"] == "havana-daily")
        assert row["last_status"] in ("ok", "partial") and row["active_poll"] is None
        # a second poll is a new one once the first finished
        again = client.post("/api/sources/havana-daily/crawl").json()
        assert again["poll_id"] != body["poll_id"]
        _wait_finished(client, again["poll_id"])
    assert crawler.pid is None  # stopped with the app
