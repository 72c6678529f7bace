"""Export stored stories as seed-format text files, one file per story."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from monitor.db.engine import Database
from monitor.db.models import Story


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
    directory.mkdir(parents=True, exist_ok=True)
    root = directory.resolve()
    exported: list[ExportedFile] = []
    with db.session() as session:
        stories = session.scalars(
            select(Story).options(selectinload(Story.articles)).order_by(Story.id)
        ).all()
        for position, story in enumerate(stories):
            if not story.articles or story.near_miss != near_misses:
                continue
            first = story.articles[0]
            if since is not None and first.first_seen_at < since:
                continue
            target = (root / story_file_name(position, first.canonical_url)).resolve()
            if target.parent != root:  # defensive: the name is generated, but never trust paths
                raise ValueError(f"refusing to write outside {root}: {target}")
            content = first.text.rstrip("\n") + "\n"
            changed = _write_if_changed(target, content)
            exported.append(ExportedFile(target, story.id, first.canonical_url, changed))
    return exported


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
