"""Exact-content fingerprints."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from monitor.dedup import content_fingerprint, normalize_for_fingerprint
from tests.dedup.corpus import BODY, seed_text


def test_normalisation() -> None:
    assert normalize_for_fingerprint("  Díaz-Canel  met\tPUTIN…\n“Ties”  ") == (
        "diaz canel met putin ties"
    )
    assert normalize_for_fingerprint("co\u00adoperation\u200b") == "cooperation"
    assert normalize_for_fingerprint("Straße ＦＵＬＬ ﬁ") == "strasse full fi"
    assert normalize_for_fingerprint("") == ""


def test_same_text_with_different_whitespace_quotes_and_case_agrees() -> None:
    variants = [
        BODY,
        BODY.upper(),
        BODY.replace('"', "\u201c").replace("'", "\u2019"),
        BODY.replace("\n\n", "\r\n\r\n   ").replace(" ", "  "),
        "\ufeff" + BODY + "\n\n",
        BODY.replace("é", "e\u0301"),  # decomposed accent
        BODY.replace("Pérez", "Perez"),
    ]
    assert len({content_fingerprint(v) for v in variants}) == 1
    assert len(content_fingerprint(BODY)) == 64


def test_different_texts_differ() -> None:
    prints = {content_fingerprint(seed_text(n)) for n in range(5)}
    assert len(prints) == 5
    assert content_fingerprint(BODY) != content_fingerprint(BODY.replace("75", "76"))
    assert content_fingerprint(BODY) != content_fingerprint(BODY + " More.")


@given(st.text())
def test_normalisation_is_idempotent(text: str) -> None:
    once = normalize_for_fingerprint(text)
    assert normalize_for_fingerprint(once) == once
    assert content_fingerprint(once) == content_fingerprint(text)
