"""Near-duplicate signatures and the story index."""

from __future__ import annotations

import itertools
import random

import numpy as np
import pytest

from monitor.dedup import (
    DEFAULT_THRESHOLD,
    StoryIndex,
    estimated_similarity,
    minhash_signature,
    signature_from_bytes,
)
from monitor.dedup.near import NUM_PERM, SIGNATURE_BYTES, lsh_params, shingles
from tests.dedup.corpus import (
    BODY,
    different_story_same_topic,
    seed_text,
    syndicated_variants,
)

SITE_TRAILER = (
    "\n\nRelated posts\n\nVan Klaveren: Chile set to play a more active regional role\n\n"
    "This website uses cookies to improve your experience. We'll assume you're ok with this, "
    "but you can opt-out if you wish. Accept Read More\n\nPrivacy & Cookies Policy"
)


def _random_signature(rng: np.random.Generator) -> bytes:
    return b"\x01" + rng.integers(0, 2**32 - 1, NUM_PERM, dtype=np.uint64).astype("<u4").tobytes()


def test_body_is_realistic() -> None:
    assert 550 <= len(BODY.split()) <= 650


def test_signature_format_round_trips() -> None:
    signature = minhash_signature(BODY)
    assert len(signature) == SIGNATURE_BYTES == 513
    assert minhash_signature(BODY) == signature  # deterministic across calls (and processes)
    lean = signature_from_bytes(signature)
    assert len(lean.hashvalues) == NUM_PERM
    assert lean.jaccard(signature_from_bytes(minhash_signature(BODY + " Extra words."))) > 0.9
    with pytest.raises(ValueError):
        signature_from_bytes(signature[:-1])
    with pytest.raises(ValueError):
        estimated_similarity(signature, b"\x02" + signature[1:])


def test_shingles() -> None:
    assert shingles("One two three four five six") == {
        b"one two three four five",
        b"two three four five six",
    }
    assert shingles("Short text") == {b"short text"}
    assert shingles("") == set()


