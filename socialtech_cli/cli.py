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


def main() -> None:
    app()
