"""Stage 2 in the store: near misses kept but never alerted, promotion and demotion by feedback."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from monitor.alerts.outbox import STATUS_WITHDRAWN, story_hook
from monitor.config import MonitorConfig
from monitor.db.engine import Database
from monitor.db.models import AlertDelivery, Article, Feedback, Story
from monitor.errors import NotFoundError
from monitor.feedback import feedback_examples, give_feedback
from monitor.processing import (
    ArticleStore,
    FetchedPage,
    PageAnalysis,
    RelevanceGate,
    analyze_page,
    load_relevance_model,
)
from monitor.query import DEFAULT_QUERY
from monitor.relevance import Label
from tests.pages import NOISE, RELEVANT, page_html

CONFIG = MonitorConfig.model_validate(
    {
        "email": {
            "recipients": [
                {"address": "daily@example.org", "frequency": "daily"},
                {"address": "now@example.org", "frequency": "instant"},
            ]
        }
    }
)


def analyse(
    url: str, title: str, paragraphs: list[str], *, gate: RelevanceGate | None = None
) -> PageAnalysis:
    page = FetchedPage(url=url, body=page_html(title, paragraphs), source_name="test")
    if gate is None:
        return analyze_page(page, DEFAULT_QUERY)  # the process default: the packaged model
    return analyze_page(page, DEFAULT_QUERY, relevance=gate)


def store_for(db: Database) -> ArticleStore:
    return ArticleStore(db, alerts=story_hook(CONFIG))


def alerts(db: Database, story_id: int) -> list[tuple[str, str, str]]:
    with db.session() as session:
        rows = session.execute(
            select(AlertDelivery.recipient, AlertDelivery.kind, AlertDelivery.status)
            .where(AlertDelivery.story_id == story_id)
            .order_by(AlertDelivery.recipient)
        ).all()
    return [tuple(row) for row in rows]  # type: ignore[misc]


def test_noise_matches_the_query_but_is_a_near_miss() -> None:
    for key, (title, paragraphs) in NOISE.items():
        analysis = analyse(f"https://n.example/{key}", title, paragraphs)
        assert analysis.query_matched, key
        assert analysis.near_miss and not analysis.matched, key
        assert analysis.relevance is not None and 0.0 <= analysis.relevance < 0.5, key
        assert analysis.relevance_reasons, key
    for key, (title, paragraphs) in RELEVANT.items():
        analysis = analyse(f"https://r.example/{key}", title, paragraphs)
        assert analysis.matched and analysis.query_matched and not analysis.near_miss, key
        assert analysis.relevance is not None and analysis.relevance > 0.5, key


def test_near_miss_is_stored_without_alerts(db: Database) -> None:
    store = store_for(db)
    near = store.store(analyse("https://n.example/sanctions", *NOISE["sanctions"]))
    good = store.store(analyse("https://r.example/oil", *RELEVANT["oil"]))
    assert near.outcome == "near_miss" and near.alerts == 0
    assert good.outcome == "new" and good.alerts == 2
    assert near.story_id is not None and good.story_id is not None
    assert alerts(db, near.story_id) == []
    assert {row[1] for row in alerts(db, good.story_id)} == {"digest", "instant"}
    with db.session() as session:
        article = session.get_one(Article, near.article_id)
        story = session.get_one(Story, near.story_id)
        assert article.near_miss and story.near_miss
        assert article.relevance is not None and story.relevance == article.relevance
        assert isinstance(article.relevance_reasons, list) and article.relevance_reasons
        relevant = session.get_one(Story, good.story_id)
        assert not relevant.near_miss and relevant.relevance is not None
        assert relevant.relevance > story.relevance


def test_model_off_behaves_as_before(db: Database) -> None:
    store = store_for(db)
    page = FetchedPage("https://n.example/off", page_html(*NOISE["sanctions"]), "test")
    result = store.store(analyze_page(page, DEFAULT_QUERY, relevance=None))
    assert result.outcome == "new" and result.alerts == 2
    with db.session() as session:
        article = session.get_one(Article, result.article_id)
        assert article.relevance is None and article.relevance_reasons == []
        assert not article.near_miss and not session.get_one(Story, result.story_id).near_miss


def test_a_relevant_copy_promotes_a_near_miss_story(db: Database) -> None:
    store = store_for(db)
    model = load_relevance_model(None)
    near = store.store(analyse("https://one.example/w", *NOISE["wrestling"]))
    assert near.outcome == "near_miss"
    # The same text on another site, judged by a gate that accepts everything: a relevant copy.
    lenient = RelevanceGate(model, 0.0)
    copy = store.store(analyse("https://two.example/w", *NOISE["wrestling"], gate=lenient))
    assert copy.outcome == "syndicated" and copy.story_id == near.story_id
    assert copy.alerts == 2
    with db.session() as session:
        story = session.get_one(Story, near.story_id)
        assert not story.near_miss
        copies = session.scalars(select(Article.relevance).where(Article.story_id == story.id))
        assert story.relevance == max(r for r in copies if r is not None)
    # A third copy adds nothing: the story was alerted once.
    third = store.store(analyse("https://three.example/w", *NOISE["wrestling"], gate=lenient))
    assert third.alerts == 0 and len(alerts(db, near.story_id or 0)) == 2


def test_feedback_promotes_once_and_demotes(db: Database) -> None:
    store = store_for(db)
    near = store.store(analyse("https://n.example/wrestling", *NOISE["wrestling"]))
    assert near.article_id is not None and near.story_id is not None
    first = give_feedback(db, CONFIG, near.article_id, "relevant")
    assert first.promoted and first.alerts_written == 2
    again = give_feedback(db, CONFIG, near.article_id, Label.RELEVANT)
    assert not again.promoted and again.alerts_written == 0
    rows = alerts(db, near.story_id)
    assert rows == [
        ("daily@example.org", "digest", "pending"),
        ("now@example.org", "instant", "pending"),
    ]
    demoted = give_feedback(db, CONFIG, near.article_id, "irrelevant")
    assert demoted.demoted and demoted.alerts_withdrawn == 2
    assert {row[2] for row in alerts(db, near.story_id)} == {STATUS_WITHDRAWN}
    with db.session() as session:
        assert session.get_one(Story, near.story_id).near_miss
        labels = session.scalars(select(Feedback.label).order_by(Feedback.id)).all()
        assert labels == ["relevant", "relevant", "irrelevant"]
    # Promoted again: the withdrawn alerts come back, still one per recipient.
    back = give_feedback(db, CONFIG, near.article_id, "relevant")
    assert back.promoted and back.alerts_written == 2
    assert {row[2] for row in alerts(db, near.story_id)} == {"pending"}
    assert len(alerts(db, near.story_id)) == 2


def test_demoted_story_is_not_promoted_by_a_relevant_copy(db: Database) -> None:
    store = store_for(db)
    good = store.store(analyse("https://r.example/flights", *RELEVANT["flights"]))
    assert good.article_id is not None and good.story_id is not None
    give_feedback(db, CONFIG, good.article_id, "irrelevant")
    copy = store.store(analyse("https://other.example/flights", *RELEVANT["flights"]))
    assert copy.outcome == "syndicated" and copy.alerts == 0
    with db.session() as session:
        assert session.get_one(Story, good.story_id).near_miss


def test_unknown_article_is_not_found(db: Database) -> None:
    with pytest.raises(NotFoundError) as raised:
        give_feedback(db, CONFIG, 999_999, "relevant")
    assert raised.value.exit_code == 2
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(Feedback)) == 0


def test_feedback_becomes_training_examples(db: Database) -> None:
    store = store_for(db)
    near = store.store(analyse("https://n.example/sanctions", *NOISE["sanctions"]))
    good = store.store(analyse("https://r.example/oil", *RELEVANT["oil"]))
    assert near.article_id and good.article_id
    give_feedback(db, CONFIG, good.article_id, "irrelevant")
    give_feedback(db, CONFIG, near.article_id, "irrelevant")
    give_feedback(db, CONFIG, near.article_id, "relevant")  # the newest label counts
    examples = {e.title: e for e in feedback_examples(db)}
    assert examples[NOISE["sanctions"][0]].label == Label.RELEVANT
    assert examples[RELEVANT["oil"][0]].label == Label.IRRELEVANT
    assert len(examples) == 2
    sanctions = examples[NOISE["sanctions"][0]]
    assert not sanctions.text.startswith(sanctions.title)
    assert sanctions.text.startswith("The Treasury Department")


def test_a_short_teaser_is_judged_on_what_is_visible(db: Database) -> None:
    teaser = (  # a wire item of two short paragraphs, much of it about the visit's logistics
        "Russian deputy minister arrives in Havana for trade talks",
        [
            "HAVANA (Wire) - Russia's deputy economy minister arrived in Havana on Monday for "
            "two days of talks with Cuban officials on trade, fuel deliveries and Mir payment "
            "cards, the Russian embassy said.",
            "The minister is also due to visit the port of Mariel, where a Russian company is "
            "refitting an old cargo terminal for container ships, before flying back to Moscow "
            "on Wednesday evening. Cuban state television showed him being greeted at the airport "
            "by the deputy minister of foreign trade.",
        ],
    )
    analysis = analyse("https://wire.example/teaser", *teaser)
    assert analysis.skip_reason is None and analysis.matched and not analysis.near_miss
    assert store_for(db).store(analysis).outcome == "new"
