"""canonicalize_url, resolve_search_redirect, same_site."""

from __future__ import annotations

import base64
import string
from urllib.parse import quote, urlencode

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.dedup import canonicalize_url, registered_domain, resolve_search_redirect, same_site

ARTICLE = "https://havana.example/2026/11/russia-cuba-oil"


@pytest.mark.parametrize(
    "variant",
    [
        "https://havana.example/2026/11/russia-cuba-oil",
        "https://havana.example/2026/11/russia-cuba-oil?utm_source=rss&utm_medium=feed",
        "https://havana.example/2026/11/russia-cuba-oil?UTM_Campaign=x",
        "https://havana.example/2026/11/russia-cuba-oil?fbclid=IwAR0abc",
        "https://havana.example/2026/11/russia-cuba-oil?gclid=Cj0KCQ",
        "https://havana.example/2026/11/russia-cuba-oil?dclid=1&msclkid=2&yclid=3",
        "https://havana.example/2026/11/russia-cuba-oil?mc_cid=1&mc_eid=2&_ga=2.1",
        "https://havana.example/2026/11/russia-cuba-oil?igshid=x&ref_src=twsrc&cmpid=y",
        "https://havana.example/2026/11/russia-cuba-oil?ocid=x&smid=y&at_medium=z&at_campaign=w",
        "https://havana.example/2026/11/russia-cuba-oil?CMP=share_btn_tw",
        "https://havana.example/2026/11/russia-cuba-oil#comments",
        "https://havana.example/2026/11/russia-cuba-oil#:~:text=oil",
        "HTTPS://HAVANA.Example/2026/11/russia-cuba-oil",
        "https://havana.example./2026/11/russia-cuba-oil",
        "https://havana.example:443/2026/11/russia-cuba-oil",
        "http://havana.example:80/2026/11/russia-cuba-oil",
        "https://havana.example/2026/11/russia-cuba-oil/",
        "http://havana.example/2026/11/russia-cuba-oil",
        "https://www.havana.example/2026/11/russia-cuba-oil",
        "http://WWW.havana.example/2026/11/russia-cuba-oil/?utm_source=x#top",
        "https://user:secret@havana.example/2026/11/russia-cuba-oil",
        "https://havana.example/2026/./11/../11/russia-cuba-oil",
        "https://havana.example//2026//11/russia-cuba-oil",
        "https://havana.example/2026/11/russia-cuba-oil;jsessionid=0A1B2C",
        "https://havana.example/%32%30%32%36/11/russia%2Dcuba%2Doil",
        # AMP forms
        "https://havana.example/2026/11/russia-cuba-oil/amp",
        "https://havana.example/2026/11/russia-cuba-oil/amp/",
        "https://havana.example/amp/2026/11/russia-cuba-oil",
        "https://havana.example/2026/11/russia-cuba-oil?amp=1",
        "https://havana.example/2026/11/russia-cuba-oil?amp",
        "https://havana.example/2026/11/russia-cuba-oil?outputType=amp",
        "https://havana.example/2026/11/russia-cuba-oil.amp",
        "https://amp.havana.example/2026/11/russia-cuba-oil",
        "https://havana-example.cdn.ampproject.org/c/s/havana.example/2026/11/russia-cuba-oil/amp",
        "https://www.google.com/amp/s/www.havana.example/2026/11/russia-cuba-oil",
    ],
)
def test_url_variants_collapse_to_one(variant: str) -> None:
    assert canonicalize_url(variant) == ARTICLE


def test_amp_html_suffix_maps_to_html() -> None:
    assert canonicalize_url("https://x.example/news/story-1.amp.html") == (
        "https://x.example/news/story-1.html"
    )
    assert canonicalize_url("https://x.example/news/story-1.amp.amp") == (
        "https://x.example/news/story-1"
    )


def test_query_parameter_order_does_not_matter() -> None:
    a = canonicalize_url("https://x.example/article?id=7&section=world&utm_source=x")
    b = canonicalize_url("https://x.example/article?section=world&id=7")
    assert a == b == "https://x.example/article?id=7&section=world"


def test_percent_encoding_and_idna_are_normalised() -> None:
    assert canonicalize_url("https://BÜCHER.de/ä%20ö") == "https://xn--bcher-kva.de/%C3%A4%20%C3%B6"
    assert (
        canonicalize_url("https://x.example/%7euser/%e2%82%ac")
        == "https://x.example/~user/%E2%82%AC"
    )


def test_root_and_empty_path() -> None:
    assert canonicalize_url("http://x.example") == "https://x.example/"
    assert canonicalize_url("http://x.example/?utm_source=a") == "https://x.example/"
    assert canonicalize_url("https://x.example/amp") == "https://x.example/"


def test_other_ports_and_hosts_are_kept() -> None:
    assert canonicalize_url("http://x.example:8080/a/") == "https://x.example:8080/a"
    assert canonicalize_url("http://www.com/a") == "https://www.com/a"  # www is the domain
    assert canonicalize_url("http://amp.co.uk/a") == "https://amp.co.uk/a"
    assert canonicalize_url("http://[::1]:80/a") == "https://[::1]/a"
    assert canonicalize_url("https://news.bbc.co.uk/a") == "https://news.bbc.co.uk/a"


