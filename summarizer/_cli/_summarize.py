"""``summarizer summarize``, ``prompt``, ``schema`` and ``doctor``: a thin layer over the
library (parse, call, render).

With several inputs, a failed one does not stop the others: each failure gets its own error
line, the summaries that succeeded are still written, and the exit code is the first
failure's (:mod:`summarizer._cli._exits`).
"""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markdown import Markdown

from summarizer._chunking import CHARS_PER_TOKEN
from summarizer._cli._exits import (
    EXIT_INTERRUPTED,
    EXIT_PROVIDER,
    err,
    error_line,
    exit_code,
    write_out,
)
from summarizer._cli._options import BaseUrl, MaxReasks, Model, Quiet, Timeout, Verbose
from summarizer._fetch import FETCH_TIMEOUT, ArticleInput, fetch_url, is_url, read_input
from summarizer._output import check_writable
from summarizer._version import __version__
from summarizer.claimreview import to_claimreview
from summarizer.client import check_endpoint
from summarizer.config import Settings, mask_url
from summarizer.exceptions import (
    ConfigurationError,
    LocalModelError,
    OutputError,
    SummarizerError,
    fails_every_input,
)
from summarizer.models import ArticleSummary, Usage
from summarizer.pipeline import preview_prompts
from summarizer.pipeline import summarize as summarize_text
from summarizer.pricing import describe_cost, load_prices
from summarizer.render import jsonl_done, jsonl_failed, to_csv, to_html, to_jsonl, to_markdown

__all__ = ["SUMMARIZE_HELP", "doctor", "prompt", "render", "schema", "summarize"]


class Format(StrEnum):
    json = "json"
    jsonl = "jsonl"
    md = "md"
    html = "html"
    csv = "csv"
    claimreview = "claimreview"


_FORMAT_OF_SUFFIX = {
    ".json": Format.json,
    ".jsonl": Format.jsonl,
    ".md": Format.md,
    ".html": Format.html,
    ".htm": Format.html,
    ".csv": Format.csv,
    ".jsonld": Format.claimreview,
}


def _chosen_format(given: Format | None, out: Path | None) -> Format:
    """``--format``, else what ``--out``'s extension says, else md on a terminal, json piped."""
    if given is not None:
        return given
    if out is None:
        return Format.md if sys.stdout.isatty() else Format.json
    inferred = _FORMAT_OF_SUFFIX.get(out.suffix.casefold())
    if inferred is None:
        known = " ".join(_FORMAT_OF_SUFFIX)
        raise typer.BadParameter(
            f"cannot tell the format from {out.name!r} (known extensions: {known}); pass --format",
            param_hint="'--out'",
        )
    return inferred


def _read(path: Path) -> ArticleInput:
    """Read an article file; every failure is an InputError with what to do."""
    article = read_input(path)
    for note in article.notes:
        err.print(f"[yellow]note:[/] {note}", highlight=False)
    return article


def _read_source(source: str, *, fetch_timeout: float, allow_private: bool) -> ArticleInput:
    """A file path, ``-``, or an http(s) URL (fetched only here, only when given)."""
    if is_url(source):
        return fetch_url(source, timeout=fetch_timeout, allow_private=allow_private)
    return _read(Path(source))


def render(results: list[ArticleSummary], chosen: Format, *, as_list: bool = False) -> str:
    """The summaries in the chosen format; several articles make one document.

    JSON is a list when there are several summaries or ``as_list`` (several inputs were given:
    the shape must not depend on how many of them failed)."""
    if chosen is Format.json:
        docs = [r.model_dump(mode="json") for r in results]
        doc = docs if as_list or len(docs) != 1 else docs[0]
        return json.dumps(doc, ensure_ascii=False, indent=2) + "\n"
    if chosen is Format.jsonl:
        return to_jsonl(results)
    if chosen is Format.csv:
        return to_csv(results)
    if chosen is Format.html:
        return to_html(results)
    if chosen is Format.claimreview:
        return to_claimreview(results)
    return "\n".join(to_markdown(r) for r in results)


def _check_renders(summary: ArticleSummary, chosen: Format) -> None:
    """Raise OutputError if ``summary`` cannot be rendered: it then fails alone, and the other
    inputs' finished summaries are still written."""
    try:
        render([summary], chosen).encode("utf-8")  # what the writers will be given
    except Exception as exc:
        raise OutputError(
            f"the summary cannot be written as {chosen.value} ({type(exc).__name__}: {exc})"[:300],
            usage=summary.provenance.usage,
        ) from exc


def _report(exc: SummarizerError, verbose: bool, source: str | None = None) -> None:
    """One error line on stderr, naming ``source`` unless the message already starts with it;
    the traceback and the local server's log only with ``verbose``."""
    if verbose:
        err.print_exception()
    message = mask_url(exc.message)
    if source is not None:
        where = "standard input" if source == "-" else source
        message = message if message.startswith(where) else f"{where}: {message}"
    error_line(exit_code(exc)[1], message)
    if isinstance(exc, LocalModelError) and exc.log_tail and verbose:
        err.print(exc.log_tail, markup=False, highlight=False)


