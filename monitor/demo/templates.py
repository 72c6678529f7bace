# ruff: noqa: E501  (HTML templates: long lines are markup)
"""HTML, feed and sitemap templates of the demo news web (realistic chrome around the text)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from email.utils import format_datetime
from html import escape
from typing import NamedTuple
from xml.sax.saxutils import escape as xml_escape

from monitor.demo.articles import DemoArticle

NAV = (
    ("Home", "/"),
    ("News", "/news/"),
    ("Politics", "/category/politics/"),
    ("Economy", "/category/economy/"),
    ("Opinion", "/tag/opinion/"),
    ("About us", "/about/"),
    ("Contact", "/contact/"),
    ("Log in", "/login/"),
)


class DemoPage(NamedTuple):
    """One article as one demo host shows it: the input of every article template."""

    article: DemoArticle
    site: str
    base: str
    url: str
    published: datetime
    related: Sequence[tuple[str, str]]


def _nav(base: str) -> str:
    items = "".join(f'<li><a href="{base}{href}">{escape(text)}</a></li>' for text, href in NAV)
    return f'<nav class="main-menu"><ul>{items}</ul></nav>'


def _related(base: str, related: Sequence[tuple[str, str]]) -> str:
    links = "".join(f'<li><a href="{base}{href}">{escape(t)}</a></li>' for t, href in related)
    return f"<ul>{links}</ul>"


def _paragraphs(article: DemoArticle) -> str:
    return "\n".join(f"<p>{escape(p)}</p>" for p in article.paragraphs)


def _footer(site: str) -> str:
    return (
        f'<footer class="site-footer"><p>© 2025 {escape(site)}. All rights reserved.</p>'
        '<p><a href="/privacy/">Privacy policy</a> · <a href="/terms/">Terms of use</a> · '
        '<a href="/advertise/">Advertise</a></p></footer>'
        "<script>window.dataLayer=window.dataLayer||[];function gtag(){dataLayer.push(arguments)}"
        "gtag('js',new Date());gtag('config','G-DEMO');</script>"
    )


def wordpress_page(page: DemoPage) -> str:
    """A WordPress theme: entry-content, sidebar widgets, share buttons, comments."""
    article, site, base, url, published, related = page
    iso = published.isoformat()
    return f"""<!DOCTYPE html>
