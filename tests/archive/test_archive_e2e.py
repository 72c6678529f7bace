"""End to end: a real crawl of the demo news web archives every fetched article page (matching
or not); the real CLI then tries a new query on the archive, reprocesses it (the page that did
not match is stored and alerted once, a second run changes nothing) and exports jsonl."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path

from sqlalchemy import func, select

from monitor.db.archive import iter_archived
from monitor.db.engine import Database
from monitor.db.migrate import upgrade
from monitor.db.models import AlertDelivery, Article
from monitor.demo.site import NewsWeb, Reply
from tests.archive.helpers import COFFEE_QUERY, Pipeline, config, page
from tests.faults.helpers import run_cli
from tests.sites.fixtures import CrawlEnv

SUGAR_QUERY = "sugar AND harvest"


def _configure(crawl_env: CrawlEnv, news_web: NewsWeb, query: str | None) -> None:
    havana = news_web.host("havana-daily")
    path = crawl_env.write_config(
        [{"name": "havana-daily", "feeds": [havana.url("/feed/")], "allow_private": True}]
    )
    extra = '\n[relevance]\nenabled = false\n\n[email]\nrecipients = ["analyst@example.org"]\n'
    if query is not None:
        extra += f"\n[query]\nmatch = {json.dumps(query)}\n"
    path.write_text(path.read_text(encoding="utf-8") + extra, encoding="utf-8")


def _reprocess(crawl_env: CrawlEnv, *options: str) -> dict:  # type: ignore[type-arg]
    done = run_cli(
        "--config",
        str(crawl_env.config_path),
        "reprocess",
        "--json",
        *options,
        cwd=crawl_env.tmp_path,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def test_crawl_archives_every_page_and_reprocess_stores_a_new_match_once(
    news_web: NewsWeb, crawl_env: CrawlEnv
) -> None:
    _configure(crawl_env, news_web, None)  # the default Russia–Cuba query
    fetched = {news_web.article_url(a) for a in news_web.live("havana-daily")}
    sugar = next(a for a in news_web.live("havana-daily") if a.key == "sugar")
    sugar_url = news_web.article_url(sugar)
    # The sugar page answers with validators (the demo's article pages have none).
    with urllib.request.urlopen(sugar_url) as response:
        sugar_page = response.read()
    validators = {"ETag": '"sugar-v1"', "Last-Modified": "Tue, 01 Dec 2026 08:00:00 GMT"}
    news_web.host("havana-daily").route(
        news_web.article_path(sugar),
        lambda call: Reply(200, sugar_page, {"Content-Type": "text/html", **validators}),
    )
    summaries = crawl_env.crawl()
    assert summaries["havana-daily"]["status"] == "ok", summaries
    stored = {a.url for a in crawl_env.articles()}
    assert sugar_url not in stored and stored == fetched - {sugar_url}
    archived = {copy.url: copy for copy in iter_archived(crawl_env.db)}
    assert set(archived) == fetched  # matching or not, every article page is kept
    assert archived[sugar_url].source_name == "havana-daily"
    assert archived[sugar_url].etag == '"sugar-v1"'
    assert archived[sugar_url].last_modified == validators["Last-Modified"]
    assert archived[sugar_url].content_type == "text/html"
    assert archived[sugar_url].body == sugar_page
    assert archived[sugar_url].discovered_from == news_web.host("havana-daily").url("/feed/")
    assert b"sugar harvest" in archived[sugar_url].body.lower()

    # A trial query over everything fetched finds the page that was never stored.
    trial = run_cli(
        "--config",
        str(crawl_env.config_path),
        "query",
        "test",
        "--archive",
        SUGAR_QUERY,
        cwd=crawl_env.tmp_path,
    )
    assert trial.returncode == 0, trial.stderr
    assert "1 match(es) among 3 archived page(s)" in trial.stdout
    assert "not stored" in trial.stdout and sugar.title[:40] in trial.stdout

    dry = run_cli(
        "--config",
        str(crawl_env.config_path),
        "reprocess",
        "--dry-run",
        cwd=crawl_env.tmp_path,
    )
    assert dry.returncode == 0, dry.stderr
    assert "dry run" in dry.stdout and "reprocessed 3 of 3 archived page(s)" in dry.stdout

    _configure(crawl_env, news_web, SUGAR_QUERY)
    first = _reprocess(crawl_env)
    assert first["pages"] == 3
    assert first["outcomes"]["new"] == 1 and first["outcomes"]["not_matching"] == 2
    assert first["alerts"] == 1
    with crawl_env.db.session() as session:
        article = session.scalar(select(Article).where(Article.url == sugar_url))
        assert article is not None and article.story_id is not None
        story_id = article.story_id
        alerts = session.scalar(
            select(func.count())
            .select_from(AlertDelivery)
            .where(AlertDelivery.story_id == story_id)
        )
        assert alerts == 1

    second = _reprocess(crawl_env, "--since", "1d", "--source", "havana-daily")
    assert second["pages"] == 3
    assert second["outcomes"]["new"] == 0 and second["outcomes"]["unchanged"] == 1
    assert second["alerts"] == 0
    with crawl_env.db.session() as session:
        assert session.scalar(select(func.count()).select_from(AlertDelivery)) == len(fetched)

    out = crawl_env.tmp_path / "export"
    exported = run_cli(
        "--config",
        str(crawl_env.config_path),
        "export",
        str(out),
        "--format",
        "jsonl",
        cwd=crawl_env.tmp_path,
    )
    assert exported.returncode == 0, exported.stderr
    records = [json.loads(line) for line in (out / "stories.jsonl").read_text().splitlines()]
    assert {r["url"] for r in records} == fetched
    sugar_record = next(r for r in records if r["url"] == sugar_url)
    assert sugar_record["story_id"] == story_id
    assert sugar_record["outlet"] == "Havana Daily" and sugar_record["language"] == "en"
    assert sugar_record["source"] == "havana-daily" and sugar_record["access"] == "open"
    assert sugar_record["published_at"] is not None
    assert (out / sugar_record["file"]).read_text(encoding="utf-8").startswith(sugar.title)


def test_reprocess_of_an_unknown_source_is_one_line(news_web: NewsWeb, crawl_env: CrawlEnv) -> None:
    _configure(crawl_env, news_web, None)
    done = run_cli(
        "--config",
        str(crawl_env.config_path),
        "reprocess",
        "--source",
        "nowhere",
        cwd=crawl_env.tmp_path,
    )
    assert done.returncode == 2
    assert done.stderr.startswith("error: no source named 'nowhere'")
    assert done.stderr.strip().count("\n") == 0


def test_reprocess_and_export_cli_on_postgresql(postgres_url: str, tmp_path: Path) -> None:
    db = Database(postgres_url)
    upgrade(db)
    try:
        Pipeline(db, config(db)).fetch(page("grid"), page("coffee"))
        path = tmp_path / "monitor.toml"
        path.write_text(
            f"[database]\nurl = {json.dumps(postgres_url)}\n\n[query]\n"
            f"match = {json.dumps(COFFEE_QUERY)}\n\n[relevance]\nenabled = false\n\n"
            '[email]\nrecipients = ["analyst@example.org"]\n',
            encoding="utf-8",
        )
        runs = [
            run_cli("--config", str(path), "reprocess", "--json", cwd=tmp_path) for _ in range(2)
        ]
        assert all(r.returncode == 0 for r in runs), runs[-1].stderr
        first, second = (json.loads(r.stdout) for r in runs)
        assert first["outcomes"]["new"] == 1 and first["alerts"] == 1
        assert second["outcomes"]["new"] == 0 and second["outcomes"]["unchanged"] == 1
        out = tmp_path / "export"
        done = run_cli("--config", str(path), "export", str(out), "--format", "jsonl", cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        urls = [
            json.loads(line)["url"] for line in (out / "stories.jsonl").read_text().splitlines()
        ]
        assert urls == [page("grid").url, page("coffee").url]
    finally:
        db.dispose()
