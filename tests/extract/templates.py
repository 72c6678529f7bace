"""Realistic page templates (plain Python strings, no Jinja) for seed round-trip tests.

Every template takes a title, the article paragraphs and ``tail`` lines (the seed's own
boilerplate) and wraps them in page furniture: navigation, sidebars, share buttons, comment
forms, cookie banners, newsletter boxes, ads and image credits. :data:`TEMPLATE_BOILERPLATE`
lists furniture strings that must never reach the cleaned text.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from html import escape

__all__ = [
    "CANONICAL_URL",
    "PAGE_URL",
    "TEMPLATES",
    "TEMPLATE_BOILERPLATE",
    "ad_split_page",
    "amp_page",
    "newspaper_page",
    "wordpress_page",
]

PAGE_URL = "https://news.example.com/2023/05/04/russia-cuba-ties/"
CANONICAL_URL = "https://news.example.com/world/russia-cuba-ties"

TEMPLATE_BOILERPLATE: tuple[str, ...] = (
    "Please enter your comment!",
    "Leave a Reply",
    "Comments are closed.",
    "thought on",
    "This website uses cookies",
    "Related posts",
    "Read more",
    "Continue reading",
    "Subscribe to our newsletter",
    "Share on Facebook",
    "Share on Twitter",
    "Photo:",
    "Getty Images",
    "Advertisement",
    "Privacy & Cookies Policy",
    "Most read",
    "Suscríbete a nuestro boletín",
    "Читайте также",
    "Great article, thanks for sharing",
)

_NAV = """
<header class="site-header">
  <a class="logo" href="/">The Example Times</a>
  <nav class="main-nav"><ul>
    <li><a href="/world/">World</a></li><li><a href="/politics/">Politics</a></li>
    <li><a href="/business/">Business</a></li><li><a href="/opinion/">Opinion</a></li>
    <li><a href="/sports/">Sports</a></li><li><a href="/culture/">Culture</a></li>
    <li><a href="/latin-america/">Latin America</a></li><li><a href="/europe/">Europe</a></li>
  </ul></nav>
  <form class="search" action="/search"><input name="q" placeholder="Search"></form>
</header>
"""

_COOKIE_BANNER = """
<div id="cookie-notice" class="cookie-banner" role="dialog">
  <p>This website uses cookies to improve your experience. We'll assume you're ok with this,
  but you can opt-out if you wish. <a href="#" class="accept">Accept</a>
  <a href="/privacy">Read More</a></p>
  <p><a href="/privacy">Privacy &amp; Cookies Policy</a></p>
</div>
"""

_FOOTER = """
<footer class="site-footer">
  <ul><li><a href="/about">About us</a></li><li><a href="/contact">Contact</a></li>
  <li><a href="/privacy">Privacy &amp; Cookies Policy</a></li>
  <li><a href="/terms">Terms</a></li></ul>
  <p>© 2023 The Example Times. All rights reserved.</p>
</footer>
"""


def _paragraph(text: str) -> str:
    """A short line without final punctuation becomes a sub-heading, the rest a <p>."""
    if len(text) < 110 and not text.rstrip().endswith((".", "!", "?", "”", '"', ":")):
        return f"<h2>{escape(text)}</h2>"
    return f"<p>{escape(text)}</p>"


def _tail_items(tail: list[str]) -> str:
    return "\n".join(f'<li><a href="/post/{i}">{escape(t)}</a></li>' for i, t in enumerate(tail))


def _related(tail: list[str]) -> str:
    items = [
        "Venezuela and Russia sign new oil agreements",
        "Havana hosts regional trade forum",
        "Moscow expands credit line to Caribbean partners",
    ]
    return f"""
<div class="related-posts">
  <h3>Related posts</h3>
  <ul>{_tail_items(items)}</ul>
  <ul class="seed-tail">{_tail_items(tail)}</ul>
</div>"""


def wordpress_page(title: str, paragraphs: list[str], tail: list[str]) -> str:
    """A WordPress single post: share bar, captioned photo, related posts, comments and form."""
    body = "\n".join(_paragraph(p) for p in paragraphs)
    return f"""<!DOCTYPE html>
