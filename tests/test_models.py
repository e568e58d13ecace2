"""The public summary refuses dangling references and proves its spans against the text."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from summarizer import ArticleSummary, Span
from summarizer.models import EvidenceAnswer, OverviewAnswer

TEXT = "Le ministre a déclaré « tout va bien ». L'opposition a démenti."


def summary(**changes: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "article": {"language": "fr", "sha256": "0" * 64, "chars": len(TEXT)},
        "summary": [{"text": "Le ministre rassure.", "refs": ["c1"]}],
        "sources": [
            {"id": "s1", "name": "ministre", "type": "institution"},
            {"id": "s2", "name": "opposition", "type": "institution"},
        ],
        "events": [],
        "claims": [
            {
                "id": "c1",
                "speaker": "s1",
                "quote": Span.of(TEXT, 24, 36).model_dump(),
                "evidence": {"status": "unclear"},
            }
        ],
        "counterclaims": [
            {
                "id": "cc1",
                "target": "c1",
                "speaker": "s2",
                "stance": "denies",
                "quote": Span.of(TEXT, 40, 63).model_dump(),
                "evidence": {"status": "unclear"},
            }
        ],
        "inconsistencies": [],
        "provenance": {"model": "m", "backend": "local", "prompt_version": "p@1", "usage": {}},
    }
    doc.update(changes)
    return doc


def test_a_consistent_summary_is_grounded() -> None:
    s = ArticleSummary.model_validate(summary())
    assert s.claims[0].quote.text == "tout va bien"
    assert s.check_grounded(TEXT) == []
    assert s.check_grounded(TEXT.replace("tout", "rien")) != []


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"summary": [{"text": "x", "refs": ["c9"]}]}, "summary ref 'c9'"),
        ({"sources": [{"id": "s1", "name": "a", "type": "institution"}]}, "speaker 's2'"),
        (
            {
                "events": [
                    {
                        "id": "c1",
                        "what": "x",
                        "status": "occurred",
                        "trigger": Span.of(TEXT, 0, 2).model_dump(),
                    }
                ]
            },
            "duplicate ids",
        ),
    ],
)
def test_dangling_or_duplicate_ids_are_refused(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        ArticleSummary.model_validate(summary(**changes))


def test_a_span_whose_offsets_disagree_with_its_text_is_refused() -> None:
    with pytest.raises(ValidationError, match="span offsets"):
        Span(text="abc", start=0, end=5)


def _integers(node: Any) -> list[dict[str, Any]]:
    if isinstance(node, dict):
        own = [node] if node.get("type") == "integer" else []
        return own + [n for value in node.values() for n in _integers(value)]
    if isinstance(node, list):
        return [n for value in node for n in _integers(value)]
    return []


@pytest.mark.parametrize("model", [OverviewAnswer, EvidenceAnswer])
def test_every_sentence_id_the_schema_allows_starts_at_s1(model: Any) -> None:
    # A decoder that follows the schema (or a fake answering its minimal instance) must not be
    # able to produce the S0 that validation refuses.
    integers = _integers(model.model_json_schema())
    assert integers and all(n.get("minimum") == 1 for n in integers)
