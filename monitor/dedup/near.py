"""Near-duplicate detection: MinHash signatures of word 5-shingles and an in-memory LSH index.

A signature is 513 bytes: a format byte and 128 little-endian uint32 MinHash values (datasketch
keeps every value below 2**32, so uint32 is lossless). Signatures are what the database stores;
:class:`StoryIndex` is rebuilt from them at crawl start.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

import numpy as np
from datasketch import LeanMinHash, MinHash

from monitor.dedup.fingerprint import normalize_for_fingerprint

__all__ = [
    "DEFAULT_THRESHOLD",
    "NUM_PERM",
    "SHINGLE_WORDS",
    "SIGNATURE_BYTES",
    "StoryIndex",
    "estimated_similarity",
    "minhash_signature",
    "shingles",
    "signature_from_bytes",
]

NUM_PERM = 128
SHINGLE_WORDS = 5
SEED = 1
DEFAULT_THRESHOLD = 0.5
_FORMAT = b"\x01"
_DTYPE = np.dtype("<u4")
SIGNATURE_BYTES = len(_FORMAT) + NUM_PERM * _DTYPE.itemsize


def shingles(text: str, size: int = SHINGLE_WORDS, *, normalized: str | None = None) -> set[bytes]:
    """The set of word ``size``-shingles of the normalised text (one shingle if shorter)."""
    words = (normalize_for_fingerprint(text) if normalized is None else normalized).split()
    if len(words) <= size:
        return {" ".join(words).encode("utf-8")} if words else set()
    return {" ".join(words[i : i + size]).encode("utf-8") for i in range(len(words) - size + 1)}


@lru_cache(maxsize=1)
def _permutations() -> np.ndarray:
    """datasketch's permutations for (NUM_PERM, SEED), made once: ``MinHash()`` otherwise
    regenerates them from the seed for every text (a sizeable share of the signature's cost)."""
    permutations: np.ndarray = MinHash(num_perm=NUM_PERM, seed=SEED).permutations
    permutations.setflags(write=False)
    return permutations


def minhash_signature(text: str, *, normalized: str | None = None) -> bytes:
    """The serialised MinHash (num_perm=128) of the text's word 5-shingles.

    An empty text gets the empty-set signature, which only matches other empty texts. Pass
    ``normalized`` when the caller already has :func:`normalize_for_fingerprint` of the text.
    """
    minhash = MinHash(num_perm=NUM_PERM, seed=SEED, permutations=_permutations())
    minhash.update_batch(sorted(shingles(text, normalized=normalized)))
    return _FORMAT + minhash.hashvalues.astype(_DTYPE).tobytes()


def _values(signature: bytes) -> np.ndarray:
    if len(signature) != SIGNATURE_BYTES or signature[:1] != _FORMAT:
        raise ValueError(f"not a MinHash signature ({len(signature)} bytes)")
    return np.frombuffer(signature, dtype=_DTYPE, offset=1).astype(np.uint64)


def signature_from_bytes(signature: bytes) -> LeanMinHash:
    """The datasketch ``LeanMinHash`` a signature stands for; ``ValueError`` if malformed."""
    return LeanMinHash(seed=SEED, hashvalues=_values(signature))


def estimated_similarity(a: bytes, b: bytes) -> float:
    """Estimated Jaccard similarity of the two texts' shingle sets (0.0–1.0)."""
    return float(np.count_nonzero(_values(a) == _values(b))) / NUM_PERM


LSH_RECALL = 0.98
# Odd 64-bit multipliers that turn a band of MinHash values into one hash (fixed: reproducible).
_BAND_MIX = np.random.default_rng(0x5EED).integers(1, 2**63, NUM_PERM, dtype=np.uint64) | np.uint64(
    1
)


def _band_recall(similarity: float, bands: int, rows: int) -> float:
    return 1.0 - (1.0 - similarity**rows) ** bands


@lru_cache(maxsize=32)
def lsh_params(threshold: float) -> tuple[int, int]:
    """LSH ``(bands, rows)`` for a threshold: the most selective banding that still proposes a
    pair at exactly the threshold with probability >= 0.98.

    Recall matters more than precision: every proposed candidate is verified against the
    threshold afterwards, so a false candidate costs one vector comparison, a missed one a
    split story. (datasketch's own optimum balances both and finds only ~55% at 0.5.)
    """
    for rows in range(NUM_PERM // 2, 0, -1):
        bands = NUM_PERM // rows
        if _band_recall(threshold, bands, rows) >= LSH_RECALL:
            return bands, rows
    return NUM_PERM // 2, 2


class StoryIndex:
    """In-memory MinHash LSH over article signatures: which stored articles is a text near?

    Banded LSH (see :func:`lsh_params`) kept in numpy arrays: all band hashes of the indexed
    signatures in one sorted array (binary search per query), recent additions in a small
    unsorted tail that is scanned and folded in when it grows. Building from 50k signatures
    takes well under a second (datasketch's dict-of-sets ``MinHashLSH`` needs ~9 s).
    ``find`` returns only candidates whose estimated Jaccard similarity really is at least
    ``threshold`` (the bands merely propose them), best first.
    """

    def __init__(self, threshold: float = DEFAULT_THRESHOLD) -> None:
        if not 0.0 < threshold <= 1.0:
            raise ValueError("threshold must be in (0, 1]")
        self.threshold = threshold
        self.bands, self.rows = lsh_params(threshold)
        self._mix = _BAND_MIX[: self.bands * self.rows].reshape(self.bands, self.rows)
        self._row_of: dict[int, int] = {}  # key -> its live row
        self._key_at: list[int] = []  # row -> key (rows of replaced/removed keys are dead)
        self._sigs = np.empty((0, NUM_PERM), dtype=np.uint32)
        self._hashes = np.empty((0, self.bands), dtype=np.uint64)
        self._count = 0  # rows in use
        self._sorted_upto = 0  # rows [0, _sorted_upto) are in the sorted arrays
        self._sorted_hash = np.empty(0, dtype=np.uint64)
        self._sorted_row = np.empty(0, dtype=np.int64)

    def __len__(self) -> int:
        return len(self._row_of)

    def __contains__(self, key: object) -> bool:
        return key in self._row_of

    def _band_hashes(self, values: np.ndarray) -> np.ndarray:
        """``(n, bands)`` uint64 hashes of each band of ``(n, NUM_PERM)`` values."""
        used = values[:, : self.bands * self.rows].astype(np.uint64)
        banded = used.reshape(len(values), self.bands, self.rows)
        mixed = (banded * self._mix).sum(axis=2, dtype=np.uint64)
        return mixed ^ (mixed >> np.uint64(29))

    def _append(self, keys: list[int], values: np.ndarray) -> None:
        needed = self._count + len(keys)
        if needed > len(self._sigs):
            capacity = max(needed, 2 * len(self._sigs), 1024)
            sigs = np.empty((capacity, NUM_PERM), dtype=np.uint32)
            sigs[: self._count] = self._sigs[: self._count]
            hashes = np.empty((capacity, self.bands), dtype=np.uint64)
            hashes[: self._count] = self._hashes[: self._count]
            self._sigs, self._hashes = sigs, hashes
        self._sigs[self._count : needed] = values
        self._hashes[self._count : needed] = self._band_hashes(values)
        for offset, key in enumerate(keys):
            self._row_of[key] = self._count + offset  # a replaced key's old row goes dead
        self._key_at.extend(keys)
        self._count = needed

    def add(self, key: int, signature: bytes) -> None:
        """Index one signature under ``key`` (replacing an earlier one with that key)."""
        self._append([key], _values(signature)[None, :])

    def add_many(self, items: Iterable[tuple[int, bytes]]) -> None:
        """Index many ``(key, signature)`` pairs at once (the crawl-start rebuild)."""
        pairs = list(items)
        if not pairs:
            return
        for _, signature in pairs:
            if len(signature) != SIGNATURE_BYTES or signature[:1] != _FORMAT:
                raise ValueError(f"not a MinHash signature ({len(signature)} bytes)")
        raw = np.frombuffer(b"".join(signature for _, signature in pairs), dtype=np.uint8)
        values = raw.reshape(len(pairs), SIGNATURE_BYTES)[:, 1:].copy().view(_DTYPE)
        self._append([key for key, _ in pairs], values)
        self._fold_tail()

    def remove(self, key: int) -> None:
        """Forget ``key``; ``KeyError`` if it is not indexed."""
        del self._row_of[key]

    def _fold_tail(self) -> None:
        """Move the unsorted tail into the sorted arrays (one argsort of all band hashes)."""
        rows = np.arange(self._count, dtype=np.int64)
        live = np.fromiter(
            (self._row_of.get(key) == row for row, key in enumerate(self._key_at)),
            dtype=bool,
            count=self._count,
        )
        hashes = self._hashes[: self._count][live].ravel()
        owners = np.repeat(rows[live], self.bands)
        order = np.argsort(hashes)
        self._sorted_hash, self._sorted_row = hashes[order], owners[order]
        self._sorted_upto = self._count

    def _candidates(self, query_hashes: np.ndarray) -> np.ndarray:
        tail = self._count - self._sorted_upto
        if tail > max(2048, self._sorted_upto // 8):
            self._fold_tail()
            tail = 0
        found: list[np.ndarray] = []
        if len(self._sorted_hash):
            lo = np.searchsorted(self._sorted_hash, query_hashes, side="left")
            hi = np.searchsorted(self._sorted_hash, query_hashes, side="right")
            found.extend(self._sorted_row[a:b] for a, b in zip(lo, hi, strict=True) if b > a)
        if tail:
            hits = (self._hashes[self._sorted_upto : self._count] == query_hashes).any(axis=1)
            found.append(np.flatnonzero(hits) + self._sorted_upto)
        if not found:
            return np.empty(0, dtype=np.int64)
        return np.unique(np.concatenate(found))

    def find(self, signature: bytes) -> list[tuple[int, float]]:
        """``(key, estimated Jaccard)`` of indexed signatures at or above the threshold, best
        first (ties by key)."""
        values = _values(signature)
        rows = self._candidates(self._band_hashes(values[None, :])[0])
        if not len(rows):
            return []
        equal = np.count_nonzero(self._sigs[rows] == values.astype(np.uint32), axis=1)
        found: list[tuple[int, float]] = []
        for row, same in zip(rows.tolist(), equal.tolist(), strict=True):
            key = self._key_at[row]
            similarity = same / NUM_PERM
            if self._row_of.get(key) == row and similarity >= self.threshold:
                found.append((key, similarity))
        found.sort(key=lambda item: (-item[1], item[0]))
        return found
