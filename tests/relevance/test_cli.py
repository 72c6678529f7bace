"""``monitor relevance eval`` and ``train`` through the real CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import asdict
from pathlib import Path

from tests.relevance.conftest import corpus


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")}
    return subprocess.run(
        [sys.executable, "-m", "monitor", *args],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        timeout=240,
    )


def write_corpus(path: Path, n_relevant: int, n_irrelevant: int) -> Path:
    lines = [json.dumps(asdict(e), ensure_ascii=False) for e in corpus(n_relevant, n_irrelevant)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_eval_json_on_a_corpus_file(tmp_path: Path) -> None:
    path = write_corpus(tmp_path / "c.jsonl", 6, 4)
    result = run_cli("relevance", "eval", "--corpus", str(path), "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    scores = json.loads(result.stdout)
    assert set(scores) == {"en"}
    assert set(scores["en"]) == {"precision", "recall", "f1", "n"}
    assert scores["en"]["n"] == 10


def test_eval_bad_corpus_line_is_one_line_exit_2(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"title": "a", "text": "b", "label": "maybe"}\n')
    result = run_cli("relevance", "eval", "--corpus", str(path), cwd=tmp_path)
    assert result.returncode == 2
    assert "label" in result.stderr and f"{path}:1" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_eval_missing_model_exit_2(tmp_path: Path) -> None:
    path = write_corpus(tmp_path / "c.jsonl", 2, 2)
    missing = tmp_path / "missing.json"
    result = run_cli(
        "relevance", "eval", "--corpus", str(path), "--model", str(missing), cwd=tmp_path
    )
    assert result.returncode == 2
    assert str(missing) in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_train_with_too_few_labels_writes_nothing(tmp_path: Path) -> None:
    path = write_corpus(tmp_path / "few.jsonl", 30, 3)
    out = tmp_path / "model.json"
    result = run_cli(
        "relevance", "train", "--only", "--corpus", str(path), "--out", str(out), cwd=tmp_path
    )
    assert result.returncode == 2
    assert "too few labels" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not out.exists()


def test_train_then_eval_with_the_new_model(tmp_path: Path) -> None:
    path = write_corpus(tmp_path / "c.jsonl", 25, 25)
    out = tmp_path / "model.json"
    result = run_cli(
        "relevance",
        "train",
        "--only",
        "--corpus",
        str(path),
        "--out",
        str(out),
        "--topic",
        "demo-topic",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert str(out) in result.stdout
    assert json.loads(out.read_text())["topic"] == "demo-topic"
    result = run_cli(
        "relevance", "eval", "--corpus", str(path), "--model", str(out), "--json", cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["en"]["f1"] == 1.0


def test_eval_cross_validation_on_the_training_part(tmp_path: Path) -> None:
    result = run_cli("relevance", "eval", "--cv", "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    scores = json.loads(result.stdout)
    assert {"en", "es", "ru"} <= set(scores)
    assert all(0.0 <= s["recall"] <= 1.0 and s["n"] > 0 for s in scores.values())
