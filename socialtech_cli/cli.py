"""The command-line interface: parse options, call one core function, render; errors become exit codes."""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console

from . import __version__
from .errors import InputError, SocialtechError

app = typer.Typer(
    name="socialtech",
    help="Tell which kind of 'tech and social good' actor an organisation is, and why.\n\n"
    'Categories follow the article "Tech for good vs Social Good Tech" (Carenews, 2018); '
    "run `socialtech categories` to list them.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # plain Click help: rich help formatting costs ~65 ms at every start
    context_settings={"help_option_names": ["-h", "--help"]},
)

out = Console(highlight=False)
err = Console(stderr=True, highlight=False)

# One alias per recurring option, so the same flag means the same thing in every command.
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON for scripts instead of a rich view.")]
ModelOpt = Annotated[
    Path | None,
    typer.Option(
        "--model",
        "-m",
        help="Model directory to use (default: $SOCIALTECH_MODEL, then a model you trained, "
        "then the shipped one).",
        show_default=False,
    ),
]
LangOpt = Annotated[
    str | None,
    typer.Option(
        "--lang",
        "-l",
        help="Language of names and sentences: fr or en (default: the text's own language).",
        show_default=False,
    ),
]

ThresholdOpt = Annotated[
    float | None,
    typer.Option(
        help="Abstain below this confidence (default: the model's own).", min=0.0, max=1.0, show_default=False
    ),
]
TextColumnOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--text-column",
        "-t",
        help="Column holding the description; repeat to join several (name + description).",
        show_default=False,
    ),
]
IdColumnOpt = Annotated[
    str | None,
    typer.Option("--id-column", help="Column identifying each row (checked to exist).", show_default=False),
]
ForceOpt = Annotated[bool, typer.Option("--force", help="Replace the output file if it exists.")]