<html lang="en-US">
<head>
<meta charset="UTF-8">
<title>{escape(title)} | Cuba Monitor Blog</title>
<meta property="og:site_name" content="Cuba Monitor Blog">
<link rel="canonical" href="{PAGE_URL}">
<link rel="stylesheet" href="/wp-content/themes/news/style.css">
<script>window.dataLayer = window.dataLayer || [];</script>
</head>
<body class="post-template-default single single-post">
{_NAV}
<div id="content" class="site-content">
<main id="main" class="site-main">
<article id="post-1234" class="post-1234 post type-post status-publish">
  <header class="entry-header">
    <h1 class="entry-title">{escape(title)}</h1>
    <div class="entry-meta"><span class="byline">By <a href="/author/editor">Editor</a></span>
    <time class="entry-date published" datetime="2023-05-04T10:00:00+00:00">May 4, 2023</time>
    </div>
  </header>
  <div class="entry-content">
    <div class="sharedaddy sd-sharing-enabled"><h3 class="sd-title">Share this:</h3>
      <ul><li><a class="share-facebook" href="#">Share on Facebook</a></li>
      <li><a class="share-twitter" href="#">Share on Twitter</a></li>
      <li><a class="share-whatsapp" href="#">WhatsApp</a></li></ul></div>
    <figure class="wp-block-image"><img src="/img/havana.jpg" alt="">
      <figcaption>Photo: Reuters / Getty Images</figcaption></figure>
    {body}
    <p><a href="https://source.example.org/story">Continue reading HERE.</a></p>
    <div class="sharedaddy sd-sharing-enabled"><ul>
      <li><a href="#">Share on Facebook</a></li><li><a href="#">Share on Twitter</a></li>
    </ul></div>
  </div>
  <footer class="entry-footer"><span class="cat-links">Posted in <a href="/c/world">World</a>
  </span></footer>
</article>
{_related(tail)}
<div id="comments" class="comments-area">
  <h2 class="comments-title">1 thought on “{escape(title)}”</h2>
  <ol class="comment-list"><li class="comment"><article class="comment-body">
    <footer class="comment-meta"><b class="fn">Reader</b> says:</footer>
    <div class="comment-content"><p>Great article, thanks for sharing this analysis.</p></div>
  </article></li></ol>
  <div id="respond" class="comment-respond">
    <h3 id="reply-title" class="comment-reply-title">Leave a Reply</h3>
    <form action="/wp-comments-post.php" method="post" id="commentform">
      <p class="comment-form-comment"><textarea name="comment"></textarea>
      <label>Please enter your comment!</label></p>
      <p><input name="author"><label>Please enter your name here</label></p>
    </form>
  </div>
  <p class="no-comments">Comments are closed.</p>
</div>
</main>
<aside id="secondary" class="widget-area">
  <section class="widget"><h2 class="widget-title">Most read</h2><ul>
  <li><a href="/a">Putin visits Beijing</a></li><li><a href="/b">Cuban economy in crisis</a></li>
  </ul></section>
  <section class="widget newsletter"><h2>Subscribe to our newsletter</h2>
  <form><input type="email" placeholder="Email"><button>Sign up</button></form></section>
</aside>
</div>
{_COOKIE_BANNER}
{_FOOTER}
</body></html>"""


def newspaper_page(title: str, paragraphs: list[str], tail: list[str]) -> str:
    """A newspaper article with nav, sidebars, cookie banner, newsletter box and JSON-LD."""
    json_ld = {
        "@context": "https://schema.org",
        "@graph": [
            {"@type": "WebSite", "name": "The Example Times", "url": "https://news.example.com/"},
            {
                "@type": "NewsArticle",
                "headline": title,
                "datePublished": "2023-05-04T10:00:00-04:00",
                "author": [{"@type": "Person", "name": "Ana Pérez"}],
                "publisher": {"@type": "Organization", "name": "The Example Times"},
                "inLanguage": "en-US",
                "isAccessibleForFree": True,
                "articleBody": "\n\n".join(paragraphs),
            },
        ],
    }
    body_parts: list[str] = []
    for index, paragraph in enumerate(paragraphs):
        body_parts.append(_paragraph(paragraph))
        if index == 1:
            body_parts.append(
                '<div class="newsletter-box"><h4>Subscribe to our newsletter</h4>'
                "<p>Get the best of The Example Times in your inbox every morning.</p>"
                '<form><input type="email"><button>Subscribe</button></form></div>'
            )
    body = "\n".join(body_parts)
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{escape(title)} - The Example Times</title>
<meta name="description" content="Russia and Cuba deepen their relationship.">
<meta property="og:title" content="{escape(title)}">
<meta property="og:type" content="article">
<meta property="og:site_name" content="The Example Times">
<meta property="og:url" content="{CANONICAL_URL}">
<link rel="canonical" href="/world/russia-cuba-ties">
<script type="application/ld+json">{json.dumps(json_ld, ensure_ascii=False)}</script>
</head>
<body>
{_COOKIE_BANNER}
{_NAV}
<div class="layout">
<aside class="left-rail"><h3>Most read</h3><ol>
  <li><a href="/1">Oil prices climb again</a></li><li><a href="/2">Elections in Spain</a></li>
  <li><a href="/3">New metro line opens</a></li></ol></aside>
<main>
  <article class="story">
    <h1 class="headline">{escape(title)}</h1>
    <p class="byline">By Ana Pérez · May 4, 2023</p>
    <div class="share"><a href="#">Share on Facebook</a> <a href="#">Share on Twitter</a></div>
    <figure><img src="/img/kremlin.jpg"><figcaption>Photo: AFP / Getty Images</figcaption>
    </figure>
    <div class="story-body">
    {body}
    </div>
  </article>
  <aside class="related"><h3>Read more</h3><ul>{_tail_items(tail)}
    <li><a href="/r/1">Cuba and China sign trade accords</a></li></ul></aside>
</main>
<aside class="right-rail">
  <div class="ad"><span>Advertisement</span></div>
  <div class="newsletter"><p>Subscribe to our newsletter</p></div>
</aside>
</div>
{_FOOTER}
</body></html>"""


