"""The morning report of a batch night: what ran, what failed and why, what it cost, how long
articles took, and the digest of the night (see :mod:`summarizer.batch._digest`).

Everything is read from the batch store, opened without its lock and never created, so a report
can be made while a batch is still running. Scope:

* one run (default: the last): its items (the article ids it saw) and their keys. Keys the run
  summarized itself (``articles.run_id`` is this run) are ``done``/``failed``; keys it skipped
  because an earlier run had finished them are ``skipped_done``/``skipped_failed``; keys a later
  run took over are ``later`` (their outcome in this run was overwritten). Usage, cost and
  latency count only the keys this run summarized; failures and the digest cover every failed
  or done key of its input, whichever run produced it (a crashed night resumed by a second run
  still gets one digest);
* ``all_runs``: every key in the store.

Cost is at list price, except the tokens the OpenAI Batch API answered, at its discount.
Usage columns are summed over every attempt of a key, so a key that failed in one run and was
retried in the next carries both runs' tokens in the second run's numbers. Latency percentiles
use the nearest-rank method (p95 of 20 values is the 19th smallest).
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Mapping
from enum import StrEnum
from pathlib import Path
from typing import Literal

from markupsafe import Markup
from pydantic import BaseModel, Field, ValidationError

from summarizer.batch._digest import ArticleRef, ClaimRef, Digest, DigestReport
from summarizer.batch._night import (
    STATUSES,
    ArticleView,
    bars,
    load_articles,
    night_charts,
    render_page,
    web,
)
from summarizer.batch._store import RunRecord, Store, StoreError
from summarizer.exceptions import InputError
from summarizer.models import ArticleSummary, Usage
from summarizer.pricing import BATCH_DISCOUNT, PRICES_ENV, Price, estimate_cost, load_prices
from summarizer.render import _BADGE, _BASIS, _COLOUR, _CSS, _LABEL, _STANCE_COLOUR, _cell

__all__ = [
    "Counts",
    "FailureGroup",
    "Latency",
    "ModelUsage",
    "NightReport",
    "ReportFormat",
    "RunInfo",
    "build_report",
    "night_page",
    "render_report",
    "report_html",
    "report_markdown",
]

_EXAMPLES = 3
_MESSAGE_CHARS = 300


class RunInfo(BaseModel):
    id: int
    started_at: dt.datetime
    finished_at: dt.datetime | None
    wall_seconds: float | None = Field(
        description="finished - started; for an unfinished run, up to its last article"
    )
    finished: bool
    model: str
    prompt_version: str
    runner_counts: dict[str, int] | None = Field(description="what the runner recorded at the end")


class Counts(BaseModel):
    items: int = Field(description="article ids seen (several ids may share one text)")
    articles: int = Field(description="distinct run keys")
    done: int = 0
    failed: int = 0
    pending: int = Field(default=0, description="started and not finished, or never started")
    skipped_done: int = 0
    skipped_failed: int = 0
    later: int = Field(default=0, description="taken over by a later run")


class FailureExample(BaseModel):
    article_id: str
    message: str


class FailureGroup(BaseModel):
    error_type: str
    count: int
    examples: list[FailureExample]


class ModelUsage(BaseModel):
    model: str
    articles: int
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int
    requests: int
    transport_retries: int
    reasks: int
    batch_tokens: int = Field(
        0, description="tokens answered by the OpenAI Batch API, priced at its discount"
    )
    cost: float | None = Field(
        description="estimated USD at list price (Batch API tokens at its discount); "
        "None if unknown"
    )
    cost_note: str | None = None


class Latency(BaseModel):
    articles: int
    p50: float | None
    p95: float | None
    max: float | None


class NightReport(BaseModel):
    """Everything the morning report shows; ``model_dump_json()`` is the JSON output."""

    store: str
    scope: Literal["run", "all"]
    generated_at: dt.datetime
    runs: list[RunInfo]
    wall_seconds: float | None
    counts: Counts
    failures: list[FailureGroup]
    usage: list[ModelUsage]
    total: ModelUsage = Field(description="all models; cost None when any price is unknown")
    latency: Latency
    digest: DigestReport
    notes: list[str]
    reused_requests: int = Field(
        0,
        description="model answers taken from the store's answer cache instead of sent again "
        "(received by an interrupted earlier run; billed then, not again)",
    )


# --- building -----------------------------------------------------------------------------------


def build_report(
    store_path: str | Path,
    *,
    run_id: int | None = None,
    all_runs: bool = False,
    limit: int = 50,
    prices: Mapping[str, Price] | None = None,
) -> NightReport:
    """Read the store (read-only, no lock) and build the report of one run or of all runs.

    Raises :class:`StoreError` for a missing, foreign or damaged store, :class:`InputError` for
    a run that is not in it, :class:`ConfigurationError` for a bad price table.
    """
    return _read(Path(store_path), run_id, all_runs, limit, prices, articles=False)[0]


def night_page(
    store_path: str | Path,
    *,
    run_id: int | None = None,
    all_runs: bool = False,
    limit: int = 50,
    prices: Mapping[str, Price] | None = None,
) -> str:
    """The HTML page of a night: the report, the charts, and every article in its text."""
    report, articles = _read(Path(store_path), run_id, all_runs, limit, prices, articles=True)
    return report_html(report, articles)


def _read(
    path: Path,
    run_id: int | None,
    all_runs: bool,
    limit: int,
    prices: Mapping[str, Price] | None,
    *,
    articles: bool,
) -> tuple[NightReport, list[ArticleView]]:
    if not path.exists():
        raise StoreError(
            f"{path} does not exist; give the file that `summarizer batch --store` wrote"
        )
    if path.is_file() and path.stat().st_size == 0:
        raise StoreError(f"{path} is empty, not a batch store")
    table = load_prices() if prices is None else prices
    with Store(path, readonly=True) as store, store.reading():
        return _build(store, path, run_id, all_runs, limit, table, articles)


def _build(
    store: Store,
    path: Path,
    run_id: int | None,
    all_runs: bool,
    limit: int,
    prices: Mapping[str, Price],
    with_articles: bool,
) -> tuple[NightReport, list[ArticleView]]:
    notes: list[str] = []
    if all_runs:
        run = None
        runs = [_run_info(r) for r in store.runs()]
        walls = [r.wall_seconds for r in runs if r.wall_seconds is not None]
        wall = sum(walls) if walls else None
    else:
        run = run_id if run_id is not None else store.last_run()
        if run is None:
            raise InputError(f"{path} has no runs yet; nothing to report")
        record = store.run(run)
        if record is None:
            last = store.last_run()
            raise InputError(f"run {run} is not in {path} (runs go from 1 to {last})")
        runs = [_run_info(record)]
        wall = runs[0].wall_seconds
        if not runs[0].finished:
            notes.append(f"run {run} has not finished (still running, or interrupted)")
    usage = _usage(store, run, prices)
    unknown = [u.model for u in usage if u.cost is None]
    total = ModelUsage(
        model="all",
        articles=sum(u.articles for u in usage),
        cost=None if unknown else sum(u.cost or 0.0 for u in usage),
        cost_note=f"unknown price for model {', '.join(unknown)}" if unknown else None,
        **{
            k: sum(getattr(u, k) for u in usage)
            for k in (
                "prompt_tokens",
                "completion_tokens",
                "total_tokens",
                "requests",
                "transport_retries",
                "reasks",
                "batch_tokens",
            )
        },
    )
    if run is not None and store.retried(run):
        notes.append(
            "some articles were tried by earlier runs too: their usage includes those attempts"
        )
    reused = sum((r.runner_counts or {}).get("reused_requests", 0) for r in runs)
    if reused:
        notes.append(
            f"{reused:,} requests were answered from the store (their answers had arrived "
            "before an interruption): not sent, not billed again, not in the usage below"
        )
    digest, unreadable = _digest(store, run, limit)
    if unreadable:
        notes.append(f"{unreadable} done results could not be read (written by another version?)")
    report = NightReport(
        store=str(path),
        scope="all" if run is None else "run",
        generated_at=dt.datetime.now(dt.UTC),
        runs=runs,
        wall_seconds=wall,
        counts=_counts(store, run),
        failures=_failures(store, run),
        usage=usage,
        total=total,
        latency=_latency(store, run),
        digest=digest,
        notes=notes,
        reused_requests=reused,
    )
    return report, load_articles(store, run) if with_articles else []


def _when(ts: float | None) -> dt.datetime | None:
    return None if ts is None else dt.datetime.fromtimestamp(ts, dt.UTC)


def _run_info(record: RunRecord) -> RunInfo:
    started, finished = record.started_at, record.finished_at
    end = finished if finished is not None else record.last_finished_at
    runner: dict[str, int] | None = None
    if record.counts:
        try:
            # The counts, not the usage recorded beside them (a dict of its own).
            found = json.loads(record.counts).items()
            runner = {str(k): v for k, v in found if isinstance(v, int) and not isinstance(v, bool)}
        except (ValueError, TypeError, AttributeError):
            runner = None
    return RunInfo(
        id=record.id,
        started_at=_when(started) or dt.datetime.fromtimestamp(0, dt.UTC),
        finished_at=_when(finished),
        wall_seconds=None if end is None else max(0.0, end - started),
        finished=finished is not None,
        model=record.model,
        prompt_version=record.prompt_version,
        runner_counts=runner,
    )


def _counts(store: Store, run: int | None) -> Counts:
    if run is None:
        found = store.counts()
        n = sum(found.values())
        return Counts(
            items=n,
            articles=n,
            done=found.get("done", 0),
            failed=found.get("failed", 0),
            pending=found.get("pending", 0),
        )
    tally = store.run_tally(run)
    return Counts(items=tally.items, articles=tally.keys, **tally.outcomes)


def _failures(store: Store, run: int | None) -> list[FailureGroup]:
    return [
        FailureGroup(
            error_type=f.error_type,
            count=f.count,
            examples=[
                FailureExample(article_id=i, message=m[:_MESSAGE_CHARS]) for i, m in f.examples
            ],
        )
        for f in store.failures(run, examples=_EXAMPLES)
    ]


def _usage(store: Store, run: int | None, prices: Mapping[str, Price]) -> list[ModelUsage]:
    out: list[ModelUsage] = []
    for t in store.usage_by_model(run):
        model, pt, ct, rq = t.model, t.prompt_tokens, t.completion_tokens, t.requests
        bpt, bct = t.batch_prompt_tokens, t.batch_completion_tokens
        usage = Usage(prompt_tokens=pt, completion_tokens=ct, requests=rq)
        cost = estimate_cost(usage, model, prices)
        discounted = estimate_cost(Usage(prompt_tokens=bpt, completion_tokens=bct), model, prices)
        if cost is not None and discounted is not None:
            cost -= discounted * (1 - BATCH_DISCOUNT)
        out.append(
            ModelUsage(
                model=model,
                articles=t.articles,
                prompt_tokens=pt,
                completion_tokens=ct,
                total_tokens=usage.total_tokens,
                requests=rq,
                transport_retries=t.transport_retries,
                reasks=t.reasks,
                batch_tokens=bpt + bct,
                cost=cost,
                cost_note=None
                if cost is not None
                else f"unknown price for model {model} (add it to {PRICES_ENV})",
            )
        )
    return out


def percentile(values: list[float], p: float) -> float | None:
    """Nearest-rank percentile of sorted ``values``: the smallest value with at least p % of
    the values at or below it."""
    if not values:
        return None
    return values[max(0, math.ceil(p / 100 * len(values)) - 1)]


def _latency(store: Store, run: int | None) -> Latency:
    seconds = store.seconds(run)
    return Latency(
        articles=len(seconds),
        p50=percentile(seconds, 50),
        p95=percentile(seconds, 95),
        max=seconds[-1] if seconds else None,
    )


def _digest(store: Store, run: int | None, limit: int) -> tuple[DigestReport, int]:
    """Feed the done results to a :class:`Digest`, one row at a time, newest result per text."""
    digest = Digest(limit=limit)
    unreadable = 0
    seen: set[str] = set()
    for done in store.done_results(run):
        if done.text_sha256 in seen:
            continue
        seen.add(done.text_sha256)
        try:
            summary = ArticleSummary.model_validate_json(done.result or "")
        except ValidationError:
            unreadable += 1
            continue
        ref = ArticleRef(
            article_id=done.article_id,
            title=done.title or summary.article.title,
            url=done.url or summary.article.url,
        )
        digest.add(ref, summary, done.text_sha256)
    return digest.report(), unreadable


# --- rendering ----------------------------------------------------------------------------------


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def _usd(cost: float) -> str:
    # One article on a small model costs a fraction of a cent: keep its digits visible.
    return f"${cost:.6f}" if 0 < cost < 0.01 else f"${cost:,.2f}"


def _cost(u: ModelUsage) -> str:
    if u.cost is None:
        return u.cost_note or "unknown price"
    share = f" ({u.batch_tokens:,} tokens at the Batch API price)" if u.batch_tokens else ""
    return _usd(u.cost) + share


def _shown(shown: int, total: int) -> str:
    return f" ({total:,}, first {shown:,} shown)" if shown < total else f" ({total:,})"


def _title(r: NightReport) -> str:
    if r.scope == "all":
        return f"Batch report — all runs ({len(r.runs)})"
    return f"Batch report — run {r.runs[0].id}"


def _meta(r: NightReport) -> list[str]:
    """The heading facts, as plain (unescaped) strings."""
    out = [f"store {r.store}"]
    if r.scope == "run":
        run = r.runs[0]
        out += [f"model {run.model}", f"prompts {run.prompt_version}"]
        out.append(f"started {run.started_at:%Y-%m-%d %H:%M:%S} UTC")
        if run.finished_at is not None:
            out.append(f"finished {run.finished_at:%Y-%m-%d %H:%M:%S} UTC")
        else:
            out.append("not finished")
    out.append(f"wall time {_duration(r.wall_seconds)}")
    return out


_COUNT_LABELS = (
    ("done", "done"),
    ("failed", "failed"),
    ("pending", "pending"),
    ("skipped_done", "skipped: done before"),
    ("skipped_failed", "skipped: failed before"),
    ("later", "taken over by a later run"),
)
_USAGE_HEAD = (
    "model",
    "articles",
    "prompt tokens",
    "completion tokens",
    "total tokens",
    "requests",
    "transport retries",
    "re-asks",
    "est. cost (USD)",
)
_RULE = {
    "similar_text": "same speaker, similar quote",
    "shared_keywords": "same speaker, same topic",
    "names_speaker": "names the speaker, same topic",
}


def _usage_cells(u: ModelUsage) -> list[str]:
    numbers = (u.articles, u.prompt_tokens, u.completion_tokens, u.total_tokens, u.requests)
    return [
        u.model,
        *(f"{n:,}" for n in numbers),
        f"{u.transport_retries:,}",
        f"{u.reasks:,}",
        _cost(u),
    ]


def _latency_line(lat: Latency) -> str:
    if not lat.articles:
        return "no article was summarized"
    return (
        f"p50 {_duration(lat.p50)} · p95 {_duration(lat.p95)} · max {_duration(lat.max)} "
        f"({lat.articles:,} articles)"
    )


def _md(text: str | None) -> str:
    """A Markdown table cell or list item: no table break, no raw HTML, no link syntax."""
    return _cell(text).replace("<", "\\<").replace("[", "\\[").replace("]", "\\]")


def _md_article(a: ArticleRef) -> str:
    return _md(a.title or a.article_id) + (f" — {_md(a.url)}" if a.url else "")


def _md_claim(c: ClaimRef) -> str:
    guess = " *(model's guess)*" if c.evidence_basis == "model" else ""
    return (
        f"**{_md(c.speaker)}**: “{_md(c.quote)}” — {_BADGE[c.evidence.value]}{guess} "
        f"({_md_article(c.article)})"
    )


def report_markdown(report: NightReport) -> str:
    """The report as Markdown; untrusted text cannot break a table or inject HTML or links."""
    r, d = report, report.digest
    lines = [f"# {_title(r)}", "", _md(" · ".join(_meta(r))), ""]
    if r.scope == "all":
        lines += ["| run | model | prompts | started (UTC) | wall time |", "|---|---|---|---|---|"]
        lines += [
            f"| {x.id} | {_md(x.model)} | {_md(x.prompt_version)} | "
            f"{x.started_at:%Y-%m-%d %H:%M} | {_duration(x.wall_seconds)} |"
            for x in r.runs
        ]
        lines.append("")
    lines += [f"> note: {_md(n)}" for n in r.notes]
    c = r.counts
    lines += ["## Articles", "", f"{c.items:,} items, {c.articles:,} distinct texts", ""]
    lines += ["| state | articles |", "|---|---|"]
    lines += [f"| {label} | {getattr(c, k):,} |" for k, label in _COUNT_LABELS if getattr(c, k)]
    lines += ["", "## Failures", ""]
    if not r.failures:
        lines.append("none")
    for f in r.failures:
        lines.append(f"- **{_md(f.error_type)}** × {f.count:,}")
        lines += [f"  - {_md(e.article_id)}: {_md(e.message)}" for e in f.examples]
    lines += ["", "## Usage and cost", "", "| " + " | ".join(_USAGE_HEAD) + " |"]
    lines.append("|---" * len(_USAGE_HEAD) + "|")
    for u in [*r.usage, r.total]:
        lines.append("| " + " | ".join(_md(x) for x in _usage_cells(u)) + " |")
    lines += ["", "## Latency per article", "", _latency_line(r.latency), ""]
    lines += [f"## Digest of the night ({d.articles:,} articles, {d.claims:,} claims)", ""]
    lines += [f"### Most-repeated claims{_shown(len(d.repeated), d.repeated_total)}", ""]
    for n, rc in enumerate(d.repeated, 1):
        lines.append(f"{n}. **{_md(rc.speaker)}**: “{_md(rc.quote)}” — in {rc.articles:,} articles")
        for e in rc.examples:  # the quote again only where this article words it differently
            where = _md_article(e.article)
            lines.append(
                f"   - {where}" if e.quote == rc.quote else f"   - “{_md(e.quote)}” ({where})"
            )
    shown = _shown(len(d.no_evidence), d.no_evidence_total)
    lines += ["", f"### Claims with no evidence provided{shown}", ""]
    lines += [f"- {_md_claim(x)}" for x in d.no_evidence]
    shown = _shown(len(d.disputes), d.disputes_total)
    lines += ["", f"### Claims disputed by other articles{shown}", ""]
    for dispute in d.disputes:
        by = dispute.by
        lines.append(
            f"- **{_md(by.speaker)}** {by.stance.value}: “{_md(by.quote)}” "
            f"({_md_article(by.article)}) — disputes {dispute.total:,} claims elsewhere:"
        )
        if (a := dispute.answers) is not None:
            lines.append(f"  - in reply to **{_md(a.speaker)}**: “{_md(a.quote)}”")
        lines += [f"  - {_md_claim(x.claim)} *[{_RULE[x.rule]}]*" for x in dispute.claims]
    return "\n".join(lines).rstrip("\n") + "\n"


_COUNT_COLOUR = {"done": "ok", "failed": "bad", "pending": "warn"}
_SHORT = {
    "provided": "provided",
    "referenced_not_disclosed": "referenced",
    "none_provided": "no evidence",
    "contested": "contested",
    "not_applicable": "n/a",
    "unclear": "unclear",
}


def report_html(report: NightReport, articles: list[ArticleView] | None = None) -> str:
    """One self-contained page from the ``night.html.j2`` template (inline CSS, no script, no
    external asset, a CSP that forbids both); every text from the store is escaped. With
    ``articles`` (see :func:`night_page`), the index, the charts and each article in its text."""
    r, shown_articles = report, articles or []
    return render_page(
        title=_title(r),
        meta=_meta(r),
        notes=r.notes,
        runs=[
            {
                "id": x.id,
                "model": x.model,
                "prompt_version": x.prompt_version,
                "started": f"{x.started_at:%Y-%m-%d %H:%M}",
                "wall": _duration(x.wall_seconds),
            }
            for x in r.runs
        ]
        if r.scope == "all"
        else [],
        counts=r.counts,
        count_tiles=[
            (label, getattr(r.counts, k), _COUNT_COLOUR.get(k, "muted"))
            for k, label in _COUNT_LABELS
            if getattr(r.counts, k)
        ],
        digest=r.digest,
        shown=lambda items, total: _shown(len(items), total),
        failures=r.failures,
        failure_bars=bars([(f.error_type, f.count, None) for f in r.failures]),
        usage_head=_USAGE_HEAD,
        usage_rows=[_usage_cells(u) for u in [*r.usage, r.total]],
        latency_line=_latency_line(r.latency),
        articles=shown_articles,
        article_hrefs={a.article_id: f"#{a.anchor}" for a in shown_articles},
        charts=night_charts(shown_articles),
        statuses=STATUSES,
        labels=_LABEL,
        short=_SHORT,
        colours=_COLOUR,
        basis={k.value: v for k, v in _BASIS.items()},
        stance_colours=_STANCE_COLOUR,
        state_colours=_COUNT_COLOUR,
        rules=_RULE,
        claim_ids=lambda s: {c.id for c in s.claims},
        web=web,
        base_css=Markup(_CSS),  # our own constant, not text from the store
    )


# --- in one format --------------------------------------------------------------------------------


class ReportFormat(StrEnum):
    md = "md"
    html = "html"
    json = "json"


def render_report(
    store: Path, fmt: ReportFormat, *, run_id: int | None = None, all_runs: bool = False
) -> str:
    """The report of ``store`` in ``fmt``; HTML is the whole night page (:func:`night_page`)."""
    if fmt is ReportFormat.html:
        return night_page(store, run_id=run_id, all_runs=all_runs)
    report = build_report(store, run_id=run_id, all_runs=all_runs)
    if fmt is ReportFormat.json:
        return report.model_dump_json(indent=2) + "\n"
    return report_markdown(report)