F = TypeVar("F", bound=Callable[..., Any])
# Click's own errors (usage errors keep exit 2); Typer may vendor Click, so find its base class.
_CLICK_ERROR: type[Exception] = next(c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException")


def handle_errors(fn: F) -> F:
    """Expected failures: one red line on stderr and their exit code; never a traceback."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except SocialtechError as e:
            err.print(f"[bold red]error:[/] {e}", soft_wrap=True)
            raise typer.Exit(e.exit_code) from None
        except KeyboardInterrupt:
            err.print("[yellow]interrupted[/]")
            raise typer.Exit(130) from None
        except (typer.Exit, typer.Abort, SystemExit, _CLICK_ERROR):
            raise
        except Exception as e:  # a bug: say so in one line, traceback only on request
            if os.environ.get("SOCIALTECH_DEBUG"):
                raise
            err.print(
                f"[bold red]internal error:[/] {type(e).__name__}: {e} "
                "(set SOCIALTECH_DEBUG=1 for the traceback, and please report it)",
                soft_wrap=True,
            )
            raise typer.Exit(3) from None

    return wrapper  # type: ignore[return-value]


def check_lang(lang: str | None) -> str | None:
    if lang is None:
        return None
    lang = lang.lower()
    if lang not in ("fr", "en"):
        raise typer.BadParameter("must be fr or en", param_hint="--lang")
    return lang


def _version(value: bool) -> None:
    if value:
        out.print(f"socialtech {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit.")
    ] = False,
) -> None:
    pass


def load_classifier(model: Path | None) -> Any:
    from .classify import Classifier

    clf = Classifier.load(model)
    for w in clf.warnings():
        err.print(f"[yellow]warning:[/] {w}")
    return clf


def read_text_input(text: str | None, file: Path | None) -> str:
    """The text to classify, from the argument, '-' (stdin) or --file."""
    from .classify import MAX_CHARS
    from .io import read_text_file

    if text is not None and file is not None:
        raise InputError("give either a TEXT argument or --file, not both")
    if file is not None:
        return read_text_file(file, limit=MAX_CHARS * 4)
    if text == "-":
        data = sys.stdin.buffer.read(MAX_CHARS * 4 + 1)
        return read_text_file(None, data=data, limit=MAX_CHARS * 4)
    if text is None:
        raise InputError("nothing to classify: give a TEXT, '-' to read standard input, or --file PATH")
    return text


@app.command()
@handle_errors
def classify(
    text: Annotated[
        str | None,
        typer.Argument(
            help="Description of the organisation, or '-' to read standard input.", show_default=False
        ),
    ] = None,
    file: Annotated[
        Path | None,
        typer.Option("--file", "-f", help="Read the description from a text file.", show_default=False),
    ] = None,
    json_out: JsonOpt = False,
    lang: LangOpt = None,
    model: ModelOpt = None,
    threshold: ThresholdOpt = None,
) -> None:
    """Classify one organisation: category, confidence, runner-up and why.

    Exit codes: 0 classified (even if flagged uncertain), 1 bad input or model, 2 usage error.
    """
    lang = check_lang(lang)
    value = read_text_input(text, file)
    clf = load_classifier(model)
    pred = clf.classify(value, lang=lang, threshold=threshold)
    if json_out:
        from .render import to_json

        out.print_json(to_json(pred.to_dict())) if out.is_terminal else print(to_json(pred.to_dict()))
    else:
        from .render import prediction_panel

        out.print(prediction_panel(pred, clf.taxonomy))


@app.command()
@handle_errors
def categories(
    json_out: JsonOpt = False, lang: Annotated[str, typer.Option("--lang", "-l", help="fr or en.")] = "en"
) -> None:
    """List the categories: id, name, family, description and the article's examples."""
    from .render import categories_json, categories_table, to_json
    from .taxonomy import load_taxonomy

    lang = check_lang(lang) or "en"
    taxonomy = load_taxonomy()
    if json_out:
        print(to_json(categories_json(taxonomy)))
    else:
        out.print(categories_table(taxonomy, lang))


@app.command()
@handle_errors
def batch(
    input: Annotated[
        str, typer.Argument(help="CSV/TSV, JSON Lines or text file (one description a line); '-' for stdin.")
    ],
    output: Annotated[
        str, typer.Option("--output", "-o", help="Output file (.csv, .tsv or .jsonl); '-' for stdout.")
    ] = "-",
    text_column: TextColumnOpt = None,
    id_column: IdColumnOpt = None,
    delimiter: Annotated[
        str | None, typer.Option(help="CSV delimiter (default: sniffed).", show_default=False)
    ] = None,
    encoding: Annotated[
        str | None,
        typer.Option(
            help="Input encoding (default: UTF-8, with or without BOM, else cp1252).", show_default=False
        ),
    ] = None,
    input_format: Annotated[
        str | None,
        typer.Option(
            "--input-format",
            help="csv, tsv, jsonl or txt (default: from the extension, else sniffed).",
            show_default=False,
        ),
    ] = None,
    fmt: Annotated[
        str | None,
        typer.Option(
            "--format",
            help="Output format: csv, tsv or jsonl (default: from the output's extension).",
            show_default=False,
        ),
    ] = None,
    force: ForceOpt = False,
    no_explain: Annotated[
        bool, typer.Option("--no-explain", help="Leave the explanation column empty (faster).")
    ] = False,
    only_uncertain: Annotated[
        bool, typer.Option("--only-uncertain", help="Write only rows to review: uncertain or in error.")
    ] = False,
    threshold: ThresholdOpt = None,
    jobs: Annotated[int, typer.Option("--jobs", "-j", help="Worker processes.", min=1)] = 1,
    lang: LangOpt = None,
    model: ModelOpt = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar or summary.")] = False,
    json_out: Annotated[bool, typer.Option("--json", help="Print the summary as JSON on stderr.")] = False,
) -> None:
    """Label every row of a file: all input columns kept, in order, plus the label columns.

    Exit codes: 0 every row labelled; 4 done, but some rows could not be classified (see their
    `error` column); 1 nothing written (bad input, output exists, model error); 2 usage error;
    130 interrupted (no output written).
    """
    from . import batch as b

    lang = check_lang(lang)
    for name, value, allowed in (
        ("--format", fmt, ("csv", "tsv", "jsonl")),
        ("--input-format", input_format, b.FORMATS),
    ):
        if value is not None and value not in allowed:
            raise typer.BadParameter(f"must be one of {', '.join(allowed)}", param_hint=name)
    if delimiter in ("\\t", "tab", "TAB"):
        delimiter = "\t"  # a shell passes a literal backslash-t
    if delimiter is not None and len(delimiter) != 1:
        raise typer.BadParameter("must be one character (or \\t for a tab)", param_hint="--delimiter")
    clf = load_classifier(model)
    source = b.open_source(input, input_format, delimiter, encoding)
    columns, guessed = b.pick_text_columns(source.columns, text_column)
    if id_column is not None and source.fmt != "txt" and id_column not in source.columns:
        raise SocialtechError(f"no column {id_column!r}; the columns are: {', '.join(source.columns)}")
    if guessed and not quiet:
        err.print(f"[dim]text column: {', '.join(columns)} (choose with --text-column)[/]")
    # One language for the `name` column of the whole file (a per-row guess would mix them).
    options = b.Options(columns, not no_explain, only_uncertain, threshold, lang or "en")
    show = not quiet and err.is_terminal
    summary = _run_with_progress(b, clf, source, output, options, fmt, force, input, jobs, show)
    if json_out:
        err.print_json(data=_summary_dict(summary))
    elif not quiet:
        from .render import batch_summary

        err.print(batch_summary(summary))
    if summary.errors:
        raise typer.Exit(4)


def _run_with_progress(
    b: Any,
    clf: Any,
    source: Any,
    output: str,
    options: Any,
    fmt: str | None,
    force: bool,
    input: str,
    jobs: int,
    show: bool,
) -> Any:
    if not show:
        return b.run(clf, source, output, options, fmt, force, input, jobs)
    import time

    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    with Progress(
        TextColumn("[bold]labelling"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TextColumn("{task.fields[rows]:,} rows · {task.fields[rate]:,.0f} rows/s"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=err,
        transient=True,
    ) as bar:
        task = bar.add_task("label", total=source.size, rows=0, rate=0.0)
        start = time.perf_counter()

        def progress(rows: int, nbytes: int) -> None:
            elapsed = max(time.perf_counter() - start, 1e-9)
            bar.update(task, completed=nbytes, rows=rows, rate=rows / elapsed)

        return b.run(clf, source, output, options, fmt, force, input, jobs, progress)


def _summary_dict(s: Any) -> dict[str, Any]:
    return {
        "rows": s.rows,
        "written": s.written,
        "errors": s.errors,
        "uncertain": s.uncertain,
        "ragged_rows": s.ragged,
        "per_category": dict(s.per_category),
        "seconds": round(s.seconds, 3),
        "rows_per_second": round(s.rows / s.seconds) if s.seconds else None,
        "text_columns": s.text_columns,
        "output": s.output,
    }


# -- curation: validate, train, evaluate, review, rules audit, model ----------------------------------

DataOpt = Annotated[
    list[Path] | None,
    typer.Option(
        "--data",
        "-d",
        help="Curated CSV (id,text,label,lang,source); repeat to merge, later files win. Default: the shipped examples.",
        show_default=False,
    ),
]
RulesOpt = Annotated[
    Path | None,
    typer.Option("--rules", help="Rules file (default: the shipped data/rules.toml).", show_default=False),
]


def _data_files(data: list[Path] | None) -> list[Path]:
    from . import paths

    return list(data) if data else [paths.examples_path()]


def _rules_file(rules: Path | None) -> Path:
    from . import paths

    return rules or paths.rules_path()


@app.command()
@handle_errors
def validate(
    data: Annotated[
        list[Path] | None,
        typer.Argument(help="Curated CSV files (default: the shipped examples).", show_default=False),
    ] = None,
    rules: RulesOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Check curated data and rules; report every problem at once. Exit 1 on any failure."""
    from .curate import validate as run_validate
    from .taxonomy import load_taxonomy

    report = run_validate(_data_files(data), _rules_file(rules), load_taxonomy())
    if json_out:
        print(_json(report.to_dict()))
    else:
        from .render import validation_report

        out.print(validation_report(report))
    if report.status == "fail":
        raise typer.Exit(1)


@app.command()
@handle_errors
def train(
    data: DataOpt = None,
    rules: RulesOpt = None,
    out_dir: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            help="Model directory to write (default: your user model directory, which classify and batch then use).",
            show_default=False,
        ),
    ] = None,
    folds: Annotated[
        int, typer.Option(help="Cross-validation folds (grouped by organisation).", min=2, max=20)
    ] = 5,
    target_precision: Annotated[
        float,
        typer.Option(
            help="Abstain below the confidence that keeps this precision on auto-labelled rows.",
            min=0.0,
            max=1.0,
        ),
    ] = 0.9,
    jobs: Annotated[int, typer.Option("--jobs", "-j", help="Parallel cross-validation fits.", min=1)] = 2,
    repeats: Annotated[
        int,
        typer.Option(help="Cross-validate on this many different splits and report the mean.", min=1, max=10),
    ] = 3,
    json_out: JsonOpt = False,
) -> None:
    """Validate, cross-validate, fit and save a model (atomically: a failed run keeps the old one)."""
    from . import paths
    from .taxonomy import load_taxonomy
    from .train import train as run_train

    target = out_dir or paths.user_model_dir()
    with err.status("validating, cross-validating and fitting…") if err.is_terminal else _nullcontext():
        result = run_train(
            _data_files(data),
            _rules_file(rules),
            load_taxonomy(),
            target,
            folds,
            target_precision,
            jobs,
            repeats=repeats,
        )
    for p in result.problems:
        err.print(f"[yellow]warning:[/] {p.where() + ': ' if p.where() else ''}{p.message}")
    if json_out:
        print(_json({"model": str(target), **result.meta}))
    else:
        from .render import train_report

        out.print(train_report(result.meta, str(target)))


def _nullcontext() -> Any:
    import contextlib

    return contextlib.nullcontext()


@app.command()
@handle_errors
def evaluate(
    data: DataOpt = None,
    model: ModelOpt = None,
    learning_curve: Annotated[
        bool,
        typer.Option(
            "--learning-curve", help="Also show per-category F1 when training on 25/50/75/100 % of the data."
        ),
    ] = False,
    json_out: JsonOpt = False,
) -> None:
    """Score a model on labelled data: accuracy, per-class P/R/F1, confusion, per language,
    rules alone vs model alone vs combined, and the worst errors with their explanations."""
    from .curate import evaluate as run_evaluate
    from .curate import learning_curve as run_curve

    clf = load_classifier(model)
    files = _data_files(data)
    ev = run_evaluate(clf, files)
    if learning_curve:
        ev.learning_curve = run_curve(files, clf)
    if json_out:
        print(_json(ev.to_dict()))
    else:
        from .render import evaluation_report

        out.print(evaluation_report(ev))


@app.command()
@handle_errors
def review(
    batch_output: Annotated[
        Path | None,
        typer.Argument(
            help="A `socialtech batch` CSV output to review (default: the curated data).", show_default=False
        ),
    ] = None,
    data: DataOpt = None,
    rules: RulesOpt = None,
    model: ModelOpt = None,
    corrections: Annotated[
        Path, typer.Option("--corrections", "-c", help="CSV the decisions are appended to.")
    ] = Path("corrections.csv"),
    export: Annotated[
        Path | None,
        typer.Option(
            "--export", help="Write the ranked list to this CSV instead of reviewing.", show_default=False
        ),
    ] = None,
    limit: Annotated[int, typer.Option(help="Review at most this many rows.", min=1)] = 50,
    text_column: TextColumnOpt = None,
    id_column: IdColumnOpt = None,
    force: ForceOpt = False,
) -> None:
    """Rank rows to check by doubt (likely mislabels, or uncertain batch rows) and review them:
    one keystroke per row — a: accept, 1-6: choose that category, s: skip, q: quit. Each decision
    is appended at once to the corrections CSV; train on it with `socialtech train --data
    data/examples.csv --data corrections.csv`."""
    from . import curate
    from .taxonomy import load_taxonomy

    taxonomy = load_taxonomy()
    if batch_output is not None:
        items = curate.review_batch_output(batch_output, load_classifier(model), text_column, id_column)
    else:
        with err.status("cross-validating to find doubtful labels…") if err.is_terminal else _nullcontext():
            items = curate.review_curated(_data_files(data), _rules_file(rules), load_classifier(model))
    if export is not None:
        curate.export_review(items, export, force)
        err.print(f"{len(items)} rows ranked by doubt written to {export}")
        return
    if not items:
        err.print("nothing to review")
        return
    _review_loop(items[:limit], taxonomy, corrections)


def _review_loop(items: list[Any], taxonomy: Any, corrections: Path) -> None:
    from . import curate
    from .render import review_card

    ids = list(taxonomy.ids)
    keys = {str(i + 1): c for i, c in enumerate(ids)}
    interactive = sys.stdin.isatty()
    done = 0
    for n, item in enumerate(items, 1):
        out.print(review_card(item, n, len(items), ids))
        while True:
            if interactive:
                key = typer.getchar()
            else:
                line = sys.stdin.readline()
                key = "q" if not line else line.strip()[:1]
            key = key.lower()
            if key in ("a", "s", "q") or key in keys:
                break
            out.print("[dim]a accept · 1-6 category · s skip · q quit[/]")
        if key == "q":
            break
        if key == "s":
            continue
        label = item.label if key == "a" else keys[key]
        curate.append_correction(corrections, item, label, "accepted" if label == item.label else "corrected")
        done += 1
    err.print(f"{done} decision(s) appended to {corrections}")


rules_app = typer.Typer(help="Inspect the keyword rules.", no_args_is_help=True)
app.add_typer(rules_app, name="rules")


@rules_app.command("audit")
@handle_errors
def rules_audit(data: DataOpt = None, rules: RulesOpt = None, json_out: JsonOpt = False) -> None:
    """For each rule: how many curated examples it fires on, its precision against their labels,
    and its conflicts with labels and with rules of other categories."""
    from .curate import audit_rules
    from .rules import load_rules
    from .taxonomy import load_taxonomy

    taxonomy = load_taxonomy()
    rows = audit_rules(load_rules(_rules_file(rules), taxonomy), _data_files(data), taxonomy)
    if json_out:
        print(_json(rows))
    else:
        from .render import audit_table

        out.print(audit_table(rows))


@app.command("model")
@handle_errors
def model_info(model: ModelOpt = None, json_out: JsonOpt = False) -> None:
    """Say which model is in use, why, and what it was trained on."""
    from . import paths
    from .model import read_meta

    path, why = paths.resolve_model_dir(model)
    clf = load_classifier(model)
    meta = read_meta(path)
    cv = meta.get("metrics", {}).get("cv", {})
    info = {
        "path": str(path),
        "chosen_by": why,
        "created": meta.get("created"),
        "labels": meta.get("labels"),
        "examples": meta.get("data", {}).get("examples"),
        "data_sha256": meta.get("data", {}).get("sha256"),
        "threshold": clf.threshold,
        "alpha": clf.alpha,
        "cv_macro_f1": cv.get("combined", {}).get("macro_f1"),
        # Per language, mean over the repeated grouped splits (absent from older models).
        "cv_macro_f1_repeated": cv.get("repeated", {}).get("mean"),
        "versions": meta.get("versions"),
    }
    if json_out:
        print(_json(info))
    else:
        for k, v in info.items():
            out.print(f"[bold]{k}[/]: {v}")


def _json(obj: Any) -> str:
    from .render import to_json

    return to_json(obj)


def main() -> None:
    app()
