"""Train, cross-validate and evaluate relevance models (scikit-learn is needed only here).

The figures always describe the pipeline's FINAL decision: the boolean query matched AND the
model found the article relevant, so a relevant article the query misses counts as a miss.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

from monitor.errors import RelevanceTrainingError
from monitor.query import DEFAULT_QUERY, CompiledQuery, compile_query
from monitor.relevance.dataset import Label, LabelledExample
from monitor.relevance.features import FEATURE_NAMES, analyse, feature_vector
from monitor.relevance.model import RelevanceModel

#: Fewer labels than this in either class and training refuses rather than write a worse model.
MIN_PER_CLASS = 20
#: Inverse L2 regularisation strength: small, because the corpus is small.
REGULARISATION_C = 0.3
#: When choosing the threshold, a lost point of recall costs this many points of precision.
RECALL_WEIGHT = 2.0
FOLDS = 5


@dataclass(frozen=True)
class LanguageScores:
    """Precision, recall and F1 of the final decision on one language's examples."""

    precision: float
    recall: float
    f1: float
    n: int
    true_positives: int = 0
    false_positives: int = 0
    false_negatives: int = 0

    def as_dict(self) -> dict[str, float | int]:
        return asdict(self)


def _scores(pairs: Iterable[tuple[bool, bool]]) -> LanguageScores:
    """Scores from ``(predicted relevant, labelled relevant)`` pairs."""
    tp = fp = fn = n = 0
    for predicted, actual in pairs:
        n += 1
        tp += predicted and actual
        fp += predicted and not actual
        fn += actual and not predicted
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return LanguageScores(precision, recall, f1, n, tp, fp, fn)


def _language(example: LabelledExample) -> str:
    return example.language or "unknown"


def query_matches(
    examples: Sequence[LabelledExample], query: CompiledQuery | None = None
) -> list[bool]:
    """Whether the boolean query (default: the project's) matches each example."""
    compiled = query if query is not None else compile_query(DEFAULT_QUERY)
    return [compiled.match(e.title, e.text).matched for e in examples]


def feature_matrix(examples: Sequence[LabelledExample]) -> list[list[float]]:
    """The model's inputs for each example."""
    return [feature_vector(analyse(e.title, e.text, e.language)) for e in examples]


def _check_counts(examples: Sequence[LabelledExample]) -> None:
    relevant = sum(1 for e in examples if e.label is Label.RELEVANT)
    irrelevant = len(examples) - relevant
    if min(relevant, irrelevant) < MIN_PER_CLASS:
        raise RelevanceTrainingError(
            f"too few labels to train: {relevant} relevant and {irrelevant} irrelevant "
            f"(need at least {MIN_PER_CLASS} of each); the model was not changed"
        )


def _fit(
    rows: Sequence[Sequence[float]], labels: Sequence[int], c: float
) -> tuple[list[float], list[float], list[float], float]:
    """Standardise and fit; returns mean, scale, coefficients, intercept."""
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    x = np.asarray(rows, dtype=float)
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale < 1e-9] = 1.0
    classifier = LogisticRegression(C=c, class_weight="balanced", max_iter=5000)
    classifier.fit((x - mean) / scale, np.asarray(labels))
    return (
        mean.tolist(),
        scale.tolist(),
        classifier.coef_[0].tolist(),
        float(classifier.intercept_[0]),
    )


def _probabilities(
    rows: Sequence[Sequence[float]], fitted: tuple[list[float], list[float], list[float], float]
) -> list[float]:
    mean, scale, coef, intercept = fitted
    out = []
    for row in rows:
        logit = intercept + sum(
            c * (v - m) / s for c, v, m, s in zip(coef, row, mean, scale, strict=True)
        )
        out.append(1.0 / (1.0 + math.exp(-max(min(logit, 50.0), -50.0))))
    return out


def _folds(examples: Sequence[LabelledExample], folds: int) -> list[int]:
    """A fold number per example, stratified by language and label, deterministic."""
    assignment = [0] * len(examples)
    groups: dict[tuple[str, Label], list[int]] = {}
    for i, e in enumerate(examples):
        groups.setdefault((_language(e), e.label), []).append(i)
    offset = 0
    for _, members in sorted(groups.items()):
        for rank, i in enumerate(members):
            assignment[i] = (rank + offset) % folds
        offset += len(members)
    return assignment


def out_of_fold_scores(
    examples: Sequence[LabelledExample],
    *,
    folds: int = FOLDS,
    c: float = REGULARISATION_C,
    rows: Sequence[Sequence[float]] | None = None,
) -> list[float]:
    """Each example's score from a model trained on the other folds (cross-validation)."""
    rows = feature_matrix(examples) if rows is None else rows
    labels = [int(e.label is Label.RELEVANT) for e in examples]
    fold_of = _folds(examples, folds)
    scores = [0.0] * len(examples)
    for fold in range(folds):
        train = [i for i in range(len(examples)) if fold_of[i] != fold]
        test = [i for i in range(len(examples)) if fold_of[i] == fold]
        if not test:
            continue
        fitted = _fit([rows[i] for i in train], [labels[i] for i in train], c)
        for i, p in zip(test, _probabilities([rows[i] for i in test], fitted), strict=True):
            scores[i] = p
    return scores


