"""Renderings of an :class:`ArticleSummary`: Markdown, a self-contained HTML page, CSV rows
and JSON lines.

Article text and model output are untrusted. Markdown table cells escape ``|`` and line breaks
so a quote cannot break the table; in HTML every text goes through :func:`html.escape` and the
page has no script, no external asset and a Content-Security-Policy that forbids both.
"""

from __future__ import annotations

import csv
import html
import io
import json
import re
from collections.abc import Callable, Iterable, Sequence

from summarizer.models import (
    ArticleSummary,
    Basis,
    Claim,
    Counterclaim,
    Event,
    Evidence,
    EvidenceStatus,
)
from summarizer.pricing import describe_cost

__all__ = [
    "CSV_HEADER",
    "clean",
    "csv_rows",
    "jsonl_done",
    "jsonl_failed",
    "speaker_label",
    "to_csv",
    "to_html",
    "to_jsonl",
    "to_markdown",
]

_BADGE = {
    "provided": "✅ evidence provided",
    "referenced_not_disclosed": "🟠 evidence referenced, not shown",
    "none_provided": "🔴 no evidence provided",
    "contested": "⚔️ evidence contested",
    "not_applicable": "➖ not applicable",
    "unclear": "❔ unclear",
}


_SURROGATE = re.compile("[\ud800-\udfff]")
# C0 and C1 controls (NUL, ESC, DEL …) and the bidirectional overrides and isolates (U+202E
# turns the rest of a line around): untrusted text never carries them into a rendering.
_CONTROLS = [*range(0x20), *range(0x7F, 0xA0), 0x61C, 0x200E, 0x200F]
_CONTROLS += [*range(0x202A, 0x202F), *range(0x2066, 0x206A)]
_BREAKS = "\n\r\t\v\f\x85\u2028\u2029"
_ONE_LINE = {**dict.fromkeys(_CONTROLS), **{ord(c): " " for c in _BREAKS}}
_MULTI_LINE = {**dict.fromkeys(_CONTROLS), **{ord(c): "\n" for c in "\n\x85\u2028\u2029"}}
_MULTI_LINE[ord("\t")] = "\t"


def clean(text: str, *, one_line: bool = True) -> str:
    """Untrusted text fit for a rendering: controls and bidi overrides removed, line breaks
    made spaces (``one_line``), lone surrogates (which no UTF-8 writer accepts) made U+FFFD.

    Only renderings use this; the JSON keeps every quote exactly as the article has it."""
    return _SURROGATE.sub("\ufffd", text).translate(_ONE_LINE if one_line else _MULTI_LINE)


def _cell(text: str | None) -> str:
    return clean(text or "").replace("\\", "\\\\").replace("|", "\\|").strip()


def _md(text: str | None) -> str:
    """Untrusted text in Markdown: a table cell that cannot break the table (:func:`_cell`),
    and no raw HTML or link syntax for a Markdown viewer to bring to life."""
    return _cell(text).replace("<", "\\<").replace("[", "\\[").replace("]", "\\]")


def _evidence(e: Evidence) -> str:
    out = _BADGE[e.status.value]
    if e.cue is not None:
        out += f" — “{_md(e.cue.text)}”"
    if e.basis is Basis.model:
        sure = "" if e.confidence is None else f", p {e.confidence:.2f}"
        out += f" *(model's guess{sure}, unverified)*"
        if e.status is EvidenceStatus.unclear and e.note:
            out += f" — {_md(e.note)}"
    elif e.basis is Basis.not_assessed:
        out = "– not assessed"
    return out


def speaker_label(s: ArticleSummary, source_id: str) -> str:
    """The speaker's name with the chain it was relayed through: ``A (via B via C)``."""
    by_id = {src.id: src for src in s.sources}
    src = by_id.get(source_id)
    if src is None:
        return source_id
    chain: list[str] = []
    seen = {src.id}
    relay = src.via
    while relay is not None and relay in by_id and relay not in seen:
        seen.add(relay)
        chain.append(by_id[relay].name)
        relay = by_id[relay].via
    return src.name + (f" (via {' via '.join(chain)})" if chain else "")


