"""A last answer with a few ungrounded items keeps its grounded ones (overview pass)."""

from __future__ import annotations

from summarizer.client import salvage_items
from summarizer.grounding import AlignedText, segment
from summarizer.models import OverviewAnswer

TEXT = "Le ministre a annoncé une réforme. Les syndicats ont dénoncé le projet."
CONTEXT = {"sentences": segment(TEXT, "fr"), "aligned": AlignedText(TEXT)}


def overview(events: list[dict[str, object]]) -> dict[str, object]:
    return {
        "events": events,
        "inconsistencies": [{"sentences": [1, 9], "what": "x"}],
        "summary": [{"text": "Une réforme.", "sentences": [1]}],
    }


def test_ungrounded_items_are_dropped_and_grounded_ones_kept() -> None:
    data = overview(
        [
            {"sentence": 1, "trigger": "a annoncé", "what": "annonce", "status": "occurred"},
            {"sentence": 2, "trigger": "n'existe pas", "what": "?", "status": "occurred"},
            {"sentence": 7, "trigger": "dénoncé", "what": "?", "status": "occurred"},
        ]
    )
    kept = salvage_items(OverviewAnswer, data, CONTEXT)
    assert kept is not None
    assert [e.trigger for e in kept.events] == ["a annoncé"]
    assert kept.inconsistencies == []  # S9 does not exist


def test_a_list_emptied_by_salvage_keeps_the_rest() -> None:
    data = overview([{"sentence": 2, "trigger": "absent", "what": "?", "status": "occurred"}])
    kept = salvage_items(OverviewAnswer, data, CONTEXT)
    assert kept is not None and kept.events == [] and kept.summary[0].text == "Une réforme."


def test_inflected_triggers_are_aligned_not_dropped() -> None:
    data = overview([{"sentence": 2, "trigger": "dénonciation", "what": "x", "status": "occurred"}])
    kept = salvage_items(OverviewAnswer, data, CONTEXT)
    assert kept is not None and [e.trigger for e in kept.events] == ["dénonciation"]


def test_nothing_grounded_at_all_is_no_salvage() -> None:
    data = {"events": [], "inconsistencies": [], "summary": [{"text": "x", "sentences": [9]}]}
    assert salvage_items(OverviewAnswer, data, CONTEXT) is None
