"""A night people open: every article of a run with its summary shown *in its text*, and the
charts of the night, as one self-contained HTML page (see ``summarizer/templates/night.html.j2``).

This module turns store rows into what the template shows; the template does the markup, with
Jinja2's autoescaping, so no text from an article or a model reaches the page unescaped.

* **Highlights** come from the character offsets stored in each summary (quotes, evidence cues,
  event triggers) and from our own search of each source's name in the text (speakers): an
  offset is used only when the text there is the span's text, so a summary never marks the
  wrong words, whatever wrote it. Overlapping highlights are cut into pieces that carry every
  kind that covers them and link to the narrowest statement.
* **The text** is the one the batch stored with the summary (store version 3). For an older
  row the input file is read again and used only if its normalised text has the stored sha256.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
from pydantic import ValidationError

from summarizer._fetch import read_input
from summarizer._input import text_sha256
from summarizer.batch._inputs import normalise
from summarizer.batch._store import Store
from summarizer.exceptions import InputError
from summarizer.models import ArticleSummary, Claim, Counterclaim, EvidenceStatus, Span
from summarizer.render import speaker_label

__all__ = [
    "STATUSES",
    "ArticleView",
    "Bar",
    "Piece",
    "bars",
    "load_articles",
    "night_charts",
    "render_page",
    "web",
]

STATUSES = tuple(s.value for s in EvidenceStatus)
_TIME_BINS = 24
_TOP = 10


@dataclass(frozen=True)
class Piece:
    """A run of article text with the same highlights (``kinds`` empty: plain text)."""

    text: str
    kinds: tuple[str, ...] = ()
    href: str | None = None
    label: str | None = None
    anchors: tuple[str, ...] = ()  # ids of the spans that start here (links back to the text)


@dataclass
class ArticleView:
    """One article of the night as the page shows it."""

    anchor: str
    article_id: str
    source: str
    state: str
    title: str | None
    url: str | None
    error_type: str | None = None
    error_message: str | None = None
    seconds: float | None = None
    finished_at: float | None = None
    summary: ArticleSummary | None = None
    pieces: list[Piece] | None = None
    text_note: str | None = None
    statuses: Counter[str] = field(default_factory=Counter)
    in_text: set[str] = field(default_factory=set)  # statement ids highlighted in the text

    @property
    def href(self) -> str | None:
        """The article's URL as a link, only when it is http(s)."""
        return web(self.url or (self.summary.article.url if self.summary else None))

    @property
    def outlet(self) -> str | None:
        return self.summary.article.outlet if self.summary else None

    @property
    def name(self) -> str:
        title = self.title or (self.summary.article.title if self.summary else None)
        return title or self.article_id

    def ref(self, statement_id: str) -> str:
        """The anchor of a statement (claim, counterclaim, event) of this article."""
        return f"{self.anchor}-{statement_id}"

    def speaker(self, source_id: str) -> str:
        return speaker_label(self.summary, source_id) if self.summary else source_id


def web(url: str | None) -> str | None:
    """``url`` when it may become a link (http or https, never ``javascript:``), else None."""
    return url if url and url.casefold().startswith(("http://", "https://")) else None


# --- reading the store --------------------------------------------------------------------------


def load_articles(store: Store, run_id: int | None) -> list[ArticleView]:
    """Every article of a run's input (one per text) in input order; of the whole store
    (``run_id`` None), newest first."""
    out: list[ArticleView] = []
    for n, row in enumerate(store.article_records(run_id), 1):
        view = ArticleView(
            f"a{n}",
            article_id=row.article_id,
            source=row.source,
            state=row.state,
            title=row.title,
            url=row.url,
            error_type=row.error_type,
            error_message=row.error_message,
            seconds=row.seconds,
            finished_at=row.finished_at,
        )
        if view.state == "done" and row.result:
            try:
                view.summary = ArticleSummary.model_validate_json(row.result)
            except ValidationError:
                view.text_note = "the stored summary cannot be read (written by another version?)"
        if view.summary is not None:
            _fill(view, row.text, row.text_sha256)
        out.append(view)
    return out


def _fill(view: ArticleView, stored: str | None, sha: str) -> None:
    assert view.summary is not None
    s = view.summary
    statements: list[Claim | Counterclaim] = [*s.claims, *s.counterclaims]
    view.statuses = Counter(x.evidence.status.value for x in statements)
    text, note = _article_text(stored, view.source, sha)
    view.text_note = note
    if text is not None:
        view.pieces = pieces(text, s, view)