def amp_page(title: str, paragraphs: list[str], tail: list[str]) -> str:
    """An AMP article: rel=canonical to the regular page, amp-img credits, amp-ad slots."""
    body_parts: list[str] = []
    for index, paragraph in enumerate(paragraphs):
        body_parts.append(_paragraph(paragraph))
        if index == 2:
            body_parts.append(
                '<amp-ad width="300" height="250" type="doubleclick" data-slot="/1/amp">'
                "<div placeholder>Advertisement</div></amp-ad>"
            )
    body = "\n".join(body_parts)
    return f"""<!doctype html>
<html ⚡ lang="en">
<head>
<meta charset="utf-8">
<title>{escape(title)}</title>
<link rel="canonical" href="{CANONICAL_URL}">
<meta name="viewport" content="width=device-width,minimum-scale=1">
<meta property="article:published_time" content="2023-05-04T14:00:00Z">
<meta name="author" content="Ana Pérez">
<style amp-boilerplate>body{{visibility:hidden}}</style>
<script async src="https://cdn.ampproject.org/v0.js"></script>
</head>
<body>
<header class="amp-header"><a href="/">The Example Times</a>
  <amp-sidebar id="sidebar" layout="nodisplay"><ul><li><a href="/world">World</a></li>
  <li><a href="/politics">Politics</a></li></ul></amp-sidebar></header>
<article class="amp-article">
  <h1>{escape(title)}</h1>
  <amp-social-share type="facebook" aria-label="Share on Facebook"></amp-social-share>
  <figure><amp-img src="/img/havana.jpg" width="600" height="400" layout="responsive"></amp-img>
    <figcaption>Photo: Getty Images</figcaption></figure>
  {body}
</article>
<section class="amp-related"><h2>Related posts</h2><ul>{_tail_items(tail)}</ul></section>
<amp-user-notification id="cookie-consent" layout="nodisplay">
  <p>This website uses cookies to improve your experience.</p><button>Accept</button>
</amp-user-notification>
{_FOOTER}
</body></html>"""


def ad_split_page(title: str, paragraphs: list[str], tail: list[str]) -> str:
    """Ads and read-more teasers between every paragraph, multilingual promo boxes."""
    body_parts: list[str] = []
    for index, paragraph in enumerate(paragraphs):
        body_parts.append(_paragraph(paragraph))
        body_parts.append(
            f'<div class="ad-slot" id="ad-{index}"><span class="ad-label">Advertisement</span>'
            f'<div class="gpt" id="div-gpt-ad-{index}"></div></div>'
        )
        if index == 1:
            body_parts.append(
                '<p class="read-more"><strong>Read more:</strong> '
                '<a href="/x">Cuba hit by island-wide blackout</a></p>'
            )
        if index == 3:
            body_parts.append(
                '<div class="promo"><p>Suscríbete a nuestro boletín y recibe las noticias.</p>'
                '<p>Читайте также: <a href="/ru">Россия и Куба подписали соглашение</a></p></div>'
            )
    body = "\n".join(body_parts)
    return f"""<html>
<head><meta http-equiv="Content-Type" content="text/html; charset=utf-8">
<title>{escape(title)} – Example Daily</title></head>
<body>
{_NAV}
<div id="page">
  <div class="article-container">
    <h1 class="article-title">{escape(title)}</h1>
    <div class="article-text">
    {body}
    </div>
    <div class="tags">Tags: <a href="/t/russia">Russia</a> <a href="/t/cuba">Cuba</a></div>
    <div class="social"><a href="#">Share on Facebook</a> · <a href="#">Share on Twitter</a></div>
  </div>
  <div class="more-stories"><h3>Related posts</h3><ul>{_tail_items(tail)}</ul></div>
  <div class="comments"><h3>Leave a Reply</h3><p>Please enter your comment!</p></div>
</div>
{_COOKIE_BANNER}
{_FOOTER}
</body></html>"""


TEMPLATES: dict[str, Callable[[str, list[str], list[str]], str]] = {
    "wordpress": wordpress_page,
    "newspaper": newspaper_page,
    "amp": amp_page,
    "ad_split": ad_split_page,
}
