"""decode_html and looks_like_html."""

from __future__ import annotations

import codecs
import gzip
import random

import pytest

from monitor.extract import decode_html, looks_like_html

TEXT = "<html><body><p>Café “Habana” — Díaz-Canel, 5 € señor</p></body></html>"


def test_plain_utf8() -> None:
    assert decode_html(TEXT.encode("utf-8"), "text/html; charset=utf-8") == TEXT


def test_bom_wins_over_header() -> None:
    body = codecs.BOM_UTF8 + TEXT.encode("utf-8")
    assert decode_html(body, "text/html; charset=iso-8859-1") == TEXT


def test_utf16_bom() -> None:
    body = codecs.BOM_UTF16_LE + TEXT.encode("utf-16-le")
    assert decode_html(body, "text/html; charset=utf-8") == TEXT
    assert looks_like_html(body)


def test_cp1252_labelled_utf8() -> None:
    body = TEXT.encode("cp1252")
    assert decode_html(body, "text/html; charset=UTF-8") == TEXT


def test_cp1252_with_utf8_meta_and_no_header() -> None:
    html = '<html><head><meta charset="utf-8"></head><body><p>Peña “dijo” año</p></body></html>'
    assert decode_html(html.encode("cp1252"), None) == html


def test_header_charset_used_for_legacy_cyrillic() -> None:
    html = "<html><body><p>Россия и Куба укрепляют связи</p></body></html>"
    assert decode_html(html.encode("cp1251"), "text/html; charset=windows-1251") == html


def test_meta_charset_used_without_header() -> None:
    html = (
        '<html><head><meta http-equiv="Content-Type" content="text/html; charset=windows-1251">'
        "</head><body><p>Москва и Гавана подписали соглашение</p></body></html>"
    )
    assert decode_html(html.encode("cp1251"), None) == html


def test_latin1_header_means_cp1252() -> None:
    body = "<p>“quoted” café</p>".encode("cp1252")
    assert decode_html(body, "text/html; charset=ISO-8859-1") == "<p>“quoted” café</p>"


@pytest.mark.parametrize("seed", range(20))
def test_never_raises_on_random_bytes(seed: int) -> None:
    rng = random.Random(seed)
    body = bytes(rng.randrange(256) for _ in range(rng.randrange(0, 3000)))
    header = rng.choice(
        [None, "text/html", "text/html; charset=bogus", "text/html; charset=utf-16"]
    )
    assert isinstance(decode_html(body, header), str)


@pytest.mark.parametrize(
    "body",
    [
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
        b"\xff\xd8\xff\xe0\x00\x10JFIF",
        b"GIF89a\x01\x00\x01\x00",
        b"%PDF-1.7\n%\xe2\xe3",
        b"PK\x03\x04\x14\x00\x06\x00",
        gzip.compress(b"<html></html>"),
        b"<html>\x00\x00\x00</html>",
        b"",
        b"   \n ",
        b"just some plain text without markup",
    ],
    ids=["png", "jpeg", "gif", "pdf", "zip", "gzip", "nul", "empty", "blank", "plain"],
)
def test_not_html(body: bytes) -> None:
    assert not looks_like_html(body)


@pytest.mark.parametrize(
    "body",
    [
        b"<!DOCTYPE html><html><body>x</body></html>",
        b"  \n<html><p>x</p></html>",
        codecs.BOM_UTF8 + b"<html></html>",
        b"<p>fragment</p>",
    ],
)
def test_html(body: bytes) -> None:
    assert looks_like_html(body)
