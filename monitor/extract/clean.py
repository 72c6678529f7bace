"""Turn one HTML page into a clean article (seed format) or a reason to skip it.

Pipeline of :func:`clean_page` (no Scrapy, no global mutable state):

1. bytes -> reject non-HTML (:func:`looks_like_html`), decode (:func:`decode_html`);
2. parse once with lxml (as trafilatura's loader does, see :func:`_load_tree`), read
   metadata and JSON-LD; drop scripts/media and inline hover cards;
3. trafilatura in precision mode without comments, fast path first; the full cascade
   (readability/jusText comparison) only when the fast result is short; an article split
   into repeated same-class containers gets its other chunks back (:func:`_sibling_chunks`);
4. the XML body tree is walked into paragraphs (``<p>``, headings, list items, table rows,
   ``<br>``-separated lines), then boilerplate is filtered (see :mod:`.boilerplate`);
5. the publisher's JSON-LD ``articleBody`` replaces the extraction when the latter misses most
   of it, or trims extracted edge paragraphs that do not occur in it;
6. a consent wall or paywall keeps its headline and teaser (``access``); a page that declares
   an article (JSON-LD, ``og:type``, a publication date) is never an index page; then the
   skip rules: index/listing page, too short.

Before step 4's boilerplate rules, blocks of the site's learned template
(:class:`~.templates.TemplateSet`) are removed; the blocks' fingerprints are returned in
``block_fingerprints`` so the database can learn the template from this page too.

Text format (:func:`format_seed`): title line, blank line, paragraphs separated by exactly one
blank line; NFC, LF only, whitespace collapsed, no trailing newline.
"""

from __future__ import annotations

import html as html_lib
import logging
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from lxml import etree
from lxml.html import HtmlComment, HtmlElement, HtmlEntity, HtmlProcessingInstruction, fromstring

from .boilerplate import (
    filter_boilerplate,
    has_consent_marker,
    has_paywall_marker,
    is_boilerplate_line,
)
from .control import strip_control, strip_control_optional
from .dates import DateFinding, DateMethod
from .decode import decode_html, looks_like_html
from .metadata import PageMetadata, extract_page_metadata, guess_language
from .outcomes import Access, Fault, SkipReason
from .templates import TemplateSet, candidate_blocks

__all__ = [
    "SKIP_REASONS",
    "ExtractedArticle",
    "ParsedPage",
    "Skipped",
    "clean_page",
    "format_seed",
    "normalize_paragraph",
    "parse_page",
]

log = logging.getLogger(__name__)

SKIP_REASONS: frozenset[str] = frozenset(SkipReason)

# Inputs beyond this are truncated before parsing (bounded time on hostile pages).
MAX_HTML_CHARS = 3_000_000
# Fast-mode results shorter than this are re-extracted with trafilatura's full cascade.
FALLBACK_BELOW_CHARS = 1000
# JSON-LD articleBody shorter than this (in tokens) is ignored.
MIN_JSON_LD_TOKENS = 40

