"""Article pages for the archive, reprocess and export tests (written for these tests), and a
helper that runs them through the real pipeline functions (analyse, store, archive)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from monitor.config import MonitorConfig, config_from_dict
from monitor.db.engine import Database
from monitor.processing import ArticleStore, FetchedPage, StoreResult, analyze_page
from tests.pages import page_html

STORIES: dict[str, tuple[str, list[str]]] = {
    "grid": (
        "Russian engineers to rebuild two Cuban power units",
        [
            "Engineers from a Russian state company will start work next month on two "
            "generating units at a thermal plant near Havana, Cuba's energy ministry said.",
            "The units have been out of service since a fire last spring. Moscow is lending "
            "the money for the parts, and the first unit should return to the grid in autumn.",
            "Cuban officials hope the repairs will shorten the daily blackouts that have hit "
            "the eastern provinces hardest over the past two years.",
        ],
    ),
    "wheat": (
        "Second Russian wheat shipment reaches Cuban port",
        [
            "A bulk carrier loaded with twenty-five thousand tonnes of Russian wheat arrived "
            "in Santiago de Cuba on Monday, the second such cargo sent by Moscow this year.",
            "Cuban mills have been working below capacity for months because of a shortage of "
            "grain, and bread rations in several provinces were cut in the summer.",
            "Russia describes the shipments as humanitarian aid; a third one is planned for "
            "the end of the year, according to the Russian embassy in Havana.",
        ],
    ),
    "students": (
        "More Cuban students enrol at Russian universities",
        [
            "Nearly two thousand young Cubans began courses at Russian universities this "
            "autumn, twice as many as three years ago, the Russian education ministry said.",
            "Most study engineering, medicine or agriculture on scholarships paid by Moscow. "
            "A preparatory year of Russian language comes first for nearly all of them.",
            "Havana wants the graduates to come home to work in its power plants and "
            "hospitals, where many skilled workers have left the island in recent years.",
        ],
    ),
    "harbour": (
        "Russian training ship visits Havana harbour",
        [
            "A Russian sail training ship moored in Havana harbour on Friday for a five-day "
            "visit, with one hundred cadets aboard, Cuba's navy said in a statement.",
            "Residents lined the seawall to watch the tall ship enter the bay. The cadets will "
            "visit a naval school and play a football match against Cuban students.",
            "The visit is the latest in a series of port calls by Russian vessels to Cuba, "
            "which Washington says it follows closely.",
        ],
    ),
    # Matches none of the Russia–Cuba queries: only a query about coffee finds it.
    "coffee": (
        "Highland coffee growers expect a smaller crop",
        [
            "Coffee farmers in the mountains of the east expect this season's harvest to be "
            "about a fifth smaller than last year's after a dry spring and a late hurricane.",
            "Growers say the beans that did ripen are of good quality, and the cooperative "
            "hopes higher export prices will make up for part of the lost volume.",
            "Agronomists recommend more shade trees and small irrigation ponds so plantations "
            "can cope with longer dry spells in the coming years.",
        ],
    ),
}

QUERY = "russia* AND cuba*"
COFFEE_QUERY = "coffee AND (harvest OR crop)"


def page(
    key: str, *, host: str = "daily.example", source: str = "daily", extra: str = ""
) -> FetchedPage:
    """The page of one story (``extra``: one more paragraph, an edit)."""
    title, paragraphs = STORIES[key]
    body = [*paragraphs, extra] if extra else paragraphs
    return FetchedPage(
        url=f"https://{host}/news/{key}/",
        body=page_html(title, body),
        source_name=source,
        content_type="text/html; charset=utf-8",
    )


def config(db: Database, *, query: str = QUERY, **sections: Any) -> MonitorConfig:
    """A config for ``db``: the query, relevance off, one daily recipient."""
    return config_from_dict(
        {
            "database": {"url": db.url},
            "query": {"match": query},
            "relevance": {"enabled": False},
            "email": {"recipients": ["analyst@example.org"]},
            **sections,
        }
    )


@dataclass
class Pipeline:
    """The crawl worker's per-page work on plain pages: analyse, then store (and archive) in
    one transaction through the store's own path."""

    db: Database
    config: MonitorConfig

    def __post_init__(self) -> None:
        self.store = ArticleStore.for_config(self.db, self.config)
        assert self.store.archive_pages == self.config.archive.enabled

    def fetch(self, *pages: FetchedPage) -> list[StoreResult]:
        results = []
        for fetched in pages:
            analysis = analyze_page(fetched, self.config.query.match, relevance=None)
            results.append(self.store.store(analysis, kind="site", page=fetched))
        return results
