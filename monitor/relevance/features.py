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
from monitor.relevance.morphology import normalise_token, normaliser

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
_DASH = regex.compile(r"[-–—]")
_DASH_WINDOW = 24  # characters either side of a dash searched for a bilateral compound
# A short quoted name (1–3 words): «Гавана», "Havana", “Moscow Nights”: a restaurant, a song, a
# film or a ship named after a side rather than the country itself.
_QUOTED_NAME = regex.compile(
    r"[«\"“„]\s*(\p{L}[\p{L}\p{Mn}'’.-]*(?:\s+\p{L}[\p{L}\p{Mn}'’.-]*){0,2})\s*[»\"”“]"
)
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
    quoted_side_names: int  # side mentions inside short quoted names

    sentences: list[SentenceFacts] = field(init=False)  # all paragraphs' sentences, in order
    country_totals: Counter[str] = field(init=False)  # mentions per country, title included
    marker_totals: Counter[str] = field(init=False)

    def __post_init__(self) -> None:
        self.sentences = [s for paragraph in self.paragraphs for s in paragraph]
        self.country_totals = Counter(self.title.countries)
        self.marker_totals = Counter(self.title.markers)
        for sentence in self.sentences:
            if sentence.countries:
                self.country_totals.update(sentence.countries)
            if sentence.markers:
                self.marker_totals.update(sentence.markers)

    def total(self, key: str) -> int:
        """Mentions of one country in title and text."""
        return self.country_totals[key]

    def marker_total(self, marker: Marker) -> int:
        return self.marker_totals[marker]

    def top_third_country(self) -> tuple[str, int]:
        """The most-mentioned country other than the two sides and the United States."""
        others = [(n, k) for k, n in self.country_totals.items() if k not in (SIDE_A, SIDE_B, US)]
        if not others:
            return "", 0
        count, key = max(others)
        return key, count


def split_paragraphs(text: str) -> list[str]:
    """Non-empty lines of cleaned text (the cleaner writes one paragraph per line)."""
    return [line.strip() for line in text.splitlines() if line.strip()]


def split_sentences(paragraph: str) -> list[str]:
    """Sentences of one paragraph (punctuation followed by a capital or a digit)."""
    return [s for s in _SENTENCE_SPLIT.split(paragraph) if s.strip()]


_KUBINKA_TOWN = Concept(Marker.HOMONYM.value, "кубинка")


def _read_sentence(sentence: str, language: str | None) -> SentenceFacts:
    lexicon = lexicon_index(language)
    starts, single, multi = lexicon.starts, lexicon.single, lexicon.multi
    surfaces = WORD_RE.findall(sentence)
    forms = list(map(normaliser(language), surfaces))
    facts = SentenceFacts(words=len(forms))
    covered = 0  # words before this position belong to an already matched phrase
    for i in [i for i, form in enumerate(forms) if form in starts]:
        if i < covered:
            continue
        concept: Concept | None = None
        for phrase, candidate in (
            multi.get((forms[i], forms[i + 1]), ()) if i + 1 < len(forms) else ()
        ):
            if tuple(forms[i : i + len(phrase)]) == phrase:
                concept, covered = candidate, i + len(phrase)
                break
        if concept is None:
            concept = single.get(forms[i])
            covered = i + 1
        if forms[i] == _KUBINKA and _KUBINKA_SURFACE.match(surfaces[i]):
            concept = _KUBINKA_TOWN
        if concept is None:
            continue
        if concept.kind == "country":
            facts.countries[concept.key] += 1
        else:
            facts.markers[concept.kind] += 1
            if concept.kind == Marker.HOMONYM:
                facts.homonyms.append(concept.key)
    return facts


def _bilateral_compounds(folded: str) -> list[str]:
    """ "Russian-Cuban"-style compounds; the pattern is tried only around dashes (fast)."""
    found: dict[int, str] = {}
    for dash in _DASH.finditer(folded):
        start = max(dash.start() - _DASH_WINDOW, 0)
        window = folded[start : dash.end() + _DASH_WINDOW]
        for match in _BILATERAL.finditer(window):
            if match.start() <= dash.start() - start < match.end():
                found.setdefault(start + match.start(), match.group(0))
    return [found[k] for k in sorted(found)]


def _quoted_side_names(text: str, language: str | None) -> int:
    """Mentions of either side inside short quoted names («Гавана», "Havana")."""
    count = 0
    for match in _QUOTED_NAME.finditer(text):
        countries = _read_sentence(match.group(1), language).countries
        count += countries[SIDE_A] + countries[SIDE_B]
    return count


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
        bilateral=_bilateral_compounds(folded),
        quoted_side_names=_quoted_side_names(f"{title}\n{text}", language),
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
    "share_sentences_near_pair",
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
    "quoted_side_names",
    "bilateral_compounds",
    "relation_in_pair_paragraphs",
    "relation_density",
    "length",
    "short_text",
)


def _sentences_near_pair(paragraphs: list[list[SentenceFacts]]) -> int:
    """Sentences naming a side with the other side in it or in a neighbouring sentence."""
    near = 0
    for paragraph in paragraphs:
        for i, sentence in enumerate(paragraph):
            if not sentence.has_side:
                continue
            window = paragraph[max(i - 1, 0) : i + 2]
            if any(s.countries[SIDE_A] for s in window) and any(
                s.countries[SIDE_B] for s in window
            ):
                near += 1
    return near


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
    pair_paragraph_list = [
        p
        for p in facts.paragraphs
        if any(s.countries[SIDE_A] for s in p) and any(s.countries[SIDE_B] for s in p)
    ]
    pair_paragraphs = len(pair_paragraph_list)
    near_pair = _sentences_near_pair(facts.paragraphs)
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
    # Words of dealings (visits, supplies, credit...) where both sides are in one paragraph:
    # natural prose often names Moscow in one sentence and the island in the next.
    relation_pair = sum(
        1 for p in pair_paragraph_list if any(s.markers[Marker.RELATION] for s in p)
    )
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
        "share_sentences_near_pair": _share(near_pair, len(side_sentences)),
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
        "quoted_side_names": _share(facts.quoted_side_names, count_a + count_b),
        "bilateral_compounds": math.log1p(len(facts.bilateral)) / math.log(10),
        "relation_in_pair_paragraphs": _share(relation_pair, pair_paragraphs + title.has_pair),
        "relation_density": min(facts.marker_total(Marker.RELATION) * per_100, 10.0) / 10.0,
        "length": min(math.log1p(facts.words) / math.log(3000), 1.0),
        "short_text": float(facts.words < SHORT_WORDS),
    }
    return [values[name] for name in FEATURE_NAMES]


def extract_features(title: str, text: str, language: str | None) -> dict[str, float]:
    """Named features of one article (for inspection and tests)."""
    return dict(zip(FEATURE_NAMES, feature_vector(analyse(title, text, language)), strict=True))
