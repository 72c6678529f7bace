"""The item a spider yields for every downloaded candidate article page."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import datetime
from enum import StrEnum

from monitor.processing import FetchedPage


class FetchKind(StrEnum):
    """Why and how a candidate page was fetched."""

    NEW = "new"  # never fetched before
    REFETCH = "refetch"  # its feed/sitemap entry changed after our last fetch
    REVALIDATION = "revalidation"  # a conditional re-fetch on the schedule; the page changed
    UNCHANGED = "unchanged"  # a conditional re-fetch answered 304
    UNRESOLVED = "unresolved"  # a news-search link that led to the engine's own page


@dataclass
class ArticlePage:
    """A downloaded candidate article: what was asked for, what came back, what the listing said."""

    url: str
    final_url: str
    body: bytes
    content_type: str | None
    source_name: str
    listed_title: str | None = None
    listed_published_at: datetime | None = None
    listed_date_method: str | None = None
    discovered_from: str | None = None
    outcome: str | None = None
    fetch: FetchKind = FetchKind.NEW
    chain: list[str] = field(default_factory=list)  # the link and every redirect hop
    etag: str | None = None
    last_modified: str | None = None
    fetched_at: datetime | None = None
    step: int | None = None  # the revalidation step this fetch completes

    def to_fetched_page(self) -> FetchedPage:
        """The plain, picklable input of :func:`monitor.processing.analyze_page`: every field
        of :class:`FetchedPage`, taken from this item by name (the item adds crawl state)."""
        return FetchedPage(**{f.name: getattr(self, f.name) for f in fields(FetchedPage)})
