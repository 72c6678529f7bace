"""Deduplication without a database: URL identity, exact fingerprints, near-duplicate stories."""

from monitor.dedup.fingerprint import content_fingerprint, normalize_for_fingerprint
from monitor.dedup.near import (
    DEFAULT_THRESHOLD,
    StoryIndex,
    estimated_similarity,
    minhash_signature,
    signature_from_bytes,
)
from monitor.dedup.urls import (
    canonicalize_url,
    registered_domain,
    resolve_search_redirect,
    same_site,
)

__all__ = [
    "DEFAULT_THRESHOLD",
    "StoryIndex",
    "canonicalize_url",
    "content_fingerprint",
    "estimated_similarity",
    "minhash_signature",
    "normalize_for_fingerprint",
    "registered_domain",
    "resolve_search_redirect",
    "same_site",
    "signature_from_bytes",
]
