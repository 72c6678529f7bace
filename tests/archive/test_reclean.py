"""Template re-clean from the archive, through the store's own path: the page that teaches a
site its template block triggers ``templates_changed`` -> ``reprocess``, and the stored text of
the site's recent articles is cleaned again from their kept HTML (updates, not new stories)."""

from __future__ import annotations

from sqlalchemy import func, select

from monitor.db.engine import Database
from monitor.db.models import AlertDelivery, Article
from monitor.reprocess import reprocess
from tests.archive.helpers import STORIES, Pipeline, config, page

# A block the site prints under every article (written for this test; no phrase rule knows it).
HOUSE_LINE = (
    "The Harbour Ledger is an independent newsroom with reporters in four provincial capitals "
    "and readers in thirty countries."
)
KEYS = ("grid", "wheat", "students", "harbour")


def _texts(db: Database) -> list[str]:
    with db.session() as session:
        return list(session.scalars(select(Article.text).order_by(Article.id)))


def _alerts(db: Database) -> int:
    with db.session() as session:
        return int(session.scalar(select(func.count()).select_from(AlertDelivery)) or 0)


def test_learned_template_is_removed_from_stored_articles(db: Database) -> None:
    pipeline = Pipeline(db, config(db))
    first = pipeline.fetch(*(page(key, extra=HOUSE_LINE) for key in KEYS[:3]))
    assert [r.outcome for r in first] == ["new"] * 3
    # Three pages are too few to call a block template: it is kept in the stored text.
    assert all(HOUSE_LINE in text for text in _texts(db))
    assert all(r.templates is not None and not r.templates.learned for r in first)
    alerts = _alerts(db)

    # The fourth page teaches the site its template: the store re-cleans the site's recent
    # articles from the archive (updates, never new stories).
    (fourth,) = pipeline.fetch(page(KEYS[3], extra=HOUSE_LINE))
    assert fourth.outcome == "new"
    assert fourth.templates is not None and fourth.templates.learned
    assert fourth.detail.get("recleaned") == 4
    assert _alerts(db) == alerts + 1  # the fourth story's alert only
    with db.session() as session:
        articles = list(session.scalars(select(Article).order_by(Article.id)))
    for article, key in zip(articles, KEYS, strict=True):
        assert HOUSE_LINE not in article.text
        assert all(p in article.text for p in STORIES[key][1])  # the article's own text stays
        assert article.revision_count == 1

    # Nothing more to learn, nothing more to change.
    again = reprocess(db, pipeline.config, source="daily", stored_only=True)
    assert again.outcomes["unchanged"] == 4 and again.outcomes["updated"] == 0
    assert _alerts(db) == alerts + 1
