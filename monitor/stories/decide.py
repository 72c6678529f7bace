"""The story decision: what a fetched, analysed page is, given what is already stored.

``decide`` is a pure function over plain data; :class:`monitor.db.stories.StoryRepository`
gathers its inputs in the write transaction and applies the decision it returns.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from monitor.dedup import same_site as _same_site
from monitor.stories.outcomes import StoreOutcome
from monitor.stories.revisions import Edit, material_edit


class Candidate(Protocol):
    """What the decision reads of an analysed page (``monitor.processing.PageAnalysis``)."""

    @property
    def error(self) -> str | None: ...
    @property
    def skip_reason(self) -> str | None: ...
    @property
    def canonical_url(self) -> str | None: ...
    @property
    def matched(self) -> bool: ...
    @property
    def near_miss(self) -> bool: ...
    @property
    def has_article(self) -> bool: ...
    @property
    def title(self) -> str: ...
    @property
    def text(self) -> str: ...


@dataclass(frozen=True)
class StoryState:
    """A stored story as far as the decision cares."""

    id: int
    near_miss: bool = False
    demoted: bool = False  # the newest analyst label says irrelevant: never promote it


@dataclass(frozen=True)
class StoredArticle:
    """The article already stored under the page's canonical URL."""

    id: int
    canonical_url: str
    title: str
    text: str
    story: StoryState | None = None
    near_miss: bool = False


@dataclass(frozen=True)
class SameText:
    """A stored article with the page's exact content fingerprint."""

    id: int
    canonical_url: str
    story: StoryState | None = None


# --- decisions -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Failed:
    """Analysis raised an unexpected error (logged there): nothing is stored or remembered."""

    error: str
    outcome: StoreOutcome = StoreOutcome.ERROR


@dataclass(frozen=True)
class Skip:
    """No article on the page (a counted drop with its reason)."""

    reason: str
    outcome: StoreOutcome = StoreOutcome.SKIPPED


@dataclass(frozen=True)
class NotMatching:
    """An article the query does not match, not stored before: only the URL is remembered."""

    outcome: StoreOutcome = StoreOutcome.NOT_MATCHING


@dataclass(frozen=True)
class New:
    """A new story with this article; alerted unless the relevance model rejected it."""

    near_miss: bool

    @property
    def outcome(self) -> StoreOutcome:
        return StoreOutcome.NEAR_MISS if self.near_miss else StoreOutcome.NEW

    @property
    def alert(self) -> bool:
        return not self.near_miss


@dataclass(frozen=True)
class Syndicated:
    """A copy (same text on another site, or a near duplicate) joins ``story``.

    ``promote``: a relevant copy lifts a near-miss story out of the near misses (alerted now).
    """

    story: StoryState
    promote: bool = False
    outcome: StoreOutcome = StoreOutcome.SYNDICATED

    @property
    def alert(self) -> bool:
        return self.promote


@dataclass(frozen=True)
class Duplicate:
    """The same text on the same site under another URL: nothing new is stored."""

    article_id: int
    story_id: int | None
    outcome: StoreOutcome = StoreOutcome.DUPLICATE


@dataclass(frozen=True)
class Unchanged:
    """The stored article fetched again without a material edit."""

    article_id: int
    story_id: int | None
    outcome: StoreOutcome = StoreOutcome.UNCHANGED


@dataclass(frozen=True)
class Updated:
    """A material edit of the stored article: a revision; the text becomes the latest.

    Never announced again, except ``promote``: the edit made a near-miss story relevant.
    """

    article: StoredArticle
    edit: Edit
    promote: bool = False
    outcome: StoreOutcome = StoreOutcome.UPDATED

    @property
    def alert(self) -> bool:
        return self.promote


Decision = Failed | Skip | NotMatching | New | Syndicated | Duplicate | Unchanged | Updated


def _promotes(analysis: Candidate, story: StoryState | None) -> bool:
    """A relevant page lifts a near-miss story unless an analyst demoted it."""
    return bool(analysis.matched and story and story.near_miss and not story.demoted)


def decide(
    analysis: Candidate,
    by_url: StoredArticle | None,
    same_fingerprint: Sequence[SameText],
    near: StoryState | None,
    *,
    same_site: Callable[[str, str], bool] = _same_site,
) -> Decision:
    """What to do with one analysed page.

    ``by_url``: the article stored under its canonical URL; ``same_fingerprint``: stored
    articles with the same exact text, oldest first; ``near``: the story of the nearest
    near-duplicate (MinHash) of a matching page, if any.
    """
    if analysis.error is not None:
        return Failed(analysis.error)
    if not analysis.has_article:
        return Skip(analysis.skip_reason or "no_article")
    if analysis.canonical_url is None:
        return Skip("no_url")
    if by_url is not None:
        edit = material_edit(by_url.title, by_url.text, analysis.title, analysis.text)
        if edit is None:
            return Unchanged(by_url.id, by_url.story.id if by_url.story else None)
        return Updated(by_url, edit, promote=_promotes(analysis, by_url.story))
    if not (analysis.matched or analysis.near_miss):
        return NotMatching()
    for other in same_fingerprint:
        if same_site(other.canonical_url, analysis.canonical_url):
            return Duplicate(other.id, other.story.id if other.story else None)
    story = next((other.story for other in same_fingerprint if other.story), None) or near
    if story is None:
        return New(near_miss=analysis.near_miss)
    return Syndicated(story, promote=_promotes(analysis, story))
