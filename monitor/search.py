"""Run an analyst's query against the stored articles (``monitor query test``)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import select

from monitor.db.engine import Database
from monitor.db.models import Article
from monitor.query import compile_query, make_snippet

if TYPE_CHECKING:
    from monitor.processing import RelevanceGate


@dataclass(frozen=True)
class QueryHit:
    """A stored article the query matches."""

    article_id: int
    story_id: int | None
    title: str
    canonical_url: str
    terms: tuple[str, ...]
    score: float
    snippet: str
    relevance: float | None = None  # the configured model's score now (else as stored)
    near_miss: bool = False


def _body(text: str, title: str) -> str:
    head, _, rest = text.partition("\n\n")
    return rest if head == title else text


def search_articles(
    db: Database, query: str, *, limit: int = 20, relevance: RelevanceGate | None = None
) -> tuple[list[QueryHit], int]:
    """Matching articles (best first, at most ``limit``) and how many articles were searched.

    With a ``relevance`` gate each hit is judged by it, as the pipeline would judge it now.
    """
    compiled = compile_query(query)
    hits: list[QueryHit] = []
    searched = 0
    for article in _articles(db):
        searched += 1
        body = _body(article.text, article.title)
        result = compiled.match(article.title, body)
        if result.matched:
            if relevance is not None:
                verdict = relevance.judge(article.title, body, article.language)
                relevance_score: float | None = verdict.score
                near_miss = not verdict.relevant
            else:
                relevance_score, near_miss = article.relevance, article.near_miss
            hits.append(
                QueryHit(
                    article.id,
                    article.story_id,
                    article.title,
                    article.canonical_url,
                    tuple(result.terms),
                    result.score,
                    make_snippet(body, result.spans),
                    relevance_score,
                    near_miss,
                )
            )
    hits.sort(key=lambda hit: (hit.near_miss, -hit.score, hit.article_id))
    return hits[:limit], searched


def _articles(db: Database) -> Iterator[Article]:
    with db.session() as session:
        yield from session.scalars(
            select(Article).order_by(Article.id).execution_options(yield_per=500)
        )
