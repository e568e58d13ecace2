"""What every command does with an error: the one map from exception to exit code, the error
line on stderr, and writing ``--out``.

Exit codes: 0 success · 2 usage error · 3 input error · 4 configuration or provider error ·
5 the model's output stayed invalid after every re-ask (``batch``: the same validation error
stopped the night) · 6 too many articles failed · 7 another run holds the store · 8 the store or
an output cannot be written · 130 interrupted (Ctrl-C or SIGTERM).
"""

from __future__ import annotations

from pathlib import Path
from typing import NoReturn

import typer
from rich.console import Console
from rich.markup import escape

from summarizer._files import write_atomic
from summarizer.batch._runner import NightUnwritable, RepeatedFailure
from summarizer.batch._store import StoreBusyError, StoreUnwritableError
from summarizer.exceptions import InputError, OutputError, SummarizerError

__all__ = [
    "EXIT_BUSY",
    "EXIT_CODES",
    "EXIT_INPUT",
    "EXIT_INTERRUPTED",
    "EXIT_OUTPUT",
    "EXIT_PROVIDER",
    "EXIT_REPEATED_FAILURE",
    "EXIT_TOO_MANY_FAILED",
    "EXIT_UNWRITABLE",
    "err",
    "error_line",
    "exit_code",
    "fail",
    "write_out",
]

EXIT_INPUT, EXIT_PROVIDER, EXIT_OUTPUT = 3, 4, 5
EXIT_REPEATED_FAILURE = EXIT_OUTPUT  # the model's answers keep failing validation
EXIT_TOO_MANY_FAILED, EXIT_BUSY, EXIT_UNWRITABLE = 6, 7, 8
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as a shell reports a Ctrl-C

EXIT_CODES: tuple[tuple[type[SummarizerError], int, str], ...] = (
    (StoreBusyError, EXIT_BUSY, "StoreBusy"),
    (StoreUnwritableError, EXIT_UNWRITABLE, "Unwritable"),
    (NightUnwritable, EXIT_UNWRITABLE, "Unwritable"),
    (RepeatedFailure, EXIT_REPEATED_FAILURE, "RepeatedFailure"),
    (InputError, EXIT_INPUT, ""),
    (OutputError, EXIT_OUTPUT, ""),
    (SummarizerError, EXIT_PROVIDER, ""),
)
"""The exit code of each error, first match wins, and the name its error line shows (the
exception's own when empty). Configuration and provider errors, a store that is not a batch
store included, are the last row's."""

err = Console(stderr=True, soft_wrap=True, highlight=False)


def exit_code(
    exc: SummarizerError, *, inputs: tuple[type[SummarizerError], ...] = ()
) -> tuple[int, str]:
    """The exit code of ``exc`` and the name its error line shows (see :data:`EXIT_CODES`);
    ``inputs`` are errors the command counts as its input's (``report``: the store it reads)."""
    if isinstance(exc, inputs):
        return EXIT_INPUT, type(exc).__name__
    for kind, code, name in EXIT_CODES:
        if isinstance(exc, kind):
            return code, name or type(exc).__name__
    return EXIT_PROVIDER, type(exc).__name__  # pragma: no cover - the last row takes every one


def error_line(name: str, message: str) -> None:
    """The one error line of a failure on stderr: ``error (Name): message``."""
    err.print(f"[red]error[/] ({name}): {escape(message)}")


def fail(exc: SummarizerError, *, inputs: tuple[type[SummarizerError], ...] = ()) -> NoReturn:
    """Print ``exc``'s error line and exit with its code."""
    code, name = exit_code(exc, inputs=inputs)
    error_line(name, exc.message)
    raise typer.Exit(code) from None


def write_out(out: Path, rendered: str) -> None:
    """Write ``--out`` atomically; a file that cannot be written is an input error (exit 3)."""
    try:
        write_atomic(out, rendered)
    except OSError as exc:
        error_line("OutputFile", f"cannot write {out}: {exc.strerror or exc}")
        raise typer.Exit(EXIT_INPUT) from None