def _when(event: Event) -> str:
    if event.when is None:
        return ""
    return event.when.text + (f" ({event.when.date})" if event.when.date else "")


def _roles(event: Event, place: bool) -> str:
    """The event's participants ("Passenger: 2 000 soldats"), or its places, as written."""
    return "; ".join(
        a.span.text if place else f"{a.role}: {a.span.text}"
        for a in event.arguments
        if (a.role == "Place") == place
    )


def _told(s: ArticleSummary, event: Event) -> str:
    """The status, and who tells it when a source does ("alleged, by Le Pentagone")."""
    by = f", by {speaker_label(s, event.reported_by)}" if event.reported_by else ""
    return event.status.value + by


def _commitment_note(c: Claim | Counterclaim, escape: Callable[[str], str]) -> str:
    """ " — conditional mood “auraient”" when a grammar cue decided the commitment."""
    return f" — {escape(c.commitment_note)}" if c.commitment_note else ""


def to_markdown(s: ArticleSummary) -> str:
    def who(source_id: str) -> str:
        return _md(speaker_label(s, source_id))

    lines = [f"# {_md(s.article.title) or 'Article summary'}", ""]
    meta = [f"language: {_md(s.article.language)}"]
    if s.article.published:
        meta.append(f"published: {s.article.published.isoformat()}")
    if s.article.url:
        meta.append(f"url: {_md(s.article.url)}")
    lines += [" · ".join(meta), "", "## Summary", ""]
    lines += [f"- {_md(x.text)}" + (f" [{', '.join(x.refs)}]" if x.refs else "") for x in s.summary]
    lines += [
        "",
        "## Claims",
        "",
        "| id | speaker | quote | commitment | evidence |",
        "|---|---|---|---|---|",
    ]
    for c in s.claims:
        lines.append(
            f"| {c.id} | {who(c.speaker)} | “{_md(c.quote.text)}” | "
            f"{c.commitment.value}{_commitment_note(c, _md)} | {_evidence(c.evidence)} |"
        )
        for r in (r for r in s.counterclaims if r.target == c.id):
            basis = "" if r.stance_basis is not Basis.model else " *(unverified)*"
            note = f" — {_md(r.stance_note)}" if r.stance_note else ""
            lines.append(
                f"| ↳ {r.id} | {who(r.speaker)} | “{_md(r.quote.text)}” | "
                f"**{r.stance.value}**{basis}{note} · {r.commitment.value}"
                f"{_commitment_note(r, _md)} | {_evidence(r.evidence)} |"
            )
    if s.events:
        lines += [
            "",
            "## Events",
            "",
            "| id | trigger | who and what | where | when | status |",
            "|---|---|---|---|---|---|",
        ]
        for e in s.events:
            key = " **(key)**" if e.key else ""
            lines.append(
                f"| {e.id}{key} | “{_md(e.trigger.text)}” | {_md(_roles(e, False) or e.what)} | "
                f"{_md(_roles(e, True))} | {_md(_when(e))} | {_md(_told(s, e))} |"
            )
    if s.inconsistencies:
        lines += ["", "## Inconsistencies", ""]
        for i in s.inconsistencies:
            quoted = " vs ".join(f"“{_md(x.text)}”" for x in i.spans)
            unverified = " *(unverified)*" if i.basis is Basis.model else ""
            lines.append(f"- {_md(i.what)}: {quoted}{unverified}")
    u = s.provenance.usage
    lines += [
        "",
        f"---\nmodel {_md(s.provenance.model)} ({s.provenance.backend}) · prompts "
        f"{s.provenance.prompt_version} · {u.requests} requests, {u.prompt_tokens} prompt + "
        f"{u.completion_tokens} completion tokens, {u.reasks} re-asks, "
        f"{u.transport_retries} retries, {u.seconds:.1f} s · "
        f"{_md(describe_cost(u, s.provenance.model))}",
    ]
    lines += [f"\n> warning: {_md(w)}" for w in s.provenance.warnings]
    return "\n".join(lines) + "\n"


