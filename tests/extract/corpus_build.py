# ruff: noqa: E501
# (page markup and furniture text: one string per line reads better than split strings)
"""Build the extraction corpus: article pages in the DOM shapes of real CMS templates.

Run ``python -m tests.extract.corpus_build`` to (re)write ``tests/extract/corpus/``: for each
page ``<id>.html`` and its truth ``<id>.txt`` in the seed format (title line, blank line,
paragraphs separated by one blank line). Everything is written for this corpus (sentence
banks in :mod:`.corpus_text`); the shapes follow the markup those CMSs produce (class names,
share bars, related boxes, newsletter calls, cookie banners, comments, JSON-LD).

The split (:func:`split_of`) is a hash of the page id: ``heldout`` pages are never looked at
while writing cleaner rules; ``make bench`` and the gate report both parts.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Callable
from dataclasses import dataclass
from html import escape
from pathlib import Path

from tests.extract.corpus_text import LIST_ITEMS, SENTENCES, SUBHEADS, TITLES

CORPUS_DIR = Path(__file__).with_name("corpus")
HELDOUT_PERCENT = 40


def split_of(page_id: str) -> str:
    """``dev`` or ``heldout``, fixed by a hash of the page id."""
    bucket = int(hashlib.sha256(page_id.encode()).hexdigest()[:8], 16) % 100
    return "heldout" if bucket < HELDOUT_PERCENT else "dev"


@dataclass
class Article:
    """One composed article: its blocks are (kind, text) with kind p, h2, li or quote."""

    page_id: str
    lang: str
    title: str
    blocks: list[tuple[str, str]]
    author: str
    date: str
    url: str

    @property
    def truth(self) -> str:
        return "\n\n".join([self.title, *(text for _, text in self.blocks)])

    def body_text(self) -> str:
        return "\n\n".join(text for _, text in self.blocks)


AUTHORS = {
    "en": ["Laura Mendez", "Peter Hall", "Ana Ruiz"],
    "es": ["María Fernández", "Jorge Pérez", "Lucía Gómez"],
    "ru": ["Анна Смирнова", "Игорь Петров", "Ольга Иванова"],
}

# Page furniture per language, written for this corpus.
F = {
    "en": {
        "share": ["Share this:", "Facebook", "X", "WhatsApp", "Email", "Print"],
        "related": "Related",
        "related_items": [
            "Power cuts spread to the capital as demand peaks",
            "Why the sugar harvest keeps shrinking",
            "Ministers meet to discuss the fuel crisis",
        ],
        "newsletter": "Get the morning briefing in your inbox every weekday.",
        "newsletter_btn": "Sign up",
        "cookie": "We use cookies to give you a better experience on our site. By continuing to browse you accept their use.",
        "cookie_btn": "Accept",
        "comments": "3 thoughts on",
        "comment_texts": [
            "This is what happens when nobody plans ahead.",
            "Great reporting, thanks for covering the provinces too.",
        ],
        "reply": "Leave a Reply",
        "reply_note": "Your email address will not be published. Required fields are marked *",
        "tags": "Tags:",
        "most_read": "Most read",
        "prev": "Previous article",
        "next": "Next article",
        "posted": "Posted by",
        "labels": "Labels:",
        "more": "Read more",
        "caption": "Workers unload cargo at the port.",
        "credit": "Photo: Staff photographer",
        "dek": "Officials on both sides say the first deliveries could arrive within weeks.",
        "cta": "Enjoyed this story? Support independent journalism with a monthly donation.",
        "continue": "Continue reading",
        "ad": "Advertisement",
        "nav": ["World", "Politics", "Economy", "Culture", "Sport", "Opinion"],
    },
    "es": {
        "share": ["Compartir:", "Facebook", "X", "WhatsApp", "Correo", "Imprimir"],
        "related": "Noticias relacionadas",
        "related_items": [
            "Los apagones llegan a la capital en plena ola de calor",
            "Por qué la zafra azucarera sigue cayendo",
            "Reunión de ministros para tratar la crisis del combustible",
        ],
        "newsletter": "Recibe cada mañana las noticias más importantes en tu correo.",
        "newsletter_btn": "Suscribirme",
        "cookie": "Utilizamos cookies propias y de terceros para mejorar tu experiencia. Si sigues navegando, aceptas su uso.",
        "cookie_btn": "Aceptar",
        "comments": "3 comentarios en",
        "comment_texts": [
            "Esto pasa cuando nadie planifica nada.",
            "Muy buen reportaje, gracias por contar lo que pasa en las provincias.",
        ],
        "reply": "Deja una respuesta",
        "reply_note": "Tu dirección de correo electrónico no será publicada. Los campos obligatorios están marcados con *",
        "tags": "Etiquetas:",
        "most_read": "Lo más leído",
        "prev": "Artículo anterior",
        "next": "Artículo siguiente",
        "posted": "Publicado por",
        "labels": "Etiquetas:",
        "more": "Leer más",
        "caption": "Trabajadores descargan mercancía en el puerto.",
        "credit": "Foto: Archivo",
        "dek": "Fuentes de ambos gobiernos aseguran que los primeros envíos llegarán en semanas.",
        "cta": "¿Te gustó esta nota? Apoya el periodismo independiente con una donación mensual.",
        "continue": "Seguir leyendo",
        "ad": "Publicidad",
        "nav": ["Mundo", "Política", "Economía", "Cultura", "Deportes", "Opinión"],
    },
    "ru": {
        "share": ["Поделиться:", "ВКонтакте", "Telegram", "WhatsApp", "Одноклассники"],
        "related": "Читайте также",
        "related_items": [
            "Отключения света дошли до столицы",
            "Почему урожай сахарного тростника продолжает падать",
            "Министры обсудили топливный кризис",
        ],
        "newsletter": "Получайте главные новости дня на почту каждое утро.",
        "newsletter_btn": "Подписаться",
        "cookie": "Мы используем файлы cookie, чтобы сайт работал лучше. Продолжая просмотр, вы соглашаетесь с этим.",
        "cookie_btn": "Принять",
        "comments": "Комментарии",
        "comment_texts": [
            "Так бывает, когда никто ничего не планирует.",
            "Спасибо за репортаж, хорошо, что пишете и о провинции.",
        ],
        "reply": "Оставить комментарий",
        "reply_note": "Ваш адрес электронной почты не будет опубликован.",
        "tags": "Теги:",
        "most_read": "Самое читаемое",
        "prev": "Предыдущая статья",
        "next": "Следующая статья",
        "posted": "Автор:",
        "labels": "Метки:",
        "more": "Подробнее",
        "caption": "Рабочие разгружают судно в порту.",
        "credit": "Фото: пресс-служба",
        "dek": "Стороны ожидают, что первые поставки начнутся уже через несколько недель.",
        "cta": "Понравился материал? Подпишитесь на наш канал в Telegram, чтобы не пропустить главное.",
        "continue": "Читать дальше",
        "ad": "Реклама",
        "nav": ["В мире", "Политика", "Экономика", "Культура", "Спорт", "Мнения"],
    },
}


def compose(page_id: str, lang: str, rng: random.Random, host: str) -> Article:
    """An article of 4-9 paragraphs, sometimes with subheadings, a list and a quote."""
    sentences = SENTENCES[lang]
    blocks: list[tuple[str, str]] = []
    for index in range(rng.randint(4, 9)):
        if index == 3 and rng.random() < 0.4:
            blocks.append(("h2", rng.choice(SUBHEADS[lang])))
        blocks.append(("p", " ".join(rng.sample(sentences, rng.randint(2, 4)))))
        if index == 2 and rng.random() < 0.25:
            for item in rng.sample(LIST_ITEMS[lang], 3):
                blocks.append(("li", item))
        if index == 1 and rng.random() < 0.2:
            blocks.append(("quote", rng.choice(sentences)))
    if blocks[-1][0] != "p":
        blocks.append(("p", " ".join(rng.sample(sentences, 2))))
    day = rng.randint(1, 28)
    return Article(
        page_id=page_id,
        lang=lang,
        title=rng.choice(TITLES[lang]),
        blocks=blocks,
        author=rng.choice(AUTHORS[lang]),
        date=f"2024-{rng.randint(1, 11):02d}-{day:02d}T{rng.randint(6, 22):02d}:15:00+00:00",
        url=f"https://{host}/2024/{page_id}/",
    )


def render_blocks(
    article: Article, p_attr: str = "", *, ad: str = "", figure: str = "", rng: random.Random
) -> str:
    """The body markup: paragraphs, headings, one list, quotes; an ad slot and a figure."""
    out: list[str] = []
    in_list = False
    for index, (kind, text) in enumerate(article.blocks):
        if kind == "li":
            if not in_list:
                out.append("<ul>")
                in_list = True
            out.append(f"<li>{escape(text)}</li>")
            continue
        if in_list:
            out.append("</ul>")
            in_list = False
        if kind == "h2":
            out.append(f"<h2>{escape(text)}</h2>")
        elif kind == "quote":
            out.append(f"<blockquote><p>{escape(text)}</p></blockquote>")
        else:
            out.append(f"<p{p_attr}>{escape(text)}</p>")
        if index == 1 and figure:
            out.append(figure)
        if index == 2 and ad:
            out.append(ad)
    if in_list:
        out.append("</ul>")
    return "\n".join(out)


def json_ld(article: Article, kind: str, *, body: bool, site: str) -> str:
    node = {
        "@context": "https://schema.org",
        "@type": kind,
        "headline": article.title,
        "datePublished": article.date,
        "author": {"@type": "Person", "name": article.author},
        "publisher": {"@type": "Organization", "name": site},
        "inLanguage": article.lang,
    }
    if body:
        node["articleBody"] = article.body_text()
    return f'<script type="application/ld+json">{json.dumps(node, ensure_ascii=False)}</script>'


def head(article: Article, site: str, extra: str = "") -> str:
    return (
        f'<!DOCTYPE html><html lang="{article.lang}"><head><meta charset="utf-8">'
        f"<title>{escape(article.title)} | {escape(site)}</title>"
        f'<meta property="og:title" content="{escape(article.title)}">'
        f'<meta property="og:site_name" content="{escape(site)}">'
        f'<link rel="canonical" href="{article.url}">{extra}'
        '<link rel="stylesheet" href="/style.css"><script>window.dataLayer=[];</script></head>'
    )


def nav(f: dict, cls: str = "main-navigation") -> str:
    items = "".join(f'<li><a href="/{i}/">{escape(i)}</a></li>' for i in f["nav"])
    return f'<nav class="{cls}"><ul class="menu">{items}</ul></nav>'


def links_list(items: list[str], cls: str = "") -> str:
    lis = "".join(f'<li><a href="/n/{k}/">{escape(t)}</a></li>' for k, t in enumerate(items))
    return f'<ul class="{cls}">{lis}</ul>'


def figure(f: dict, cls: str = "wp-block-image") -> str:
    return (
        f'<figure class="{cls}"><img src="/img/port.jpg" alt="">'
        f"<figcaption>{escape(f['caption'])} {escape(f['credit'])}</figcaption></figure>"
    )


# --------------------------------------------------------------------------- CMS shapes


def wordpress(a: Article, rng: random.Random) -> str:
    f = F[a.lang]
    site = "La Voz del Caribe" if a.lang == "es" else "Caribbean Notes"
    share = "".join(
        f'<li class="share-{s.lower()}"><a class="share-{s.lower()} sd-button" href="#">'
        f"<span>{escape(s)}</span></a></li>"
        for s in f["share"][1:]
    )
    related = "".join(
        f'<div class="jp-relatedposts-post"><h4 class="jp-relatedposts-post-title">'
        f'<a href="/r{k}/">{escape(t)}</a></h4><p class="jp-relatedposts-post-date">'
        f"12/0{k + 1}/2024</p></div>"
        for k, t in enumerate(f["related_items"])
    )
    comments = "".join(
        f'<li class="comment"><article class="comment-body"><footer class="comment-meta">'
        f'<b class="fn">Reader {k}</b> <time>May {k + 3}, 2024</time></footer>'
        f'<div class="comment-content"><p>{escape(t)}</p></div>'
        f'<div class="reply"><a class="comment-reply-link" href="#">Reply</a></div></article></li>'
        for k, t in enumerate(f["comment_texts"])
    )
    cookie = (
        f'<div id="cookie-notice" role="dialog"><div class="cookie-notice-container">'
        f'<span id="cn-notice-text">{escape(f["cookie"])}</span>'
        f'<a href="#" id="cn-accept-cookie">{escape(f["cookie_btn"])}</a></div></div>'
        if rng.random() < 0.6
        else ""
    )
    newsletter = (
        f'<div class="mailpoet_form"><p class="mailpoet_paragraph">{escape(f["newsletter"])}</p>'
        f'<input type="email"><input type="submit" value="{escape(f["newsletter_btn"])}"></div>'
        if rng.random() < 0.5
        else ""
    )
    ld = json_ld(a, "BlogPosting", body=False, site=site) if rng.random() < 0.5 else ""
    fig = figure(f) if rng.random() < 0.5 else ""
    return (
        head(a, site, ld)
        + f'<body class="post-template-default single single-post"><div id="page" class="site">'
        f'<header id="masthead" class="site-header"><p class="site-title"><a href="/">'
        f"{escape(site)}</a></p>{nav(f)}</header>"
        f'<div id="content" class="site-content"><div id="primary" class="content-area">'
        f'<main id="main" class="site-main"><article id="post-{a.page_id}" '
        f'class="post-{a.page_id} post type-post status-publish format-standard hentry">'
        f'<header class="entry-header"><h1 class="entry-title">{escape(a.title)}</h1>'
        f'<div class="entry-meta"><span class="posted-on"><time class="entry-date published" '
        f'datetime="{a.date}">{a.date[:10]}</time></span> <span class="byline">'
        f'<span class="author vcard"><a href="/author/">{escape(a.author)}</a></span></span>'
        f"</div></header>"
        f'<div class="entry-content">{render_blocks(a, figure=fig, rng=rng)}'
        f'<div class="sharedaddy sd-sharing-enabled"><div class="robots-nocontent sd-block '
        f'sd-social"><h3 class="sd-title">{escape(f["share"][0])}</h3>'
        f'<div class="sd-content"><ul>{share}</ul></div></div></div>'
        f'<div id="jp-relatedposts" class="jp-relatedposts"><h3 class="jp-relatedposts-headline">'
        f"<em>{escape(f['related'])}</em></h3>{related}</div></div>"
        f'<footer class="entry-footer"><span class="cat-links"><a href="/c/">{escape(f["nav"][0])}'
        f'</a></span> <span class="tags-links">{escape(f["tags"])} <a href="/t/">Cuba</a>'
        f"</span></footer></article>"
        f'<nav class="navigation post-navigation"><div class="nav-links"><div class="nav-previous">'
        f'<a href="/p/"><span class="meta-nav">{escape(f["prev"])}</span> '
        f'{escape(f["related_items"][0])}</a></div><div class="nav-next"><a href="/n/">'
        f'<span class="meta-nav">{escape(f["next"])}</span> {escape(f["related_items"][1])}</a>'
        f"</div></div></nav>"
        f'<div id="comments" class="comments-area"><h2 class="comments-title">{escape(f["comments"])}'
        f' &ldquo;{escape(a.title)}&rdquo;</h2><ol class="comment-list">{comments}</ol>'
        f'<div id="respond" class="comment-respond"><h3 id="reply-title" class="comment-reply-title">'
        f'{escape(f["reply"])}</h3><form><p class="comment-notes">{escape(f["reply_note"])}</p>'
        f"<textarea></textarea></form></div></div></main></div>"
        f'<aside id="secondary" class="widget-area"><section class="widget widget_recent_entries">'
        f'<h2 class="widget-title">{escape(f["most_read"])}</h2>'
        f"{links_list(f['related_items'])}</section>{newsletter}</aside></div>"
        f'<footer id="colophon" class="site-footer"><div class="site-info">&copy; 2024 {escape(site)}'
        f"</div></footer></div>{cookie}</body></html>"
    )


def arc(a: Article, rng: random.Random) -> str:
    f = F[a.lang]
    site = "Diario Continental" if a.lang == "es" else "The Continental"
    ad = (
        '<div class="arcad arcad-feature" data-ad-slot="mid"><div class="arcad-label">'
        + escape(f["ad"])
        + "</div></div>"
    )
    keep = rng.random() < 0.6
    follow = (
        f'<div class="article-body-related"><p class="paragraph"><b>{escape(f["continue"])}:</b>'
        f'</p><ul class="list-links">'
        + "".join(
            f'<li><a href="/x{k}/">{escape(t)}</a></li>' for k, t in enumerate(f["related_items"])
        )
        + "</ul></div>"
    )
    ld = json_ld(a, "NewsArticle", body=keep, site=site)
    body = render_blocks(a, ' class="paragraph"', ad=ad, figure=figure(f, "article-image"), rng=rng)
    return (
        head(a, site, ld)
        + '<body><div id="fusion-app" class="layout-section"><header class="nav-sticky">'
        f'<div class="site-logo"><a href="/">{escape(site)}</a></div>{nav(f, "sections-menu")}'
        '</header><div class="ad-wrapper"><div class="arcad" id="arcad-top"></div></div>'
        f'<main class="article-main"><article class="article">'
        f'<header class="article-header"><h1 class="headline">{escape(a.title)}</h1>'
        f'<h2 class="subheadline">{escape(f["dek"])}</h2>'
        f'<div class="byline"><span class="byline-author">{escape(a.author)}</span>'
        f'<time class="article-date" datetime="{a.date}">{a.date[:10]}</time></div>'
        f'<div class="share-bar">'
        + "".join(f'<button aria-label="{escape(s)}">{escape(s)}</button>' for s in f["share"][1:4])
        + "</div></header>"
        f'<div class="article-body body-article">'
        f"{body}"
        f"</div>{follow}"
        f'<div class="article-tags"><span>{escape(f["tags"])}</span>'
        f'<a href="/tags/cuba/">Cuba</a><a href="/tags/rusia/">Rusia</a></div></article>'
        f'<aside class="right-rail"><div class="most-read"><h3>{escape(f["most_read"])}</h3>'
        f"<ol>"
        + "".join(
            f'<li><a href="/m{k}/">{escape(t)}</a></li>' for k, t in enumerate(f["related_items"])
        )
        + "</ol></div></aside></main>"
        f'<footer class="site-footer"><p>&copy; 2024 {escape(site)}. Todos los derechos reservados.</p>'
        f"</footer></div></body></html>"
    )


def drupal(a: Article, rng: random.Random) -> str:
    f = F[a.lang]
    site = {"en": "Harbour Gazette", "es": "Gaceta del Puerto", "ru": "Портовый вестник"}[a.lang]
    ld = json_ld(a, "NewsArticle", body=False, site=site) if rng.random() < 0.5 else ""
    block_popular = (
        f'<div class="block block-views block-views-blockpopular-block-1"><h2 class="block-title">'
        f'{escape(f["most_read"])}</h2><div class="view-content"><div class="item-list">'
        f"{links_list(f['related_items'])}</div></div></div>"
    )
    comments = "".join(
        f'<article class="comment js-comment"><footer class="comment__meta">'
        f'<span class="username">user{k}</span></footer><div class="comment__content">'
        f'<div class="field field--name-comment-body"><p>{escape(t)}</p></div></div></article>'
        for k, t in enumerate(f["comment_texts"])
    )
    return (
        head(a, site, ld)
        + '<body class="path-node page-node-type-article"><div class="dialog-off-canvas-main-canvas">'
        f'<div class="layout-container"><header role="banner"><div class="region region-header">'
        f'<a href="/" rel="home" class="site-logo">{escape(site)}</a></div>'
        f'<div class="region region-primary-menu">{nav(f, "menu--main")}</div></header>'
        f'<main role="main"><div class="layout-content"><div class="region region-content">'
        f'<article role="article" class="node node--type-article node--promoted '
        f'node--view-mode-full"><h1 class="page-title"><span class="field field--name-title">'
        f"{escape(a.title)}</span></h1>"
        f'<div class="node__meta"><span class="field field--name-uid">{escape(a.author)}</span> '
        f"<span>{a.date[:10]}</span></div>"
        f'<div class="node__content"><div class="clearfix text-formatted field '
        f'field--name-body field--type-text-with-summary field--label-hidden field__item">'
        f"{render_blocks(a, rng=rng)}</div>"
        f'<div class="field field--name-field-tags field--type-entity-reference field--label-above">'
        f'<div class="field__label">{escape(f["tags"])}</div><div class="field__items">'
        f'<div class="field__item"><a href="/t/1">Cuba</a></div></div></div>'
        f'<section class="comments"><h2>{escape(f["comments"] if a.lang == "ru" else f["reply"])}</h2>'
        f"{comments}</section></div></article></div></div>"
        f'<aside class="layout-sidebar-second" role="complementary">{block_popular}</aside></main>'
        f'<footer role="contentinfo"><div class="region region-footer">&copy; {escape(site)}</div>'
        f"</footer></div></div></body></html>"
    )


def ghost(a: Article, rng: random.Random) -> str:
    f = F[a.lang]
    site = {"en": "Island Letters", "es": "Cartas de la Isla", "ru": "Письма с острова"}[a.lang]
    bookmark = (
        f'<figure class="kg-card kg-bookmark-card"><a class="kg-bookmark-container" href="/b/">'
        f'<div class="kg-bookmark-content"><div class="kg-bookmark-title">'
        f'{escape(f["related_items"][2])}</div><div class="kg-bookmark-description">'
        f"{escape(f['newsletter'])}</div></div></a></figure>"
        if rng.random() < 0.5
        else ""
    )
    cards = "".join(
        f'<article class="gh-card post"><a class="gh-card-link" href="/g{k}/">'
        f'<header class="gh-card-header"><h3 class="gh-card-title">{escape(t)}</h3></header>'
        f'<div class="gh-card-excerpt">{escape(f["dek"])}</div></a></article>'
        for k, t in enumerate(f["related_items"])
    )
    ld = json_ld(a, "Article", body=False, site=site)
    return (
        head(a, site, ld + '<meta property="og:type" content="article">')
        + '<body class="post-template"><div class="gh-viewport"><header id="gh-navigation" '
        f'class="gh-navigation"><a class="gh-navigation-logo" href="/">{escape(site)}</a>'
        f"{nav(f, 'gh-navigation-menu')}</header>"
        f'<main class="gh-main"><article class="gh-article post">'
        f'<header class="gh-article-header gh-canvas"><h1 class="gh-article-title is-title">'
        f'{escape(a.title)}</h1><p class="gh-article-excerpt is-body">{escape(f["dek"])}</p>'
        f'<div class="gh-article-meta"><span class="gh-article-author-name">{escape(a.author)}</span>'
        f'<time class="gh-article-meta-date" datetime="{a.date[:10]}">{a.date[:10]}</time></div>'
        f'</header><section class="gh-content gh-canvas is-body">'
        f"{render_blocks(a, figure=figure(f, 'kg-card kg-image-card kg-card-hascaption'), rng=rng)}"
        f"{bookmark}</section></article>"
        f'<section class="gh-cta gh-canvas"><h2 class="gh-cta-title">{escape(f["newsletter"])}</h2>'
        f'<button class="gh-cta-button">{escape(f["newsletter_btn"])}</button></section>'
        f'<section class="gh-container is-grid gh-outer"><div class="gh-container-inner gh-inner">'
        f'<h2 class="gh-container-title">{escape(f["more"])}</h2><div class="gh-feed">{cards}'
        f"</div></div></section></main>"
        f'<footer class="gh-footer"><div class="gh-footer-copyright">{escape(site)} &copy; 2024'
        f"</div></footer></div></body></html>"
    )


def blogger(a: Article, rng: random.Random) -> str:
    f = F[a.lang]
    site = {"en": "Notes from Matanzas", "es": "Apuntes de Matanzas", "ru": "Заметки из Матансаса"}[
        a.lang
    ]
    # Blogger bodies: text separated by <br> in <div>s, headings as <b>/<h3>, rarely <p>.
    parts: list[str] = []
    in_list = False
    for kind, text in a.blocks:
        if kind == "li":
            if not in_list:
                parts.append("<ul>")
                in_list = True
            parts.append(f"<li>{escape(text)}</li>")
            continue
        if in_list:
            parts.append("</ul>")
            in_list = False
        if kind == "h2":
            parts.append(f"<h3>{escape(text)}</h3>")
        elif kind == "quote":
            parts.append(f"<blockquote>{escape(text)}</blockquote>")
        elif rng.random() < 0.5:
            parts.append(f'<div style="text-align: justify;">{escape(text)}</div><div><br></div>')
        else:
            parts.append(f"<p>{escape(text)}</p>")
    if in_list:
        parts.append("</ul>")
    archive = "".join(
        f'<li class="archivedate"><a class="toggle" href="#">&#9658;</a> <a href="/{y}/">{y}</a> '
        f"({y - 2000})</li>"
        for y in (2024, 2023, 2022)
    )
    return (
        head(a, site)
        + '<body class="variant-simple"><div class="content-outer"><header><div class="header-outer">'
        f'<div class="Header"><h1 class="title"><a href="/">{escape(site)}</a></h1>'
        f'<p class="description"><span>{escape(f["dek"])}</span></p></div></div></header>'
        f'<div class="main-outer"><div class="main-inner"><div class="column-center-inner">'
        f'<div class="blog-posts hfeed"><div class="date-outer"><h2 class="date-header">'
        f'<span>{a.date[:10]}</span></h2><div class="date-posts"><div class="post-outer">'
        f'<div class="post hentry uncustomized-post-template" itemprop="blogPost">'
        f'<h3 class="post-title entry-title" itemprop="name">{escape(a.title)}</h3>'
        f'<div class="post-header"><div class="post-header-line-1"></div></div>'
        f'<div class="post-body entry-content" id="post-body-{a.page_id}" itemprop="description '
        f'articleBody">{"".join(parts)}<div style="clear: both;"></div></div>'
        f'<div class="post-footer"><div class="post-footer-line post-footer-line-1">'
        f'<span class="post-author vcard">{escape(f["posted"])} <span class="fn">'
        f'{escape(a.author)}</span></span> <span class="post-timestamp">'
        f'<a class="timestamp-link" href="{a.url}"><abbr class="published" title="{a.date}">'
        f"10:15</abbr></a></span></div>"
        f'<div class="post-share-buttons goog-inline-block"><a class="share-button sb-email" '
        f'href="#"><span class="share-button-link-text">Email This</span></a>'
        f'<a class="share-button sb-blog" href="#"><span>BlogThis!</span></a>'
        f'<a class="share-button sb-facebook" href="#"><span>Share to Facebook</span></a></div>'
        f'<div class="post-footer-line post-footer-line-2"><span class="post-labels">'
        f'{escape(f["labels"])} <a href="/l/" rel="tag">Cuba</a></span></div></div></div>'
        f'<div class="comments" id="comments"><h4>0 {escape(f["comments"])}</h4>'
        f'<div class="comment-footer"><a href="#">{escape(f["reply"])}</a></div></div></div>'
        f"</div></div></div>"
        f'<div class="blog-pager" id="blog-pager"><a class="blog-pager-newer-link" href="/n/">'
        f'Newer Post</a> <a class="blog-pager-older-link" href="/o/">Older Post</a> '
        f'<a class="home-link" href="/">Home</a></div></div></div>'
        f'<div class="column-right-inner"><div class="widget PopularPosts"><h2 class="title">'
        f"{escape(f['most_read'])}</h2>{links_list(f['related_items'])}</div>"
        f'<div class="widget BlogArchive"><h2>Blog Archive</h2><ul class="hierarchy">{archive}</ul>'
        f"</div></div></div></div></body></html>"
    )


def portal_es(a: Article, rng: random.Random) -> str:
    f = F["es"]
    site = "El Observador Hispano"
    inline = (
        '<div class="a_md_a"><p class="a_md_a_t">Más información</p>'
        + links_list(f["related_items"][:2], "a_md_a_l")
        + "</div>"
    )
    ld = json_ld(a, "NewsArticle", body=rng.random() < 0.5, site=site)
    consent = (
        f'<div id="didomi-host"><div class="didomi-popup"><p>{escape(f["cookie"])}</p>'
        f"<button>{escape(f['cookie_btn'])}</button><button>Configurar</button></div></div>"
    )
    return (
        head(a, site, ld + '<meta property="og:type" content="article">')
        + f'<body><header class="_g _g-md"><div class="_df"><a class="logo" href="/">{escape(site)}'
        f"</a></div>{nav(f, 'sm _df')}</header>"
        f'<main id="main-content"><article class="a _g _g-lg _g-o">'
        f'<header class="a_e"><div class="a_k"><a href="/internacional/">Internacional</a></div>'
        f'<h1 class="a_t">{escape(a.title)}</h1><h2 class="a_st">{escape(f["dek"])}</h2></header>'
        f'<div class="a_md"><div class="a_md_txt"><div class="a_md_a"><a class="a_md_a_n" href="/a/">'
        f'{escape(a.author)}</a></div><div class="a_md_f"><time datetime="{a.date}">{a.date[:10]}'
        f'</time></div></div><div class="a_md_sh">'
        + "".join(f'<a class="_btn" href="#">{escape(s)}</a>' for s in f["share"][1:])
        + '</div></div><div class="a_c clearfix" data-dtm-region="articulo_cuerpo">'
        f"{render_blocks(a, ad=inline, figure=figure(f, 'a_m a_m-h'), rng=rng)}</div>"
        f'<div class="a_nl"><p class="a_nl_t">{escape(f["newsletter"])}</p>'
        f'<a class="a_nl_b" href="/newsletters/">{escape(f["newsletter_btn"])}</a></div>'
        f'<div class="a_ei"><p class="a_ei_t">Archivado En</p><ul class="_df">'
        f'<li><a href="/noticias/cuba/">Cuba</a></li><li><a href="/noticias/rusia/">Rusia</a></li>'
        f"</ul></div></article>"
        f'<section class="b-lmv"><h2>{escape(f["most_read"])}</h2><ol>'
        + "".join(
            f'<li><a href="/l{k}/">{escape(t)}</a></li>' for k, t in enumerate(f["related_items"])
        )
        + "</ol></section></main>"
        f'<footer class="_g-xl"><p>&copy; Ediciones del Observador. Todos los derechos reservados.</p>'
        f"</footer>{consent}</body></html>"
    )


def portal_ru(a: Article, rng: random.Random) -> str:
    f = F["ru"]
    site = "Вести Карибов"
    box = (
        f'<div class="b-inline-topics"><div class="b-inline-topics__title">{escape(f["related"])}'
        f'</div><div class="b-inline-topics__item"><a href="/i/">{escape(f["related_items"][0])}'
        f"</a></div></div>"
    )
    ld = json_ld(a, "NewsArticle", body=rng.random() < 0.5, site=site)
    cta = (
        f'<div class="b-socials-promo"><p>{escape(f["cta"])}</p></div>'
        if rng.random() < 0.7
        else ""
    )
    comments = "".join(
        f'<div class="comment"><div class="comment__author">Гость{k}</div>'
        f'<div class="comment__text">{escape(t)}</div></div>'
        for k, t in enumerate(f["comment_texts"])
    )
    return (
        head(a, site, ld)
        + f'<body><div class="layout"><header class="header"><a class="header__logo" href="/">'
        f'{escape(site)}</a>{nav(f, "menu__list")}<span class="header__age">18+</span></header>'
        f'<div class="layout__content"><div class="b-topic b-topic_news">'
        f'<div class="b-topic__header"><h1 class="b-topic__title">{escape(a.title)}</h1>'
        f'<time class="g-date" datetime="{a.date}">{a.date[11:16]}, {a.date[:10]}</time>'
        f'</div><div class="b-topic__content"><div class="b-text" itemprop="articleBody">'
        f"{render_blocks(a, ad=box, rng=rng)}</div>{cta}"
        f'<div class="b-topic__author">{escape(f["posted"])} {escape(a.author)}</div>'
        f'<div class="b-banner b-banner_inside"><span>{escape(f["ad"])}</span></div>'
        f'<div class="b-topic__tags">{escape(f["tags"])} <a href="/tags/cuba/">Куба</a></div>'
        f'<div class="b-share">'
        + "".join(f'<a class="b-share__item" href="#">{escape(s)}</a>' for s in f["share"][1:])
        + f'</div><p class="b-typo">Нашли опечатку? Выделите текст и нажмите Ctrl+Enter</p>'
        f'<div class="b-comments"><h3>{escape(f["comments"])}</h3>{comments}</div></div></div>'
        f'<aside class="b-rightcol"><h3>Последние новости</h3>{links_list(f["related_items"])}'
        f"</aside></div>"
        f'<footer class="footer"><p>&copy; 2024 ООО «Вести Карибов». Все права защищены.</p>'
        f"<p>Сетевое издание зарегистрировано Роскомнадзором.</p></footer></div></body></html>"
    )


def nextjs(a: Article, rng: random.Random) -> str:
    f = F[a.lang]
    site = {"en": "Metro Daily", "es": "Diario Metro", "ru": "Метро Дейли"}[a.lang]
    newsletter = (
        f'<div data-testid="newsletter-signup" class="NewsletterSignup_root__x1"><h3>'
        f'{escape(f["newsletter"])}</h3><form><input type="email" placeholder="email">'
        f"<button>{escape(f['newsletter_btn'])}</button></form></div>"
    )
    cards = "".join(
        f'<div class="StoryCard_card__a9"><a href="/s{k}/"><h3 class="StoryCard_title__b1">'
        f'{escape(t)}</h3></a><span class="StoryCard_time__c2">2h</span></div>'
        for k, t in enumerate(f["related_items"])
    )
    ld = json_ld(a, "NewsArticle", body=rng.random() < 0.4, site=site)
    body = render_blocks(a, ' class="Paragraph_p__s"', ad=newsletter, rng=rng)
    return (
        head(a, site, ld)
        + f'<body><div id="__next"><header class="Header_root__q"><a href="/">{escape(site)}</a>'
        f"{nav(f, 'Header_nav__z')}</header><main>"
        f'<article class="Article_root__m"><div class="Article_head__h"><span class="Kicker_k__1">'
        f'{escape(f["nav"][1])}</span><h1 class="Headline_h1__p">{escape(a.title)}</h1>'
        f'<div class="Byline_root__b">{escape(a.author)} · <time dateTime="{a.date}">'
        f"{a.date[:10]}</time></div></div>"
        f'<div data-testid="article-body" class="ArticleBody_body__r">'
        f"{body}</div>"
        f'<div class="Related_root__k"><h2>{escape(f["related"])}</h2>{cards}</div></article>'
        f'<aside class="MostRead_root__t"><h2>{escape(f["most_read"])}</h2><ol>'
        + "".join(
            f'<li><a href="/r{k}/">{escape(t)}</a></li>' for k, t in enumerate(f["related_items"])
        )
        + f"</ol></aside></main><footer><p>&copy; 2024 {escape(site)}</p></footer>"
        f'<div class="CookieBanner_root__c" role="dialog"><p>{escape(f["cookie"])}</p>'
        f"<button>{escape(f['cookie_btn'])}</button></div></div></body></html>"
    )


SHAPES: dict[str, tuple[Callable[[Article, random.Random], str], tuple[str, ...]]] = {
    "wordpress": (wordpress, ("en", "es", "ru")),
    "arc": (arc, ("es", "en")),
    "drupal": (drupal, ("en", "es", "ru")),
    "ghost": (ghost, ("en", "es", "ru")),
    "blogger": (blogger, ("en", "es", "ru")),
    "portal-es": (portal_es, ("es",)),
    "portal-ru": (portal_ru, ("ru",)),
    "nextjs": (nextjs, ("en", "es", "ru")),
}
PAGES_PER_SHAPE = 24


def build_pages() -> list[tuple[Article, str]]:
    """Every corpus page with its HTML (deterministic)."""
    pages: list[tuple[Article, str]] = []
    for shape, (render, languages) in SHAPES.items():
        for index in range(PAGES_PER_SHAPE):
            page_id = f"{shape}-{index:02d}"
            rng = random.Random(page_id)
            lang = languages[index % len(languages)]
            article = compose(page_id, lang, rng, f"{shape}.example")
            pages.append((article, render(article, rng)))
    return pages


def main() -> None:
    """Write the corpus folder (HTML and truth per page, and the split)."""
    CORPUS_DIR.mkdir(exist_ok=True)
    split: dict[str, str] = {}
    for article, html in build_pages():
        (CORPUS_DIR / f"{article.page_id}.html").write_text(html, encoding="utf-8")
        (CORPUS_DIR / f"{article.page_id}.txt").write_text(article.truth, encoding="utf-8")
        split[article.page_id] = split_of(article.page_id)
    (CORPUS_DIR / "split.json").write_text(json.dumps(split, indent=1, sort_keys=True) + "\n")
    counts = {s: list(split.values()).count(s) for s in ("dev", "heldout")}
    print(f"wrote {len(split)} pages to {CORPUS_DIR}: {counts}")


if __name__ == "__main__":
    main()
