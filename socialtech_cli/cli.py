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

F = TypeVar("F", bound=Callable[..., Any])
# Click's own errors (usage errors keep exit 2); Typer may vendor Click, so find its base class.
_CLICK_ERROR = next(c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException")


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
    threshold: Annotated[
        float | None,
        typer.Option(
            help="Abstain below this confidence (default: the model's own).",
            min=0.0,
            max=1.0,
            show_default=False,
        ),
    ] = None,
) -> None:
    """Classify one organisation: category, confidence, runner-up and why.

    Exit codes: 0 classified (even if flagged uncertain), 1 bad input or model, 2 usage error.
    """
    from .classify import Classifier

    lang = check_lang(lang)
    value = read_text_input(text, file)
    clf = Classifier.load(model)
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
    text_column: Annotated[
        list[str] | None,
        typer.Option(
            "--text-column",
            "-t",
            help="Column holding the description; repeat to join several (name + description).",
            show_default=False,
        ),
    ] = None,
    id_column: Annotated[
        str | None,
        typer.Option(
            "--id-column",
            help="Column identifying each row (checked to exist; kept as is).",
            show_default=False,
        ),
    ] = None,
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
    force: Annotated[bool, typer.Option("--force", help="Replace OUTPUT if it exists.")] = False,
    no_explain: Annotated[
        bool, typer.Option("--no-explain", help="Leave the explanation column empty (faster).")
    ] = False,
    only_uncertain: Annotated[
        bool, typer.Option("--only-uncertain", help="Write only rows to review: uncertain or in error.")
    ] = False,
    threshold: Annotated[
        float | None,
        typer.Option(
            help="Abstention threshold (default: the model's).", min=0.0, max=1.0, show_default=False
        ),
    ] = None,
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
    from .classify import Classifier

    lang = check_lang(lang)
    for name, value, allowed in (
        ("--format", fmt, ("csv", "tsv", "jsonl")),
        ("--input-format", input_format, b.FORMATS),
    ):
        if value is not None and value not in allowed:
            raise typer.BadParameter(f"must be one of {', '.join(allowed)}", param_hint=name)
    if delimiter is not None and len(delimiter.encode("unicode_escape").decode("unicode_escape")) != 1:
        delimiter = delimiter.encode().decode("unicode_escape")
        if len(delimiter) != 1:
            raise typer.BadParameter("must be one character", param_hint="--delimiter")
    clf = Classifier.load(model)
    source = b.open_source(input, input_format, delimiter, encoding)
    columns, guessed = b.pick_text_columns(source.columns, text_column)
    if id_column is not None and source.fmt != "txt" and id_column not in source.columns:
        raise SocialtechError(f"no column {id_column!r}; the columns are: {', '.join(source.columns)}")
    if guessed and not quiet:
        err.print(f"[dim]text column: {', '.join(columns)} (choose with --text-column)[/]")
    # One language for the `name` column of the whole file (a per-row guess would mix them).
    options = b.Options(columns, id_column, not no_explain, only_uncertain, threshold, lang or "en")
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
        start = __import__("time").perf_counter()

        def progress(rows: int, nbytes: int) -> None:
            elapsed = max(__import__("time").perf_counter() - start, 1e-9)
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


def main() -> None:
    app()
