"""Analyst feedback on relevance: label a story, promote or demote it, and reuse the labels.

``monitor feedback ARTICLE_ID relevant|irrelevant`` labels the article's whole story. Marking a
near miss relevant **promotes** it: the story stops being a near miss and gets its outbox rows
now (so it is in the next digest, and sent at once to instant recipients); marking a story
irrelevant **demotes** it: it becomes a near miss and its unsent alerts are withdrawn. Labels
are kept (table ``feedback``) so ``monitor relevance train`` can learn from them.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from monitor.alerts.outbox import STATUS_PENDING, STATUS_WITHDRAWN, enqueue_story_alerts
from monitor.config import MonitorConfig
from monitor.db.engine import Database
from monitor.db.models import AlertDelivery, Article, Feedback, Story, utcnow
from monitor.errors import NotFoundError
from monitor.relevance import Label, LabelledExample


@dataclass(frozen=True)
class FeedbackResult:
    """What one label did to its story."""

    article_id: int
    story_id: int
    label: Label
    was_near_miss: bool
    near_miss: bool
    alerts_written: int = 0
    alerts_withdrawn: int = 0

    @property
    def promoted(self) -> bool:
        return self.was_near_miss and not self.near_miss

    @property
    def demoted(self) -> bool:
        return not self.was_near_miss and self.near_miss


def _lead_article(session: Session, story: Story, given: Article) -> Article:
    """The copy alerts quote: the most relevant one (the labelled one on a tie)."""
    copies = list(story.articles) or [given]
    return max(copies, key=lambda a: (a.relevance or 0.0, a.id == given.id, -a.id))


def give_feedback(
    db: Database,
    config: MonitorConfig,
    article_id: int,
    label: Label | str,
    *,
    origin: str = "cli",
) -> FeedbackResult:
    """Store ``label`` for the story of ``article_id`` and promote or demote it (one transaction).

    NotFoundError (exit 2) when there is no such article or it belongs to no story.
    """
    verdict = Label(label)

    def _apply(session: Session) -> FeedbackResult:
        article = session.get(Article, article_id)
        if article is None:
            raise NotFoundError(f"no article with id {article_id}")
        if article.story_id is None:
            raise NotFoundError(f"article {article_id} belongs to no story")
        story = session.get_one(Story, article.story_id, with_for_update=True)
        was_near_miss = story.near_miss
        now = utcnow()
        session.add(
            Feedback(
                story_id=story.id,
                article_id=article.id,
                label=verdict.value,
                created_at=now,
                origin=origin[:32],
            )
        )
        written = withdrawn = 0
        pending_for_story = (
            AlertDelivery.story_id == story.id,
            AlertDelivery.digest_id.is_(None),
        )
        if verdict == Label.RELEVANT:
            story.near_miss = False
            session.flush()
            # Alerts withdrawn by an earlier "irrelevant" come back; missing ones are written
            # (ON CONFLICT DO NOTHING: labelling twice alerts once).
            revived = session.execute(
                update(AlertDelivery)
                .where(*pending_for_story, AlertDelivery.status == STATUS_WITHDRAWN)
                .values(status=STATUS_PENDING, created_at=now)
            )
            written = int(getattr(revived, "rowcount", 0) or 0)
            written += enqueue_story_alerts(
                session, story, _lead_article(session, story, article), config, now=now
            )
        else:
            story.near_miss = True
            result = session.execute(
                update(AlertDelivery)
                .where(*pending_for_story, AlertDelivery.status == STATUS_PENDING)
                .values(status=STATUS_WITHDRAWN)
            )
            withdrawn = int(getattr(result, "rowcount", 0) or 0)
        return FeedbackResult(
            article.id, story.id, verdict, was_near_miss, story.near_miss, written, withdrawn
        )

    return db.write(_apply)


def _body(text: str, title: str) -> str:
    head, _, rest = text.partition("\n\n")
    return rest if head == title else text


def feedback_examples(db: Database) -> list[LabelledExample]:
    """The analysts' labels as training examples: per story its newest label, on the article
    that was labelled."""
    examples: list[LabelledExample] = []
    seen: set[int] = set()
    with db.session() as session:
        rows = session.execute(
            select(Feedback, Article)
            .join(Article, Article.id == Feedback.article_id)
            .order_by(Feedback.created_at.desc(), Feedback.id.desc())
        ).all()
        for feedback, article in rows:
            if feedback.story_id in seen:
                continue
            seen.add(feedback.story_id)
            examples.append(
                LabelledExample(
                    title=article.title,
                    text=_body(article.text, article.title),
                    language=article.language,
                    label=Label(feedback.label),
                    id=f"feedback-{feedback.id}",
                    kind="feedback",
                )
            )
    return examples
