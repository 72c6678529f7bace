"""Fixtures for the cleaning-stage tests: the five reference seeds and their boilerplate."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

SEEDS_DIR = Path(__file__).resolve().parents[2] / "seeds"

# Lines at the end of each seed file that are page furniture, not article text (prefixes of
# the stripped line). Seed 003 has no title line of its own: its first line is the title.
SEED_BOILERPLATE_TAIL: dict[str, tuple[str, ...]] = {
    "000": ("Please enter your comment!", "Please enter your name here"),
    "001": (
        "Continue reading HERE.",
        "1 thought on “As Biden tries to cozy up to communist Cuba",
        "1. All of those Cubans in military uniform",
        "Comments are closed.",
    ),
    "002": (),
    "003": (),
    "004": (
        "Maduro points at Chile for involvement in attack as Trump imposes new sanctions",
        "Related posts",
        "Van Klaveren: Chile set to play a more active regional role",
        "Stephanie Iancu",
        "UPDATE: Chilean journalists imprisoned in Venezuela to be deported",
        "Boris van der Spek",
        "Who is Iván Duque, Colombia’s new president?",
        "This website uses cookies to improve your experience.",
        "Privacy & Cookies Policy",
    ),
}


@dataclass(frozen=True)
class Seed:
    """A reference seed split into title, article paragraphs and boilerplate tail lines."""

    seed_id: str
    title: str
    paragraphs: list[str]
    tail: list[str]


def _is_tail(line: str, prefixes: tuple[str, ...]) -> bool:
    return any(line.startswith(prefix) for prefix in prefixes)


def load_seed(path: Path) -> Seed:
    """Parse a seed file: line 1 is the title, the remaining non-empty lines are paragraphs."""
    seed_id = path.name[:3]
    lines = [line.strip() for line in path.read_text(encoding="utf-8").splitlines()]
    lines = [line for line in lines if line]
    prefixes = SEED_BOILERPLATE_TAIL[seed_id]
    title, rest = lines[0], lines[1:]
    paragraphs = [line for line in rest if not _is_tail(line, prefixes)]
    tail = [line for line in rest if _is_tail(line, prefixes)]
    assert len(tail) >= len(set(prefixes)) - 1, f"seed {seed_id}: boilerplate list out of date"
    return Seed(seed_id, title, paragraphs, tail)


SEED_PATHS = sorted(SEEDS_DIR.glob("*.txt"))


@pytest.fixture(params=SEED_PATHS, ids=[p.name[:3] for p in SEED_PATHS])
def seed(request: pytest.FixtureRequest) -> Seed:
    """Each of the five reference seeds."""
    return load_seed(request.param)
