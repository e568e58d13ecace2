"""The claims of summaries as schema.org ``Claim`` JSON-LD, ready for a ClaimReview.

A ClaimReview is a fact-checker's verdict (``claimReviewed``, ``reviewRating``): not ours to
give. What we can hand a fact-checker's tools is the ``Claim`` such a review is about: its
words (``text``), who made it (``author``, a Person or an Organization), where it appeared
(``appearance``, and ``firstAppearance``: the article is the first appearance we know of),
when (``datePublished``, the article's date), and what the *article* shows about its
evidence, which no schema.org property says: ``additionalProperty`` PropertyValues
(``evidenceStatus``, ``evidenceBasis``, ``evidenceCue``, ``commitment``, ``relayedBy`` and each
``response`` of another source).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from summarizer.models import ArticleSummary, Claim, SourceType
from summarizer.render import speaker_label

__all__ = ["CONTEXT", "claim_nodes", "to_claimreview"]

CONTEXT = "https://schema.org"
_PEOPLE = frozenset(
    {
        SourceType.named_on_record,
        SourceType.anonymous_described,
        SourceType.anonymous_unspecified,
        SourceType.reporter,
    }
)


def _article(s: ArticleSummary) -> dict[str, Any]:
    a = s.article
    node: dict[str, Any] = {"@type": "NewsArticle"}
    if a.url:
        node["@id"] = node["url"] = a.url
    if a.title:
        node["headline"] = a.title
    if a.published:
        node["datePublished"] = a.published.isoformat()
    node["inLanguage"] = a.language
    if a.outlet:
        node["publisher"] = {"@type": "Organization", "name": a.outlet}
    if a.author:
        node["author"] = {"@type": "Person", "name": a.author}
    return node


def _value(prop: str, value: str, description: str | None = None) -> dict[str, Any]:
    out = {"@type": "PropertyValue", "propertyID": prop, "value": value}
    return out | ({"description": description} if description else {})


def _claim(s: ArticleSummary, c: Claim, article: dict[str, Any]) -> dict[str, Any]:
    source = s.source(c.speaker)
    author: dict[str, Any] = {
        "@type": "Person" if source.type in _PEOPLE else "Organization",
        "name": source.name,
    }
    ev = c.evidence
    props = [
        _value("evidenceStatus", ev.status.value, ev.note),
        _value("evidenceBasis", ev.basis.value),
        _value("commitment", c.commitment.value),
    ]
    if ev.cue is not None:
        props.append(_value("evidenceCue", ev.cue.text))
    if source.via is not None:
        props.append(_value("relayedBy", s.speaker_name(source.via)))
    props += [
        _value("response", r.quote.text, f"{speaker_label(s, r.speaker)} {r.stance.value}")
        for r in s.counterclaims
        if r.target == c.id
    ]
    node: dict[str, Any] = {
        "@type": "Claim",
        "@id": f"urn:sha256:{s.article.sha256}#{c.id}",
        "identifier": c.id,
        "text": c.quote.text,
        "inLanguage": s.article.language,
        "author": author,
        "appearance": article,
        "firstAppearance": article,
    }
    if s.article.published:
        node["datePublished"] = s.article.published.isoformat()
    node["additionalProperty"] = props
    return node


def claim_nodes(s: ArticleSummary) -> list[dict[str, Any]]:
    """One schema.org ``Claim`` per claim of ``s``, without ``@context``."""
    article = _article(s)
    return [_claim(s, c, article) for c in s.claims]


def to_claimreview(summaries: Iterable[ArticleSummary]) -> str:
    """One JSON-LD document: ``{"@context": "https://schema.org", "@graph": [Claim, …]}``."""
    graph = [node for s in summaries for node in claim_nodes(s)]
    return json.dumps({"@context": CONTEXT, "@graph": graph}, ensure_ascii=False, indent=2) + "\n"