def _article_text(stored: str | None, source: str, sha: str) -> tuple[str | None, str | None]:
    if stored is not None:
        if text_sha256(stored) == sha:
            return stored, None
        return None, "the stored text does not match its sha256; it is not shown"
    path = Path(source)
    try:
        if not path.is_file():
            raise InputError("gone")
        text = normalise(read_input(path).text)
    except (InputError, OSError):
        return None, f"the store (before version 3) kept no text, and {source} cannot be read again"
    if text_sha256(text) != sha:
        return None, f"{source} has changed since it was summarized; its text is not shown"
    return text, f"text re-read from {source} (sha256 checked)"


# --- highlights ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Mark:
    start: int
    end: int
    kind: str
    href: str | None
    label: str
    anchor: str | None


def pieces(text: str, s: ArticleSummary, view: ArticleView) -> list[Piece]:
    """``text`` cut at every highlight boundary; each piece knows what covers it. Records in
    ``view.in_text`` the statements whose span was found, for the tables' links back."""
    marks = [m for m in _marks(text, s, view) if m.start < m.end]
    view.in_text = {m.anchor.rsplit("-t-", 1)[1] for m in marks if m.anchor}
    cuts = sorted({0, len(text), *(m.start for m in marks), *(m.end for m in marks)})
    starts: dict[int, list[str]] = {}
    for m in marks:
        if m.anchor:
            starts.setdefault(m.start, []).append(m.anchor)
    out: list[Piece] = []
    for a, b in itertools.pairwise(cuts):
        covering = [m for m in marks if m.start <= a and b <= m.end]
        anchors = tuple(starts.get(a, ()))
        if not covering:
            out.append(Piece(text[a:b], anchors=anchors))
            continue
        linked = [m for m in covering if m.href] or covering  # a link when any mark has one
        narrow = min(linked, key=lambda m: (m.end - m.start, m.kind != "quote"))
        out.append(
            Piece(
                text[a:b],
                kinds=tuple(sorted({m.kind for m in covering})),
                href=narrow.href,
                label=" · ".join(dict.fromkeys(m.label for m in covering)),
                anchors=anchors,
            )
        )
    return out


def _marks(text: str, s: ArticleSummary, view: ArticleView) -> list[_Mark]:
    def fits(span: Span) -> bool:
        return 0 <= span.start < span.end <= len(text) and text[span.start : span.end] == span.text

    marks: list[_Mark] = []
    first_by: dict[str, str] = {}
    statements: list[Claim | Counterclaim] = [*s.claims, *s.counterclaims]
    for x in statements:
        first_by.setdefault(x.speaker, x.id)
        kind = "claim" if isinstance(x, Claim) else "counterclaim"
        who = view.speaker(x.speaker)
        if fits(x.quote):
            href, anchor = f"#{view.ref(x.id)}", f"{view.anchor}-t-{x.id}"
            marks.append(
                _Mark(x.quote.start, x.quote.end, "quote", href, f"{x.id}: {kind} by {who}", anchor)
            )
        cue = x.evidence.cue
        if cue is not None and fits(cue):
            label = f"evidence cue of {x.id} ({x.evidence.status.value})"
            marks.append(_Mark(cue.start, cue.end, "cue", f"#{view.ref(x.id)}", label, None))
    for e in s.events:
        if fits(e.trigger):
            href, anchor = f"#{view.ref(e.id)}", f"{view.anchor}-t-{e.id}"
            marks.append(
                _Mark(e.trigger.start, e.trigger.end, "trigger", href, f"{e.id}: {e.what}", anchor)
            )
    for src in s.sources:
        if len(src.name) < 2:
            continue
        target = first_by.get(src.id)
        link = f"#{view.ref(target)}" if target else None
        for found in re.finditer(rf"(?<!\w){re.escape(src.name)}(?!\w)", text):
            marks.append(
                _Mark(found.start(), found.end(), "speaker", link, f"speaker {src.name}", None)
            )
    return marks


# --- charts -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Bar:
    """One bar of a horizontal bar chart: ``share`` of the longest bar, in per cent."""

    label: str
    value: int
    share: float
    href: str | None = None


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    width: float
    height: float
    status: str
    title: str


@dataclass
class TimeChart:
    """Evidence statuses of the statements finished in each slice of the night (stacked SVG)."""

    width: int = 720
    height: int = 180
    left: int = 40
    bottom: int = 24
    rects: list[Rect] = field(default_factory=list)
    start: str = ""
    end: str = ""
    top: int = 0
    slices: int = 0


