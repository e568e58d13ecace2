"""Command-line options shared by ``summarize``, ``batch`` and ``eval``: one definition, one help
text."""

from __future__ import annotations

from typing import Annotated

import typer

__all__ = ["BaseUrl", "MaxReasks", "Model", "Quiet", "Timeout", "Verbose"]

Model = Annotated[str | None, typer.Option(help="Model name (env SUMMARIZER_MODEL).")]
BaseUrl = Annotated[
    str | None, typer.Option(help="OpenAI-compatible endpoint (env OPENAI_BASE_URL).")
]
MaxReasks = Annotated[
    int | None, typer.Option(min=0, max=10, help="Validation re-asks per question (default 2).")
]
Timeout = Annotated[
    float | None, typer.Option(min=1, help="Seconds per model request (default 300).")
]
Verbose = Annotated[bool, typer.Option("--verbose", "-v", help="Tracebacks on errors.")]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="No progress output.")]
