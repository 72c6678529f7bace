"""The raw-text query pre-check is sound: it never rejects a page the full path would match.

Two properties compose to soundness: (1) the relaxed query holds on any text the full query
matches; (2) every word the cleaner outputs is a substring of the page's normalised raw text.
Both are checked with hypothesis, and the composition on every page of the test corpora.
"""

from __future__ import annotations

import html
import json
import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from monitor.demo.articles import ARTICLES
from monitor.demo.site import NewsWeb
from monitor.extract import ExtractedArticle, clean_page
from monitor.pipelines.precheck import PrecheckGate, page_may_match, raw_page_text
from monitor.processing import FetchedPage, analyze_page
from monitor.query import DEFAULT_QUERY, compile_query
from monitor.query.normalize import WORD_RE, normalize
from monitor.query.precheck import PreCheck
from tests.pages import page_html

REPO = Path(__file__).resolve().parents[2]
WORDS = [
    "cuba", "Кубы", "Moscú", "moscu", "russia", "Russian", "росси", "Россия", "havana",
    "Díaz-Canel", "castro", "fidel", "mark", "cuban", "idaho", "moscow", "tanker", "oil",
    "the", "a", "ÉNERGIE", "Straße", "ﬁnance", "йод", "ёлка",
]  # fmt: skip
QUERY_WORDS = ["cuba", "кубы", "moscu", "russia*", "росси*", "havana", "castro", "fidel", "oil"]


# --- (1) the relaxation -------------------------------------------------------------------------


