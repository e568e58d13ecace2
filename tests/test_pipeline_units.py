"""Pipeline pieces that need no model: chunking long articles, names, statement sentences."""

from __future__ import annotations

import itertools
from functools import partial
from pathlib import Path

from summarizer._attribution import user_message
from summarizer._candidates import (
    candidate_names,
    every_name,
    find_cues,
    mentions,
    relayed_statement,
    speaker_next_to_verb,
    statement_sentences,
)
from summarizer._chunking import chunks as _chunks
from summarizer._document import Document
from summarizer._evidence import THRESHOLD, model_evidence
from summarizer.grounding import AlignedText, quoted_segments, segment
from summarizer.models import ClaimKind, EvidenceAnswer, EvidenceStatus, Shown

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


def test_a_person_named_by_surname_alone_is_offered_under_the_full_name() -> None:
    text = (
        "Melezia Figueroa dirige le syndicat. Le maire a parlé hier.\n"
        "« Nous ne céderons pas », a déclaré Figueroa."
    )
    doc = Document(text, "fr", None)
    names = candidate_names(text)
    options, _user = user_message(doc, names, 3)
    assert options == ["Melezia Figueroa"]
    assert mentions("Melezia Figueroa") == ["Melezia Figueroa", "Figueroa"]
    # An institution is not a person: "Défense" alone is not the ministry.
    assert mentions("Ministère de la Défense") == ["Ministère de la Défense"]


def test_elided_words_and_codes_are_not_offered_as_speakers() -> None:
    text = (
        "J'ai vu la note Baa3. L'armée de Moody's a parlé. C'est D'Alema qui a répondu à O'Brien, "
        "comme Russie-1 l'a dit."
    )
    names = candidate_names(text)
    assert names == ["Moody's", "D'Alema", "O'Brien", "Russie-1"]


def test_a_model_evidence_status_needs_the_sentence_that_shows_it() -> None:
    doc = Document("Le ministre affirme que tout va bien. Il cite un rapport.", "fr", None)
    fact = partial(EvidenceAnswer, statement=ClaimKind.fact, evidence=Shown.shown)
    unshown = model_evidence(fact(), 1, doc)
    assert unshown.status is EvidenceStatus.unclear
    assert unshown.note and "provided" in unshown.note
    shown = model_evidence(fact(cue_sentence=2), 1, doc)
    assert shown.status is EvidenceStatus.provided
    assert shown.cue is not None and shown.cue.text == "Il cite un rapport."
    # Only a fact has evidence to look for: what the model says of an opinion's is not read.
    opinion = model_evidence(
        EvidenceAnswer(statement=ClaimKind.opinion, evidence=Shown.shown), 1, doc
    )
    assert opinion.status is EvidenceStatus.not_applicable


def test_a_model_label_it_was_unsure_of_is_reported_unclear_with_its_guess() -> None:
    doc = Document("Le ministre affirme que tout va bien. Il cite un rapport.", "fr", None)
    opinion = EvidenceAnswer(statement=ClaimKind.opinion)
    unsure = model_evidence(opinion, 1, doc, probability=THRESHOLD / 2)
    assert unsure.status is EvidenceStatus.unclear
    assert unsure.note and "not_applicable" in unsure.note
    assert unsure.confidence == THRESHOLD / 2
    sure = model_evidence(opinion, 1, doc, probability=0.97)
    assert (sure.status, sure.confidence) == (EvidenceStatus.not_applicable, 0.97)


def test_dates_adverbs_contractions_and_possessives_are_not_offered_as_speakers() -> None:
    text = (
        "Elizabeth Warren questioned the bank. Warren’s questions were sharp. Earlier, it was "
        "calm. September was quiet. It’s over, Moody's said. Don’t worry. Politifact agreed."
    )
    assert candidate_names(text) == ["Elizabeth Warren", "Moody's", "Politifact"]


def _next_to_verb(text: str, sentence: int) -> str | None:
    sentences = segment(text, None)
    quotes = quoted_segments(text, 0, len(text))
    names = every_name(text)
    return speaker_next_to_verb(text, sentences[sentence - 1], quotes, names)


def test_the_name_right_next_to_a_reporting_verb_is_the_speaker() -> None:
    text = (
        "Senator Ruth Okafor Questions Bank Chief Over Fees. Ruth Okafor met Dana Pell. "
        "“This is not right,” Okafor said. "
        "Retired Lt. Gen. Marcus Hale said Dana Pell was right. "
        "“We will pay,” said Pell, the bank's chief. "
        "(Having said that, nobody paid.) "
        "Marcus Hale said Pell's fees were high. "
        "Dana Pell told Okafor the bank would change."
    )
    assert _next_to_verb(text, 3) == "Ruth Okafor"  # a surname, under the full name
    assert _next_to_verb(text, 4) == "Marcus Hale"  # the subject, not the one it speaks of
    assert _next_to_verb(text, 5) == "Dana Pell"  # inverted after a quotation
    assert _next_to_verb(text, 6) is None  # a capitalised first word is nobody
    assert _next_to_verb(text, 7) == "Marcus Hale"  # not the possessive after the verb
    assert _next_to_verb(text, 8) == "Dana Pell"  # "told Okafor": the one told does not speak


def test_a_surname_the_article_never_writes_whole_is_taken_as_written() -> None:
    text = "Le ministre a parlé. « C'est une farce », a déclaré Okafor, hier."
    assert _next_to_verb(text, 2) == "Okafor"
    # Capitalised only where a sentence starts, it may be any word; once inside, a name.
    assert _next_to_verb("Il pleut. Voisins a déclaré la fin.", 2) is None
    assert _next_to_verb("Il pleut. Voisins a déclaré la fin. Je cite Voisins.", 2) == "Voisins"


def test_a_name_first_written_late_in_a_long_article_is_still_offered() -> None:
    crowd = " ".join(f"Visitor Number{chr(65 + i)}{chr(97 + i)} came." for i in range(30))
    text = f"{crowd} Late Comer arrived. “It was long,” Late Comer said."
    doc = Document(text, "en", None)
    last = len(doc.sentences)
    options, _user = user_message(doc, candidate_names(text), last)
    assert options == ["Late Comer"]
