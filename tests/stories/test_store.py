"""ArticleStore + StoryRepository on SQLite and PostgreSQL: edits become revisions, unchanged
re-fetches write nothing, near misses edited into relevance alert once, access is stored, and
a failed commit leaves no trace in the process caches."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.exc import OperationalError

from monitor.alerts.outbox import story_hook
from monitor.config import MonitorConfig
from monitor.db.engine import Database
from monitor.db.models import AlertDelivery, Article, ArticleRevision, SeenUrl, Story
from monitor.extract import Access
from monitor.processing import ArticleStore, FetchedPage, PageAnalysis, analyze_page
from monitor.query import DEFAULT_QUERY
from tests.pages import NOISE, RELEVANT, page_html

CONFIG = MonitorConfig.model_validate(
    {"email": {"recipients": [{"address": "daily@example.org", "frequency": "daily"}]}}
)


def analyse(url: str, title: str, paragraphs: list[str], source: str = "test") -> PageAnalysis:
    return analyze_page(FetchedPage(url, page_html(title, paragraphs), source), DEFAULT_QUERY)


def store_for(db: Database) -> ArticleStore:
    return ArticleStore(db, alerts=story_hook(CONFIG))


def count(db: Database, model: type) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def test_an_edit_is_a_revision_and_is_not_alerted_again(db: Database) -> None:
    store = store_for(db)
    title, paragraphs = RELEVANT["oil"]
    first = store.store(analyse("https://r.example/oil", title, paragraphs))
    assert first.outcome == "new" and first.alerts == 1
    added = "Officials later said a second tanker would follow before the end of the month."
    edited = store.store(analyse("https://r.example/oil", title, [*paragraphs, added]))
    assert edited.outcome == "updated" and edited.alerts == 0
    assert edited.article_id == first.article_id and edited.story_id == first.story_id
    assert edited.revision_id is not None and edited.detail["edit"] == "+1/-0 paragraphs"
    with db.session() as session:
        article = session.get_one(Article, first.article_id)
        assert article.text.endswith(added) and article.revision_count == 1
        (revision,) = article.revisions
        assert revision.text == article.text and revision.paragraphs_added == 1
        assert f"+{added}" in revision.diff
        updated_at = article.updated_at
    assert count(db, AlertDelivery) == 1 and count(db, Story) == 1
    # Fetched again without a material change: unchanged, nothing written but the bookkeeping.
    spaced = [p.replace(" ", "  ") for p in [*paragraphs, added]]
    again = store.store(analyse("https://r.example/oil", title, spaced))
    assert again.outcome == "unchanged" and again.article_id == first.article_id
    with db.session() as session:
        article = session.get_one(Article, first.article_id)
        assert article.updated_at == updated_at and article.revision_count == 1
        assert session.scalar(select(SeenUrl.outcome)) == "unchanged"
    assert count(db, ArticleRevision) == 1


def test_a_new_headline_renames_the_story(db: Database) -> None:
    store = store_for(db)
    title, paragraphs = RELEVANT["flights"]
    first = store.store(analyse("https://r.example/flights", title, paragraphs))
    renamed = "Russia and Cuba restore direct flights to three resorts"
    result = store.store(analyse("https://r.example/flights", renamed, paragraphs))
    assert result.outcome == "updated" and result.detail["edit"] == "title changed"
    with db.session() as session:
        assert session.get_one(Story, first.story_id).title == renamed


def test_a_near_miss_edited_into_relevance_is_alerted_once(db: Database) -> None:
    store = store_for(db)
    near = store.store(analyse("https://n.example/w", *NOISE["wrestling"]))
    assert near.outcome == "near_miss" and near.alerts == 0
    title, paragraphs = RELEVANT["oil"]
    promoted = store.store(analyse("https://n.example/w", title, paragraphs))
    assert promoted.outcome == "updated" and promoted.alerts == 1
    assert promoted.story_id == near.story_id
    with db.session() as session:
        assert not session.get_one(Story, near.story_id).near_miss
        assert not session.get_one(Article, near.article_id).near_miss
    extra = [*paragraphs, "The ministry confirmed the figures on Thursday evening in Havana."]
    again = store.store(analyse("https://n.example/w", title, extra))
    assert again.outcome == "updated" and again.alerts == 0
    assert count(db, AlertDelivery) == 1


def test_access_and_date_method_are_stored(db: Database) -> None:
    store = store_for(db)
    analysis = analyse("https://wall.example/teaser", *RELEVANT["flights"])
    assert analysis.article is not None
    walled = replace(analysis, article=replace(analysis.article, access=Access.PAYWALLED))
    result = store.store(walled)
    with db.session() as session:
        assert session.get_one(Article, result.article_id).access == "paywalled"
    plain = store.store(analyse("https://open.example/oil", *RELEVANT["oil"]))
    with db.session() as session:
        assert session.get_one(Article, plain.article_id).access == "open"
    title, paragraphs = RELEVANT["oil"]
    data = {
        "@type": "NewsArticle",
        "headline": title,
        "datePublished": "2026-11-28T09:30:00Z",
        "dateModified": "2026-11-29T10:00:00Z",
    }
    ld = f'<script type="application/ld+json">{json.dumps(data)}</script></head>'
    body = page_html(title, paragraphs).replace(b"</head>", ld.encode(), 1)
    dated = analyze_page(FetchedPage("https://dated.example/oil", body, "test"), DEFAULT_QUERY)
    result = store.store(dated)
    with db.session() as session:
        article = session.get_one(Article, result.article_id)
        assert article.published_method == "json_ld"
        assert article.published_at == datetime(2026, 11, 28, 9, 30, tzinfo=UTC)
        assert article.modified_at == datetime(2026, 11, 29, 10, 0, tzinfo=UTC)


def test_an_analysis_error_is_counted_and_not_remembered(db: Database) -> None:
    store = store_for(db)
    analysis = analyse("https://r.example/oil", *RELEVANT["oil"])
    broken = replace(analysis, article=None, error="TypeError: boom")
    result = store.store(broken)
    assert result.outcome == "error" and result.detail["error"] == "TypeError: boom"
    assert count(db, SeenUrl) == 0  # tried again next time


class _FailCommit:
    """Make the next ``times`` commits on ``db`` raise ``error`` (then commit normally)."""

    def __init__(self, db: Database, error: Exception, times: int = 1) -> None:
        self.db, self.error, self.left = db, error, times

    def __enter__(self) -> _FailCommit:
        event.listen(self.db.engine, "commit", self._commit)
        return self

    def __exit__(self, *exc: object) -> None:
        event.remove(self.db.engine, "commit", self._commit)

    def _commit(self, connection: object) -> None:
        if self.left > 0:
            self.left -= 1
            raise self.error


def test_a_failed_commit_leaves_no_phantom_in_the_caches(db: Database) -> None:
    store = store_for(db)
    title, paragraphs = RELEVANT["oil"]
    with _FailCommit(db, RuntimeError("disk gone")), pytest.raises(RuntimeError):
        store.store(analyse("https://r.example/oil", title, paragraphs, source="fresh"))
    assert len(store.index) == 0 and store._story_of == {} and store._last_article_id == 0
    assert store._source_ids == {}
    assert count(db, Article) == 0 and count(db, Story) == 0
    # A near copy on another site is a new story, not a copy of the rolled-back one.
    copy = [*paragraphs[:-1], paragraphs[-1] + " Reporting by a news agency."]
    result = store.store(analyse("https://other.example/oil", title, copy, source="fresh"))
    assert result.outcome == "new" and result.alerts == 1
    assert store._story_of == {result.article_id: result.story_id}


def test_a_retried_commit_stores_once_and_caches_once(db: Database) -> None:
    store = store_for(db)
    title, paragraphs = RELEVANT["oil"]
    locked = OperationalError("COMMIT", {}, Exception("database is locked"))
    with _FailCommit(db, locked) as failing:
        result = store.store(analyse("https://r.example/oil", title, paragraphs))
    assert failing.left == 0  # the first attempt did fail
    assert result.outcome == "new"
    assert count(db, Article) == 1 and count(db, AlertDelivery) == 1
    assert store._story_of == {result.article_id: result.story_id}
    copy = [*paragraphs[:-1], paragraphs[-1] + " Reporting by a news agency."]
    joined = store.store(analyse("https://other.example/oil", title, copy))
    assert joined.outcome == "syndicated" and joined.story_id == result.story_id


def test_the_alert_hook_cannot_be_set_from_outside(db: Database) -> None:
    store = ArticleStore(db)
    with pytest.raises(TypeError, match="alerts="):
        store.on_new_story = story_hook(CONFIG)
    assert store.alerts is None


def test_an_edit_keeps_dates_it_does_not_see_and_a_skip_keeps_the_url_mapping(
    db: Database,
) -> None:
    store = store_for(db)
    title, paragraphs = RELEVANT["oil"]
    listed = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
    url = "https://r.example/oil"
    page = FetchedPage(url, page_html(title, paragraphs), "test", listed_published_at=listed)
    first = store.store(analyze_page(page, DEFAULT_QUERY))
    edited = [*paragraphs, "The ministry added details on Thursday about the second cargo."]
    revalidated = store.store(analyse(url, title, edited))  # no listing this time
    assert revalidated.outcome == "updated"
    with db.session() as session:
        assert session.get_one(Article, first.article_id).feed_published_at == listed
    broken = FetchedPage(url, b"\x89PNG\r\n\x1a\n", "test")
    assert store.store(analyze_page(broken, DEFAULT_QUERY)).outcome == "skipped"
    with db.session() as session:
        seen = session.scalars(select(SeenUrl).where(SeenUrl.url == url)).one()
        assert (seen.outcome, seen.article_id) == ("skipped", first.article_id)
        assert "second cargo" in session.get_one(Article, first.article_id).text
