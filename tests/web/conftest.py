"""Console fixtures: a config file, stories stored through the real pipeline (analyse → store,
with the outbox hook), and a TestClient over ``create_app`` on SQLite and PostgreSQL."""

from __future__ import annotations

import html
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from monitor.alerts.outbox import story_hook
from monitor.config import MonitorConfig, load_config
from monitor.db.engine import Database
from monitor.processing import ArticleStore, FetchedPage, analyze_page
from monitor.query import DEFAULT_QUERY
from monitor.web.app import create_app
from tests.pages import NOISE, RELEVANT

SOURCES = ("havana-daily", "moscow-wire", "prensa-es")
RECIPIENTS = ("daily@example.org", "oil@example.org")

HOSTILE_TITLE = '<script>alert("t")</script> Russia and Cuba sign an oil deal & "more"'
HOSTILE = (
    HOSTILE_TITLE,
    [
        "<img src=x onerror=alert(1)> A Russian tanker carrying crude oil docked in Cuba on "
        "Tuesday, the first delivery to the island in weeks, as Havana struggles with blackouts.",
        "Cuban officials said the cargo from Russia would feed the largest power station. Moscow "
        "is the main fuel supplier of Cuba, and Russian officials call it help for an ally.",
        "]]></summary><script>alert(3)</script> The Cuban deputy prime minister is expected in "
        "Moscow for talks on energy, debt and trade with the Russian government.",
    ],
)
SPANISH = (
    "Rusia enviará más petróleo a Cuba para frenar los apagones",
    [
        "El gobierno de Rusia anunció el martes que enviará dos nuevos cargamentos de petróleo a "
        "Cuba antes de fin de mes, en un intento de aliviar los apagones que afectan a la isla.",
        "Funcionarios cubanos en La Habana dijeron que el combustible irá a las centrales "
        "termoeléctricas. Moscú se ha convertido en el principal proveedor de crudo de Cuba.",
        "El viceprimer ministro cubano viajará a Moscú para negociar nuevos acuerdos de energía, "
        "comercio y deuda con las autoridades rusas.",
    ],
)


def article_page(title: str, paragraphs: list[str], *, site: str, lang: str = "en") -> bytes:
    """An article page the cleaner extracts ``title`` and ``paragraphs`` from."""
    body = "\n".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
    return (
        f"<!doctype html><html lang='{lang}'><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title><meta property='og:site_name' "
        f"content='{html.escape(site, quote=True)}'></head><body><nav><a href='/'>Home</a></nav>"
        f"<article><h1>{html.escape(title)}</h1>{body}</article><footer>{site}</footer>"
        "</body></html>"
    ).encode()


def write_config(folder: Path, database_url: str, *, extra: str = "") -> Path:
    """A config file naming the test sources (local, never crawled unless a test says so)."""
    lines = ["[database]", f"url = {json.dumps(database_url)}", ""]
    for name in SOURCES:
        lines += [
            "[[sources]]",
            f'name = "{name}"',
            f'feeds = ["http://127.0.0.9/{name}/feed.xml"]',
            "allow_private = true",
            "",
        ]
    lines += ["[email]", 'smtp_host = "127.0.0.1"', "smtp_port = 9", "recipients = ["]
    lines += [
        f'  {{ address = "{RECIPIENTS[0]}", frequency = "daily" }},',
        f'  {{ address = "{RECIPIENTS[1]}", frequency = "daily", query = "oil OR petróleo" }},',
        "]",
        "",
        extra,
    ]
    path = folder / "monitor.toml"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


@dataclass(frozen=True)
class Stored:
    """Story ids of the stored test data."""

    oil: int
    oil_articles: tuple[int, int]
    flights: int
    spanish: int
    hostile: int
    near_miss: int
    near_miss_article: int


def store_page(
    store: ArticleStore,
    url: str,
    title: str,
    paragraphs: list[str],
    *,
    source: str,
    site: str,
    lang: str = "en",
) -> tuple[str, int, int]:
    page = FetchedPage(url, article_page(title, paragraphs, site=site, lang=lang), source)
    result = store.store(analyze_page(page, DEFAULT_QUERY))
    assert result.article_id is not None and result.story_id is not None, result
    return result.outcome, result.story_id, result.article_id


def populate(db: Database, config: MonitorConfig) -> Stored:
    """Relevant stories (one syndicated on two outlets, one Spanish, one hostile), a near miss."""
    store = ArticleStore(db, alerts=story_hook(config))
    outcome, oil, first = store_page(
        store, "https://havana.example/oil", *RELEVANT["oil"],
        source="havana-daily", site="Havana Daily",
    )  # fmt: skip
    assert outcome == "new"
    _title, paragraphs = RELEVANT["oil"]
    copy = ["MOSCOW (Wire) – " + paragraphs[0], *paragraphs[1:], "Related: more from Havana"]
    outcome, same, second = store_page(
        store, "https://wire.example/tanker", "Tanker reaches Matanzas", copy,
        source="moscow-wire", site="Moscow Wire",
    )  # fmt: skip
    assert outcome == "syndicated" and same == oil
    outcome, flights, _ = store_page(
        store, "https://wire.example/flights", *RELEVANT["flights"],
        source="moscow-wire", site="Moscow Wire",
    )  # fmt: skip
    assert outcome == "new"
    outcome, spanish, _ = store_page(
        store, "https://prensa.example/petroleo", *SPANISH,
        source="prensa-es", site="Prensa", lang="es",
    )  # fmt: skip
    assert outcome == "new"
    outcome, hostile, _ = store_page(
        store, "https://havana.example/hostile", *HOSTILE,
        source="havana-daily", site='Havana "Daily" <b>',
    )  # fmt: skip
    assert outcome == "new"
    outcome, near, near_article = store_page(
        store, "https://havana.example/sanctions", *NOISE["sanctions"],
        source="havana-daily", site="Havana Daily",
    )  # fmt: skip
    assert outcome == "near_miss"
    return Stored(oil, (first, second), flights, spanish, hostile, near, near_article)


@pytest.fixture
def config_path(tmp_path: Path, db: Database) -> Path:
    return write_config(tmp_path, db.url)


@pytest.fixture
def web_config(config_path: Path) -> MonitorConfig:
    return load_config(config_path)


@pytest.fixture
def stored(db: Database, web_config: MonitorConfig) -> Stored:
    return populate(db, web_config)


def make_client(config: MonitorConfig, db: Database, **kwargs: object) -> TestClient:
    app = create_app(config, db, allowed_hosts_extra=["testserver"], **kwargs)  # type: ignore[arg-type]
    return TestClient(app)


@pytest.fixture
def client(web_config: MonitorConfig, db: Database) -> Iterator[TestClient]:
    with make_client(web_config, db) as test_client:
        yield test_client