<html lang="{article.language}">
<head>
<meta charset="utf-8">
<title>{escape(article.title)} – {escape(site)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="canonical" href="{url}">
<meta property="og:type" content="article">
<meta property="og:title" content="{escape(article.title)}">
<meta property="og:site_name" content="{escape(site)}">
<meta property="article:published_time" content="{iso}">
<meta name="author" content="{escape(article.author)}">
<link rel="alternate" type="application/rss+xml" title="{escape(site)} feed" href="{base}/feed/">
<link rel="stylesheet" href="{base}/wp-content/themes/news/style.css">
</head>
<body class="post-template-default single single-post">
<div id="page" class="site">
<header id="masthead" class="site-header"><p class="site-title"><a href="{base}/">{escape(site)}</a></p>
{_nav(base)}</header>
<div id="content" class="site-content">
<main id="main" class="site-main">
<article class="post type-post status-publish format-standard hentry">
<header class="entry-header"><h1 class="entry-title">{escape(article.title)}</h1>
<div class="entry-meta">By <span class="author vcard">{escape(article.author)}</span>
<time class="entry-date published" datetime="{iso}">{published:%B %d, %Y}</time></div></header>
<div class="entry-content">
{_paragraphs(article)}
</div>
<footer class="entry-footer"><span class="cat-links">Posted in <a href="{base}/category/{article.section}/">{article.section.title()}</a></span></footer>
<div class="sharedaddy"><h3>Share this:</h3><ul><li><a href="https://twitter.com/share">Twitter</a></li><li><a href="https://facebook.com/sharer">Facebook</a></li><li><a href="mailto:?subject=story">Email</a></li></ul></div>
</article>
<div id="comments" class="comments-area"><h2 class="comments-title">2 thoughts on this story</h2>
<ol class="comment-list"><li class="comment"><div class="comment-author">Pedro</div><p>Let's see if anything changes this time.</p></li>
<li class="comment"><div class="comment-author">Lisa M.</div><p>Thanks for the report.</p></li></ol>
<div id="respond"><h3>Leave a Reply</h3><form><textarea name="comment"></textarea><button>Post Comment</button></form></div></div>
</main>
<aside id="secondary" class="widget-area"><section class="widget widget_recent_entries"><h2 class="widget-title">Recent Posts</h2>{_related(base, related)}</section>
<section class="widget widget_newsletter"><h2 class="widget-title">Newsletter</h2><p>Get our morning briefing in your inbox.</p><form><input type="email"><button>Subscribe</button></form></section></aside>
</div>
{_footer(site)}
</div>
</body>
</html>"""


def cms_page(page: DemoPage) -> str:
    """A newspaper CMS with JSON-LD NewsArticle, related-story boxes and a cookie banner."""
    article, site, base, url, published, related = page
    ld = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": article.title,
        "datePublished": published.isoformat(),
        "dateModified": published.isoformat(),
        "inLanguage": article.language,
        "author": [{"@type": "Person", "name": article.author}],
        "publisher": {"@type": "Organization", "name": site},
        "mainEntityOfPage": url,
    }
    return f"""<!DOCTYPE html>
<html lang="{article.language}">
<head>
<meta charset="utf-8">
<title>{escape(article.title)} | {escape(site)}</title>
<link rel="canonical" href="{url}">
<meta name="description" content="{escape(article.paragraphs[0][:150])}">
<script type="application/ld+json">{json.dumps(ld, ensure_ascii=False)}</script>
<link rel="alternate" type="application/atom+xml" href="{base}/atom.xml">
</head>
<body class="page-article">
<div class="cookie-banner" role="dialog"><p>We use cookies to improve your experience.</p><button>Accept all</button></div>
<header class="header"><div class="logo"><a href="{base}/">{escape(site)}</a></div>{_nav(base)}
<div class="ticker">Markets: RTS 1,102 ▲ · Brent $82.4 ▼ · USD/RUB 91.2</div></header>
<main class="layout">
<div class="article">
<div class="article__rubric"><a href="{base}/news/">{article.section.title()}</a></div>
<h1 class="article__title">{escape(article.title)}</h1>
<div class="article__info"><span class="article__author">{escape(article.author)}</span>
<span class="article__date">{published:%d.%m.%Y %H:%M}</span></div>
<div class="article__body" itemprop="articleBody">
{_paragraphs(article)}
</div>
<div class="article__tags"><a href="{base}/tag/world/">World</a> <a href="{base}/tag/diplomacy/">Diplomacy</a></div>
</div>
<div class="related"><h3>Read also</h3>{_related(base, related)}</div>
<div class="banner ad-slot" data-ad="article-bottom">Advertisement</div>
</main>
<div class="most-read"><h3>Most read</h3>{_related(base, related[::-1])}</div>
{_footer(site)}
</body>
</html>"""


def amp_page(page: DemoPage) -> str:
    """An AMP page: ⚡ html, amp scripts, amp-img, inline amp-custom CSS."""
    article, site, base, url, published, related = page
    return f"""<!doctype html>
<html ⚡ lang="{article.language}">
<head>
<meta charset="utf-8">
<script async src="https://cdn.ampproject.org/v0.js"></script>
<title>{escape(article.title)}</title>
<link rel="canonical" href="{url}">
<meta name="viewport" content="width=device-width">
<meta property="article:published_time" content="{published.isoformat()}">
<style amp-custom>body{{font-family:Georgia,serif}}.byline{{color:#555}}</style>
<style amp-boilerplate>body{{-webkit-animation:-amp-start 8s steps(1,end) 0s 1 normal both}}</style>
</head>
<body>
<header class="amp-header"><a href="{base}/">{escape(site)}</a>{_nav(base)}</header>
<article class="amp-article">
<h1>{escape(article.title)}</h1>
<p class="byline">By {escape(article.author)} · <time datetime="{published.isoformat()}">{published:%d %b %Y}</time></p>
<amp-img src="{base}/images/{article.slug}.jpg" width="800" height="450" layout="responsive" alt="Photo"></amp-img>
{_paragraphs(article)}
</article>
<section class="amp-related"><h2>More from the region</h2>{_related(base, related)}</section>
<amp-analytics type="gtag"><script type="application/json">{{"vars":{{"gtag_id":"G-DEMO"}}}}</script></amp-analytics>
{_footer(site)}
</body>
</html>"""


TEMPLATES = {"wordpress": wordpress_page, "cms": cms_page, "amp": amp_page}


def listing_page(
    *,
    site: str,
    base: str,
    title: str,
    items: Sequence[tuple[str, str, datetime]],
    next_url: str | None,
    extra_links: Sequence[tuple[str, str]] = (),
) -> str:
    """A section page: teasers, pagination and navigation."""
    teasers = "".join(
        f'<div class="teaser"><h2><a href="{href}">{escape(t)}</a></h2>'
        f'<span class="date">{when:%d %b %Y}</span></div>'
        for t, href, when in items
    )
    extra = "".join(f'<a href="{href}">{escape(t)}</a> ' for t, href in extra_links)
    pager = f'<a class="next" rel="next" href="{next_url}">Next</a>' if next_url else ""
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{escape(title)} – {escape(site)}</title>
<link rel="alternate" type="application/rss+xml" href="{base}/feed/"></head>
<body><header>{_nav(base)}</header><main><h1>{escape(title)}</h1>{teasers}
<div class="more">{extra}</div><div class="pagination">{pager}</div></main>{_footer(site)}</body></html>"""


def rss_feed(*, site: str, base: str, items: Sequence[tuple[str, str, datetime, str]]) -> str:
    """RSS 2.0: (title, link, published, summary) items."""
    entries = "".join(
        f"<item><title>{xml_escape(t)}</title><link>{xml_escape(link)}</link>"
        f'<guid isPermaLink="true">{xml_escape(link)}</guid>'
        f"<pubDate>{format_datetime(when)}</pubDate>"
        f"<description>{xml_escape(summary)}</description></item>"
        for t, link, when, summary in items
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel>'
        f"<title>{xml_escape(site)}</title><link>{base}/</link>"
        f"<description>Latest news from {xml_escape(site)}</description>{entries}</channel></rss>"
    )


def atom_feed(*, site: str, base: str, items: Sequence[tuple[str, str, datetime, str]]) -> str:
    """Atom 1.0: (title, link, published, summary) entries."""
    updated = max((when for _, _, when, _ in items), default=None)
    entries = "".join(
        f'<entry><title>{xml_escape(t)}</title><link rel="alternate" href="{xml_escape(link)}"/>'
        f"<id>{xml_escape(link)}</id><published>{when.isoformat()}</published>"
        f"<updated>{when.isoformat()}</updated><summary>{xml_escape(summary)}</summary></entry>"
        for t, link, when, summary in items
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">'
        f"<title>{xml_escape(site)}</title><id>{base}/</id>"
        f'<link rel="self" href="{base}/atom.xml"/>'
        f"<updated>{(updated.isoformat() if updated else '2025-01-01T00:00:00+00:00')}</updated>"
        f"{entries}</feed>"
    )


def news_sitemap(items: Sequence[tuple[str, str, datetime, str]], *, site: str) -> str:
    """A Google News sitemap: (loc, title, published, language)."""
    urls = "".join(
        f"<url><loc>{xml_escape(loc)}</loc><news:news><news:publication>"
        f"<news:name>{xml_escape(site)}</news:name><news:language>{lang}</news:language>"
        f"</news:publication><news:publication_date>{when.isoformat()}</news:publication_date>"
        f"<news:title>{xml_escape(t)}</news:title></news:news></url>"
        for loc, t, when, lang in items
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
        'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">'
        f"{urls}</urlset>"
    )


def _dated_locs(root: str, child: str, items: Sequence[tuple[str, datetime]]) -> str:
    """``<root>`` of ``<child>`` elements, each a location with its last-modified time."""
    body = "".join(
        f"<{child}><loc>{xml_escape(loc)}</loc><lastmod>{when.isoformat()}</lastmod></{child}>"
        for loc, when in items
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<{root} xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{body}</{root}>'
    )


def url_sitemap(items: Sequence[tuple[str, datetime]]) -> str:
    """A plain sitemap: (loc, lastmod)."""
    return _dated_locs("urlset", "url", items)


def sitemap_index(items: Sequence[tuple[str, datetime]]) -> str:
    """A sitemap index: (loc, lastmod)."""
    return _dated_locs("sitemapindex", "sitemap", items)
