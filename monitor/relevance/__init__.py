"""Stage 2 of matching: is the topic (Russia–Cuba relations) the *subject* of the article?

The boolean query (:mod:`monitor.query`) is the recall gate; a :class:`RelevanceModel` then
scores what it matched from signals a careful reader uses (:mod:`monitor.relevance.features`).
Scoring is pure CPU, needs no database and no scikit-learn; training
(:func:`train_model`) does. See ``docs/relevance.md``.
"""

from __future__ import annotations

from monitor.relevance.dataset import (
    Label,
    LabelledExample,
    load_corpus,
    packaged_corpus,
    seed_examples,
)
from monitor.relevance.features import FEATURE_NAMES, extract_features
from monitor.relevance.language import detect_language
from monitor.relevance.model import PACKAGED_MODEL, RelevanceModel, RelevanceVerdict, save_model
from monitor.relevance.morphology import SUPPORTED_LANGUAGES, normalise_token
from monitor.relevance.training import (
    MIN_PER_CLASS,
    LanguageScores,
    cross_validate,
    evaluate,
    train_model,
)

#: The packaged model's topic.
DEFAULT_TOPIC = "russia-cuba"

__all__ = [
    "DEFAULT_TOPIC",
    "FEATURE_NAMES",
    "MIN_PER_CLASS",
    "PACKAGED_MODEL",
    "SUPPORTED_LANGUAGES",
    "Label",
    "LabelledExample",
    "LanguageScores",
    "RelevanceModel",
    "RelevanceVerdict",
    "cross_validate",
    "detect_language",
    "evaluate",
    "extract_features",
    "load_corpus",
    "normalise_token",
    "packaged_corpus",
    "save_model",
    "seed_examples",
    "train_model",
]