# --- CSV and JSON lines ----------------------------------------------------------------------

CSV_HEADER = (
    "article",
    "kind",
    "id",
    "speaker",
    "quote",
    "commitment_or_stance",
    "target",
    "evidence_status",
    "evidence_basis",
    "cue",
    "stance_note",
)


def csv_rows(s: ArticleSummary) -> list[list[str]]:
    """One row per claim and per counterclaim (after the claim it answers), in CSV_HEADER order."""
    title = s.article.title or ""
    rows: list[list[str]] = []

    def row(kind: str, x: Claim | Counterclaim, value: str, target: str) -> list[str]:
        cue = x.evidence.cue.text if x.evidence.cue is not None else ""
        stance_note = x.stance_note if isinstance(x, Counterclaim) else None
        return [
            title,
            kind,
            x.id,
            speaker_label(s, x.speaker),
            x.quote.text,
            value,
            target,
            x.evidence.status.value,
            x.evidence.basis.value,
            cue,
            stance_note or "",
        ]

    answered = {c.id for c in s.claims}
    for c in s.claims:
        rows.append(row("claim", c, c.commitment.value, ""))
        rows += [row("counterclaim", r, r.stance.value, c.id) for r in _answers(s, c.id)]
    rows += [
        row("counterclaim", r, r.stance.value, r.target)
        for r in s.counterclaims
        if r.target not in answered
    ]
    return rows


