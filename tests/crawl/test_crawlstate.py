"""What the crawl remembers per URL, on both backends, with the clock passed in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from monitor.crawl.extensions import counts_from_stats, reason_lines
from monitor.db.crawlstate import (
    UrlState,
    due_revalidations,
    mark_unchanged,
    needs_refetch,
    record_chain,
    record_validators,
    schedule_step,
    url_states,
)
from monitor.db.engine import Database
from monitor.db.models import Article, SeenUrl
from monitor.db.repository import source_id

T0 = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
STEPS = [timedelta(hours=1), timedelta(hours=6), timedelta(hours=24)]


def test_schedule_steps_elapse_with_the_clock() -> None:
    assert [schedule_step(T0, T0 + timedelta(hours=h), STEPS) for h in (0, 0.9, 1, 5, 6, 30)] == [
        0,
        0,
        1,
        1,
        2,
        3,
    ]


def test_refetch_only_when_the_listing_is_newer_than_our_fetch() -> None:
    state = UrlState("https://a.example/x", T0)
    assert needs_refetch(state, T0 + timedelta(minutes=1))
    assert not needs_refetch(state, T0)
    assert not needs_refetch(state, T0 - timedelta(days=1))
    assert not needs_refetch(state, None)


def _article(db: Database, url: str, first_seen: datetime, *, near_miss: bool = False) -> int:
    def _work(session: object) -> int:
        src = source_id(session, "s")  # type: ignore[arg-type]
        article = Article(
            canonical_url=url, url=url, source_id=src, content_fingerprint="f" + url[-1],
            title="t", text="x", first_seen_at=first_seen, near_miss=near_miss,
        )  # fmt: skip
        session.add(article)  # type: ignore[attr-defined]
        session.flush()  # type: ignore[attr-defined]
        record_chain(session, [url], outcome="new", source_name="s", article_id=article.id)  # type: ignore[arg-type]
        record_validators(session, url, etag='"v1"', last_modified=None)  # type: ignore[arg-type]
        return article.id

    return db.write(_work)


def test_due_revalidations_follow_the_schedule(db: Database) -> None:
    _article(db, "https://a.example/1", T0)
    _article(db, "https://a.example/2", T0 - timedelta(hours=7))
    _article(db, "https://a.example/3", T0, near_miss=True)  # never alerted: not revalidated
    _article(db, "https://a.example/4", T0 - timedelta(days=5))  # past the schedule

    def due(now: datetime) -> dict[str, int]:
        with db.session() as session:
            found = due_revalidations(session, "s", now=now, steps=STEPS)
        return {item.url: item.step for item in found}

    assert due(T0) == {"https://a.example/2": 2}
    assert due(T0 + timedelta(hours=1)) == {"https://a.example/1": 1, "https://a.example/2": 2}
    with db.session() as session:
        etag = next(r.etag for r in due_revalidations(session, "s", now=T0, steps=STEPS))
    assert etag == '"v1"'
    mark_unchanged(db, "https://a.example/2", 2, now=T0)
    assert due(T0 + timedelta(hours=1)) == {"https://a.example/1": 1}
    assert due(T0 + timedelta(hours=17, minutes=1)) == {
        "https://a.example/1": 2,
        "https://a.example/2": 3,
    }


def test_a_redirect_chain_maps_to_the_article(db: Database) -> None:
    article_id = _article(db, "https://a.example/final", T0)
    db.write(
        lambda s: record_chain(
            s, ["https://sho.rt/x", "https://a.example/hop"], outcome="new", source_name="s",
            article_id=article_id,
        )
    )  # fmt: skip
    with db.session() as session:
        states = url_states(session, ["https://sho.rt/x", "https://a.example/hop", "https://b/"])
        mapped = dict(session.execute(select(SeenUrl.url, SeenUrl.article_id)).all())
    assert set(states) == {"https://sho.rt/x", "https://a.example/hop"}
    assert mapped["https://sho.rt/x"] == mapped["https://a.example/hop"] == article_id


def test_the_summary_lists_drops_by_reason() -> None:
    counts = counts_from_stats(
        {
            "item_scraped_count": 2,
            "item_dropped_count": 5,
            "monitor/dropped/precheck": 3,
            "monitor/dropped/unchanged": 2,
            "monitor/revalidated_304": 2,
            "monitor/already_seen": 7,
        }
    )
    assert counts["dropped_precheck"] == 3 and counts["articles_found"] == 5
    lines = reason_lines("src", counts)
    assert lines == [
        "  src: not stored: precheck 3, unchanged 2",
        "  src: already_seen 7, revalidated_304 2",
    ]
