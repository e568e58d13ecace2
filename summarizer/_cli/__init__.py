"""The ``summarizer`` command line: every typer command and option of the project.

``python -m summarizer`` and the ``summarizer`` console script run :func:`main`. Each command
is a thin layer over the library; what an error exits with is :mod:`summarizer._cli._exits`.
"""

from __future__ import annotations

import logging
from typing import Annotated

import typer

from summarizer._cli._batch import batch_command
from summarizer._cli._eval import eval_command
from summarizer._cli._exits import EXIT_PROVIDER, err
from summarizer._cli._report import report_command, view_command
from summarizer._cli._summarize import SUMMARIZE_HELP, doctor, prompt, schema, summarize
from summarizer._version import __version__
from summarizer.exceptions import ProviderError

__all__ = ["app", "main"]

app = typer.Typer(
    help=(
        "Structured, grounded summaries of news articles: who claims what (quoted verbatim), "
        "who answers, and what the article shows about the evidence.\n\n"
        "With no OPENAI_BASE_URL / OPENAI_API_KEY set, the embedded local model is used.\n\n"
        "Exit codes: 0 ok, 2 usage, 3 input error, 4 configuration/provider error, "
        "5 model output invalid after every re-ask. With several inputs the others are still "
        "summarized and written, and the exit code is the first failure's."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"summarizer {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show version.")
    ] = False,
) -> None:
    """Summarize news articles into claims, counterclaims, events and evidence status."""
    # instructor logs each failed attempt as a warning; our own error line says it better.
    logging.getLogger("instructor").setLevel(logging.CRITICAL)
    # trafilatura warns when one of its fallback extractors gives up; the page still has a
    # result, or our own "no article text found" line.
    logging.getLogger("trafilatura").setLevel(logging.ERROR)


app.command(help=SUMMARIZE_HELP)(summarize)
app.command()(prompt)
app.command()(schema)
app.command()(doctor)
app.command("batch")(batch_command)
app.command("report")(report_command)
app.command("view")(view_command)
app.command("eval")(eval_command)


def main() -> None:
    try:
        app()
    except ProviderError as exc:  # pragma: no cover - commands translate their own errors
        err.print(f"error: {exc.message}")
        raise SystemExit(EXIT_PROVIDER) from None