def to_csv(summaries: Iterable[ArticleSummary]) -> str:
    """The claims and counterclaims of every summary under one header row.

    Cells that a spreadsheet would run as a formula (starting with ``=``, ``+``, ``-``, ``@``)
    get a leading ``'``: quotes are untrusted text.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    for s in summaries:
        writer.writerows(_csv_safe(r) for r in csv_rows(s))
    return buffer.getvalue()


def _csv_safe(row: list[str]) -> list[str]:
    # Spreadsheets run cells that start with = + - @ as formulas; quotes are untrusted text.
    cells = [clean(v, one_line=False) for v in row]
    return ["'" + v if v[:1] in ("=", "+", "-", "@", "\t", "\r") else v for v in cells]


def to_jsonl(summaries: Iterable[ArticleSummary]) -> str:
    """One compact JSON summary per line."""
    return "".join(s.model_dump_json() + "\n" for s in summaries)


def jsonl_done(source: str, summary: ArticleSummary) -> str:
    """A line of ``summarize --format jsonl``: ``{"source", "state": "done", "summary"}``.

    The input's name goes in an envelope, the shape of ``batch --out`` lines, rather than in
    the summary: it says where this run read the article, not what the article is, and a
    failed input needs a line of the same shape (:func:`jsonl_failed`)."""
    head = json.dumps({"source": source, "state": "done"}, ensure_ascii=False)
    return f'{head[:-1]}, "summary": {summary.model_dump_json()}}}\n'


def jsonl_failed(source: str, kind: str, message: str, state: str = "failed") -> str:
    """The line of an input with no summary: ``{"source", "state", "error": {"type",
    "message"}}``; ``state`` is ``not_tried`` when the run stopped before it."""
    error = {"type": kind, "message": message}
    line = {"source": source, "state": state, "error": error}
    return json.dumps(line, ensure_ascii=False) + "\n"


def _answers(s: ArticleSummary, claim_id: str) -> list[Counterclaim]:
    return [r for r in s.counterclaims if r.target == claim_id]


# --- HTML ------------------------------------------------------------------------------------

_COLOUR = {
    "provided": "ok",
    "referenced_not_disclosed": "warn",
    "none_provided": "bad",
    "contested": "bad",
    "not_applicable": "muted",
    "unclear": "muted",
}
_LABEL = {
    "provided": "evidence provided",
    "referenced_not_disclosed": "evidence referenced, not shown",
    "none_provided": "no evidence provided",
    "contested": "evidence contested",
    "not_applicable": "not applicable",
    "unclear": "unclear",
}
_BASIS = {
    Basis.cue: "cue",
    Basis.model: "unverified",
    Basis.model_and_cue: "model + cue",
    Basis.not_assessed: "not assessed",
}
_STANCE_COLOUR = {
    "denies": "bad",
    "disputes": "bad",
    "qualifies": "warn",
    "deflects": "warn",
    "supports": "ok",
}
_CSS = """
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:2rem auto;
max-width:72rem;padding:0 1rem;color:#1d1d1f;background:#fff}
h1{font-size:1.5rem;margin:.2rem 0}h2{font-size:1.15rem;margin-top:1.6rem}
.meta,.prov{color:#555;font-size:.9rem}
table{border-collapse:collapse;width:100%;margin:.5rem 0}
th,td{border-bottom:1px solid #ddd;padding:.35rem .5rem;text-align:left;vertical-align:top}
th{background:#f4f4f6;font-weight:600}
tr.answer td:first-child{padding-left:1.4rem}tr.answer{background:#fafafa}
:target{outline:2px solid #4a7bd0}
q{quotes:"\\201C" "\\201D"}
.badge{display:inline-block;border-radius:.7rem;padding:0 .55rem;font-size:.82rem;
white-space:nowrap;border:1px solid transparent}
.ok{background:#e3f4e6;color:#1b6b2b;border-color:#a9dcb2}
.warn{background:#fff1dc;color:#8a4b00;border-color:#f3c98a}
.bad{background:#fde4e4;color:#9b1c1c;border-color:#f2a8a8}
.muted{background:#eee;color:#555;border-color:#ccc}
.basis{font-size:.8rem;color:#666}.cue{font-size:.85rem;color:#333}
.warnings li{color:#8a4b00}
section.article+section.article{border-top:3px double #ccc;margin-top:2.5rem}
"""


def _e(text: object) -> str:
    return html.escape(clean(str(text), one_line=False), quote=True)


def _badge(label: str, colour: str) -> str:
    return f'<span class="badge {colour}">{_e(label)}</span>'


def _html_evidence(ev: Evidence) -> str:
    if ev.basis is Basis.not_assessed:
        out = _badge("not assessed", "muted")
    else:
        out = _badge(_LABEL[ev.status.value], _COLOUR[ev.status.value])
        sure = "" if ev.confidence is None else f", p {ev.confidence:.2f}"
        out += f' <span class="basis">({_e(_BASIS[ev.basis])}{sure})</span>'
    if ev.cue is not None:
        out += f'<div class="cue">cue: <q>{_e(ev.cue.text)}</q></div>'
    if ev.note:
        out += f'<div class="basis">{_e(ev.note)}</div>'
    return out


def _html_article(s: ArticleSummary, prefix: str) -> list[str]:
    def anchor(ref: str) -> str:
        return _e(prefix + ref)

    def who(source_id: str) -> str:
        return _e(speaker_label(s, source_id))

    a = s.article
    meta = [f"language: {_e(a.language)}"]
    if a.outlet:
        meta.append(f"outlet: {_e(a.outlet)}")
    if a.published:
        meta.append(f"published: {_e(a.published.isoformat())}")
    if a.url:
        meta.append(f"url: {_e(a.url)}")
    meta.append(f"{a.chars:,} characters")
    out = [
        '<section class="article">',
        f"<h1>{_e(a.title or 'Article summary')}</h1>",
        f'<p class="meta">{" · ".join(meta)}</p>',
        "<h2>Summary</h2>",
        "<ul>",
    ]
    for x in s.summary:
        links = ", ".join(f'<a href="#{anchor(r)}">{_e(r)}</a>' for r in x.refs)
        out.append(f"<li>{_e(x.text)}" + (f" [{links}]" if links else "") + "</li>")
    out += ["</ul>", "<h2>Claims</h2>"]
    if s.claims or s.counterclaims:
        out += [
            "<table>",
            "<tr><th>id</th><th>speaker</th><th>quote</th><th>commitment / stance</th>"
            "<th>evidence</th></tr>",
        ]

        def answer_row(r: Counterclaim) -> str:
            basis = _BASIS[r.stance_basis]
            note = f'<div class="basis">{_e(r.stance_note)}</div>' if r.stance_note else ""
            return (
                f'<tr class="answer" id="{anchor(r.id)}"><td>↳ {_e(r.id)}</td>'
                f"<td>{who(r.speaker)}</td><td><q>{_e(r.quote.text)}</q></td>"
                f"<td>{_badge(r.stance.value, _STANCE_COLOUR[r.stance.value])} "
                f'<span class="basis">({_e(basis)})</span>{note}'
                f"<div>{_e(r.commitment.value)}{_commitment_note(r, _e)}</div></td>"
                f"<td>{_html_evidence(r.evidence)}</td></tr>"
            )

        for c in s.claims:
            out.append(
                f'<tr id="{anchor(c.id)}"><td>{_e(c.id)}</td><td>{who(c.speaker)}</td>'
                f"<td><q>{_e(c.quote.text)}</q></td><td>{_e(c.commitment.value)}"
                f"{_commitment_note(c, _e)}</td>"
                f"<td>{_html_evidence(c.evidence)}</td></tr>"
            )
            out += [answer_row(r) for r in _answers(s, c.id)]
        claim_ids = {c.id for c in s.claims}
        out += [answer_row(r) for r in s.counterclaims if r.target not in claim_ids]
        out.append("</table>")
    else:
        out.append("<p>No attributed statements.</p>")
    if s.events:
        out += [
            "<h2>Events</h2>",
            "<table>",
            "<tr><th>id</th><th>trigger</th><th>who and what</th><th>where</th><th>when</th>"
            "<th>status</th></tr>",
        ]
        for ev in s.events:
            key = " <strong>(key)</strong>" if ev.key else ""
            out.append(
                f'<tr id="{anchor(ev.id)}"><td>{_e(ev.id)}{key}</td>'
                f"<td><q>{_e(ev.trigger.text)}</q></td><td>{_e(_roles(ev, False) or ev.what)}</td>"
                f"<td>{_e(_roles(ev, True))}</td><td>{_e(_when(ev))}</td>"
                f"<td>{_e(_told(s, ev))}</td></tr>"
            )
        out.append("</table>")
    if s.inconsistencies:
        out += ["<h2>Inconsistencies</h2>", "<ul>"]
        for i in s.inconsistencies:
            quoted = " vs ".join(f"<q>{_e(x.text)}</q>" for x in i.spans)
            unverified = " <em>(unverified)</em>" if i.basis is Basis.model else ""
            out.append(f'<li id="{anchor(i.id)}">{_e(i.what)}: {quoted}{unverified}</li>')
        out.append("</ul>")
    p, u = s.provenance, s.provenance.usage
    out += [
        "<h2>Provenance</h2>",
        f'<p class="prov">model {_e(p.model)} ({_e(p.backend)}) · prompts '
        f"{_e(p.prompt_version)} · schema {_e(p.schema_version)}<br>"
        f"{u.requests} requests · {u.prompt_tokens} prompt + {u.completion_tokens} completion "
        f"tokens · {u.reasks} re-asks · {u.transport_retries} retries · {u.seconds:.1f} s · "
        f"{_e(describe_cost(u, p.model))}</p>",
    ]
    if p.warnings:
        out += ['<ul class="warnings">', *(f"<li>{_e(w)}</li>" for w in p.warnings), "</ul>"]
    out.append("</section>")
    return out


def to_html(summaries: ArticleSummary | Sequence[ArticleSummary]) -> str:
    """One self-contained HTML page (inline CSS, no script, no external asset)."""
    items = [summaries] if isinstance(summaries, ArticleSummary) else list(summaries)
    title = items[0].article.title if len(items) == 1 else None
    body: list[str] = []
    for n, s in enumerate(items, 1):
        body += _html_article(s, "" if len(items) == 1 else f"a{n}-")
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en">',
            "<head>",
            '<meta charset="utf-8">',
            '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
            "style-src 'unsafe-inline'\">",
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>{_e(title or 'Article summaries')}</title>",
            f"<style>{_CSS}</style>",
            "</head>",
            "<body>",
            *body,
            "</body>",
            "</html>",
            "",
        ]
    )
