"""Word forms to one normal form per word, in one place: lemmas for Russian, stems for en/es.

``normalise_token("Кубы", "ru")`` → ``"куба"``, ``("кубинскими", "ru")`` → ``"кубинский"``,
``("rusos", "es")`` → ``"rus"``, ``("Moscú", "es")`` → ``"moscu"``. Case and accents are folded
first with the query stage's :func:`monitor.query.normalize.normalize`, so both stages agree on
what a word is. Cyrillic words go through pymorphy3 whatever the article's language (mixed-
language text works); Latin words through the Snowball stemmer of the article's language
(Spanish for ``es``, English otherwise).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from monitor.query.normalize import normalize

if TYPE_CHECKING:
    import pymorphy3

SUPPORTED_LANGUAGES: frozenset[str] = frozenset({"en", "es", "ru"})

# A proper-noun reading (country, town, first name, surname, organisation) wins over a more
# frequent common-noun one for capitalised words: "Кубе" is Cuba's locative, "кубе" a cube's.
_PROPER_TAGS = frozenset({"Geox", "Name", "Surn", "Orgn", "Patr"})

_analyser_lock = threading.Lock()
_analyser: pymorphy3.MorphAnalyzer | None = None
_local = threading.local()


def _morph() -> pymorphy3.MorphAnalyzer:
    """The process's one pymorphy3 analyser (read-only dictionaries, loaded once, ~0.3 s)."""
    global _analyser
    if _analyser is None:
        with _analyser_lock:
            if _analyser is None:
                import pymorphy3

                _analyser = pymorphy3.MorphAnalyzer()
    return _analyser


def _stemmer(language: str) -> Any:
    """A Snowball stemmer for this thread (stemmer objects keep per-call state)."""
    name = "spanish" if language == "es" else "english"
    stemmers: dict[str, Any] | None = getattr(_local, "stemmers", None)
    if stemmers is None:
        stemmers = _local.stemmers = {}
    stemmer = stemmers.get(name)
    if stemmer is None:
        import snowballstemmer

        stemmer = stemmers[name] = snowballstemmer.stemmer(name)
    return stemmer


def _is_cyrillic(word: str) -> bool:
    return any("\u0400" <= ch <= "\u04ff" for ch in word)


def _russian_lemma(word: str, capitalised: bool) -> str:
    parses = _morph().parse(word)
    if not parses:
        return word
    chosen = parses[0]
    if capitalised:
        for parse in parses:
            if _PROPER_TAGS & parse.tag.grammemes:
                chosen = parse
                break
    return str(chosen.normal_form)


def _normal_form(token: str, language: str | None) -> str:
    folded = normalize(token)
    if not folded:
        return folded
    if _is_cyrillic(folded):
        return normalize(_russian_lemma(folded, token[:1].isupper()))
    if folded.isdigit():
        return folded
    return str(_stemmer(language or "en").stemWord(folded))


# Bounded memo, one per language: a word form always has the same normal form, so the cache
# holds no state that matters (it can be dropped at any time); the bound keeps a long-running
# daemon's memory flat however many distinct words it sees. News vocabulary is Zipfian, so
# 100k forms per language hit well over 99 %. One-argument caches are the fastest lookups.
@lru_cache(maxsize=16)
def normaliser(language: str | None) -> Callable[[str], str]:
    """A memoised ``token -> normal form`` function for text in ``language``."""

    @lru_cache(maxsize=100_000)
    def normal_form(token: str) -> str:
        return _normal_form(token, language)

    return normal_form


def normalise_token(token: str, language: str | None) -> str:
    """The normal form of one word: folded case and accents, then a lemma (ru) or stem (en/es)."""
    return normaliser(language)(token)