def choose_threshold(
    examples: Sequence[LabelledExample], scores: Sequence[float], matched: Sequence[bool]
) -> float:
    """The middle of the widest-margin band of thresholds with the least cost on these scores.

    Cost, summed over languages so each counts alike: ``RECALL_WEIGHT × (1 − recall) +
    (1 − precision)`` (a missed article costs more than a noisy one). On a small, nearly
    separable corpus many thresholds tie; the middle of the tie keeps the largest margin on
    both sides instead of hugging the lowest-scoring relevant article.
    """
    languages = sorted({_language(e) for e in examples})
    costs: list[tuple[float, float]] = []
    for step in range(5, 96):
        t = step / 100
        cost = 0.0
        for lang in languages:
            s = _scores(
                (m and score >= t, e.label is Label.RELEVANT)
                for e, score, m in zip(examples, scores, matched, strict=True)
                if _language(e) == lang
            )
            if s.true_positives + s.false_negatives:
                cost += RECALL_WEIGHT * (1 - s.recall) + (1 - s.precision)
        costs.append((cost, t))
    least = min(cost for cost, _ in costs)
    tied = [t for cost, t in costs if cost <= least + 1e-9]
    return tied[len(tied) // 2]


def train_model(
    examples: Iterable[LabelledExample],
    *,
    topic: str,
    query: str | None,
    c: float = REGULARISATION_C,
) -> RelevanceModel:
    """Fit a model on labelled examples; the threshold comes from cross-validation on them.

    Raises :class:`~monitor.errors.RelevanceTrainingError` when either class has fewer than
    :data:`MIN_PER_CLASS` examples.
    """
    examples = list(examples)
    _check_counts(examples)
    rows = feature_matrix(examples)
    labels = [int(e.label is Label.RELEVANT) for e in examples]
    compiled = compile_query(query) if query else None
    matched = query_matches(examples, compiled) if compiled else [True] * len(examples)
    oof = out_of_fold_scores(examples, c=c, rows=rows)
    threshold = choose_threshold(examples, oof, matched)
    mean, scale, coef, intercept = _fit(rows, labels, c)
    cv = {
        lang: score.as_dict()
        for lang, score in _per_language(examples, oof, matched, threshold).items()
    }
    counts: dict[str, dict[str, int]] = {}
    for e in examples:
        entry = counts.setdefault(_language(e), {"relevant": 0, "irrelevant": 0})
        entry[e.label.value] += 1
    return RelevanceModel(
        topic=topic,
        threshold=threshold,
        query=query,
        mean=mean,
        scale=scale,
        coef=coef,
        intercept=intercept,
        features=FEATURE_NAMES,
        metadata={
            "trained_at": datetime.now(UTC).replace(microsecond=0).isoformat(),
            "examples": counts,
            "regularisation_c": c,
            "cross_validation": cv,
        },
    )


def _per_language(
    examples: Sequence[LabelledExample],
    scores: Sequence[float],
    matched: Sequence[bool],
    threshold: float,
) -> dict[str, LanguageScores]:
    languages = sorted({_language(e) for e in examples})
    return {
        lang: _scores(
            (m and s >= threshold, e.label is Label.RELEVANT)
            for e, s, m in zip(examples, scores, matched, strict=True)
            if _language(e) == lang
        )
        for lang in languages
    }


def evaluate(
    model: RelevanceModel,
    examples: Iterable[LabelledExample],
    query: CompiledQuery | None = None,
    threshold: float | None = None,
) -> dict[str, LanguageScores]:
    """Per-language precision, recall, F1 of the final decision (query AND model) on examples."""
    examples = list(examples)
    matched = query_matches(examples, query)
    scores = [model.score(e.title, e.text, e.language).score for e in examples]
    cut = model.threshold if threshold is None else threshold
    return _per_language(examples, scores, matched, cut)


def cross_validate(
    examples: Iterable[LabelledExample],
    *,
    folds: int = FOLDS,
    c: float = REGULARISATION_C,
    query: CompiledQuery | None = None,
) -> tuple[dict[str, LanguageScores], float]:
    """Cross-validated per-language scores on training examples, and the chosen threshold."""
    examples = list(examples)
    _check_counts(examples)
    matched = query_matches(examples, query)
    oof = out_of_fold_scores(examples, folds=folds, c=c)
    threshold = choose_threshold(examples, oof, matched)
    return _per_language(examples, oof, matched, threshold), threshold
