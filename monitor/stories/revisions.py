"""Is a re-fetched article materially edited? A pure comparison and its diff.

Material: a new headline, or paragraphs added, removed or reworded. Whitespace is not (runs of
spaces and line breaks inside a paragraph collapse to one space before comparing).
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass

_WS = re.compile(r"\s+")
_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")
MAX_DIFF_CHARS = 100_000


@dataclass(frozen=True)
class Edit:
    """How a new version differs from the stored one."""

    title_changed: bool
    paragraphs_added: int
    paragraphs_removed: int
    diff: str  # unified diff, one paragraph per line, previous -> new

    @property
    def summary(self) -> str:
        """``title changed, +2/-1 paragraphs``."""
        parts = ["title changed"] if self.title_changed else []
        if self.paragraphs_added or self.paragraphs_removed:
            parts.append(f"+{self.paragraphs_added}/-{self.paragraphs_removed} paragraphs")
        return ", ".join(parts)


def _normal(text: str) -> str:
    return _WS.sub(" ", unicodedata.normalize("NFC", text)).strip()


def paragraphs(text: str) -> list[str]:
    """The text's non-empty paragraphs (blank-line separated), whitespace-normalised."""
    return [p for p in (_normal(part) for part in _PARAGRAPH_BREAK.split(text)) if p]


def _body(title: str, text: str) -> list[str]:
    """The text's paragraphs without its leading title line (compared apart)."""
    parts = paragraphs(text)
    return parts[1:] if parts and parts[0] == _normal(title) else parts


def material_edit(old_title: str, old_text: str, new_title: str, new_text: str) -> Edit | None:
    """The edit from the stored version to the new one, or None when it is not material."""
    title_changed = _normal(old_title) != _normal(new_title)
    before, after = _body(old_title, old_text), _body(new_title, new_text)
    if not title_changed and before == after:
        return None
    added = removed = 0
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=before, b=after).get_opcodes():
        if tag != "equal":
            removed += i2 - i1
            added += j2 - j1
    diff = "\n".join(difflib.unified_diff(before, after, "previous", "current", lineterm="", n=1))
    return Edit(title_changed, added, removed, diff[:MAX_DIFF_CHARS])
