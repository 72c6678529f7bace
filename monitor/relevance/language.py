"""A cheap language guess for articles that arrive without one: script, then stop words."""

from __future__ import annotations

from monitor.query.normalize import WORD_RE, normalize


def _words(text: str) -> list[str]:
    return text.split()


_STOP_WORDS: dict[str, frozenset[str]] = {
    "en": frozenset(_words("the and of to in is that with for on was are from by has have")),
    "es": frozenset(_words("el la los las de que y en del por con una se para al es su")),
    "fr": frozenset(_words("le les des est et du une pour dans qui pas sur au avec ce")),
    "pt": frozenset(_words("o os da do nao em uma com que para dos das ao no na")),
    "de": frozenset(_words("der die und das ist nicht mit den von zu dem ein eine auf")),
    "it": frozenset(_words("il di che della per gli con una non sono nel alla dei")),
}
_UKRAINIAN = frozenset("іїєґ")
_SAMPLE_CHARS = 4000


def detect_language(title: str, text: str) -> str | None:
    """``"ru"``, ``"en"``, ``"es"`` (or another ISO code) from a sample of the text, or None."""
    sample = f"{title}\n{text}"[:_SAMPLE_CHARS]
    cyrillic = sum(1 for ch in sample if "\u0400" <= ch <= "\u04ff")
    latin = sum(1 for ch in sample if ch.isascii() and ch.isalpha())
    if cyrillic > latin:
        return "uk" if sum(1 for ch in sample.lower() if ch in _UKRAINIAN) > 5 else "ru"
    words = [normalize(w) for w in WORD_RE.findall(sample)]
    counts = {lang: sum(1 for w in words if w in stops) for lang, stops in _STOP_WORDS.items()}
    best = max(counts, key=lambda lang: counts[lang])
    return best if counts[best] >= 2 else None
