"""Template re-clean from the archive: once a site's template block is learned, the stored text
of its recent articles is cleaned again from their kept HTML (an update, not a new story)."""

from __future__ import annotations

from sqlalchemy import func, select

from monitor.db.engine import Database
from monitor.db.models import AlertDelivery, Article
from monitor.db.repository import source_id
from monitor.db.templates import record_page, templates_changed
from monitor.processing import analyze_page
from tests.archive.helpers import STORIES, Pipeline, config, page

# A block the site prints under every article (written for this test; no phrase rule knows it).
HOUSE_LINE = (
    "The Harbour Ledger is an independent newsroom with reporters in four provincial capitals "
    "and readers in thirty countries."
)
KEYS = ("grid", "wheat", "students", "harbour")


def test_learned_template_is_removed_from_stored_articles(db: Database) -> None:
    pipeline = Pipeline(db, config(db))
    results = pipeline.fetch(*(page(key, extra=HOUSE_LINE) for key in KEYS))
    assert [r.outcome for r in results] == ["new"] * 4
    with db.session() as session:
        texts = list(session.scalars(select(Article.text)))
        alerts = session.scalar(select(func.count()).select_from(AlertDelivery))
    assert all(HOUSE_LINE in text for text in texts)  # nothing learned yet: the block is kept

    # The site's pages are counted (as the store does for every analysed page): the block
    # recurs on all of them and becomes template with the fourth.
    learned = None
    for key in KEYS:
        analysis = analyze_page(page(key, extra=HOUSE_LINE), pipeline.config.query.match)
        assert analysis.article is not None

        def _count(session, url=analysis.canonical_url, article=analysis.article):  # type: ignore[no-untyped-def]
            src = source_id(session, "daily")
            return record_page(session, src, url, article.block_fingerprints)

        result = db.write(_count)
        summary = templates_changed(db, pipeline.config, "daily", result)
        if result.learned:
            learned = summary
    assert learned is not None, "the repeated block was never learned"
    assert learned.outcomes["updated"] == 4 and learned.newly_matching == 0
    with db.session() as session:
        articles = list(session.scalars(select(Article).order_by(Article.id)))
        assert session.scalar(select(func.count()).select_from(AlertDelivery)) == alerts
    for article, key in zip(articles, KEYS, strict=True):
        assert HOUSE_LINE not in article.text
        assert all(p in article.text for p in STORIES[key][1])  # the article's own text stays
        assert article.revision_count == 1
