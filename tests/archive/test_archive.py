"""The page archive on both backends: compressed copies keyed by URL, replaced on re-fetch,
read back byte for byte, and bounded by age and by total size."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from monitor.config import ArchiveConfig, config_from_dict
from monitor.daemon.housekeeping import run_housekeeping
from monitor.db.archive import (
    archive_entry,
    archive_page,
    archive_usage,
    archived_page,
    count_archived,
    decompress,
    iter_archived,
    prune_archive,
)
from monitor.db.engine import Database
from monitor.db.models import ArchivedPage, utcnow
from monitor.errors import ConfigError, DatabaseError
from monitor.processing import FetchedPage
from tests.pages import NOISE, RELEVANT, page_html


def _page(key: str, n: int = 0, *, source: str = "daily", **extra: object) -> FetchedPage:
    title, paragraphs = {**RELEVANT, **NOISE}[key]
    return FetchedPage(
        url=f"https://daily.example/{key}/{n}",
        body=page_html(title, paragraphs),
        source_name=source,
        content_type="text/html; charset=utf-8",
        **extra,  # type: ignore[arg-type]
    )


def test_a_page_is_kept_compressed_and_read_back_exactly(db: Database) -> None:
    page = _page(
        "oil",
        final_url="https://daily.example/2026/oil-tanker/",
        listed_title="Tanker docks",
        discovered_from="https://daily.example/feed/",
    )
    entry = archive_entry(page)
    assert entry.url == "https://daily.example/2026/oil-tanker/"
    assert entry.requested_url == page.url
    assert entry.raw_size == len(page.body) and 0 < entry.stored_size < entry.raw_size
    db.write(lambda s: archive_page(s, entry))
    with db.session() as session:
        copy = archived_page(session, "https://daily.example/2026/oil-tanker/")
    assert copy is not None and copy.body == page.body
    again = copy.to_fetched_page()
    assert (again.url, again.final_url, again.source_name) == (
        page.url,
        page.final_url,
        "daily",
    )
    assert again.listed_title == "Tanker docks"
    assert again.discovered_from == "https://daily.example/feed/"
    assert again.content_type == page.content_type


def test_a_second_fetch_replaces_the_copy(db: Database) -> None:
    first = _page("oil")
    db.write(lambda s: archive_page(s, first))
    edited = FetchedPage(first.url, first.body + b"<p>An added paragraph.</p>", "daily")
    db.write(lambda s: archive_page(s, edited))
    # An empty answer (a 304, a failed download) leaves the kept copy alone.
    db.write(lambda s: archive_page(s, FetchedPage(first.url, b"", "daily")))
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(ArchivedPage)) == 1
        copy = archived_page(session, first.url)
        assert copy is not None and copy.body.endswith(b"An added paragraph.</p>")
        assert copy.content_type is None


def test_batches_filter_by_source_and_time(db: Database) -> None:
    now = utcnow()
    entries = [
        archive_entry(
            _page("oil", n, source="a" if n % 2 else "b"), fetched_at=now - timedelta(hours=n)
        )
        for n in range(7)
    ]
    db.write(lambda s: [archive_page(s, e) for e in entries])
    every = list(iter_archived(db, batch=2))
    assert [c.url for c in every] == [e.url for e in entries]
    recent_a = list(iter_archived(db, source="a", since=now - timedelta(hours=3, minutes=30)))
    assert [c.url for c in recent_a] == [entries[1].url, entries[3].url]
    with db.session() as session:
        assert count_archived(session, source="b") == 4


def test_prune_by_age_then_by_size_keeps_the_newest(db: Database) -> None:
    now = utcnow()
    entries = [
        archive_entry(_page(key, n), fetched_at=now - timedelta(days=n))
        for n, key in enumerate(["oil", "flights", "sanctions", "oil", "flights", "oil"])
    ]
    db.write(lambda s: [archive_page(s, e) for e in entries])
    sizes = [e.stored_size for e in entries]
    # Age: copies fetched more than 4.5 days ago go (days 5); size: then only as many of the
    # newest as fit in the limit stay (days 0..2 fit exactly).
    limit = sum(sizes[:3])
    settings = ArchiveConfig(max_age_days=4.5, max_mb=limit / (1024 * 1024))
    assert prune_archive(db, settings, now=now) == {"archive_age": 1, "archive_size": 2}
    with db.session() as session:
        kept = session.scalars(select(ArchivedPage.url).order_by(ArchivedPage.fetched_at.desc()))
        assert list(kept) == [e.url for e in entries[:3]]
        usage = archive_usage(session)
    assert usage.pages == 3 and usage.stored_bytes == limit <= settings.max_mb * 1024 * 1024
    assert usage.raw_bytes == sum(e.raw_size for e in entries[:3])
    assert usage.oldest is not None and usage.oldest.tzinfo is not None
    # Within both bounds: nothing more to delete.
    assert prune_archive(db, settings, now=now) == {"archive_age": 0, "archive_size": 0}


def test_housekeeping_prunes_the_archive_by_the_config(db: Database) -> None:
    now = utcnow()
    old = archive_entry(_page("oil", 1), fetched_at=now - timedelta(days=40))
    fresh = archive_entry(_page("oil", 2), fetched_at=now - timedelta(days=1))
    db.write(lambda s: [archive_page(s, e) for e in (old, fresh)])
    config = config_from_dict({"archive": {"max_age_days": 30}})
    counts = run_housekeeping(db, config, now=now)
    assert counts["archive_age"] == 1 and counts["archive_size"] == 0
    with db.session() as session:
        assert [c.url for c in iter_archived(db)] == [fresh.url]
        assert archived_page(session, old.url) is None


def test_a_corrupt_copy_is_one_clear_error() -> None:
    with pytest.raises(DatabaseError, match="corrupt"):
        decompress("zstd", b"not zstd at all")
    with pytest.raises(DatabaseError, match="unknown compression"):
        decompress("lzma", b"")


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ({"max_mb": 0}, "archive.max_mb"),
        ({"max_age_days": -1}, "archive.max_age_days"),
        ({"size": 3}, "unknown key"),
    ],
)
def test_archive_config_is_validated(section: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        config_from_dict({"archive": section})


def test_a_long_url_is_kept_whole(db: Database) -> None:
    long_url = "https://daily.example/story?" + "&".join(f"p{n}=value{n}" for n in range(400))
    assert len(long_url) > 4000
    page = FetchedPage(long_url, page_html(*RELEVANT["oil"]), "daily")
    db.write(lambda s: archive_page(s, page))
    db.write(lambda s: archive_page(s, page))  # the same key: replaced, not added
    with db.session() as session:
        copy = archived_page(session, long_url)
        assert session.scalar(select(func.count()).select_from(ArchivedPage)) == 1
    assert copy is not None and copy.url == long_url and copy.body == page.body
