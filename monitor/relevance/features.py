"""The signals a careful reader uses to decide whether Russia–Cuba relations are the subject.

Pure functions over plain text. :func:`analyse` reads an article once (paragraphs → sentences
→ normalised words → lexicon phrases) into :class:`ArticleFacts`; :func:`feature_vector` turns
the facts into the fixed, named, roughly 0..1-scaled numbers the model weighs
(:data:`FEATURE_NAMES`). Length-dependent counts are normalised, so a short wire item or a
paywalled teaser is judged on what is visible rather than for being short.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field

import regex

from monitor.query.normalize import WORD_RE, normalize
from monitor.relevance.lexicon import (
    BILATERAL_PATTERN,
    SIDE_A,
    SIDE_B,
    Concept,
    Marker,
    lexicon_index,
)
from monitor.relevance.morphology import normalise_token

#: A sentence naming this many distinct countries (the sides included) is a list of countries.
LIST_MIN_COUNTRIES = 4
#: Paragraphs that make up the lead.
LEAD_PARAGRAPHS = 2
#: Years before this mark history pieces; later years mark current affairs.
HISTORY_END_YEAR = 1992
#: Texts shorter than this (in words, title included) count as teasers or wire items.
SHORT_WORDS = 80
US = "united-states"

_SENTENCE_SPLIT = regex.compile(
    r"(?<=[.!?…])(?<!\b\p{L}\.)[\"'»”’)\]]*\s+(?=[\"'«“‘(\[¿¡—–-]?\s*[\p{Lu}\d])"
)
_YEAR = regex.compile(r"\b(1[89]\d\d|20\d\d)\b")
_BILATERAL = regex.compile(BILATERAL_PATTERN)
# "Кубинка" (a town near Moscow) is also the word for a Cuban woman: capitalised inside a
# sentence it is the town.
_KUBINKA = normalise_token("кубинка", "ru")
_KUBINKA_SURFACE = regex.compile(r"^Кубинк")


@dataclass
class SentenceFacts:
    """What one sentence mentions: countries (by key, with counts) and marker counts."""

    countries: Counter[str] = field(default_factory=Counter)
    markers: Counter[str] = field(default_factory=Counter)
    homonyms: list[str] = field(default_factory=list)
    words: int = 0

    @property
    def has_pair(self) -> bool:
        return self.countries[SIDE_A] > 0 and self.countries[SIDE_B] > 0

    @property
    def has_side(self) -> bool:
        return self.countries[SIDE_A] > 0 or self.countries[SIDE_B] > 0

    @property
    def is_list(self) -> bool:
        return len(self.countries) >= LIST_MIN_COUNTRIES


@dataclass
class ArticleFacts:
    """An article read once: its title and its sentences grouped by paragraph."""

    title: SentenceFacts
    paragraphs: list[list[SentenceFacts]]
    lead_sentences: int
    words: int
    years: list[int]
    bilateral: list[str]

    @property
    def sentences(self) -> list[SentenceFacts]:
        return [s for paragraph in self.paragraphs for s in paragraph]

    def total(self, key: str) -> int:
        """Mentions of one country in title and text."""
        return self.title.countries[key] + sum(s.countries[key] for s in self.sentences)

    def marker_total(self, marker: Marker) -> int:
        return self.title.markers[marker] + sum(s.markers[marker] for s in self.sentences)

    def top_third_country(self) -> tuple[str, int]:
        """The most-mentioned country other than the two sides and the United States."""
        counts: Counter[str] = Counter(self.title.countries)
        for sentence in self.sentences:
            counts.update(sentence.countries)
        for key in (SIDE_A, SIDE_B, US):
            counts.pop(key, None)
        if not counts:
            return "", 0
        key, count = max(counts.items(), key=lambda item: (item[1], item[0]))
        return key, count


def split_paragraphs(text: str) -> list[str]:
    """Non-empty lines of cleaned text (the cleaner writes one paragraph per line)."""
    return [line.strip() for line in text.splitlines() if line.strip()]


def split_sentences(paragraph: str) -> list[str]:
    """Sentences of one paragraph (punctuation followed by a capital or a digit)."""
    return [s for s in _SENTENCE_SPLIT.split(paragraph) if s.strip()]


def _read_sentence(sentence: str, language: str | None) -> SentenceFacts:
    index = lexicon_index(language).by_first
    surfaces = WORD_RE.findall(sentence)
    forms = [normalise_token(word, language) for word in surfaces]
    facts = SentenceFacts(words=len(forms))
    i = 0
    while i < len(forms):
        concept: Concept | None = None
        length = 1
        for phrase, candidate in index.get(forms[i], ()):
            if tuple(forms[i : i + len(phrase)]) == phrase:
                concept, length = candidate, len(phrase)
                break
        if forms[i] == _KUBINKA and i > 0 and _KUBINKA_SURFACE.match(surfaces[i]):
            concept, length = Concept(Marker.HOMONYM.value, "кубинка"), 1
        if concept is not None:
            if concept.kind == "country":
                facts.countries[concept.key] += 1
            else:
                facts.markers[concept.kind] += 1
                if concept.kind == Marker.HOMONYM:
                    facts.homonyms.append(concept.key)
        i += length
    return facts


def analyse(title: str, text: str, language: str | None) -> ArticleFacts:
    """Read an article once into the facts the features are computed from."""
    paragraphs = [
        [_read_sentence(s, language) for s in split_sentences(p)] for p in split_paragraphs(text)
    ]
    paragraphs = [p for p in paragraphs if p]
    lead = paragraphs[:LEAD_PARAGRAPHS]
    lead_sentences = sum(len(p) for p in lead)
    if len(paragraphs) == 1:  # one block of text: its first three sentences are the lead
        lead_sentences = min(3, lead_sentences)
    title_facts = _read_sentence(title, language)
    words = title_facts.words + sum(s.words for p in paragraphs for s in p)
    folded = normalize(f"{title}\n{text}")
    return ArticleFacts(
        title=title_facts,
        paragraphs=paragraphs,
        lead_sentences=lead_sentences,
        words=words,
        years=[int(y) for y in _YEAR.findall(folded)],
        bilateral=[m.group(0) for m in _BILATERAL.finditer(folded)],
    )


FEATURE_NAMES: tuple[str, ...] = (
    "title_a",
    "title_b",
    "title_both",
    "title_third",
    "title_us",
    "lead_both",
    "lead_pair_sentence",
    "share_sentences_pair",
    "share_sentences_side",
    "share_paragraphs_pair",
    "pair_sentences",
    "pair_sentences_outside_lists",
    "side_sentences_in_lists",
    "pair_only_in_lists",
    "largest_list",
    "distinct_countries",
    "pair_density",
    "side_balance",
    "third_dominance",
    "third_share_sentences",
    "us_dominance",
    "first_pair_position",
    "history_density",
    "old_years_share",
    "sport_density",
    "homonyms",
    "homonym_share",
    "bilateral_compounds",
    "relation_in_pair_sentences",
    "relation_density",
    "length",
    "short_text",
)


def _share(part: float, whole: float) -> float:
    return part / whole if whole else 0.0


def feature_vector(facts: ArticleFacts) -> list[float]:
    """The model's inputs for one article, in :data:`FEATURE_NAMES` order."""
    title = facts.title
    sentences = facts.sentences
    n_sentences = len(sentences)
    lead = sentences[: facts.lead_sentences]
    count_a, count_b = facts.total(SIDE_A), facts.total(SIDE_B)
    pair_count = min(count_a, count_b)
    lead_a = any(s.countries[SIDE_A] for s in lead) or title.countries[SIDE_A] > 0
    lead_b = any(s.countries[SIDE_B] for s in lead) or title.countries[SIDE_B] > 0
    pair_sentences = [s for s in sentences if s.has_pair]
    side_sentences = [s for s in sentences if s.has_side]
    pair_paragraphs = sum(
        1
        for p in facts.paragraphs
        if any(s.countries[SIDE_A] for s in p) and any(s.countries[SIDE_B] for s in p)
    )
    outside_lists = sum(1 for s in pair_sentences if not s.is_list)
    in_lists = sum(1 for s in side_sentences if s.is_list)
    largest_list = max((len(s.countries) for s in [title, *sentences]), default=0)
    all_countries: set[str] = set(title.countries)
    for s in sentences:
        all_countries.update(s.countries)
    third_key, third_count = facts.top_third_country()
    third_sentences = sum(1 for s in sentences if third_key and s.countries[third_key])
    us_count = facts.total(US)
    first_pair = next((i for i, s in enumerate(sentences) if s.has_pair), None)
    old_years = sum(1 for y in facts.years if y < HISTORY_END_YEAR)
    homonyms = len(title.homonyms) + sum(len(s.homonyms) for s in sentences)
    per_100 = 100.0 / max(facts.words, 1)
    relation_pair = sum(1 for s in pair_sentences if s.markers[Marker.RELATION])
    if title.has_pair and title.markers[Marker.RELATION]:
        relation_pair += 1
    values = {
        "title_a": float(title.countries[SIDE_A] > 0),
        "title_b": float(title.countries[SIDE_B] > 0),
        "title_both": float(title.has_pair),
        "title_third": float(any(k not in (SIDE_A, SIDE_B, US) for k in title.countries)),
        "title_us": float(title.countries[US] > 0),
        "lead_both": float(lead_a and lead_b),
        "lead_pair_sentence": float(title.has_pair or any(s.has_pair for s in lead)),
        "share_sentences_pair": _share(len(pair_sentences), n_sentences),
        "share_sentences_side": _share(len(side_sentences), n_sentences),
        "share_paragraphs_pair": _share(pair_paragraphs, len(facts.paragraphs)),
        "pair_sentences": math.log1p(len(pair_sentences)) / math.log(10),
        "pair_sentences_outside_lists": math.log1p(outside_lists) / math.log(10),
        "side_sentences_in_lists": _share(in_lists, len(side_sentences)),
        "pair_only_in_lists": float(bool(pair_sentences) and outside_lists == 0),
        "largest_list": min(largest_list, 12) / 12.0,
        "distinct_countries": math.log1p(len(all_countries)) / math.log(20),
        "pair_density": min(pair_count * per_100, 5.0) / 5.0,
        "side_balance": _share(pair_count, max(count_a, count_b)),
        "third_dominance": _share(third_count, third_count + pair_count),
        "third_share_sentences": _share(third_sentences, n_sentences),
        "us_dominance": _share(us_count, us_count + pair_count),
        "first_pair_position": (
            0.0
            if title.has_pair
            else _share(first_pair, n_sentences)
            if first_pair is not None
            else 1.0
        ),
        "history_density": min(facts.marker_total(Marker.HISTORY) * per_100, 3.0) / 3.0,
        "old_years_share": _share(old_years, len(facts.years)),
        "sport_density": min(facts.marker_total(Marker.SPORT) * per_100, 5.0) / 5.0,
        "homonyms": math.log1p(homonyms) / math.log(10),
        "homonym_share": _share(homonyms, homonyms + count_a + count_b),
        "bilateral_compounds": math.log1p(len(facts.bilateral)) / math.log(10),
        "relation_in_pair_sentences": _share(relation_pair, len(pair_sentences) + title.has_pair),
        "relation_density": min(facts.marker_total(Marker.RELATION) * per_100, 10.0) / 10.0,
        "length": min(math.log1p(facts.words) / math.log(3000), 1.0),
        "short_text": float(facts.words < SHORT_WORDS),
    }
    return [values[name] for name in FEATURE_NAMES]


def extract_features(title: str, text: str, language: str | None) -> dict[str, float]:
    """Named features of one article (for inspection and tests)."""
    return dict(zip(FEATURE_NAMES, feature_vector(analyse(title, text, language)), strict=True))
