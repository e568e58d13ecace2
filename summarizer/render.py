"""Human-readable renderings of an :class:`ArticleSummary` (Markdown for now).

Article text and model output are untrusted: table cells escape Markdown's ``|`` and line
breaks so a quote cannot break the table.
"""

from __future__ import annotations

from summarizer.models import ArticleSummary, Basis, Evidence

__all__ = ["to_markdown"]

_BADGE = {
    "provided": "✅ evidence provided",
    "referenced_not_disclosed": "🟠 evidence referenced, not shown",
    "none_provided": "🔴 no evidence provided",
    "contested": "⚔️ evidence contested",
    "not_applicable": "➖ not applicable",
    "unclear": "❔ unclear",
}


def _cell(text: str | None) -> str:
    return (text or "").replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ").strip()


def _evidence(e: Evidence) -> str:
    out = _BADGE[e.status.value]
    if e.cue is not None:
        out += f" — “{_cell(e.cue.text)}”"
    if e.basis is Basis.model:
        out += " *(model's guess, unverified)*"
    elif e.basis is Basis.not_assessed:
        out = "– not assessed"
    return out


def to_markdown(s: ArticleSummary) -> str:
    names = {src.id: src.name for src in s.sources}

    def who(source_id: str) -> str:
        src = next(x for x in s.sources if x.id == source_id)
        return _cell(src.name + (f" (via {names[src.via]})" if src.via else ""))

    lines = [f"# {_cell(s.article.title) or 'Article summary'}", ""]
    meta = [f"language: {s.article.language}"]
    if s.article.published:
        meta.append(f"published: {s.article.published.isoformat()}")
    if s.article.url:
        meta.append(f"url: {s.article.url}")
    lines += [" · ".join(meta), "", "## Summary", ""]
    lines += [
        f"- {_cell(x.text)}" + (f" [{', '.join(x.refs)}]" if x.refs else "") for x in s.summary
    ]
    lines += [
        "",
        "## Claims",
        "",
        "| id | speaker | quote | commitment | evidence |",
        "|---|---|---|---|---|",
    ]
    for c in s.claims:
        lines.append(
            f"| {c.id} | {who(c.speaker)} | “{_cell(c.quote.text)}” | "
            f"{c.commitment.value} | {_evidence(c.evidence)} |"
        )
        for r in (r for r in s.counterclaims if r.target == c.id):
            basis = "" if r.stance_basis is not Basis.model else " *(unverified)*"
            lines.append(
                f"| ↳ {r.id} | {who(r.speaker)} | “{_cell(r.quote.text)}” | "
                f"**{r.stance.value}**{basis} | {_evidence(r.evidence)} |"
            )
    if s.events:
        lines += [
            "",
            "## Events",
            "",
            "| id | what | trigger | when | status |",
            "|---|---|---|---|---|",
        ]
        for e in s.events:
            when = ""
            if e.when:
                when = _cell(e.when.text) + (f" ({e.when.date})" if e.when.date else "")
            lines.append(
                f"| {e.id} | {_cell(e.what)} | “{_cell(e.trigger.text)}” | {when} | "
                f"{e.status.value} |"
            )
    if s.inconsistencies:
        lines += ["", "## Inconsistencies", ""]
        for i in s.inconsistencies:
            quoted = " vs ".join(f"“{_cell(x.text)}”" for x in i.spans)
            lines.append(f"- {_cell(i.what)}: {quoted}")
    u = s.provenance.usage
    lines += [
        "",
        f"---\nmodel {s.provenance.model} ({s.provenance.backend}) · prompts "
        f"{s.provenance.prompt_version} · {u.requests} requests, {u.prompt_tokens} prompt + "
        f"{u.completion_tokens} completion tokens, {u.reasks} re-asks, "
        f"{u.transport_retries} retries, {u.seconds:.1f} s",
    ]
    return "\n".join(lines) + "\n"
