"""Shingle-based precision/recall metric of the article-extraction benchmark.

Tokens are ``\\w+`` matches; shingles are runs of 4 tokens counted as a multiset (a text of
1-3 tokens is a single shingle). Per page, TP is the multiset overlap, FP the predicted surplus
and FN the truth surplus. Precision is averaged over pages with TP+FP > 0, recall over pages
with TP+FN > 0, and F1 = 2PR/(P+R) of those two averages.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = [
    "PageScore",
    "Scores",
    "aggregate",
    "score_page",
    "shingles",
    "token_f1",
    "tokenize",
]

_TOKEN_RE = re.compile(r"\w+")
SHINGLE_SIZE = 4


def tokenize(text: str) -> list[str]:
    """Return the ``\\w+`` tokens of ``text`` (case preserved, as in the benchmark)."""
    return _TOKEN_RE.findall(text)


def shingles(text: str, size: int = SHINGLE_SIZE) -> Counter[tuple[str, ...]]:
    """Return the multiset of ``size``-token shingles; 1..size-1 tokens form one shingle."""
    tokens = tokenize(text)
    if not tokens:
        return Counter()
    if len(tokens) < size:
        return Counter([tuple(tokens)])
    return Counter(tuple(tokens[i : i + size]) for i in range(len(tokens) - size + 1))


@dataclass(frozen=True)
class PageScore:
    """True positives, false positives and false negatives of one page."""

    tp: int
    fp: int
    fn: int

    @property
    def precision(self) -> float | None:
        """Page precision, or ``None`` when nothing was predicted and nothing matched."""
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else None

    @property
    def recall(self) -> float | None:
        """Page recall, or ``None`` when the truth is empty."""
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else None


@dataclass(frozen=True)
class Scores:
    """Benchmark-level averages."""

    precision: float
    recall: float
    f1: float
    pages: int


def score_page(predicted: str, truth: str) -> PageScore:
    """Score one page's predicted body against its ground-truth body."""
    pred, gold = shingles(predicted), shingles(truth)
    tp = sum((pred & gold).values())
    return PageScore(tp=tp, fp=sum(pred.values()) - tp, fn=sum(gold.values()) - tp)


def aggregate(pages: Iterable[PageScore]) -> Scores:
    """Average page precision and recall (skipping undefined pages) and combine into F1."""
    precisions: list[float] = []
    recalls: list[float] = []
    count = 0
    for page in pages:
        count += 1
        if page.precision is not None:
            precisions.append(page.precision)
        if page.recall is not None:
            recalls.append(page.recall)
    p = sum(precisions) / len(precisions) if precisions else 0.0
    r = sum(recalls) / len(recalls) if recalls else 0.0
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    return Scores(precision=p, recall=r, f1=f1, pages=count)


def token_f1(predicted: str, truth: str) -> float:
    """Bag-of-tokens F1 (case-insensitive) between two texts; 1.0 when both are empty."""
    pred = Counter(t.lower() for t in tokenize(predicted))
    gold = Counter(t.lower() for t in tokenize(truth))
    if not pred and not gold:
        return 1.0
    tp = sum((pred & gold).values())
    if tp == 0:
        return 0.0
    p, r = tp / sum(pred.values()), tp / sum(gold.values())
    return 2 * p * r / (p + r)