def test_path_case_is_kept() -> None:
    assert canonicalize_url("https://x.example/Story/ABC") == "https://x.example/Story/ABC"


def test_relative_urls_resolve_against_base() -> None:
    base = "http://www.x.example/news/world/index.html"
    assert canonicalize_url("../2026/a-story/", base=base) == "https://x.example/news/2026/a-story"
    assert canonicalize_url("//x.example/b", base=base) == "https://x.example/b"


@pytest.mark.parametrize(
    "bad",
    [
        "ftp://x.example/a",
        "mailto:news@x.example",
        "javascript:alert(1)",
        "x.example/a",
        "",
        "http://",
        "https:///path",
        "http://x.example:99999/",
        "http://[::1/",
        "http://exa mple.com/",
    ],
)
def test_non_http_or_unparsable_urls_raise(bad: str) -> None:
    with pytest.raises(ValueError):
        canonicalize_url(bad)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("https://x.example/news/russia-cuba", "https://x.example/news/cuba-russia"),
        ("https://x.example/news/1", "https://x.example/news/2"),
        ("https://x.example/article?id=1", "https://x.example/article?id=2"),
        ("https://x.example/?p=123", "https://x.example/?p=124"),
        ("https://x.example/?p=123", "https://x.example/"),
        ("https://x.example/a/b", "https://x.example/a-b"),
        ("https://x.example/news?id=1&page=2", "https://x.example/news?id=1"),
        ("https://x.example/a?q=a+b", "https://x.example/a?q=a%2Bb"),
        ("https://x.example/a%2Fb", "https://x.example/a/b"),
        ("https://x.example/Story", "https://x.example/story"),
        ("https://x.example:8080/a", "https://x.example/a"),
        ("https://x.example/a", "https://y.example/a"),
        ("https://news.x.example/a", "https://x.example/a"),
    ],
)
def test_different_articles_never_merge(a: str, b: str) -> None:
    assert canonicalize_url(a) != canonicalize_url(b)


# ---- properties -----------------------------------------------------------------------------

SEGMENT_CHARS = string.ascii_letters + string.digits + "-_.~!$'()*,;:@éñжß %/?#&=+"
segments = st.text(SEGMENT_CHARS, min_size=1, max_size=12).filter(
    # the documented AMP rules: an ``amp`` segment and ``.amp`` / ``.amp.html`` suffixes
    lambda s: (
        s.strip(".") != ""
        and s.lower() != "amp"
        and not s.lower().endswith((".amp", ".amp.html", ".amp.htm"))
        and ";jsessionid=" not in s.lower()
    )
)
# ``/a`` and ``/a/`` are one article by design, so paths are compared as segment tuples.
article_paths = st.lists(segments, min_size=1, max_size=4).map(tuple)
article_ids = st.one_of(
    st.none(), st.integers(0, 10**9).map(str), st.text(SEGMENT_CHARS, max_size=8)
)


def _url(path: tuple[str, ...], article_id: str | None) -> str:
    url = "https://news.example.com/" + "/".join(quote(s, safe="") for s in path)
    return url + ("?" + urlencode({"id": article_id}) if article_id is not None else "")


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(article_paths, article_ids), min_size=2, max_size=6, unique=True))
def test_distinct_articles_of_one_site_stay_distinct(articles: list) -> None:
    canonical = {canonicalize_url(_url(path, article_id)) for path, article_id in articles}
    assert len(canonical) == len(articles)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(1, 10**7), min_size=2, max_size=8, unique=True))
def test_wordpress_ids_stay_distinct(ids: list[int]) -> None:
    canonical = {canonicalize_url(f"http://www.blog.example/?p={n}&utm_source=x") for n in ids}
    assert len(canonical) == len(ids)


any_urls = st.builds(
    lambda scheme, prefix, host, port, path, query, fragment: (
        f"{scheme}://{prefix}{host}{port}/{path}{query}{fragment}"
    ),
    st.sampled_from(["http", "https", "HTTP", "hTTps"]),
    st.sampled_from(["", "www.", "WWW.", "amp.", "www.amp."]),
    st.sampled_from(
        [
            *("x.example", "News.BBC.co.uk", "bücher.de", "127.0.0.1", "[::1]", "www.com"),
            *("x-example.cdn.ampproject.org", "google.com"),
        ]
    ),
    st.sampled_from(["", ":80", ":443", ":8080"]),
    st.lists(
        st.sampled_from(
            [
                *("a", "É", "/", ".", "..", "amp", "AMP", ".amp", ".html", "%2E", "%", "%7e"),
                *("//", ";jsessionid=1", "?", "#", "amp=1&", "utm_x=&", "s/", "c/", "x.example"),
            ]
        ),
        max_size=12,
    ).map("".join),
    st.one_of(
        st.just(""),
        st.lists(
            st.tuples(
                st.sampled_from(
                    ["id", "p", "utm_source", "fbclid", "amp", "outputType", "Q", "a b"]
                ),
                st.text(SEGMENT_CHARS, max_size=6),
            ),
            max_size=4,
        ).map(lambda pairs: "?" + "&".join(f"{k}={v}" for k, v in pairs)),
    ),
    st.sampled_from(["", "#frag", "#!/x"]),
)