_WS_RE = re.compile(r"\s+")
_TOKEN_RE = re.compile(r"\w+")
_INVISIBLE_RE = re.compile("[\u00ad\u200b\u200c\u200d\u2060\ufeff]")
_TAG_RE = re.compile(r"<\s*/?\s*(?:p|br|div|h[1-6]|li|span|a|strong|em|b|i)\b[^>]*>", re.I)
_NOT_HTML_CONTENT_TYPES = (
    "image/",
    "audio/",
    "video/",
    "font/",
    "application/pdf",
    "application/zip",
    "application/octet-stream",
)
# Inline hover cards: a <span> inside a paragraph holding an image and several links (a
# person's photo, profile link and latest headlines shown on mouse-over).
_HOVER_CARD_XPATH = "//p//span[.//img and count(.//a) >= 2]"
_NESTED_HOVER_CARD_XPATH = ".//span[.//img and count(.//a) >= 2]"
# Parsing (:func:`_load_tree`): characters libxml2 rejects, as in trafilatura.
_INVALID_XML_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_XML_CONTROL_BYTES = bytes(i for i in range(32) if i not in (9, 10, 13))
_XML_NONCHARACTERS = ("\ufffe".encode(), "\uffff".encode())
_DOCTYPE_RE = re.compile("^< ?! ?DOCTYPE[^>]*/[^<>]*>", re.IGNORECASE)
# Split-article recovery (:func:`_sibling_chunks`).
_CHUNK_ANCHOR_MIN_CHARS = 80
_CHUNK_MAX_DEPTH = 3
_CHUNK_MIN_CHARS = 200
_CHUNK_BLOCK_TAGS = ("p", "h2", "h3", "h4")
_CHUNK_CONTAINER_TAGS = frozenset({"div", "section", "article", "main"})
# Leaf-<div> paragraph recovery (:func:`_leaf_text_blocks`).
_LEAF_BLOCK_TAGS = ("p", "div", "ul", "ol", "table", "h1", "h2", "h3", "h4", "section", "article")
_LEAF_MIN_CHARS = 60
_LEAF_MAX_LINK_SHARE = 0.3
_STRIP_TAGS = ("script", "style", "noscript", "svg", "template", "iframe", "link", "object")


@dataclass(frozen=True)
class ExtractedArticle:
    """A cleaned article; ``text`` is the seed format (no trailing newline)."""

    title: str
    body: str
    author: str | None = None
    published_at: datetime | None = None
    site_name: str | None = None
    language: str | None = None
    canonical_url: str | None = None
    description: str | None = None
    json_ld_body_used: bool = False
    access: Access = Access.OPEN
    published_method: DateMethod | None = None
    modified_at: datetime | None = None
    date_conflict: bool = False
    # Distinct fingerprints of the page's candidate blocks before template stripping.
    block_fingerprints: tuple[str, ...] = ()
    block_texts: tuple[str, ...] = ()  # the blocks' texts, aligned with block_fingerprints
    template_blocks_removed: int = 0
    # The template fingerprints the page was cleaned with (to spot a page cleaned with an
    # older set than the one its source has when it is stored).
    templates_applied: frozenset[str] = frozenset()
    # Optional steps that failed on this page (logged where they failed; the crawl counts them).
    faults: tuple[Fault, ...] = ()

    @property
    def paragraphs(self) -> list[str]:
        """The body's paragraphs."""
        return self.body.split("\n\n") if self.body else []

    @property
    def text(self) -> str:
        """Title, a blank line, then the paragraphs separated by blank lines; no final LF."""
        return format_seed(self.title, self.paragraphs)


@dataclass(frozen=True)
class Skipped:
    """A page that yields no article, and why."""

    reason: SkipReason


@dataclass
class ParsedPage:
    """A page decoded and parsed once (:func:`parse_page`): the query pre-check reads its
    tree, then :func:`clean_page` takes it. Cleaning changes the tree, so it is taken once."""

    tree: HtmlElement | None
    faults: tuple[Fault, ...] = ()
    _taken: bool = field(default=False, repr=False)

    def take(self) -> HtmlElement | None:
        """The tree, for the one cleaning that may change it."""
        if self._taken:
            raise ValueError("this parsed page was cleaned already (its tree is changed)")
        self._taken = True
        return self.tree


def parse_page(html: str | bytes, content_type: str | None = None) -> ParsedPage | Skipped:
    """Decode (bytes, with ``content_type``'s charset) and parse a page once; a page that is
    no HTML or empty is its :class:`Skipped`."""
    prepared = _prepare_text(html, content_type)
    if isinstance(prepared, Skipped):
        return prepared
    text, faults = prepared
    return ParsedPage(_load_tree(text), faults)