def _fail(exc: SummarizerError, verbose: bool) -> typer.Exit:
    _report(exc, verbose)
    return typer.Exit(exit_code(exc)[0])


SUMMARIZE_HELP = "\n\n".join(
    [
        "Summarize articles, printed (or written with --out) as one document in the chosen format.",
        "Several articles give a JSON list, CSV rows (one header), one Markdown/HTML section "
        "per article, or one ClaimReview-ready JSON-LD graph of schema.org Claims. With jsonl, "
        'each input is one line, {"source", "state": "done", "summary"} or {"source", '
        '"state": "failed", "error"}, printed as soon as its article is done.',
        "Without --format, the format is --out's extension (.json .jsonl .md .html .csv "
        ".jsonld), else md on a terminal and json when piped. --out is checked before the "
        "first model request.",
        "An input that fails (missing, unreadable, refused URL, model error …) gets one error "
        "line naming it and is left out; the others are still summarized and written, and a "
        "last line gives the tokens and estimated cost of the run. An error every input would "
        "meet (the key is refused, the embedded model cannot start) stops at the first one. "
        "Ctrl-C still writes the summaries already made (exit code 130).",
        "Exit codes: 0 ok, 2 usage, 3 input error, 4 configuration/provider error, 5 model "
        "output invalid after every re-ask; with several inputs, the code of the first one "
        "that failed.",
    ]
)


class _Lines:
    """JSON lines: each printed and flushed as it comes (a pipeline reads every article as it
    is done), or kept for ``--out``, which is written whole and atomically at the end."""

    def __init__(self, out: Path | None) -> None:
        self.out = out
        self.kept: list[str] = []

    def add(self, line: str) -> None:
        if self.out is not None:
            self.kept.append(line)
        else:
            sys.stdout.write(line)
            sys.stdout.flush()


def summarize(
    paths: Annotated[
        list[str],
        typer.Argument(
            help="Article files (.txt/.md, .json, .html/.htm), - for stdin, or http(s) URLs.",
            metavar="PATH_OR_URL",
        ),
    ],
    format: Annotated[
        Format | None,
        typer.Option(
            "--format",
            "-f",
            help="json (default when piped), jsonl, md (default on a terminal), html, csv or "
            "claimreview (schema.org Claim JSON-LD); default: --out's extension.",
        ),
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write here (atomically) instead of stdout.")
    ] = None,
    model: Model = None,
    base_url: BaseUrl = None,
    language: Annotated[
        str | None, typer.Option(help="BCP-47 language of the article; detected if omitted.")
    ] = None,
    max_reasks: MaxReasks = None,
    timeout: Timeout = None,
    fetch_timeout: Annotated[
        float, typer.Option(min=0.1, help="Seconds allowed to fetch each URL input.")
    ] = FETCH_TIMEOUT,
    allow_private: Annotated[
        bool,
        typer.Option(
            "--allow-private",
            help="Let URL inputs reach private, loopback, link-local or reserved addresses.",
        ),
    ] = False,
    verbose: Verbose = False,
    quiet: Quiet = False,
) -> None:
    """Summarize every input it can; see SUMMARIZE_HELP for what the user is told."""
    try:  # what every input needs is checked once, before any work is paid for
        if out is not None:
            check_writable(out)
        chosen = _chosen_format(format, out)
        settings = Settings.resolve(
            model=model, base_url=base_url, max_reasks=max_reasks, timeout=timeout
        )
        load_prices()
    except SummarizerError as exc:
        raise _fail(exc, verbose) from None
    lines = _Lines(out) if chosen is Format.jsonl else None
    results: list[ArticleSummary] = []
    failed: list[tuple[str, int]] = []
    spent = Usage()
    interrupted = False
    try:  # Ctrl-C keeps what is done: the finished summaries are still written
        for index, source in enumerate(paths):
            try:
                article = _read_source(
                    source, fetch_timeout=fetch_timeout, allow_private=allow_private
                )
                if not quiet:
                    err.print(f"summarizing {source} …", markup=False, highlight=False)
                summary = summarize_text(
                    article.text,
                    title=article.title,
                    url=article.url,
                    published=article.published,
                    language=language or article.language,
                    outlet=article.outlet,
                    author=article.author,
                    settings=settings,
                )
                _check_renders(summary, chosen)
            except SummarizerError as exc:
                _report(exc, verbose, source)
                failed.append((source, exit_code(exc)[0]))
                spent += exc.usage or Usage()
                if lines is not None:
                    lines.add(jsonl_failed(source, type(exc).__name__, exc.message))
                rest = paths[index + 1 :]
                if rest and fails_every_input(exc):
                    err.print(
                        f"stopped: the other {len(rest)} input(s) were not tried; each would meet "
                        "the same error",
                        markup=False,
                        highlight=False,
                    )
                    failed += [(other, exit_code(exc)[0]) for other in rest]
                    why = f"not tried: each input would meet the same error ({exc.message})"
                    for other in rest:
                        if lines is not None:
                            lines.add(jsonl_failed(other, type(exc).__name__, why, "not_tried"))
                    break
                continue
            results.append(summary)
            spent += summary.provenance.usage
            if lines is not None:
                lines.add(jsonl_done(source, summary))
    except KeyboardInterrupt:
        interrupted = True
    if lines is not None:
        if lines.kept:
            _emit("".join(lines.kept), chosen, out)
    elif results:
        _emit(render(results, chosen, as_list=len(paths) > 1), chosen, out)
    if interrupted:
        err.print(
            f"interrupted: {len(results)} of {len(paths)} input(s) summarized"
            + (" and written" if results else ""),
            markup=False,
            highlight=False,
        )
        raise typer.Exit(EXIT_INTERRUPTED)
    if not quiet and (results or len(paths) > 1):
        line = _summary_line(len(results), len(paths), failed, spent, settings)
        err.print(line, markup=False, highlight=False)
    if failed:
        raise typer.Exit(failed[0][1])