def _query() -> st.SearchStrategy[str]:
    leaf = st.one_of(
        st.sampled_from(QUERY_WORDS),
        st.lists(st.sampled_from(QUERY_WORDS), min_size=2, max_size=3).map(
            lambda ws: '"' + " ".join(ws) + '"'
        ),
    )

    def extend(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        return st.one_of(
            st.tuples(children, children).map(lambda p: f"({p[0]} {p[1]})"),
            st.tuples(children, children).map(lambda p: f"({p[0]} OR {p[1]})"),
            st.tuples(children, children).map(lambda p: f"({p[0]} -{p[1]})"),
            st.tuples(st.sampled_from(QUERY_WORDS), st.sampled_from(QUERY_WORDS), st.integers(0, 3))
            .map(lambda p: f"({p[0].rstrip('*')} NEAR/{p[2]} {p[1].rstrip('*')})"),
            children.map(lambda c: f"title:{c}" if not c.startswith("(") else c),
        )  # fmt: skip

    return st.recursive(leaf, extend, max_leaves=6)


_text = st.lists(st.sampled_from([*WORDS, ",", ".", " - "]), max_size=25).map(" ".join)


@settings(max_examples=400, deadline=None)
@given(query=_query(), title=_text, body=_text)
def test_relaxed_query_holds_wherever_the_query_matches(query: str, title: str, body: str) -> None:
    if compile_query(query).match(title, body).matched:
        assert PreCheck.compile(query).may_match(title + "\n" + body), (query, title, body)


@settings(max_examples=300, deadline=None)
@given(query=_query(), text=st.lists(st.sampled_from([*WORDS, "<b>", "&amp;"]), max_size=40))
def test_one_pass_finds_exactly_the_query_words_a_substring_search_finds(
    query: str, text: list[str]
) -> None:
    """The automaton's one pass reports every query word occurring in the normalised text,
    overlapping ones included (``cuba`` inside ``cubanos``), and nothing else."""
    check = PreCheck.compile(query)
    raw = "".join(text)  # joined with nothing: words run into each other
    normalised = normalize(raw)
    assert check.found(raw) == {word for word in check.words if word in normalised}


def test_words_under_not_are_not_looked_for() -> None:
    check = PreCheck.compile('cuba -"mark cuban" OR (havana NEAR/3 oil)')
    assert set(check.words) == {"cuba", "havana", "oil"}
    assert PreCheck.compile("-cuba").words == ()  # nothing to look for: never rejects
    assert PreCheck.compile("-cuba").may_match("anything")


def test_relaxed_query_rejects_text_without_its_words() -> None:
    check = PreCheck.compile(DEFAULT_QUERY)
    assert not check.may_match("The council approved a budget for parks and libraries.")
    assert not check.may_match("Russia and China sign a trade deal")  # no Cuba side
    assert check.may_match("Делегация Кубы прибыла в Москву")  # inflected forms
    assert check.may_match("Delegación de Cuba llega a MOSCÚ")  # accents and case


# --- (2) raw text covers the cleaner's output -------------------------------------------------

_INLINE = ["b", "i", "span", "em", "a"]


@st.composite
def _pages(draw: st.DrawFn) -> bytes:
    """An article page whose words are split by inline tags, entities and invisible marks."""
    rng = random.Random(draw(st.integers(0, 10**6)))

    def dress(word: str) -> str:
        roll = rng.random()
        if roll < 0.2 and len(word) > 2:  # a word split by an inline tag
            cut = rng.randrange(1, len(word))
            tag = rng.choice(_INLINE)
            return f"{html.escape(word[:cut])}<{tag}>{html.escape(word[cut:])}</{tag}>"
        if roll < 0.3:  # numeric character references
            return "".join(f"&#{ord(c)};" if rng.random() < 0.5 else c for c in word)
        if roll < 0.35 and len(word) > 2:
            return word[:1] + "\u00ad" + word[1:]  # a soft hyphen the cleaner drops
        return html.escape(word)

    paragraphs = [
        " ".join(dress(w) for w in draw(st.lists(st.sampled_from(WORDS), min_size=8, max_size=30)))
        for _ in range(draw(st.integers(2, 6)))
    ]
    title = " ".join(draw(st.lists(st.sampled_from(WORDS), min_size=1, max_size=6)))
    ld = {"@type": "NewsArticle", "headline": title, "articleBody": "<p>" + title + "</p>"}
    head = (
        f"<title>{html.escape(title)} | Site</title>"
        f"<meta property='og:title' content='{html.escape(title, quote=True)}'>"
        f"<script type='application/ld+json'>{json.dumps(ld)}</script>"
    )
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return f"<!doctype html><html><head>{head}</head><body><article><h1>{html.escape(title)}</h1>{body}</article></body></html>".encode()  # noqa: E501


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(page=_pages())
def test_raw_text_contains_every_word_the_cleaner_outputs(page: bytes) -> None:
    article = clean_page(page, "https://news.example/a", min_body_chars=1)
    raw = raw_page_text(page, "text/html")
    assert raw is not None
    raw_normalised = normalize(raw)
    if isinstance(article, ExtractedArticle):
        for word in WORD_RE.findall(normalize(article.title + "\n" + article.body)):
            assert word in raw_normalised, word


# --- the composition on the corpora --------------------------------------------------------------


def _split_words(text: str, rng: random.Random) -> str:
    """HTML for ``text`` with some words split by inline tags (what CMS editors produce)."""
    out = []
    for word in text.split(" "):
        if len(word) > 3 and rng.random() < 0.15:
            cut = rng.randrange(1, len(word))
            out.append(f"{html.escape(word[:cut])}<em>{html.escape(word[cut:])}</em>")
        else:
            out.append(html.escape(word))
    return " ".join(out)


def _corpus_pages() -> list[tuple[str, bytes]]:
    pages: list[tuple[str, bytes]] = []
    with NewsWeb() as web:  # every demo article in its site's template, as served
        for article in ARTICLES:
            host = web.hosts[article.host]
            url = host.url(web.article_path(article))
            pages.append((url, web._render(host, article, url).encode()))
    for path in sorted((REPO / "seeds").glob("*.txt")):
        title, _, rest = path.read_text(encoding="utf-8").partition("\n\n")
        pages.append((f"https://seeds.example/{path.stem}", page_html(title, rest.split("\n\n"))))
    rng = random.Random(7)
    for path in sorted((REPO / "monitor/relevance/corpus").glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            item = json.loads(line)
            paragraphs = [_split_words(p, rng) for p in item["text"].split("\n\n") if p.strip()]
            body = "".join(f"<p>{p}</p>" for p in paragraphs)
            page = (
                f"<!doctype html><html><head><meta charset='utf-8'><title>"
                f"{html.escape(item['title'])}</title></head><body><article><h1>"
                f"{html.escape(item['title'])}</h1>{body}</article></body></html>"
            )
            pages.append((f"https://corpus.example/{item['id']}", page.encode()))
    return pages


@pytest.mark.parametrize(
    ("query", "min_matched", "min_rejected"),
    [(DEFAULT_QUERY, 500, 1), ('"fidel castro" OR (havana NEAR/3 oil)', 10, 100)],
)
def test_precheck_never_rejects_a_corpus_page_the_full_path_matches(
    query: str, min_matched: int, min_rejected: int
) -> None:
    check = PreCheck.compile(query)
    pages = _corpus_pages()
    assert len(pages) > 500
    rejected = matched = 0
    for url, body in pages:
        may = page_may_match(check, body, "text/html; charset=utf-8")
        full = analyze_page(FetchedPage(url, body, "corpus"), query, relevance=None)
        if full.query_matched:
            matched += 1
            assert may, f"pre-check rejected a matching page: {url}"
        rejected += not may
    # Not trivially sound: the corpora hold matching pages and pages it rejects (nearly every
    # corpus page is on the topic; the narrow query rejects far more of them).
    assert matched >= min_matched
    assert rejected >= min_rejected


def test_a_wall_in_place_of_the_article_goes_the_full_path() -> None:
    """A consent or paywall page is left to the cleaner, which counts it as skipped (the share
    of skipped pages tells operators a source blocks us), not rejected as not matching."""
    check = PreCheck.compile(DEFAULT_QUERY)
    wall = page_html("Before you continue", ["We value your privacy. Accept all cookies."])
    plain = page_html("Park budget", ["The council approved a budget for parks."])
    assert page_may_match(check, wall, "text/html")
    assert not page_may_match(check, plain, "text/html")
    full = analyze_page(
        FetchedPage("https://w.example/a", wall, "s"), DEFAULT_QUERY, relevance=None
    )
    assert full.skip_reason is not None


def test_the_deletion_guard_sees_every_character_the_cleaner_deletes() -> None:
    """``raw_page_text`` skips the deleting regex when its guard finds nothing to delete: the
    guard must see every character a deletion can start with."""
    from monitor.pipelines.precheck import _DELETABLE_RE, _DELETED_RE

    missed = [
        hex(cp)
        for cp in range(0x10000)
        if not 0xD800 <= cp <= 0xDFFF
        and _DELETED_RE.match(chr(cp) + "x")
        and not _DELETABLE_RE.search(chr(cp))
    ]
    assert not missed


def test_the_gate_checks_every_page_until_a_source_proves_it_rarely_rejects() -> None:
    gate = PrecheckGate(window=4, min_rejected_share=0.25, sample_every=3)
    for _ in range(4):
        assert gate.should_check("wire")
        gate.record("wire", rejected=False)
    # four passes in a row: only every third page is pre-checked now, per source
    assert [gate.should_check("wire") for _ in range(6)] == [False, False, True] * 2
    assert gate.should_check("other")


def test_the_gate_checks_every_page_again_once_rejections_come_back() -> None:
    gate = PrecheckGate(window=4, min_rejected_share=0.25, sample_every=2)
    for _ in range(4):
        gate.record("wire", rejected=False)
    assert not gate.should_check("wire")
    assert gate.should_check("wire")  # the sample
    gate.record("wire", rejected=True)  # one in four rejected: worth checking everything
    assert all(gate.should_check("wire") for _ in range(5))
    for _ in range(4):
        gate.record("wire", rejected=False)  # the rejection left the window
    assert not gate.should_check("wire")