def normalize_paragraph(text: str) -> str:
    """NFC, drop invisible and control characters, collapse whitespace to single spaces, strip."""
    text = _INVISIBLE_RE.sub("", unicodedata.normalize("NFC", strip_control(text)))
    return _WS_RE.sub(" ", text).strip()


def format_seed(title: str, paragraphs: list[str]) -> str:
    """Render the seed text format: title line, blank line, blank-line-separated paragraphs.

    Every part goes through :func:`normalize_paragraph`; empty parts are dropped, so the
    result has LF line endings only, no trailing spaces, no double blank lines and no
    trailing newline. With an empty title the text starts with the first paragraph.
    """
    parts = [normalize_paragraph(title)]
    parts.extend(normalize_paragraph(p) for p in paragraphs)
    return "\n\n".join(p for p in parts if p)


# --------------------------------------------------------------------------- helpers


def _tokens(text: str) -> list[str]:
    return [t.lower() for t in _TOKEN_RE.findall(text)]


def _split_lines(element: Any) -> list[str]:
    """Text of an element, split at ``<lb/>`` (iterative, so deep trees cannot recurse)."""
    pieces: list[str] = []
    for event, node in etree.iterwalk(element, events=("start", "end")):
        if event == "start":
            if node.tag == "lb":
                pieces.append("\n")
            elif node.text:
                pieces.append(node.text)
        elif node is not element and node.tail:
            pieces.append(node.tail)
    return "".join(pieces).split("\n")


def _body_paragraphs(body: Any) -> list[str]:
    """Walk trafilatura's XML body into paragraphs (list items and table rows separately)."""
    paragraphs: list[str] = []
    if body is None:
        return paragraphs
    if body.text and body.text.strip():
        paragraphs.append(body.text)
    for child in body:
        if child.tag == "list":
            blocks = [item for item in child.iter("item")]
        elif child.tag == "table":
            blocks = [row for row in child.iter("row")]
        else:
            blocks = [child]
        for block in blocks:
            if block.tag == "row":
                cells = [" ".join(_split_lines(cell)) for cell in block.iter("cell")]
                paragraphs.append(" ".join(cells))
            else:
                paragraphs.extend(_split_lines(block))
        if child.tail and child.tail.strip():
            paragraphs.append(child.tail)
    return [p for p in (normalize_paragraph(x) for x in paragraphs) if p]


