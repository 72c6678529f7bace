"""Export stored stories as seed-format text files, one file per story."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import Select, func, select

from monitor.db.engine import Database
from monitor.db.models import Article, Story


@dataclass(frozen=True)
class ExportedFile:
    """One exported story file."""

    path: Path
    story_id: int
    canonical_url: str
    changed: bool


def story_file_name(position: int, canonical_url: str) -> str:
    """``NNN_<first 16 hex of sha256(canonical URL)>.txt``; NNN is 0-based discovery order."""
    digest = hashlib.sha256(canonical_url.encode("utf-8")).hexdigest()[:16]
    return f"{position:03d}_{digest}.txt"


def export_stories(
    db: Database, directory: Path, *, since: datetime | None = None, near_misses: bool = False
) -> list[ExportedFile]:
    """Write every relevant story (first seen at or after ``since``) into ``directory``;
    idempotent. Near misses are left out (``near_misses``: only they are written).

    A story's position counts every story, near misses too, so a story's file name does not
    change when another is promoted or demoted.

    File names are derived only from the discovery order and a hash, so no name can escape
    ``directory``; files are written atomically and left alone when unchanged.
    """
    return list(iter_export(db, directory, since=since, near_misses=near_misses))


def iter_export(
    db: Database, directory: Path, *, since: datetime | None = None, near_misses: bool = False
) -> Iterator[ExportedFile]:
    """:func:`export_stories` one story at a time: rows are streamed and filtered in SQL.

    The read is a plain (deferred) transaction, so writers go on while an export runs.
    """
    directory.mkdir(parents=True, exist_ok=True)
    root = directory.resolve()
    with db.session() as session:
        for position, story_id, canonical_url, text in session.execute(
            _export_query(since, near_misses)
        ):
            target = (root / story_file_name(position, canonical_url)).resolve()
            if target.parent != root:  # defensive: the name is generated, but never trust paths
                raise ValueError(f"refusing to write outside {root}: {target}")
            changed = _write_if_changed(target, text.rstrip("\n") + "\n")
            yield ExportedFile(target, story_id, canonical_url, changed)


def _export_query(since: datetime | None, near_misses: bool) -> Select[tuple[int, int, str, str]]:
    """(position among all stories, story id, first article's URL and text), by story id;
    only near misses or only relevant stories, numbered among all of them."""
    numbered = select(
        Story.id.label("story_id"),
        Story.near_miss.label("near_miss"),
        (func.row_number().over(order_by=Story.id) - 1).label("position"),
    ).subquery()
    first = (
        select(Article.story_id.label("story_id"), func.min(Article.id).label("article_id"))
        .where(Article.story_id.is_not(None))
        .group_by(Article.story_id)
        .subquery()
    )
    query = (
        select(numbered.c.position, numbered.c.story_id, Article.canonical_url, Article.text)
        .join(first, first.c.story_id == numbered.c.story_id)
        .join(Article, Article.id == first.c.article_id)
        .where(numbered.c.near_miss.is_(near_misses))
        .order_by(numbered.c.story_id)
        .execution_options(yield_per=200)
    )
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
