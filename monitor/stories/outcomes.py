"""What storing one analysed page did: the one list of store outcomes (a leaf module)."""

from __future__ import annotations

from enum import StrEnum


class StoreOutcome(StrEnum):
    """The outcome of storing one page; ``seen_urls.outcome`` holds these (CHECK constraint)."""

    NEW = "new"  # a new story, alerted
    NEAR_MISS = "near_miss"  # a new story the relevance model rejected: stored, not alerted
    SYNDICATED = "syndicated"  # a copy (same text elsewhere, or a near duplicate) joined a story
    DUPLICATE = "duplicate"  # the same text on the same site under another URL: nothing stored
    UPDATED = "updated"  # a stored article was edited: a revision, never announced again
    UNCHANGED = "unchanged"  # a stored article fetched again without a material edit
    NOT_MATCHING = "not_matching"  # an article the query does not match: not stored
    SKIPPED = "skipped"  # no article (see the skip reason)
    ERROR = "error"  # an unexpected error while analysing: logged with its traceback
    UNRESOLVED = "unresolved"  # a news-search link that led to no publisher page (crawl only)


def check_in(column: str, values: type[StrEnum]) -> str:
    """The SQL of a CHECK constraint: ``column IN ('a', 'b', …)``."""
    return f"{column} IN ({', '.join(repr(v.value) for v in values)})"