def _emit(rendered: str, chosen: Format, out: Path | None) -> None:
    """Write to ``out`` atomically, or print (Markdown rendered with Rich on a terminal)."""
    if out is not None:
        write_out(out, rendered)
    elif chosen is Format.md and sys.stdout.isatty():
        Console().print(Markdown(rendered))
    else:
        sys.stdout.write(rendered)
        sys.stdout.flush()


def _summary_line(
    done: int, given: int, failed: list[tuple[str, int]], spent: Usage, settings: Settings
) -> str:
    """What the run did and cost, failed articles' tokens included, and which inputs failed."""
    line = (
        f"summarized {done} of {given} input{'s' if given != 1 else ''} · {spent.requests} "
        f"requests, {spent.prompt_tokens:,} prompt + {spent.completion_tokens:,} completion "
        f"tokens · {describe_cost(spent, settings.model)} · {spent.seconds:.1f} s"
    )
    if failed:
        names = ", ".join(source for source, _ in failed)
        line += f" · failed: {names} (exit code {failed[0][1]}, the first failure's)"
    return line


def prompt(
    path: Annotated[Path, typer.Argument(help="An article file (.txt/.md, .json, .html), or -.")],
    language: Annotated[
        str | None, typer.Option(help="BCP-47 language of the article; detected if omitted.")
    ] = None,
    verbose: Verbose = False,
) -> None:
    """Print the prompts a summary starts with, and their estimated size; no model is called."""
    try:
        article = _read(path)
        previews = preview_prompts(
            article.text, published=article.published, language=language or article.language
        )
    except SummarizerError as exc:
        raise _fail(exc, verbose) from None
    total = 0
    for preview in previews:
        chars = sum(len(m["content"]) for m in preview.messages)
        total += chars
        typer.echo(f"===== {preview.name}: ~{round(chars / CHARS_PER_TOKEN)} tokens")
        for message in preview.messages:
            typer.echo(f"--- {message['role']}")
            typer.echo(message["content"])
    typer.echo(
        f"===== ~{round(total / CHARS_PER_TOKEN)} prompt tokens in these {len(previews)} requests "
        f"(characters / {CHARS_PER_TOKEN}); evidence questions depend on the answers"
    )


def schema() -> None:
    """Print the JSON Schema of the summary (the same as schemas/summary.schema.json)."""
    typer.echo(json.dumps(ArticleSummary.model_json_schema(), ensure_ascii=False, indent=2))


def doctor(
    check: Annotated[
        bool,
        typer.Option(
            "--check",
            help="Also reach the model: start the embedded server, or list the endpoint's models.",
        ),
    ] = False,
) -> None:
    """Show the configuration in force (key masked), the backend and the local model.

    Exits 4 when --check cannot reach the model."""
    try:
        settings = Settings.resolve()
    except ConfigurationError as exc:
        raise _fail(exc, False) from None
    typer.echo(f"summarizer {__version__}")
    typer.echo(f"backend: {settings.backend}")
    typer.echo(f"model: {settings.model}")
    where = settings.endpoint
    if where is None:
        where = "(embedded local server, on a free port of 127.0.0.1)"
    elif settings.base_url is None:
        where += " (OpenAI's API: OPENAI_BASE_URL is not set)"
    else:
        where = mask_url(where)
    typer.echo(f"base_url: {where}")
    typer.echo(f"api_key: {settings.api_key.masked() if settings.api_key else '(none)'}")
    typer.echo(
        f"mode: {settings.mode}, timeout {settings.timeout}s, "
        f"re-asks {settings.max_reasks}, token budget {settings.token_budget}"
    )
    if settings.backend == "local":
        from summarizer.local import local_status

        for key, value in local_status().items():
            typer.echo(f"local.{key}: {value}")
    if check:
        result = check_endpoint(settings)
        for key, value in result.items():
            typer.echo(f"check.{key}: {value}")
        if result["reachable"] != "yes":
            raise typer.Exit(EXIT_PROVIDER)
