"""Export stored stories as seed-format text files, one file per story (and, with
``jsonl=True``, ``stories.jsonl``: one JSON object per story with its facts)."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

from sqlalchemy import Select, func, literal, null, select
from sqlalchemy.orm import InstrumentedAttribute

from monitor.db.engine import Database
from monitor.db.models import Article, Source, Story

JSONL_NAME = "stories.jsonl"
# Columns other branches add (dates with their method, access): read when the schema has them.
_OPTIONAL_COLUMNS = ("published_method", "modified_at", "access")


@dataclass(frozen=True)
class ExportedFile:
    """One exported story file."""

    path: Path
    story_id: int
    canonical_url: str
    changed: bool


def story_file_name(story_id: int, canonical_url: str) -> str:
    """``NNN_<first 16 hex of sha256(canonical URL)>.txt``.

    NNN is the story's 0-based number in first-seen order, ``story id - 1``: it never changes
    when stories are added, promoted, demoted or deleted later (the same number the discovery
    position gave when no story had been deleted).
    """
    digest = hashlib.sha256(canonical_url.encode("utf-8")).hexdigest()[:16]
    return f"{story_id - 1:03d}_{digest}.txt"


def export_stories(
    db: Database,
    directory: Path,
    *,
    since: datetime | None = None,
    near_misses: bool = False,
    jsonl: bool = False,
) -> list[ExportedFile]:
    """Write every relevant story (first seen at or after ``since``) into ``directory``;
    idempotent. Near misses are left out (``near_misses``: only they are written).

    File names are derived only from the story id and a hash, so no name can escape
    ``directory``; files are written atomically and left alone when unchanged. ``jsonl``:
    also write ``stories.jsonl`` (URL, outlet, language, dates and their method, access,
    relevance and the text of each story).
    """
    return list(iter_export(db, directory, since=since, near_misses=near_misses, jsonl=jsonl))


def iter_export(
    db: Database,
    directory: Path,
    *,
    since: datetime | None = None,
    near_misses: bool = False,
    jsonl: bool = False,
) -> Iterator[ExportedFile]:
    """:func:`export_stories` one story at a time: rows are streamed and filtered in SQL.

    The read is a plain (deferred) transaction, so writers go on while an export runs.
    """
    directory.mkdir(parents=True, exist_ok=True)
    root = directory.resolve()
    index: IO[str] | None = None
    index_path = root / JSONL_NAME
    temporary = index_path.with_name(f".{JSONL_NAME}.{os.getpid()}.tmp")
    if jsonl:
        index = temporary.open("w", encoding="utf-8")
    try:
        with db.session() as session:
            for row in session.execute(_export_query(since, near_misses, jsonl)):
                name = story_file_name(row.story_id, row.canonical_url)
                target = (root / name).resolve()
                if target.parent != root:  # defensive: the name is generated, never trust paths
                    raise ValueError(f"refusing to write outside {root}: {target}")
                changed = _write_if_changed(target, row.text.rstrip("\n") + "\n")
                if index is not None:
                    record = story_record(row._mapping, name)
                    index.write(json.dumps(record, ensure_ascii=False) + "\n")
                yield ExportedFile(target, row.story_id, row.canonical_url, changed)
        if index is not None:
            index.close()
            os.replace(temporary, index_path)
            index = None
    finally:
        if index is not None:  # stopped early or failed: leave the previous index as it was
            index.close()
            temporary.unlink(missing_ok=True)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def story_record(row: Any, file_name: str) -> dict[str, Any]:
    """One ``stories.jsonl`` object: the story's facts, from its first article."""
    method = row.get("published_method")
    access = row.get("access")
    return {
        "story_id": row["story_id"],
        "file": file_name,
        "title": row["title"],
        "url": row["url"],
        "canonical_url": row["canonical_url"],
        "outlet": row["site_name"] or urlsplit(row["canonical_url"]).hostname,
        "source": row["source_name"],
        "language": row["language"],
        "published_at": _iso(row["published_at"]),
        "published_method": str(method) if method is not None else None,
        "modified_at": _iso(row.get("modified_at")),
        "feed_published_at": _iso(row["feed_published_at"]),
        "date_disagreement": row["date_disagreement"],
        "first_seen_at": _iso(row["first_seen_at"]),
        "updated_at": _iso(row["updated_at"]),
        "revision_count": row["revision_count"],
        "access": str(access) if access is not None else "open",
        "relevance": row["relevance"],
        "near_miss": row["near_miss"],
        "article_count": row["article_count"],
        "text": row["text"],
    }


def _optional(name: str) -> Any:
    column = getattr(Article, name, None)
    if isinstance(column, InstrumentedAttribute):
        return column.label(name)
    return null().label(name) if name != "access" else literal("open").label(name)


def _export_query(since: datetime | None, near_misses: bool, facts: bool) -> Select[Any]:
    """Per story (by id): its first article's URL and text (and, with ``facts``, what
    ``stories.jsonl`` needs); only near misses or only relevant stories."""
    first = (
        select(Article.story_id.label("story_id"), func.min(Article.id).label("article_id"))
        .where(Article.story_id.is_not(None))
        .group_by(Article.story_id)
        .subquery()
    )
    columns: list[Any] = [
        Story.id.label("story_id"),
        Article.canonical_url,
        Article.text,
    ]
    if facts:
        columns += [
            Article.title,
            Article.url,
            Article.site_name,
            Source.name.label("source_name"),
            Article.language,
            Article.published_at,
            Article.feed_published_at,
            Article.date_disagreement,
            Article.first_seen_at,
            Article.updated_at,
            Article.revision_count,
            Story.relevance,
            Story.near_miss,
            Story.article_count,
            *(_optional(name) for name in _OPTIONAL_COLUMNS),
        ]
    query = (
        select(*columns)
        .select_from(Story)
        .join(first, first.c.story_id == Story.id)
        .join(Article, Article.id == first.c.article_id)
        .where(Story.near_miss.is_(near_misses))
        .order_by(Story.id)
        .execution_options(yield_per=200)
    )
    if facts:
        query = query.outerjoin(Source, Source.id == Article.source_id)
    if since is not None:
        query = query.where(Article.first_seen_at >= since)
    return query


def _write_if_changed(target: Path, content: str) -> bool:
    data = content.encode("utf-8")
    try:
        if target.read_bytes() == data:
            return False
    except FileNotFoundError:
        pass
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    temporary.write_bytes(data)
    os.replace(temporary, target)
    return True