def _json_ld_paragraphs(body: str) -> list[str]:
    """Split a JSON-LD articleBody (plain text or HTML) into paragraphs."""
    if _TAG_RE.search(body):
        from lxml.html import fragment_fromstring

        try:
            root = fragment_fromstring(body, create_parent="div")
            for br in root.iter("br"):
                br.tail = "\n" + (br.tail or "")
            for block in root.iter("p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "li"):
                block.tail = "\n" + (block.tail or "")
                block.text = "\n" + (block.text or "")
            body = root.text_content()
        except (etree.LxmlError, ValueError):  # not parseable as HTML: strip the tags instead
            body = _TAG_RE.sub("\n", body)
    body = html_lib.unescape(body).replace("\\n", "\n")
    return [p for p in (normalize_paragraph(x) for x in body.splitlines()) if p]


def _overlap(part: list[str], whole: Counter[str]) -> float:
    """Share of ``part`` tokens found in the multiset ``whole``."""
    if not part:
        return 0.0
    return sum((Counter(part) & whole).values()) / len(part)


def _same_text(a: str, b: str) -> bool:
    return bool(a) and _tokens(a) == _tokens(b)


def _trafilatura_body(tree: HtmlElement, url: str | None, *, fast: bool) -> list[str]:
    """Paragraphs from trafilatura (precision mode, no comments); [] when it finds nothing."""
    import trafilatura

    document = trafilatura.bare_extraction(
        tree,
        url=url,
        fast=fast,
        favor_precision=True,
        include_comments=False,
        include_tables=True,
        include_images=False,
        include_links=False,
        with_metadata=False,
    )
    if document is None:
        return []
    body = getattr(document, "body", None)
    if body is None and isinstance(document, dict):  # pragma: no cover - old API shape
        body = document.get("body")
    return _body_paragraphs(body)


def _drop_hover_cards(tree: HtmlElement) -> None:
    """Remove inline hover cards (innermost matches only; the surrounding sentence stays)."""
    cards = [c for c in tree.xpath(_HOVER_CARD_XPATH) if not c.xpath(_NESTED_HOVER_CARD_XPATH)]
    for card in cards:
        card.drop_tree()


def _block_texts(container: Any) -> list[str]:
    """Normalised texts of the ``<p>`` and ``<h2>``-``<h4>`` blocks inside ``container``."""
    texts = (normalize_paragraph(el.text_content()) for el in container.iter(*_CHUNK_BLOCK_TAGS))
    return [t for t in texts if t]


def _find_block(tree: HtmlElement, text: str) -> Any:
    """The first ``<p>`` of the page whose normalised text equals ``text``, or None."""
    key = text.split(" ", 1)[0]
    for element in tree.iter("p"):
        content = element.text_content()
        if key in content and normalize_paragraph(content) == text:
            return element
    return None


def _sibling_chunks(tree: HtmlElement, paragraphs: list[str]) -> list[str]:
    """Recover the rest of an article that the page splits into repeated containers.

    Many sites cut the body into several containers with identical tag and class (chunks
    between ad slots); trafilatura keeps only the first. The container of an extracted
    paragraph is located in the page, and same-tag same-class containers close to it (under
    a common ancestor a few levels up, no ``<h1>``, several paragraphs, text not already
    extracted) are added before or after the extraction in document order.
    """
    anchor_text = next((p for p in paragraphs if len(p) >= _CHUNK_ANCHOR_MIN_CHARS), None)
    if anchor_text is None:
        return paragraphs
    block = _find_block(tree, anchor_text)
    if block is None:
        return paragraphs
    container = None
    for level, ancestor in enumerate(block.iterancestors()):
        if level >= _CHUNK_MAX_DEPTH or ancestor.tag in ("body", "html"):
            return paragraphs
        if ancestor.tag in _CHUNK_CONTAINER_TAGS and ancestor.get("class"):
            container = ancestor
            break
    if container is None:
        return paragraphs
    root = container
    for _ in range(_CHUNK_MAX_DEPTH):
        parent = root.getparent()
        if parent is None or parent.tag in ("body", "html"):
            break
        root = parent
    own = set(container.iterancestors()) | {container}
    klass = container.get("class")
    extracted: Counter[str] | None = None  # token bag of the extraction, built on demand
    before: list[str] = []
    after: list[str] = []
    seen_container = False
    for element in root.iter(container.tag):
        if element is container:
            seen_container = True
            continue
        if element.get("class") != klass or element in own:
            continue
        if any(a is container for a in element.iterancestors()):
            continue
        if next(element.iter("h1"), None) is not None:
            continue
        texts = [t for t in _block_texts(element) if not is_boilerplate_line(t, at_edge=False)]
        if len(texts) < 2 or sum(len(t) for t in texts) < _CHUNK_MIN_CHARS:
            continue
        if extracted is None:
            extracted = Counter(_tokens(" ".join(paragraphs)))
        if _overlap(_tokens(" ".join(texts)), extracted) >= 0.5:
            continue
        (after if seen_container else before).extend(texts)
    if not before and not after:
        return paragraphs
    return before + paragraphs + after


def _leaf_text_blocks(tree: HtmlElement, paragraphs: list[str]) -> list[str]:
    """Recover paragraphs written as bare ``<div>``s between the extracted ``<p>``s.

    Some editors (Blogger, older CMS bodies) emit paragraphs as ``<div>text</div>`` beside
    real ``<p>``s; precision-mode trafilatura keeps the ``<p>``s only. Children of the first
    extracted paragraph's parent that are leaf ``<div>``s (no block children) with enough
    text and few links are inserted at their place in document order.
    """
    anchor_text = next((p for p in paragraphs if len(p) >= _CHUNK_ANCHOR_MIN_CHARS), None)
    if anchor_text is None:
        return paragraphs
    block = _find_block(tree, anchor_text)
    container = block.getparent() if block is not None else None
    if container is None or container.tag in ("body", "html"):
        return paragraphs
    if not any(child.tag == "div" for child in container):
        return paragraphs
    known = {p: i for i, p in enumerate(paragraphs)}
    inserts: dict[int, list[str]] = {}
    position = -1
    found_new = False
    for child in container:
        if not isinstance(child.tag, str):
            continue
        if child.tag == "div":
            if next(child.iterdescendants(*_LEAF_BLOCK_TAGS), None) is not None:
                continue
            text = normalize_paragraph(child.text_content())
            if len(text) < _LEAF_MIN_CHARS or text in known or is_boilerplate_line(text):
                continue
            linked = sum(len(a.text_content()) for a in child.iter("a"))
            if linked > _LEAF_MAX_LINK_SHARE * len(text):
                continue
            inserts.setdefault(position, []).append(text)
            found_new = True
        else:
            text = normalize_paragraph(child.text_content())
            if text in known:
                position = known[text]
    if not found_new:
        return paragraphs
    merged = list(inserts.get(-1, []))
    for index, paragraph in enumerate(paragraphs):
        merged.append(paragraph)
        merged.extend(inserts.get(index, []))
    return merged


def _reconcile_with_json_ld(
    paragraphs: list[str], json_ld_body: str | None
) -> tuple[list[str], bool]:
    """Use the publisher's articleBody to replace or trim the extraction; (paragraphs, used)."""
    if not json_ld_body:
        return paragraphs, False
    ld_paragraphs = _json_ld_paragraphs(json_ld_body)
    ld_tokens = _tokens(" ".join(ld_paragraphs))
    if len(ld_tokens) < MIN_JSON_LD_TOKENS:
        return paragraphs, False
    ld_bag = Counter(ld_tokens)
    extracted = _tokens(" ".join(paragraphs))
    covered = sum((Counter(extracted) & ld_bag).values()) / len(ld_tokens)
    truncated = ld_paragraphs[-1].endswith(("...", "…", "[…]", "[...]"))
    if truncated:
        return paragraphs, False
    if covered < 0.6 and len(ld_tokens) > 0.8 * len(extracted):
        return ld_paragraphs, True
    if covered >= 0.9 and len(ld_tokens) >= 0.7 * len(extracted):
        # The articleBody is all there: trim edge paragraphs that it does not contain.
        start, end = 0, len(paragraphs)
        while start < end and _overlap(_tokens(paragraphs[start]), ld_bag) < 0.5:
            start += 1
        while end > start and _overlap(_tokens(paragraphs[end - 1]), ld_bag) < 0.5:
            end -= 1
        return paragraphs[start:end], False
    return paragraphs, False


def _link_density(tree: HtmlElement) -> tuple[float, int]:
    """Share of the visible body text inside links, and the number of links."""
    body = tree.find("body")
    if body is None:
        return 0.0, 0
    total = len(_WS_RE.sub("", body.text_content()))
    anchors = list(body.iter("a"))
    linked = sum(len(_WS_RE.sub("", a.text_content())) for a in anchors)
    return (linked / total if total else 0.0), len(anchors)


def _looks_like_index(tree: HtmlElement, meta: PageMetadata, paragraphs: list[str]) -> bool:
    """Listing/home page: link-heavy, many links, short blocks."""
    density, links = _link_density(tree)
    body_chars = sum(len(p) for p in paragraphs)
    mean_len = body_chars / len(paragraphs) if paragraphs else 0.0
    return links >= 30 and density >= 0.45 and (body_chars < 1500 or mean_len < 80)


def _visible_text(tree: HtmlElement, limit: int = 200_000) -> str:
    """Whitespace-collapsed text of the page body without scripts and styles (capped)."""
    body = tree.find("body")
    root = body if body is not None else tree
    texts = root.xpath(
        ".//text()[not(ancestor::script or ancestor::style or ancestor::noscript"
        " or ancestor::template)]"
    )
    parts: list[str] = []
    size = 0
    for text in texts:
        parts.append(str(text))
        size += len(text)
        if size > limit:
            break
    return _WS_RE.sub(" ", " ".join(parts))


def _html_parser() -> etree.HTMLParser:
    """trafilatura's parser settings, with every element an ``HtmlElement`` chosen in C.

    ``lxml.html``'s own parsers pick each element's class in a Python callback (special classes
    for form fields, which nothing here uses): thousands of calls per page, a noticeable part
    of its cleaning. ``ElementDefaultClassLookup`` gives the same ``HtmlElement`` methods
    (``text_content``, ``drop_tree``) without leaving C.
    """
    parser = etree.HTMLParser(
        collect_ids=False,
        default_doctype=False,
        encoding="utf-8",
        remove_comments=True,
        remove_pis=True,
    )
    parser.set_element_class_lookup(
        etree.ElementDefaultClassLookup(
            element=HtmlElement,
            comment=HtmlComment,
            pi=HtmlProcessingInstruction,
            entity=HtmlEntity,
        )
    )
    return parser


_HTML_PARSER = _html_parser()


def _load_tree(text: str) -> HtmlElement | None:
    """Parse like ``trafilatura.load_html`` but without its whole-page regex pass.

    Control characters that libxml2 rejects are looked for with a byte-level scan (much
    cheaper than trafilatura's regex over the string) and removed only when present; the page
    is parsed from UTF-8 bytes. Anything unusual falls back to ``trafilatura.load_html``.
    """
    import trafilatura

    beginning = text[:50].lower()
    if "doctype" in beginning:
        first_line, _, rest = text.partition("\n")
        text = _DOCTYPE_RE.sub("", first_line, count=1) + "\n" + rest
    if any("<html" in line and line.endswith("/>") for line in text[:4096].splitlines()[:4]):
        return trafilatura.load_html(text)  # self-closing <html/>: let trafilatura repair it
    try:
        data = text.encode("utf-8", "surrogatepass")
        if len(data.translate(None, _XML_CONTROL_BYTES)) != len(data) or any(
            ch in data for ch in _XML_NONCHARACTERS
        ):
            data = _INVALID_XML_RE.sub("", text).encode("utf-8", "surrogatepass")
        tree = fromstring(data, parser=_HTML_PARSER)
    except (etree.LxmlError, ValueError):  # lxml refuses it: let trafilatura repair it
        return trafilatura.load_html(text)
    if tree is None or len(tree) < 1:
        return trafilatura.load_html(text)
    if "html" not in beginning and len(tree) < 2:
        return None
    return tree


def _prepare_text(
    html: str | bytes, content_type: str | None
) -> tuple[str, tuple[Fault, ...]] | Skipped:
    faults: tuple[Fault, ...] = ()
    if content_type and content_type.strip().lower().startswith(_NOT_HTML_CONTENT_TYPES):
        return Skipped(SkipReason.NOT_HTML)
    if isinstance(html, bytes):
        if not html.strip():
            return Skipped(SkipReason.EMPTY)
        if not looks_like_html(html):
            return Skipped(SkipReason.NOT_HTML)
        try:
            text = decode_html(html, content_type)
        except Exception:  # boundary: a decoder's bug must not lose the page; counted
            log.exception("cannot decode a %d-byte page; UTF-8 with replacements", len(html))
            text, faults = html.decode("utf-8", errors="replace"), (Fault.DECODE,)
    else:
        text = html
        if not text.strip():
            return Skipped(SkipReason.EMPTY)
        head = text[:4096]
        if "\x00" in head or head.startswith(("\x89PNG", "%PDF-", "GIF8", "\ufffdPNG")):
            return Skipped(SkipReason.NOT_HTML)
        if "<" not in head:
            return Skipped(SkipReason.NOT_HTML)
    return text[:MAX_HTML_CHARS], faults


def _drop_leading_title(paragraphs: list[str], title: str) -> list[str]:
    """Drop the headline repeated at the top of the body, with short lines above it (a date,
    a kicker) that only make sense as part of the page header."""
    if not title:
        return paragraphs
    for index, paragraph in enumerate(paragraphs[:_TITLE_SEARCH_BLOCKS]):
        if _same_text(paragraph, title):
            return paragraphs[index + 1 :]
        if len(paragraph) > _HEADER_LINE_MAX_CHARS:
            break
    return paragraphs


_TITLE_SEARCH_BLOCKS = 3
_HEADER_LINE_MAX_CHARS = 80


def _wall(tree: HtmlElement, meta: PageMetadata) -> Access:
    """A consent dialog or a paywall prompt on a page whose article text is short."""
    page_text = _visible_text(tree)
    if has_consent_marker(page_text) and _CONSENT_CONTEXT_RE.search(page_text):
        return Access.CONSENT_WALL
    if meta.accessible_for_free is False or has_paywall_marker(page_text):
        return Access.PAYWALLED
    return Access.OPEN


_WALL_PROMPT_MAX_CHARS = 300
_CONSENT_CONTEXT_RE = re.compile(r"cookie|consent|privacy|privacidad|конфиденциальн", re.I)
# Dates that mark a page as an article (a guess from htmldate does not: listings have dates).
_ARTICLE_DATE_METHODS = frozenset({DateMethod.JSON_LD, DateMethod.META, DateMethod.NEWS_SITEMAP})


def _declares_article(meta: PageMetadata, listed_date: DateFinding | None) -> bool:
    """JSON-LD article, ``og:type=article``, or a declared publication date."""
    if meta.declares_article or meta.json_ld_body:
        return True
    if listed_date is not None and listed_date.method in _ARTICLE_DATE_METHODS:
        return True
    return any(
        f.kind == "published" and f.method in _ARTICLE_DATE_METHODS for f in meta.date_findings
    )


def _teaser(paragraphs: list[str], meta: PageMetadata) -> list[str]:
    """What a walled page shows: its visible paragraphs, else the declared description.

    The wall's own prompts ("Subscribe to continue reading", "Before you continue") go.
    """
    paragraphs = [
        p
        for p in paragraphs
        if len(p) > _WALL_PROMPT_MAX_CHARS or not (has_paywall_marker(p) or has_consent_marker(p))
    ]
    if paragraphs:
        return paragraphs
    description = normalize_paragraph(meta.description or "")
    return [description] if description else []


def _extract(
    html: str | bytes | ParsedPage,
    url: str | None,
    content_type: str | None,
    min_body_chars: int,
    templates: TemplateSet | None,
    listed_date: DateFinding | None,
) -> ExtractedArticle | Skipped:
    parsed = html if isinstance(html, ParsedPage) else parse_page(html, content_type)
    if isinstance(parsed, Skipped):
        return parsed
    tree = parsed.take()
    if tree is None or not isinstance(tree, HtmlElement):
        return Skipped(SkipReason.NO_ARTICLE)
    body_el = tree.find("body")
    if body_el is None or not any(text.strip() for text in body_el.itertext()):
        return Skipped(SkipReason.EMPTY)

    meta = extract_page_metadata(tree, url)
    # Metadata is read; what remains of scripts and media only slows trafilatura down.
    etree.strip_elements(tree, *_STRIP_TAGS, with_tail=False)
    _drop_hover_cards(tree)
    paragraphs = _trafilatura_body(tree, url, fast=True)
    if sum(len(p) for p in paragraphs) < FALLBACK_BELOW_CHARS:
        slow = _trafilatura_body(tree, url, fast=False)
        if sum(len(p) for p in slow) > sum(len(p) for p in paragraphs):
            paragraphs = slow
    paragraphs = _sibling_chunks(tree, paragraphs)
    paragraphs = _leaf_text_blocks(tree, paragraphs)
    blocks = candidate_blocks(paragraphs)
    removed = 0
    if templates:
        kept = templates.strip(paragraphs)
        removed = len(paragraphs) - len(kept)
        paragraphs = kept
    paragraphs = filter_boilerplate(paragraphs)
    paragraphs, used_ld = _reconcile_with_json_ld(paragraphs, meta.json_ld_body)
    if used_ld:
        paragraphs = filter_boilerplate(paragraphs)
        if templates:
            paragraphs = templates.strip(paragraphs)

    title = normalize_paragraph(meta.title or "")
    paragraphs = _drop_leading_title(paragraphs, title)
    body_chars = sum(len(p) for p in paragraphs)

    access = Access.OPEN
    if body_chars < max(min_body_chars, 1500):
        access = _wall(tree, meta)
    if access is Access.CONSENT_WALL and not meta.declares_article:
        # Only a consent dialog: no headline or teaser of an article behind it to keep.
        return Skipped(SkipReason.CONSENT_WALL)
    if access is not Access.OPEN:
        paragraphs = _teaser(paragraphs, meta)
        if not title and not paragraphs:
            return Skipped(SkipReason.NO_ARTICLE)
    else:
        if not _declares_article(meta, listed_date) and _looks_like_index(tree, meta, paragraphs):
            return Skipped(SkipReason.INDEX_PAGE)
        if not paragraphs:
            return Skipped(SkipReason.NO_ARTICLE)
        if body_chars < min_body_chars:
            return Skipped(SkipReason.TOO_SHORT)

    body = "\n\n".join(paragraphs)
    dates = meta.dates(listed_date)
    return ExtractedArticle(
        title=title,
        body=body,
        author=strip_control_optional(meta.author),
        published_at=dates.published_at,
        site_name=strip_control_optional(meta.site_name),
        language=meta.language or guess_language(body),
        canonical_url=meta.canonical_url,
        description=strip_control_optional(meta.description),
        json_ld_body_used=used_ld,
        access=access,
        published_method=dates.published_method,
        modified_at=dates.modified_at,
        date_conflict=dates.conflict,
        block_fingerprints=tuple(blocks),
        block_texts=tuple(text[:160] for text in blocks.values()),
        template_blocks_removed=removed,
        templates_applied=templates.fingerprints if templates else frozenset(),
        faults=parsed.faults + meta.faults,
    )


def clean_page(
    html: str | bytes | ParsedPage,
    url: str | None = None,
    *,
    content_type: str | None = None,
    min_body_chars: int = 400,
    templates: TemplateSet | None = None,
    listed_date: DateFinding | None = None,
) -> ExtractedArticle | Skipped:
    """Extract the article of one page, or say why it was skipped.

    ``html`` may be raw response bytes (decoded with ``content_type``'s charset, see
    :func:`decode_html`), text, or a :class:`ParsedPage` the caller parsed (and read) already.
    ``templates``: the site's learned template blocks, removed before the boilerplate rules.
    ``listed_date``: the feed's or sitemap's date for the page (see :mod:`.dates`). A
    paywalled or consent-walled page is kept with its headline and teaser and ``access`` set.
    Bad input is a :class:`Skipped`; an unexpected failure inside the parser or trafilatura
    raises, so the caller (``analyze_page``) logs and counts it.
    """
    return _extract(html, url, content_type, min_body_chars, templates, listed_date)