def bars(counts: list[tuple[str, int, str | None]]) -> list[Bar]:
    top = max((v for _, v, _ in counts), default=0) or 1
    return [Bar(label, value, round(100 * value / top, 1), href) for label, value, href in counts]


def night_charts(articles: list[ArticleView]) -> dict[str, Any]:
    """The charts of the night: statuses over time, top speakers, most disputed claims,
    latency. (Failures by type come from the report itself.)"""
    done = [a for a in articles if a.summary is not None]
    speakers: Counter[str] = Counter()
    first: dict[str, str] = {}
    disputed: list[tuple[int, str, str]] = []
    for a in done:
        assert a.summary is not None
        s = a.summary
        statements: list[Claim | Counterclaim] = [*s.claims, *s.counterclaims]
        for x in statements:
            src = next((src for src in s.sources if src.id == x.speaker), None)
            name = src.name if src is not None else x.speaker
            speakers[name] += 1
            first.setdefault(name, f"#{a.ref(x.id)}")
        for c in s.claims:
            answers = [r for r in s.counterclaims if r.target == c.id]
            if answers:
                label = f"{a.speaker(c.speaker)}: “{c.quote.text}” — {a.name}"
                disputed.append((len(answers), label, f"#{a.ref(c.id)}"))
    disputed.sort(key=lambda d: -d[0])
    seconds = sorted(a.seconds for a in articles if a.seconds is not None)
    return {
        "time": _time_chart(done),
        "speakers": bars([(n, v, first[n]) for n, v in speakers.most_common(_TOP)]),
        "disputed": bars([(label, n, href) for n, label, href in disputed[:_TOP]]),
        "latency": _latencybars(seconds),
        "statuses": sum((a.statuses for a in done), Counter()),
    }


def _time_chart(done: list[ArticleView]) -> TimeChart:
    chart = TimeChart()
    times = [a.finished_at for a in done if a.finished_at is not None]
    if not times:
        return chart
    low, high = min(times), max(times)
    n = max(1, min(_TIME_BINS, len(times)))
    span = (high - low) or 1.0
    slices: list[Counter[str]] = [Counter() for _ in range(n)]
    for a in done:
        if a.finished_at is not None:
            slices[min(n - 1, int((a.finished_at - low) / span * n))] += a.statuses
    chart.slices = n
    chart.top = max((sum(c.values()) for c in slices), default=0) or 1
    plot_w, plot_h = chart.width - chart.left - 8, chart.height - chart.bottom - 8
    step = plot_w / n
    for i, counts in enumerate(slices):
        y = float(8 + plot_h)
        for status in STATUSES:
            if not counts[status]:
                continue
            h = plot_h * counts[status] / chart.top
            y -= h
            chart.rects.append(
                Rect(
                    round(chart.left + i * step + 1, 1),
                    round(y, 1),
                    round(max(step - 2, 1), 1),
                    round(h, 1),
                    status,
                    f"{counts[status]} {status.replace('_', ' ')}",
                )
            )
    chart.start, chart.end = (_clock(t) for t in (low, high))
    return chart


def _clock(ts: float) -> str:
    return f"{dt.datetime.fromtimestamp(ts, dt.UTC):%H:%M:%S} UTC"


def _latencybars(seconds: list[float]) -> list[Bar]:
    """Articles per latency band (seconds per article), in bands that double."""
    if not seconds:
        return []
    edges = [1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1800]
    bands: Counter[str] = Counter()
    order: list[str] = []
    for edge_low, edge in zip([0, *edges], [*edges, float("inf")], strict=True):
        label = f"≥ {edge_low} s" if edge == float("inf") else f"{edge_low}–{edge} s"
        order.append(label)
        bands[label] = sum(1 for s in seconds if edge_low <= s < edge)
    used = [label for label in order if bands[label]]
    first, last = order.index(used[0]), order.index(used[-1])
    return bars([(label, bands[label], None) for label in order[first : last + 1]])


# --- the page -----------------------------------------------------------------------------------

_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("summarizer", "templates"),
    autoescape=True,  # every {{ }} is escaped; only our own CSS comes in as Markup
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def render_page(**context: Any) -> str:
    """The night page from ``summarizer/templates/night.html.j2``."""
    return _ENV.get_template("night.html.j2").render(**context)