@settings(max_examples=500, deadline=None)
@given(any_urls)
def test_canonicalize_url_is_idempotent(url: str) -> None:
    try:
        once = canonicalize_url(url)
    except ValueError:
        return
    assert canonicalize_url(once) == once


@settings(max_examples=200, deadline=None)
@given(article_paths, article_ids)
def test_idempotent_on_article_urls(path: tuple[str, ...], article_id: str | None) -> None:
    once = canonicalize_url(_url(path, article_id))
    assert canonicalize_url(once) == once


# ---- search redirects -----------------------------------------------------------------------


def _google_news_id(url: str, *, tail: bytes = b"\xd2\x01\x00") -> str:
    raw = url.encode()
    payload = b"\x08\x13\x22" + bytes([len(raw)]) + raw + tail
    return base64.urlsafe_b64encode(payload).decode().rstrip("=")


def test_old_google_news_ids_decode() -> None:
    target = "https://www.havanatimes.org/news/russia-cuba-oil/"
    token = _google_news_id(target)
    assert token.startswith("CBMi")
    for form in (
        f"https://news.google.com/rss/articles/{token}?oc=5",
        f"https://news.google.com/articles/{token}",
        f"https://news.google.com/__i/rss/rd/articles/{token}?oc=5&hl=en-US",
    ):
        assert resolve_search_redirect(form) == target


def test_long_google_news_ids_use_a_multibyte_length() -> None:
    target = "https://x.example/" + "long-slug-" * 20
    raw = target.encode()
    payload = b"\x08\x13\x22" + bytes([len(raw) & 0x7F | 0x80, len(raw) >> 7]) + raw
    token = base64.urlsafe_b64encode(payload).decode().rstrip("=")
    assert resolve_search_redirect(f"https://news.google.com/rss/articles/{token}") == target


def test_new_google_news_ids_cannot_be_decoded_offline() -> None:
    token = _google_news_id("AU_yqLMpbYzXGcZ0bVCdvUvW4Lv0oX9nW1e2", tail=b"")
    assert resolve_search_redirect(f"https://news.google.com/rss/articles/{token}?oc=5") is None
    assert resolve_search_redirect("https://news.google.com/rss/articles/not-base64!") is None


def test_bing_news_and_google_redirects() -> None:
    target = "https://x.example/a?b=1&c=2"
    bing = (
        "https://www.bing.com/news/apiclick.aspx?ref=FexRss&aid=&tid=abc&url="
        + quote(target, safe="")
        + "&c=123&mkt=en-us"
    )
    assert resolve_search_redirect(bing) == target
    google = f"https://www.google.com/url?rct=j&sa=t&url={quote(target, safe='')}&ct=ga"
    assert resolve_search_redirect(google) == target
    assert resolve_search_redirect("https://www.google.co.uk/url?q=https://x.example/y") == (
        "https://x.example/y"
    )
    ck = base64.urlsafe_b64encode(target.encode()).decode().rstrip("=")
    assert resolve_search_redirect(f"https://www.bing.com/ck/a?!&&p=1&u=a1{ck}&ntb=1") == target


def test_nested_redirects_unwrap() -> None:
    inner = "https://www.bing.com/news/apiclick.aspx?url=" + quote("https://x.example/n", safe="")
    outer = "https://www.google.com/url?q=" + quote(inner, safe="")
    assert resolve_search_redirect(outer) == "https://x.example/n"


@pytest.mark.parametrize(
    "url",
    [
        "https://x.example/a?url=https://y.example/",  # not a known redirector
        "https://www.google.com/search?q=russia+cuba",
        "https://www.google.com/url?q=javascript:alert(1)",
        "https://www.bing.com/news/search?q=cuba",
        "https://api.gdeltproject.org/article?url=https://x.example/",
        "not a url",
    ],
)
def test_non_redirects_give_none(url: str) -> None:
    assert resolve_search_redirect(url) is None


# ---- same site ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("https://news.bbc.co.uk/a", "https://www.bbc.co.uk/b", True),
        ("https://www.x.example/a", "http://x.example/b", True),
        ("https://site.example/a", "https://reprint.example/a", False),
        ("https://a.blogspot.com/x", "https://b.blogspot.com/x", False),
        ("https://bbc.co.uk/a", "https://bbc.com/a", False),
        ("https://127.0.0.1/a", "https://127.0.0.1:8080/b", True),
        ("https://x.example/a", "not a url", False),
        ("https://x.example/a", "http://[::1/", False),
    ],
)
def test_same_site(a: str, b: str, expected: bool) -> None:
    assert same_site(a, b) is expected


def test_registered_domain_is_offline() -> None:
    assert registered_domain("Foo.Bar.GOV.uk") == "bar.gov.uk"
    assert registered_domain("localhost") == "localhost"
    assert registered_domain("co.uk") == "co.uk"
