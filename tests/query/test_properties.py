"""Property tests: random words always compile, never crash matching, and find themselves."""

from __future__ import annotations

import string

from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.query import compile_query, make_snippet, normalize

OPERATORS = {"AND", "OR", "NOT"}
LETTERS = string.ascii_letters + "áéíóúñüçÁÉÍÓÚÑабвгдеёжзийклмнопрстуфхцчшщъыьэюяАБВГДЕЁЖЗИЙ"

words = st.text(alphabet=LETTERS + string.digits, min_size=1, max_size=12).filter(
    lambda w: w not in OPERATORS and not w.startswith("NEAR")
)
texts = st.text(alphabet=LETTERS + string.digits + " .,;:!?-'\"()*\n«»—", min_size=0, max_size=300)


@settings(max_examples=300, deadline=None)
@given(st.lists(words, min_size=1, max_size=6), texts, texts)
def test_word_lists_compile_and_never_raise(query_words: list[str], title: str, body: str) -> None:
    query = compile_query(" ".join(query_words))
    result = query.match(title, body)
    assert isinstance(result.matched, bool)
    for start, end in result.spans:
        assert 0 <= start < end <= len(body)
    make_snippet(body, result.spans)


@settings(max_examples=300, deadline=None)
@given(words, st.lists(words, max_size=30), st.integers(min_value=0, max_value=30), texts)
def test_a_word_present_in_the_text_always_matches(
    word: str, others: list[str], where: int, title: str
) -> None:
    text_words = [*others]
    text_words.insert(min(where, len(text_words)), word.upper() if where % 2 else word)
    body = " ".join(text_words) + "."
    query = compile_query(word)
    result = query.match(title, body)
    assert result.matched
    assert result.spans
    assert any(normalize(body[a:b]) == normalize(word) for a, b in result.spans)
    assert compile_query(f"{word}*").match("", body).matched
    assert compile_query(f'"{word}"').match("", body).matched
    assert not compile_query(f"-{word}").match("", body).matched


@settings(max_examples=200, deadline=None)
@given(st.lists(words, min_size=2, max_size=8))
def test_adjacent_words_match_as_phrase_and_near(text_words: list[str]) -> None:
    body = " ".join(text_words)
    first, second = text_words[0], text_words[1]
    assert compile_query(f'"{first} {second}"').match("", body).matched
    assert compile_query(f"{second} NEAR/0 {first}").match("", body).matched or (
        normalize(first) == normalize(second)
    )
