"""``monitor relevance``: evaluate and (re)train the relevance model (stage 2 of matching)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from monitor.errors import ConfigError

if TYPE_CHECKING:
    from monitor.cli.main import State
    from monitor.relevance import LabelledExample, LanguageScores, RelevanceModel

relevance_app = typer.Typer(
    help="Evaluate and retrain the relevance model (is the topic the article's subject?).",
    no_args_is_help=True,
)
console = Console(highlight=False, soft_wrap=True)


def _state(ctx: typer.Context) -> State:
    state: State = ctx.find_root().obj
    return state


def configured_model_path(state: State | None) -> Path | None:
    """The ``[relevance] model`` of the config file, if there is one (None: packaged model)."""
    if state is None:
        return None
    try:
        config = state.config
    except ConfigError:
        if state.config_path is not None:
            raise
        return None  # no config file: the embedded defaults use the packaged model
    section = getattr(config, "relevance", None)
    model = getattr(section, "model", None) if section is not None else None
    return Path(model) if model else None


def _load_model(state: State | None, model: Path | None) -> RelevanceModel:
    from monitor.relevance import RelevanceModel

    return RelevanceModel.load(model if model is not None else configured_model_path(state))


def _print_scores(title: str, scores: dict[str, LanguageScores], threshold: float) -> None:
    table = Table(title=f"{title} (threshold {threshold:.2f}; final = query AND model)")
    for column in ("language", "precision", "recall", "F1", "n", "tp", "fp", "fn"):
        table.add_column(column, justify="right")
    for lang, s in sorted(scores.items()):
        table.add_row(
            lang,
            f"{s.precision:.3f}",
            f"{s.recall:.3f}",
            f"{s.f1:.3f}",
            str(s.n),
            str(s.true_positives),
            str(s.false_positives),
            str(s.false_negatives),
        )
    console.print(table)


def _json_scores(scores: dict[str, LanguageScores]) -> dict[str, dict[str, Any]]:
    return {
        lang: {
            "precision": round(s.precision, 4),
            "recall": round(s.recall, 4),
            "f1": round(s.f1, 4),
            "n": s.n,
        }
        for lang, s in sorted(scores.items())
    }


def training_examples(
    corpora: Sequence[Path], *, packaged: bool = True, extra: Sequence[LabelledExample] = ()
) -> list[LabelledExample]:
    """The packaged train split and the seeds (unless ``packaged`` is off), the given corpus
    files, and ``extra`` examples (the hook for analyst feedback rows)."""
    from monitor.relevance import load_corpus, packaged_corpus, seed_examples

    examples = [*packaged_corpus("train"), *seed_examples()] if packaged else []
    for path in corpora:
        examples.extend(load_corpus(path))
    examples.extend(extra)
    return examples


@relevance_app.command("eval")
def eval_command(
    ctx: typer.Context,
    corpus: Annotated[
        list[Path] | None,
        typer.Option(help="JSON-lines corpus file(s) (default: the packaged held-out part)."),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print {lang: {precision, recall, f1, n}}.")
    ] = False,
    cv: Annotated[
        bool,
        typer.Option("--cv", help="Cross-validate on the packaged TRAIN part (and --corpus)."),
    ] = False,
    folds: Annotated[int, typer.Option(min=2, max=20, help="Folds for --cv.")] = 5,
    model: Annotated[
        Path | None, typer.Option(help="Model file (default: configured, else packaged).")
    ] = None,
    threshold: Annotated[
        float | None, typer.Option(min=0.0, max=1.0, help="Override the model's threshold.")
    ] = None,
) -> None:
    """Precision, recall and F1 per language of the final decision (query AND model)."""
    from monitor.relevance import cross_validate, evaluate, load_corpus, packaged_corpus

    state = _state(ctx)
    if cv:
        examples = training_examples(corpus or [])
        scores, cut = cross_validate(examples, folds=folds)
        title = f"{folds}-fold cross-validation on {len(examples)} training examples"
    else:
        relevance_model = _load_model(state, model)
        examples = (
            [e for path in corpus for e in load_corpus(path)]
            if corpus
            else packaged_corpus("heldout")
        )
        if not examples:
            raise typer.BadParameter("no examples to evaluate", param_hint="--corpus")
        scores = evaluate(relevance_model, examples, threshold=threshold)
        cut = relevance_model.threshold if threshold is None else threshold
        title = f"{len(examples)} example(s), topic {relevance_model.topic}"
    if as_json:
        console.print_json(json.dumps(_json_scores(scores)))
    else:
        _print_scores(title, scores, cut)


def train_command(
    state: State | None,
    corpora: Sequence[Path],
    *,
    out: Path | None,
    packaged: bool = True,
    topic: str | None = None,
    query: str | None = None,
    extra: Sequence[LabelledExample] = (),
) -> Path:
    """Train on the examples and write the model; returns where it was written.

    ``extra`` is where callers add more labelled examples (e.g. analyst feedback).
    """
    from monitor.query import DEFAULT_QUERY
    from monitor.relevance import DEFAULT_TOPIC, PACKAGED_MODEL, save_model, train_model

    examples = training_examples(corpora, packaged=packaged, extra=extra)
    model = train_model(
        examples,
        topic=topic or DEFAULT_TOPIC,
        query=query if query is not None else (DEFAULT_QUERY if packaged else None),
    )
    target = out if out is not None else configured_model_path(state) or PACKAGED_MODEL
    return save_model(model, target)


def _feedback(state: State) -> list[LabelledExample]:
    """The analysts' labels from the configured database; none (said once) when there is no
    database yet."""
    from monitor.errors import DatabaseError
    from monitor.feedback import feedback_examples

    try:
        state.config  # noqa: B018 - loads and validates the config
    except ConfigError:
        if state.config_path is not None:
            raise
        return []
    try:
        examples = feedback_examples(state.database())
    except DatabaseError as exc:
        console.print(f"no analyst feedback used: {exc}", markup=False)
        return []
    console.print(
        f"analyst feedback: {len(examples)} labelled stor{'y' if len(examples) == 1 else 'ies'}"
    )
    return examples


@relevance_app.command("train")
def train(
    ctx: typer.Context,
    corpus: Annotated[
        list[Path] | None, typer.Option(help="More JSON-lines corpus file(s) to train on.")
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(help="Where to write the model (default: configured, else packaged)."),
    ] = None,
    only: Annotated[
        bool,
        typer.Option("--only", help="Train on the --corpus files alone (another topic)."),
    ] = False,
    topic: Annotated[str | None, typer.Option(help="Topic name stored in the model.")] = None,
    query: Annotated[
        str | None, typer.Option(help="The query the model is for (default: the built-in one).")
    ] = None,
    feedback: Annotated[
        bool,
        typer.Option(
            "--feedback/--no-feedback",
            help="Also learn from the analysts' labels in the database (`monitor feedback`).",
        ),
    ] = True,
) -> None:
    """Retrain the model on the packaged training corpus, the seeds, any --corpus files and
    the analysts' feedback."""
    from monitor.relevance import RelevanceModel

    if only and not corpus:
        raise typer.BadParameter("--only needs at least one --corpus file", param_hint="--only")
    extra = _feedback(_state(ctx)) if feedback else []
    path = train_command(
        _state(ctx),
        corpus or [],
        out=out,
        packaged=not only,
        topic=topic,
        query=query,
        extra=extra,
    )
    model = RelevanceModel.load(path)
    cv = model.metadata.get("cross_validation", {})
    console.print(f"wrote {path} (topic {model.topic}, threshold {model.threshold:.2f})")
    for lang, s in sorted(cv.items()):
        console.print(
            f"  cv {lang}: precision {s['precision']:.3f} recall {s['recall']:.3f} "
            f"f1 {s['f1']:.3f} n {s['n']}"
        )
