"""Byte-level helpers: is this body HTML at all, and how do we turn it into text?

Decoding order (first that works wins), see :func:`decode_html`:

1. a byte-order mark (BOM) — it beats any header or meta declaration;
2. strict UTF-8 (pure ASCII and real UTF-8 always pass; legacy single-byte text almost never);
3. the charset of the Content-Type header, then the ``<meta charset>`` of the page,
   unless it is UTF-8 (already ruled out) — decoded strictly;
4. a guess: isolated non-ASCII bytes between ASCII letters (accented Latin text, smart quotes)
   mean cp1252; long runs of non-ASCII bytes (Cyrillic, Greek... in a legacy code page) go to
   charset-normalizer;
5. cp1252 with replacement characters, which cannot fail.
"""

from __future__ import annotations

import codecs
import re

from w3lib.encoding import (
    html_body_declared_encoding,
    http_content_type_encoding,
    read_bom,
    resolve_encoding,
)

__all__ = ["decode_html", "looks_like_html"]

# Leading bytes of common non-HTML payloads that servers mislabel as text/html.
_MAGIC_NUMBERS: tuple[bytes, ...] = (
    b"\x89PNG\r\n\x1a\n",  # PNG
    b"\xff\xd8\xff",  # JPEG
    b"GIF87a",
    b"GIF89a",
    b"%PDF-",
    b"PK\x03\x04",  # ZIP, DOCX, XLSX, EPUB...
    b"PK\x05\x06",  # empty ZIP
    b"\x1f\x8b",  # gzip (a body we forgot to decompress)
    b"BM",  # BMP is checked with a size guard below, too short to trust alone
    b"RIFF",  # WEBP, WAV, AVI
    b"\x00\x00\x01\x00",  # ICO
    b"OggS",
    b"ID3",  # MP3
    b"\x28\xb5\x2f\xfd",  # zstd
    b"BZh",  # bzip2
    b"7z\xbc\xaf\x27\x1c",
    b"\xfd7zXZ\x00",  # xz
)
_UTF16_32_BOMS: tuple[bytes, ...] = (
    codecs.BOM_UTF32_LE,
    codecs.BOM_UTF32_BE,
    codecs.BOM_UTF16_LE,
    codecs.BOM_UTF16_BE,
)

_SNIFF_BYTES = 4096
_UTF8_NAMES = frozenset({"utf-8", "utf8", "utf_8"})
_HIGH_BYTE_RUN_RE = re.compile(rb"[\x80-\xff]+")


def looks_like_html(body: bytes) -> bool:
    """Return False for bodies that are certainly not HTML (images, PDFs, archives, binary).

    The check is cheap and conservative: known magic numbers, NUL bytes in the first 4 KiB
    (unless a UTF-16/32 BOM explains them), or no ``<`` at all in the first 4 KiB.
    """
    if not body or not body.strip():
        return False
    head = body[:_SNIFF_BYTES]
    if head.startswith(_UTF16_32_BOMS):
        return True
    if head.startswith(b"BM"):
        # "BM" can begin ordinary text; a BMP header carries NUL bytes soon after.
        if b"\x00" in head[:16]:
            return False
    elif head.startswith(_MAGIC_NUMBERS):
        return False
    if b"\x00" in head:
        return False
    return b"<" in head


def _normalise(label: str | None) -> str | None:
    """Map a charset label to a Python codec name (WHATWG aliases: latin1 -> cp1252)."""
    if not label:
        return None
    try:
        resolved = resolve_encoding(label.strip().strip("\"'"))
    except (LookupError, ValueError, TypeError):  # not a charset label w3lib knows
        return None
    if resolved is None:
        return None
    try:
        return codecs.lookup(resolved).name
    except LookupError:
        return None


def _bom_decode(body: bytes) -> str | None:
    encoding, bom = read_bom(body)
    if encoding is None or bom is None:
        return None
    codec = _normalise(encoding) or encoding
    return body[len(bom) :].decode(codec, errors="replace")


def _strict(body: bytes, codec: str | None) -> str | None:
    if codec is None:
        return None
    try:
        return body.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return None


def _mostly_isolated_high_bytes(body: bytes) -> bool:
    """True when non-ASCII bytes come alone or in pairs (accented Latin text, punctuation)."""
    runs = [len(m) for m in _HIGH_BYTE_RUN_RE.findall(body[: 1 << 20])]
    if not runs:
        return True
    short = sum(1 for n in runs if n <= 2)
    return short / len(runs) >= 0.8


def _guess(body: bytes) -> str | None:
    """Guess a legacy encoding; None when charset-normalizer has no confident answer."""
    if _mostly_isolated_high_bytes(body):
        return _strict(body, "cp1252")
    try:
        from charset_normalizer import from_bytes
    except ImportError:  # pragma: no cover - charset-normalizer ships with requests
        return None
    best = from_bytes(body[: 1 << 18]).best()
    if best is None:
        return None
    return _strict(body, _normalise(best.encoding))


def decode_html(body: bytes, content_type_header: str | None) -> str:
    """Decode an HTML response body to text (see module docstring for the order).

    Bad bytes never raise (the last step replaces them); an exception here is a bug in a
    decoder, which :func:`monitor.extract.clean.parse_page` logs and counts.
    """
    text = _bom_decode(body)
    if text is not None:
        return text
    text = _strict(body, "utf-8")
    if text is not None:
        return text
    declared = [
        _normalise(http_content_type_encoding(content_type_header)),
        _normalise(html_body_declared_encoding(body[:_SNIFF_BYTES])),
    ]
    for codec in declared:
        if codec is None or codec in _UTF8_NAMES:
            continue
        text = _strict(body, codec)
        if text is not None:
            return text
    text = _guess(body)
    if text is not None:
        return text
    return body.decode("cp1252", errors="replace")
