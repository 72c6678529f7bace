"""``reprocess`` over the archive on both backends: a query change turns a page that did not
match into a new, alerted story exactly once; an edited copy updates the stored article;
filters and the dry run; ``query test --archive`` finds what was never stored."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from monitor.db.archive import archive_entry, archive_page
from monitor.db.engine import Database
from monitor.db.models import AlertDelivery, Article, Story, utcnow
from monitor.reprocess import reprocess, search_archive
from tests.archive.helpers import COFFEE_QUERY, Pipeline, config, page


def _alerts(db: Database) -> dict[int, int]:
    with db.session() as session:
        rows = session.execute(
            select(AlertDelivery.story_id, func.count()).group_by(AlertDelivery.story_id)
        )
        return {story_id: n for story_id, n in rows}


def _article(db: Database, url: str) -> Article | None:
    with db.session() as session:
        article = session.scalar(select(Article).where(Article.url == url))
        if article is not None:
            session.expunge(article)
        return article


def test_a_query_change_reaches_past_pages_once(db: Database) -> None:
    pipeline = Pipeline(db, config(db))
    grid, coffee = page("grid"), page("coffee")
    assert [r.outcome for r in pipeline.fetch(grid, coffee)] == ["new", "not_matching"]
    assert _article(db, coffee.url) is None
    before = _alerts(db)
    assert len(before) == 1  # the grid story

    coffee_config = config(db, query=COFFEE_QUERY)
    first = reprocess(db, coffee_config)
    assert first.pages == 2
    assert first.outcomes["new"] == 1 and first.outcomes["not_matching"] == 1
    assert first.alerts == 1
    stored = _article(db, coffee.url)
    assert stored is not None and stored.story_id is not None
    assert "coffee" in stored.matched_terms
    assert _alerts(db) == {**before, stored.story_id: 1}

    second = reprocess(db, coffee_config)
    assert second.outcomes["new"] == 0 and second.outcomes["unchanged"] == 1
    assert second.alerts == 0
    assert _alerts(db) == {**before, stored.story_id: 1}
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(Story)) == 2


def test_an_edited_copy_updates_the_stored_article(db: Database) -> None:
    pipeline = Pipeline(db, config(db))
    (first,) = pipeline.fetch(page("grid"))
    alerts = _alerts(db)
    # The site edited the page; the archive holds the newer copy (fetched again).
    edit = "A second contract covers spare parts for the plant's boilers."
    db.write(lambda s: archive_page(s, page("grid", extra=edit)))
    summary = reprocess(db, pipeline.config)
    assert summary.outcomes["updated"] == 1 and summary.alerts == 0
    stored = _article(db, page("grid").url)
    assert stored is not None and stored.id == first.article_id
    assert edit in stored.text and stored.revision_count == 1
    assert _alerts(db) == alerts  # an edit is never announced again
    again = reprocess(db, pipeline.config)
    assert again.outcomes["unchanged"] == 1 and again.outcomes["updated"] == 0
    assert _article(db, page("grid").url).revision_count == 1  # type: ignore[union-attr]


def test_filters_and_dry_run(db: Database) -> None:
    pipeline = Pipeline(db, config(db))
    pipeline.fetch(page("grid"), page("coffee"), page("wheat", host="wire.example", source="wire"))
    old = archive_entry(page("students"), fetched_at=utcnow() - timedelta(days=3))
    db.write(lambda s: archive_page(s, old))  # kept three days ago, never stored
    db.write(lambda s: archive_page(s, page("grid", extra="The first unit is now running.")))

    dry = reprocess(db, pipeline.config, dry_run=True)
    assert dry.pages == 4
    assert (dry.outcomes["new"], dry.outcomes["updated"], dry.outcomes["unchanged"]) == (1, 1, 1)
    assert dry.outcomes["not_matching"] == 1
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(Article)) == 2  # nothing written
    assert "first unit is now running" not in _article(db, page("grid").url).text  # type: ignore[union-attr]

    recent = reprocess(db, pipeline.config, since=utcnow() - timedelta(days=1), source="daily")
    assert recent.pages == 2  # grid (edited) and coffee; not the wire page, not the old one
    assert recent.outcomes["updated"] == 1 and recent.outcomes["not_matching"] == 1
    assert _article(db, page("students").url) is None
    only_stored = reprocess(db, pipeline.config, stored_only=True)
    assert only_stored.pages == 2 and only_stored.outcomes["unchanged"] == 2


def test_query_test_over_the_archive_finds_pages_never_stored(db: Database) -> None:
    pipeline = Pipeline(db, config(db))
    pipeline.fetch(page("grid"), page("coffee"))
    hits, searched = search_archive(db, pipeline.config, "coffee OR blackouts")
    assert searched == 2
    by_url = {h.url: h for h in hits}
    assert set(by_url) == {page("grid").url, page("coffee").url}
    assert by_url[page("coffee").url].article_id is None  # fetched, never stored
    assert by_url[page("grid").url].article_id is not None
    assert "coffee" in by_url[page("coffee").url].terms
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(Article)) == 1


def test_with_the_archive_off_nothing_is_kept(db: Database) -> None:
    pipeline = Pipeline(db, config(db, archive={"enabled": False}))
    assert [r.outcome for r in pipeline.fetch(page("grid"), page("coffee"))] == [
        "new",
        "not_matching",
    ]
    summary = reprocess(db, config(db, query=COFFEE_QUERY))
    assert summary.pages == 0 and _article(db, page("coffee").url) is None


def test_query_test_over_the_archive_keeps_the_best_hits(db: Database) -> None:
    pipeline = Pipeline(db, config(db))
    pipeline.fetch(page("grid"), page("wheat"), page("students"), page("coffee"))
    every, searched = search_archive(db, pipeline.config, "russia* AND cuba*")
    assert searched == 4 and len(every) == 3
    assert [h.score for h in every] == sorted((h.score for h in every), reverse=True)
    best, _ = search_archive(db, pipeline.config, "russia* AND cuba*", limit=1)
    assert [h.url for h in best] == [every[0].url]
