"""The item a spider yields for every downloaded candidate article page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from monitor.processing import FetchedPage


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
    discovered_from: str | None = None
    outcome: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    fetched_at: datetime | None = None

    def to_fetched_page(self) -> FetchedPage:
        """The plain, picklable input of :func:`monitor.processing.analyze_page`."""
        return FetchedPage(
            url=self.url,
            body=self.body,
            source_name=self.source_name,
            final_url=self.final_url,
            content_type=self.content_type,
            listed_title=self.listed_title,
            listed_published_at=self.listed_published_at,
            discovered_from=self.discovered_from,
            etag=self.etag,
            last_modified=self.last_modified,
            fetched_at=self.fetched_at,
        )
