"""``summarizer report`` and ``summarizer view``: the morning report of a batch night
(:mod:`summarizer.batch._report`) on stdout, in a file, or as a page to open in a browser."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from summarizer._cli._exits import fail, write_out
from summarizer.batch._report import ReportFormat, render_report
from summarizer.batch._store import StoreError
from summarizer.exceptions import ConfigurationError, InputError

__all__ = ["report_command", "view_command"]


def report_command(
    store: Annotated[
        Path, typer.Argument(help="The batch store (SQLite file) written by `summarizer batch`.")
    ],
    run: Annotated[
        int | None, typer.Option("--run", min=1, help="Report this run (default: the last one).")
    ] = None,
    all_runs: Annotated[
        bool, typer.Option("--all-runs", help="Report every article in the store, all runs.")
    ] = False,
    format: Annotated[
        ReportFormat,
        typer.Option(
            "--format",
            "-f",
            help="md, json, or html: one self-contained page with charts, an index of the "
            "articles and each article's text with its quotes highlighted.",
        ),
    ] = ReportFormat.md,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write here (atomically) instead of stdout.")
    ] = None,
) -> None:
    """The morning report of a batch night: counts, failures by type, tokens and estimated
    cost per model, p50/p95 seconds per article, and the digest of the night (the most-repeated
    claims, claims with no evidence provided, claims that other articles dispute).

    The store is only read (no lock), so a report can be made while a batch is running.

    Exit codes: 0 ok, 2 usage, 3 missing/foreign/damaged store or unknown run, 4 bad prices.
    """
    if run is not None and all_runs:
        raise typer.BadParameter("give --run or --all-runs, not both")
    try:
        rendered = render_report(store, format, run_id=run, all_runs=all_runs)
    except (InputError, ConfigurationError) as exc:
        fail(exc, inputs=(StoreError,))  # the store is what the report reads: an input
    if out is None:
        sys.stdout.write(rendered)
        sys.stdout.flush()
        return
    write_out(out, rendered)


def view_command(
    store: Annotated[
        Path, typer.Argument(help="The batch store (SQLite file) written by `summarizer batch`.")
    ],
    run: Annotated[
        int | None, typer.Option("--run", min=1, help="Show this run (default: the last one).")
    ] = None,
    all_runs: Annotated[
        bool, typer.Option("--all-runs", help="Show every article in the store, all runs.")
    ] = False,
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="The page to write (default: STORE with .html)."),
    ] = None,
) -> None:
    """Write the night as one page to open in a browser: charts, an index of every article,
    each article's text with its quotes, cues, speakers and events highlighted and linked to
    its claims, and the digest. Prints the page's path. Same as `report --format html -o`.
    """
    page = out or store.with_name(store.name + ".html")
    report_command(store, run=run, all_runs=all_runs, format=ReportFormat.html, out=page)
    typer.echo(str(page))