def test_estimated_similarity_tracks_jaccard() -> None:
    text = BODY
    half = " ".join(BODY.split()[: len(BODY.split()) // 2])
    a, b = shingles(text), shingles(half)
    exact = len(a & b) / len(a | b)
    assert (
        abs(estimated_similarity(minhash_signature(text), minhash_signature(half)) - exact) < 0.12
    )
    assert estimated_similarity(minhash_signature(text), minhash_signature(text)) == 1.0


@pytest.mark.parametrize("name", sorted(syndicated_variants()))
def test_syndicated_variants_are_the_same_story(name: str) -> None:
    variant = syndicated_variants()[name]
    similarity = estimated_similarity(minhash_signature(BODY), minhash_signature(variant))
    assert similarity >= 0.85, similarity
    index = StoryIndex()
    index.add(1, minhash_signature(BODY))
    index.add(2, minhash_signature(different_story_same_topic()))
    assert [key for key, _ in index.find(minhash_signature(variant))] == [1]


def test_excerpts_and_lightly_rewritten_copies_still_join() -> None:
    paragraphs = BODY.split("\n\n")
    first_half = "\n\n".join(paragraphs[:6])
    with_context = BODY + "\n\n" + different_story_same_topic()
    rng = random.Random(7)
    words = BODY.split()
    for i in range(0, len(words) - 25, 25):  # one word in 25 replaced
        words[i + rng.randrange(25)] = f"edit{i}"
    edited = " ".join(words)
    index = StoryIndex()
    index.add(1, minhash_signature(BODY))
    for text in (first_half, with_context, edited):
        assert [key for key, _ in index.find(minhash_signature(text))] == [1]


def test_different_articles_on_the_same_topic_are_different_stories() -> None:
    texts = [BODY, different_story_same_topic()] + [seed_text(n) for n in range(5)]
    texts += [seed_text(n) + SITE_TRAILER for n in (0, 2, 3)]  # shared site boilerplate
    signatures = [minhash_signature(text) for text in texts]
    for a, b in itertools.combinations(range(len(texts)), 2):
        if {a, b} in ({2, 7}, {4, 8}, {5, 9}):
            continue  # a seed and itself with the trailer
        # shared boilerplate (seed 4 ends with SITE_TRAILER) measures ~0.11
        assert estimated_similarity(signatures[a], signatures[b]) < 0.25, (a, b)
    index = StoryIndex()
    index.add_many(enumerate(signatures[:7]))
    for key, signature in enumerate(signatures[:7]):
        assert index.find(signature) == [(key, 1.0)]


def test_a_roundup_quoting_some_wire_paragraphs_is_not_the_wire_story() -> None:
    paragraphs = BODY.split("\n\n")
    roundup = different_story_same_topic() + "\n\n" + "\n\n".join(paragraphs[2:6])
    similarity = estimated_similarity(minhash_signature(BODY), minhash_signature(roundup))
    assert similarity < DEFAULT_THRESHOLD - 0.1
    index = StoryIndex()
    index.add(1, minhash_signature(BODY))
    assert index.find(minhash_signature(roundup)) == []


def test_index_basics() -> None:
    index = StoryIndex(threshold=0.6)
    assert len(index) == 0 and index.find(minhash_signature(BODY)) == []
    index.add(10, minhash_signature(BODY))
    index.add(11, minhash_signature(BODY + SITE_TRAILER))
    index.add(12, minhash_signature(seed_text(1)))
    assert len(index) == 3 and 10 in index
    found = index.find(minhash_signature(BODY))
    assert [key for key, _ in found] == [10, 11]
    assert found[0][1] == 1.0 and 0.6 <= found[1][1] < 1.0
    index.add(10, minhash_signature(seed_text(2)))  # replaces key 10
    assert len(index) == 3
    assert [key for key, _ in index.find(minhash_signature(BODY))] == [11]
    assert [key for key, _ in index.find(minhash_signature(seed_text(2)))] == [10]
    index.remove(11)
    assert index.find(minhash_signature(BODY)) == [] and 11 not in index
    with pytest.raises(KeyError):
        index.remove(11)
    with pytest.raises(ValueError):
        index.add(13, b"junk")
    with pytest.raises(ValueError):
        StoryIndex(threshold=0)


@pytest.mark.parametrize("threshold", [0.3, 0.5, 0.6, 0.8, 0.9])
def test_lsh_bands_propose_pairs_at_the_threshold(threshold: float) -> None:
    bands, rows = lsh_params(threshold)
    assert bands * rows <= NUM_PERM and bands >= 2
    assert 1 - (1 - threshold**rows) ** bands >= 0.98


def test_index_finds_a_planted_neighbour_among_many() -> None:
    rng = np.random.default_rng(3)
    signatures = [_random_signature(rng) for _ in range(5000)]
    index = StoryIndex()
    index.add_many(enumerate(signatures[:4000]))
    for key in range(4000, 5000):  # through the unsorted tail and a fold
        index.add(key, signatures[key])
    # a copy of 4321 with ~40% of its values changed (Jaccard ~0.6)
    values = np.frombuffer(signatures[4321], dtype="<u4", offset=1).copy()
    changed = rng.choice(NUM_PERM, 50, replace=False)
    values[changed] = rng.integers(0, 2**32 - 1, 50, dtype=np.uint64).astype("<u4")
    found = index.find(b"\x01" + values.tobytes())
    assert found == [(4321, pytest.approx(78 / 128))]
    for key in (0, 3999, 4000, 4999):
        assert index.find(signatures[key]) == [(key, 1.0)]


def test_an_index_of_50k_signatures_finds_exact_matches_only() -> None:
    # Speed is measured in bench/, not here: this checks the large index stays correct.
    rng = np.random.default_rng(5)
    signatures = [_random_signature(rng) for _ in range(50_000)]
    index = StoryIndex()
    index.add_many(enumerate(signatures))
    assert len(index) == 50_000
    assert index.find(signatures[123]) == [(123, 1.0)]
