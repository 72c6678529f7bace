"""Site templates end to end: two local sites (Spanish, Russian) print a call-to-action block
on every article page that no phrase rule knows; after a real crawl the block is learned and
absent from every stored article (the first pages, stored before it was learned, are cleaned
again from the archived HTML), and ``monitor sources templates NAME`` reports it."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from html import escape

from monitor.demo import templates as demo_templates
from monitor.demo.site import Host, NewsWeb, Reply, html
from monitor.extract.boilerplate import is_boilerplate_line
from tests.extract.corpus_text import SENTENCES
from tests.sites.fixtures import REPO, CrawlEnv

PAGES = 8
SITES = {
    # name: (address, language, lead sentence that matches the query, template block)
    "voz-es": (
        "127.0.0.7",
        "es",
        "La delegación rusa llegó a La Habana para negociar nuevos envíos de combustible.",
        "¿Te gustó esta nota? Únete a nuestra comunidad de lectores en WhatsApp y recibe lo "
        "más importante del día.",
    ),
    "vesti-ru": (
        "127.0.0.8",
        "ru",
        "Российская делегация прибыла в Гавану, чтобы обсудить новые поставки топлива.",
        "Понравилась статья? Вступайте в наше сообщество читателей в WhatsApp и получайте "
        "главное за день.",
    ),
}


def _article(lang: str, lead: str, template: str, index: int) -> tuple[str, str]:
    """(title, page HTML): distinct paragraphs per page, the template block after the second."""
    rng = random.Random(f"{lang}-{index}")
    paragraphs = [f"{lead} {' '.join(rng.sample(SENTENCES[lang], 2))}"]
    paragraphs += [" ".join(rng.sample(SENTENCES[lang], 3)) for _ in range(4)]
    title = f"{lead.split(',')[0].rstrip('.')} ({chr(65 + index)})"
    body = "".join(f"<p>{escape(p)}</p>" for p in paragraphs[:2])
    body += f'<div class="promo"><p>{escape(template)}</p></div>'
    body += "".join(f"<p>{escape(p)}</p>" for p in paragraphs[2:])
    page = (
        f"<!DOCTYPE html><html lang='{lang}'><head><meta charset='utf-8'>"
        f"<title>{escape(title)}</title><meta property='og:title' content='{escape(title)}'>"
        "<meta property='og:type' content='article'></head><body>"
        "<header><a href='/'>Inicio</a> <a href='/mundo/'>Mundo</a></header>"
        f"<article><h1>{escape(title)}</h1>{body}</article>"
        "<footer><a href='/contacto/'>Contacto</a></footer></body></html>"
    )
    return title, page


def _serve(web: NewsWeb, name: str) -> Host:
    address, lang, lead, template = SITES[name]
    host = web.add_host(name, address, name)
    now = datetime.now(UTC).replace(microsecond=0)
    items = []
    for index in range(PAGES):
        title, page = _article(lang, lead, template, index)
        path = f"/nota/{index}.html"
        host.route(path, lambda c, page=page: html(page))
        items.append((title, host.url(path), now - timedelta(minutes=10 * (PAGES - index)), ""))
    feed = demo_templates.rss_feed(site=name, base=host.base, items=items).encode()
    host.route("/feed.xml", lambda c: Reply(200, feed, {"Content-Type": "application/rss+xml"}))
    host.route(
        "/robots.txt", lambda c: Reply(200, b"User-agent: *\n", {"Content-Type": "text/plain"})
    )
    return host


def test_learned_template_is_gone_from_every_stored_article(
    news_web: NewsWeb, crawl_env: CrawlEnv
) -> None:
    for _, _, _, template in SITES.values():
        assert not is_boilerplate_line(template)  # only learning can remove it
    hosts = {name: _serve(news_web, name) for name in SITES}
    crawl_env.write_config(
        [
            {"name": name, "feeds": [host.url("/feed.xml")], "allow_private": True}
            for name, host in hosts.items()
        ]
    )  # two extract workers (the test default): pages analysed before the set reached a
    # worker are caught as stale and cleaned again
    summaries = crawl_env.crawl(*SITES)
    assert {s["status"] for s in summaries.values()} == {"ok"}, summaries
    stored = crawl_env.articles()
    for name, (_, _, _, template) in SITES.items():
        mine = [a for a in stored if a.url.startswith(hosts[name].base)]
        assert len(mine) == PAGES, (name, [a.url for a in stored])
        leaked = [a.url for a in mine if template[:30] in a.text]
        assert not leaked, f"{name}: template text still stored in {leaked}"
        assert all(len(a.text.split("\n\n")) == 6 for a in mine)  # title + 5 paragraphs

    env = {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")}
    for name, (_, _, _, template) in SITES.items():
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "monitor",
                "--config",
                str(crawl_env.config_path),
                "sources",
                "templates",
                name,
                "--json",
            ],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        report = json.loads(done.stdout)
        assert report["pages"] == PAGES
        learned = [b for b in report["blocks"] if b["template"]]
        assert [b["sample"] for b in learned] == [template[:160]]
        assert learned[0]["pages"] == PAGES
