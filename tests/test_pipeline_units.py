"""Pipeline pieces that need no model: chunking long articles, names, statement sentences."""

from __future__ import annotations

import itertools
from pathlib import Path

from summarizer._candidates import (
    candidate_names,
    find_cues,
    relayed_statement,
    statement_sentences,
)
from summarizer.grounding import AlignedText, segment
from summarizer.pipeline import _chunks

DATA = Path(__file__).resolve().parent / "data"
SEED = (DATA / "kursk.fr.txt").read_text(encoding="utf-8")


def test_long_articles_split_on_paragraphs_with_overlap_and_cover_everything() -> None:
    text = "\n".join(f"Paragraphe {i}. Le ministre a déclaré que tout va bien." for i in range(60))
    sentences = segment(text, "fr")
    chunks = _chunks(sentences, max_tokens=120)
    assert len(chunks) > 3
    covered = {s.id for chunk in chunks for s in chunk}
    assert covered == {s.id for s in sentences}
    for before, after in itertools.pairwise(chunks):
        assert before[-1].paragraph == after[0].paragraph  # one paragraph of overlap
        assert {s.paragraph for s in after} - {s.paragraph for s in before}
    assert _chunks(sentences, max_tokens=100_000) == [sentences]


def test_names_and_statement_sentences_of_the_seed_article() -> None:
    names = candidate_names(SEED)
    for expected in ("Patrick Ryder", "Mark Rutte", "Maria Zakharova", "Poutine", "RIA Novosti"):
        assert expected in names
    assert "Ryder" not in names  # contained in "Patrick Ryder"
    sentences = segment(SEED, "fr")
    ids = statement_sentences(sentences, AlignedText(SEED))
    texts = [sentences[i - 1].text for i in ids]
    assert any(t.startswith("« Nous pensons") for t in texts)
    assert any("Zakharova" in t for t in texts)


def test_evidence_cues_in_reading_order() -> None:
    sentences = segment(SEED, "fr")
    ryder_note = next(s for s in sentences if s.text.startswith("Toutefois"))
    cues = find_cues("evidence", sentences, [ryder_note.id], AlignedText(SEED))
    assert cues[0].label == "none_provided"
    assert SEED[cues[0].start : cues[0].end] == "n’a fourni aucune preuve"


def test_a_relayed_statement_belongs_to_its_subject_via_the_relay() -> None:
    names = ["RIA Novosti", "Pentagone", "Koursk"]
    assert relayed_statement("Selon RIA Novosti, le Pentagone estime que X.", names) == (
        "RIA Novosti",
        "Pentagone",
    )
    assert relayed_statement("Selon RIA Novosti, 10 000 soldats sont là.", names) is None
    assert relayed_statement("Selon lui, « rien ne change ».", names) is None
    assert relayed_statement("According to Reuters, Smith said no.", ["Reuters", "Smith"]) == (
        "Reuters",
        "Smith",
    )
