"""Analyse → store: URL, exact-content and near-duplicate dedup, edits, concurrency."""

from __future__ import annotations

import html
import multiprocessing
from pathlib import Path

from sqlalchemy import func, select

from monitor.db.engine import Database
from monitor.db.models import Article, SeenUrl, Story
from monitor.processing import ArticleStore, FetchedPage, analyze_page
from monitor.query import DEFAULT_QUERY

SEEDS = sorted((Path(__file__).resolve().parents[1] / "seeds").glob("*.txt"))


def seed_parts(index: int) -> tuple[str, list[str]]:
    lines = [ln.strip() for ln in SEEDS[index].read_text(encoding="utf-8").splitlines()]
    paragraphs = [ln for ln in lines if ln]
    return paragraphs[0], paragraphs[1:]


def page_html(
    title: str, paragraphs: list[str], *, canonical: str | None = None, site: str = "Havana Daily"
) -> bytes:
    body = "\n".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
    link = f'<link rel="canonical" href="{canonical}">' if canonical else ""
    return (
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{html.escape(title)}"
        f"</title>{link}<meta property='og:site_name' content='{site}'></head><body>"
        f"<nav><a href='/'>Home</a> <a href='/world'>World</a></nav>"
        f"<article><h1>{html.escape(title)}</h1>{body}</article>"
        f"<footer>© {site}</footer></body></html>"
    ).encode()


def analyse(url: str, title: str, paragraphs: list[str], **kwargs: str) -> object:
    page = FetchedPage(url=url, body=page_html(title, paragraphs, **kwargs), source_name="test")
    return analyze_page(page, DEFAULT_QUERY)


def counts(db: Database) -> tuple[int, int]:
    with db.session() as session:
        return (
            session.scalar(select(func.count()).select_from(Article)) or 0,
            session.scalar(select(func.count()).select_from(Story)) or 0,
        )


def test_seed_pages_match_and_store_once(db: Database) -> None:
    store = ArticleStore(db)
    title, paragraphs = seed_parts(2)
    first = store.store(
        analyse("https://havana.example/2026/11/ties?utm_source=x", title, paragraphs)
    )
    assert first.outcome == "new"
    again = store.store(
        analyse("http://www.havana.example/2026/11/ties/#comments", title, paragraphs)
    )
    assert again.outcome == "unchanged"  # the same canonical URL fetched again
    assert counts(db) == (1, 1)
    with db.session() as session:
        article = session.scalars(select(Article)).one()
        assert article.canonical_url == "https://havana.example/2026/11/ties"
        assert article.text.startswith(title + "\n\n")
        assert article.matched_terms
        assert article.snippet_spans  # hits as offsets into the plain snippet
        hits = {article.snippet[start:end].lower() for start, end in article.snippet_spans}
        assert hits & {term.lower() for term in article.matched_terms}
        assert "[" not in article.snippet


def test_edited_article_updates_without_new_story(db: Database) -> None:
    store = ArticleStore(db)
    title, paragraphs = seed_parts(4)
    store.store(analyse("https://wire.example/a", title, paragraphs))
    edited = [*paragraphs[:-1], paragraphs[-1] + " Updated with a correction."]
    result = store.store(analyse("https://wire.example/a", title, edited))
    assert result.outcome == "updated"
    with db.session() as session:
        article = session.scalars(select(Article)).one()
        assert article.revision_count == 1
        assert "Updated with a correction." in article.text
    assert counts(db) == (1, 1)


def test_syndicated_copy_joins_the_story(db: Database) -> None:
    store = ArticleStore(db)
    title, paragraphs = seed_parts(2)
    assert store.store(analyse("https://origin.example/story", title, paragraphs)).outcome == "new"
    copy = ["MOSCOW (Wire) – " + paragraphs[0], *paragraphs[1:], "Related: more news from Havana"]
    fresh = ArticleStore(db)  # another process: knows the first article only from the database
    result = fresh.store(
        analyse("https://reprint.example/other-headline", "Another headline", copy)
    )
    assert result.outcome == "syndicated"
    assert counts(db) == (2, 1)


def test_exact_copy_on_the_same_site_is_a_duplicate(db: Database) -> None:
    store = ArticleStore(db)
    title, paragraphs = seed_parts(0)
    store.store(analyse("https://site.example/news/1", title, paragraphs))
    result = store.store(analyse("https://site.example/?p=1", title, paragraphs))
    assert result.outcome == "duplicate"
    assert counts(db) == (1, 1)


def test_different_articles_are_different_stories(db: Database) -> None:
    store = ArticleStore(db)
    for n, seed in enumerate((0, 2, 4)):
        title, paragraphs = seed_parts(seed)
        assert store.store(analyse(f"https://site.example/{n}", title, paragraphs)).outcome == "new"
    assert counts(db) == (3, 3)


def test_not_matching_and_skipped_pages_are_remembered(db: Database) -> None:
    store = ArticleStore(db)
    off_topic = ["The city council approved a new budget for parks and libraries on Monday. " * 8]
    result = store.store(analyse("https://site.example/parks", "Council budget", off_topic))
    assert result.outcome == "not_matching"
    skipped = store.store(
        analyze_page(
            FetchedPage("https://site.example/img", b"\x89PNG\r\n\x1a\n", "test"), DEFAULT_QUERY
        )
    )
    assert skipped.outcome == "skipped"
    with db.session() as session:
        outcomes = dict(session.execute(select(SeenUrl.url, SeenUrl.outcome)).tuples().all())
    assert outcomes == {
        "https://site.example/parks": "not_matching",
        "https://site.example/img": "skipped",
    }
    assert counts(db) == (0, 0)


def _store_all(url: str, worker: int) -> None:
    db = Database(url)
    store = ArticleStore(db)
    for seed in range(5):
        title, paragraphs = seed_parts(seed)
        for host in ("a.example", "b.example"):
            store.store(analyse(f"https://{host}/story-{seed}", title, paragraphs))
    db.dispose()


def test_concurrent_crawlers_store_each_article_once(db: Database) -> None:
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_store_all, args=(db.url, n)) for n in range(3)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(180)
        assert worker.exitcode == 0
    articles, stories = counts(db)
    matching = sum(
        1
        for seed in range(5)
        if analyse("https://x.example/a", *seed_parts(seed)).matched  # type: ignore[attr-defined]
    )
    assert articles == 2 * matching
    assert stories == matching
