"""The relevance model: a logistic regression over the signals, stored as plain JSON.

Scoring needs no scikit-learn (training does): the file holds the feature names, the
standardisation (mean, scale), the coefficients and the intercept, and scoring is one dot
product and a sigmoid. JSON rather than pickle: loading runs no code, and the file is small,
versioned and diffable.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from monitor.errors import RelevanceModelError
from monitor.relevance.features import FEATURE_NAMES, ArticleFacts, analyse, feature_vector
from monitor.relevance.language import detect_language
from monitor.relevance.lexicon import SIDE_A, SIDE_B, Marker
from monitor.relevance.morphology import SUPPORTED_LANGUAGES

MODEL_FORMAT = "monitor-relevance/1"
PACKAGED_MODEL = Path(__file__).resolve().parent / "model" / "russia_cuba.json"
MAX_REASONS = 4


@dataclass(frozen=True)
class RelevanceVerdict:
    """How much an article is about the topic, and why (strongest reasons first)."""

    score: float
    relevant: bool
    reasons: tuple[str, ...]
    language_unsupported: bool


@dataclass(frozen=True)
class _Reason:
    text: str
    features: tuple[str, ...]  # the features whose contributions make this reason's strength


def _label(key: str) -> str:
    return key.replace("-", " ")


def _candidate_reasons(facts: ArticleFacts, values: dict[str, float]) -> list[_Reason]:
    """Human-readable facts about the article, each tied to the features that weigh them."""
    title = facts.title
    sentences = facts.sentences
    pair = sum(1 for s in sentences if s.has_pair)
    out: list[_Reason] = []
    if title.has_pair:
        out.append(_Reason("both sides in the title", ("title_both", "title_a", "title_b")))
    elif title.countries[SIDE_A] or title.countries[SIDE_B]:
        side = _label(SIDE_A if title.countries[SIDE_A] else SIDE_B)
        out.append(_Reason(f"title names only {side}", ("title_both", "title_a", "title_b")))
    else:
        out.append(_Reason("title names neither side", ("title_both", "title_a", "title_b")))
    if values["lead_pair_sentence"]:
        out.append(_Reason("both sides together in the lead", ("lead_pair_sentence", "lead_both")))
    if pair:
        out.append(
            _Reason(
                f"both sides in {pair} of {len(sentences)} sentences",
                (
                    "share_sentences_pair",
                    "pair_sentences",
                    "share_paragraphs_pair",
                    "share_sentences_near_pair",
                ),
            )
        )
    elif sentences:
        out.append(
            _Reason(
                "the sides never share a sentence",
                ("share_sentences_pair", "pair_sentences", "first_pair_position"),
            )
        )
    largest = max((len(s.countries) for s in [title, *sentences]), default=0)
    if largest >= 4:
        out.append(
            _Reason(
                f"list of {largest} countries",
                ("largest_list", "side_sentences_in_lists", "pair_only_in_lists"),
            )
        )
    third, third_count = facts.top_third_country()
    if third and third_count >= 2 and values["third_dominance"] > 0.5:
        out.append(
            _Reason(
                f"third country dominates: {_label(third)}",
                ("third_dominance", "third_share_sentences", "title_third"),
            )
        )
    if values["us_dominance"] >= 0.6:
        out.append(_Reason("the United States dominates", ("us_dominance", "title_us")))
    history = facts.marker_total(Marker.HISTORY)
    if history or values["old_years_share"] >= 0.5:
        out.append(
            _Reason(
                f"Cold-War history markers ({history}, {values['old_years_share']:.0%} of years"
                f" before 1992)",
                ("history_density", "old_years_share"),
            )
        )
    sport = facts.marker_total(Marker.SPORT)
    if sport:
        out.append(_Reason(f"sport context ({sport} words)", ("sport_density",)))
    homonyms = sorted({h for s in [title, *sentences] for h in s.homonyms})
    if homonyms:
        out.append(_Reason(f"look-alike: {', '.join(homonyms[:3])}", ("homonyms", "homonym_share")))
    if facts.quoted_side_names:
        out.append(
            _Reason(
                f"a side named in quotes ({facts.quoted_side_names}): a title or a venue",
                ("quoted_side_names",),
            )
        )
    if facts.bilateral:
        out.append(_Reason(f"bilateral marker: {facts.bilateral[0]}", ("bilateral_compounds",)))
    if values["relation_in_pair_paragraphs"] >= 0.5:
        out.append(
            _Reason(
                "words of bilateral dealings next to the pair",
                ("relation_in_pair_paragraphs", "relation_density"),
            )
        )
    return out


@dataclass
class RelevanceModel:
    """A trained relevance model for one topic (see :func:`monitor.relevance.train_model`)."""

    topic: str
    threshold: float
    query: str | None
    mean: list[float]
    scale: list[float]
    coef: list[float]
    intercept: float
    features: tuple[str, ...] = FEATURE_NAMES
    metadata: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path | None = None) -> RelevanceModel:
        """Read a model file (None: the packaged Russia–Cuba model)."""
        path = PACKAGED_MODEL if path is None else Path(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise RelevanceModelError(f"relevance model not found: {path}") from None
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise RelevanceModelError(f"relevance model unreadable: {path}: {exc}") from exc
        try:
            return cls.from_dict(data)
        except (KeyError, TypeError, ValueError) as exc:
            raise RelevanceModelError(f"relevance model invalid: {path}: {exc}") from exc

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RelevanceModel:
        """A model from its JSON form; ValueError/KeyError/TypeError when it is not one."""
        if not isinstance(data, dict):
            raise TypeError("not a JSON object")
        if data.get("format") != MODEL_FORMAT:
            raise ValueError(f"format is {data.get('format')!r}, expected {MODEL_FORMAT!r}")
        features = tuple(str(name) for name in data["features"])
        if features != FEATURE_NAMES:
            raise ValueError("built for other features: retrain it with `monitor relevance train`")
        mean, scale, coef = ([float(v) for v in data[key]] for key in ("mean", "scale", "coef"))
        if not len(mean) == len(scale) == len(coef) == len(features):
            raise ValueError("coefficient lists do not match the features")
        if any(s <= 0 or not math.isfinite(s) for s in scale) or not all(
            math.isfinite(v) for v in (*mean, *coef)
        ):
            raise ValueError("non-finite or non-positive numbers")
        threshold = float(data["threshold"])
        if not 0.0 <= threshold <= 1.0:
            raise ValueError(f"threshold {threshold} outside 0..1")
        query = data.get("query")
        return cls(
            topic=str(data["topic"]),
            threshold=threshold,
            query=str(query) if query is not None else None,
            mean=mean,
            scale=scale,
            coef=coef,
            intercept=float(data["intercept"]),
            features=features,
            metadata=dict(data.get("metadata") or {}),
        )

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (numbers rounded so the file diffs cleanly)."""
        return {
            "format": MODEL_FORMAT,
            "topic": self.topic,
            "threshold": round(self.threshold, 4),
            "query": self.query,
            "features": list(self.features),
            "mean": [round(v, 6) for v in self.mean],
            "scale": [round(v, 6) for v in self.scale],
            "coef": [round(v, 6) for v in self.coef],
            "intercept": round(self.intercept, 6),
            "metadata": self.metadata,
        }

    def contributions(self, values: list[float]) -> list[float]:
        """Each feature's share of the log-odds for these feature values."""
        return [
            c * (v - m) / s
            for c, v, m, s in zip(self.coef, values, self.mean, self.scale, strict=True)
        ]

    def score(
        self, title: str, text: str, language: str | None, threshold: float | None = None
    ) -> RelevanceVerdict:
        """How much the article is about the topic (0..1), whether that clears the threshold."""
        cut = self.threshold if threshold is None else threshold
        title, text = title or "", text or ""
        code = (language or detect_language(title, text) or "").lower().split("-")[0]
        unsupported = code not in SUPPORTED_LANGUAGES
        if not (title.strip() or text.strip()):
            return RelevanceVerdict(0.0, False, ("no text",), unsupported)
        facts = analyse(title, text, code or None)
        values = feature_vector(facts)
        parts = self.contributions(values)
        logit = self.intercept + sum(parts)
        probability = 1.0 / (1.0 + math.exp(-max(min(logit, 50.0), -50.0)))
        named = dict(zip(self.features, parts, strict=True))
        candidates = _candidate_reasons(facts, dict(zip(self.features, values, strict=True)))
        # Strongest first in the direction of the verdict: what made it relevant (or not).
        direction = 1.0 if probability >= cut else -1.0
        ranked = sorted(candidates, key=lambda r: -direction * sum(named[f] for f in r.features))
        reasons = [r.text for r in ranked[:MAX_REASONS]]
        if unsupported:
            reasons.append(f"language not supported: {code or 'unknown'}")
        return RelevanceVerdict(
            score=probability,
            relevant=probability >= cut,
            reasons=tuple(reasons),
            language_unsupported=unsupported,
        )


def save_model(model: RelevanceModel, path: Path | str) -> Path:
    """Write the model as JSON (atomically: a crash leaves the old file intact)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(
        json.dumps(model.to_dict(), ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
    temporary.replace(path)
    return path
