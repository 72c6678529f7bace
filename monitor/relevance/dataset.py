"""Labelled articles for training and evaluating relevance models (JSON lines and seeds)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Literal

from monitor.errors import RelevanceTrainingError
from monitor.relevance.language import detect_language

CORPUS_DIR = Path(__file__).resolve().with_name("corpus")
#: The repository's seed articles (first line title, then text): all relevant positives.
SEEDS_DIR = Path(__file__).resolve().parents[2] / "seeds"

Split = Literal["train", "heldout"]


class Label(StrEnum):
    """An analyst's judgement of one article."""

    RELEVANT = "relevant"
    IRRELEVANT = "irrelevant"


@dataclass(frozen=True)
class LabelledExample:
    """One labelled article; ``kind`` says what sort of coverage or noise it is, if known."""

    title: str
    text: str
    language: str | None
    label: Label
    id: str = ""
    kind: str = ""


def _example(record: object, where: str) -> LabelledExample:
    if not isinstance(record, dict):
        raise RelevanceTrainingError(f"{where}: expected a JSON object")
    try:
        label = Label(str(record.get("label", "")).strip().lower())
    except ValueError:
        raise RelevanceTrainingError(
            f"{where}: label must be 'relevant' or 'irrelevant', not {record.get('label')!r}"
        ) from None
    title, text = record.get("title") or "", record.get("text") or ""
    if not isinstance(title, str) or not isinstance(text, str):
        raise RelevanceTrainingError(f"{where}: title and text must be strings")
    if not (title.strip() or text.strip()):
        raise RelevanceTrainingError(f"{where}: no title and no text")
    language = record.get("language") or detect_language(title, text)
    return LabelledExample(
        title=title,
        text=text,
        language=str(language).lower() if language else None,
        label=label,
        id=str(record.get("id") or ""),
        kind=str(record.get("kind") or ""),
    )


def load_corpus(path: Path | str) -> list[LabelledExample]:
    """Every example of a JSON-lines file (``title``, ``text``, ``language``, ``label``)."""
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise RelevanceTrainingError(f"{path}: cannot read corpus: {exc}") from exc
    examples = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise RelevanceTrainingError(f"{path}:{number}: not JSON: {exc.msg}") from exc
        examples.append(_example(record, f"{path}:{number}"))
    return examples


def packaged_corpus(split: Split) -> list[LabelledExample]:
    """The team's corpus shipped with the package: ``train`` or ``heldout``, all languages."""
    if split not in ("train", "heldout"):
        raise ValueError(f"unknown split {split!r}")
    examples: list[LabelledExample] = []
    for path in sorted(CORPUS_DIR.glob(f"*_{split}.jsonl")):
        examples.extend(load_corpus(path))
    return examples


def seed_examples(directory: Path | None = None) -> list[LabelledExample]:
    """The seed articles as relevant examples (none when the folder is absent, e.g. installed)."""
    directory = SEEDS_DIR if directory is None else directory
    examples = []
    for path in sorted(directory.glob("*.txt")) if directory.is_dir() else []:
        title, _, text = path.read_text(encoding="utf-8").strip().partition("\n")
        examples.append(
            LabelledExample(
                title=title.strip(),
                text=text.strip(),
                language=detect_language(title, text),
                label=Label.RELEVANT,
                id=f"seed:{path.stem}",
                kind="seed",
            )
        )
    return examples
