"""Export keeps its names and its facts: file names by the story's first-seen number survive
stories added, demoted, promoted and deleted between exports; stories.jsonl carries each
story's URL, outlet, language, dates, access and relevance, and the latest text."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import delete, select

from monitor.db.engine import Database
from monitor.db.models import Article, Story
from monitor.export import JSONL_NAME, export_stories, story_file_name
from monitor.feedback import give_feedback
from tests.archive.helpers import Pipeline, config, page


def _names(files: list) -> dict[int, str]:  # type: ignore[type-arg]
    return {f.story_id: f.path.name for f in files}


def test_file_names_survive_stories_added_demoted_promoted_and_deleted(
    db: Database, tmp_path: Path
) -> None:
    pipeline = Pipeline(db, config(db))
    results = pipeline.fetch(page("grid"), page("wheat"), page("students"))
    assert [r.outcome for r in results] == ["new", "new", "new"]
    grid, wheat, students = (r.story_id for r in results)
    out = tmp_path / "export"
    first = _names(export_stories(db, out))
    assert list(first) == [grid, wheat, students]

    # Later: a new story, an analyst demotes one, one is deleted outright.
    (harbour,) = (r.story_id for r in pipeline.fetch(page("harbour")))
    give_feedback(db, pipeline.config, results[1].article_id or 0, "irrelevant")
    db.write(lambda s: s.execute(delete(Story).where(Story.id == grid)))
    second = _names(export_stories(db, out))
    assert list(second) == [students, harbour]
    assert second[students] == first[students]  # not renumbered by its new position
    assert second[harbour] not in first.values()

    # The demoted story promoted again gets its old name back.
    give_feedback(db, pipeline.config, results[1].article_id or 0, "relevant")
    third = _names(export_stories(db, out))
    assert third[wheat] == first[wheat]
    assert third[students] == first[students] and third[harbour] == second[harbour]
    assert len(set(third.values())) == len(third)
    with db.session() as session:
        url = session.scalar(select(Article.canonical_url).where(Article.story_id == wheat))
    assert url is not None and third[wheat] == story_file_name(wheat, url)


def test_jsonl_carries_each_storys_facts_and_latest_text(db: Database, tmp_path: Path) -> None:
    pipeline = Pipeline(db, config(db))
    pipeline.fetch(page("grid"), page("wheat", host="wire.example", source="wire"))
    # An edit: the stored article takes the new text; export writes it.
    (edited,) = pipeline.fetch(page("grid", extra="The ministry later said work starts in May."))
    assert edited.outcome == "updated"
    out = tmp_path / "export"
    files = export_stories(db, out, jsonl=True)
    records = [json.loads(line) for line in (out / JSONL_NAME).read_text().splitlines()]
    assert [r["file"] for r in records] == [f.path.name for f in files]
    with db.session() as session:
        articles = {a.story_id: a for a in session.scalars(select(Article).order_by(Article.id))}
        stories = {s.id: s for s in session.scalars(select(Story))}
        for record in records:
            article, story = articles[record["story_id"]], stories[record["story_id"]]
            assert record["url"] == article.url and record["canonical_url"] == article.canonical_url
            assert record["title"] == article.title
            assert record["outlet"] == "Test Daily"  # the page's og:site_name
            assert record["language"] == article.language == "en"
            assert record["first_seen_at"] == article.first_seen_at.isoformat()
            assert record["updated_at"] == article.updated_at.isoformat()
            assert record["revision_count"] == article.revision_count
            assert record["access"] == getattr(article, "access", "open")
            assert record["published_method"] == getattr(article, "published_method", None)
            assert record["relevance"] == story.relevance
            assert record["text"] == article.text
            text = (out / record["file"]).read_text(encoding="utf-8")
            assert text == article.text.rstrip("\n") + "\n"
    grid = next(r for r in records if "power units" in r["title"])
    assert grid["source"] == "daily" and grid["revision_count"] == 1
    assert "work starts in May" in grid["text"]
    wheat = next(r for r in records if r["source"] == "wire")
    assert wheat["url"] == "https://wire.example/news/wheat/"
    # Re-running rewrites the index and leaves unchanged story files alone.
    again = export_stories(db, out, jsonl=True)
    assert not any(f.changed for f in again)
    assert len((out / JSONL_NAME).read_text().splitlines()) == 2
