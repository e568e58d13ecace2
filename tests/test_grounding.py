"""Sentence segmentation, tolerant span finding and quote cutting (summarizer.grounding)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from summarizer.grounding import (
    AlignedText,
    Sentence,
    find_span,
    normalize_for_match,
    quoted_segments,
    render_numbered,
    segment,
    sentence_by_id,
    sentences_span,
)

KURSK = (Path(__file__).parent / "data" / "kursk.fr.txt").read_text(encoding="utf-8")


def _check_invariants(text: str, sentences: list[Sentence]) -> None:
    previous_end = 0
    previous_paragraph = -1
    for expected_id, s in enumerate(sentences, start=1):
        assert s.id == expected_id
        assert text[s.start : s.end] == s.text
        assert s.text, "no empty sentences"
        assert not s.text[0].isspace() and not s.text[-1].isspace()
        assert s.start >= previous_end, "ordered and non-overlapping"
        assert s.paragraph >= previous_paragraph
        previous_end = s.end
        previous_paragraph = s.paragraph


def _containing(sentences: list[Sentence], fragment: str) -> list[Sentence]:
    return [s for s in sentences if fragment in s.text]


@pytest.fixture(scope="module")
def kursk_sentences() -> list[Sentence]:
    return segment(KURSK, "fr-FR")


# --------------------------------------------------------------------------- segment


def test_kursk_invariants_and_paragraphs(kursk_sentences: list[Sentence]) -> None:
    _check_invariants(KURSK, kursk_sentences)
    # 8 non-blank lines; the blank line after the lead is skipped.
    assert [s.paragraph for s in kursk_sentences][-1] == 7
    assert kursk_sentences[0].text.startswith("Le Pentagone annonce")
    assert kursk_sentences[0].paragraph == 0
    assert kursk_sentences[1].paragraph == 1
    assert kursk_sentences[2].paragraph == 2


def test_long_french_quotation_with_speech_verb_is_one_sentence(
    kursk_sentences: list[Sentence],
) -> None:
    hits = _containing(kursk_sentences, "Nous pensons que la Corée du Nord")
    assert len(hits) == 1
    quote = hits[0]
    assert quote.text.startswith("« Nous pensons")
    assert "Certaines troupes se sont rapprochées" in quote.text
    assert "a déclaré le porte-parole du Pentagone, Patrick Ryder" in quote.text
    assert quote.text.endswith("(heure de Washington).")


def test_title_abbreviation_does_not_split(kursk_sentences: list[Sentence]) -> None:
    hits = _containing(kursk_sentences, "Ryder n’a fourni aucune preuve")
    assert len(hits) == 1
    assert hits[0].text == (
        "Toutefois, M. Ryder n’a fourni aucune preuve et n’a pas expliqué pourquoi "
        "il était arrivé à une telle conclusion."
    )


def test_two_sentence_paragraph_is_split(kursk_sentences: list[Sentence]) -> None:
    (first,) = _containing(kursk_sentences, "Selon RIA Novosti")
    (second,) = _containing(kursk_sentences, "La plupart d'entre eux")
    assert first.id + 1 == second.id
    assert first.paragraph == second.paragraph
    assert first.text.endswith("déployés en Russie.")


def test_quote_split_by_pysbd_is_merged_until_it_closes() -> None:
    # pysbd (fr) splits after "glauben." inside the open „ … “ quotation.
    text = "„Wir glauben das. Die Truppen sind da“, sagte der Sprecher. Dann ging er."
    assert [s.text for s in segment(text, "fr")] == [
        "„Wir glauben das. Die Truppen sind da“, sagte der Sprecher.",
        "Dann ging er.",
    ]
    text = (
        "« Nous pensons que X est vrai. Certaines troupes sont là », a déclaré le "
        "porte-parole. Il est parti."
    )
    assert [s.text for s in segment(text, "fr")] == [
        "« Nous pensons que X est vrai. Certaines troupes sont là », a déclaré le porte-parole.",
        "Il est parti.",
    ]


def test_french_titles() -> None:
    text = "Il a vu M. Dupont. Puis Mme. Durand. Le Dr. Martin est là. St. Louis aussi."
    assert [s.text for s in segment(text, "fr")] == [
        "Il a vu M. Dupont.",
        "Puis Mme. Durand.",
        "Le Dr. Martin est là.",
        "St. Louis aussi.",
    ]


def test_english_sample() -> None:
    text = 'Mr. Smith said. "We think so. Some troops moved," he added.\nDr. Jones agreed.'
    sentences = segment(text, "en-GB")
    _check_invariants(text, sentences)
    assert [(s.text, s.paragraph) for s in sentences] == [
        ("Mr. Smith said.", 0),
        ('"We think so. Some troops moved," he added.', 0),
        ("Dr. Jones agreed.", 1),
    ]


def test_german_sample() -> None:
    text = (
        "„Wir gehen davon aus, dass Truppen eingetroffen sind. Einige sind schon in Kursk“, "
        "sagte der Sprecher. Beweise legte er nicht vor."
    )
    sentences = segment(text, "de-DE")
    _check_invariants(text, sentences)
    assert [s.text for s in sentences] == [
        "„Wir gehen davon aus, dass Truppen eingetroffen sind. Einige sind schon in Kursk“, "
        "sagte der Sprecher.",
        "Beweise legte er nicht vor.",
    ]
    (s, e) = quoted_segments(text, sentences[0].start, sentences[0].end)[0]
    assert text[s:e].startswith("Wir gehen") and text[s:e].endswith("in Kursk")


@pytest.mark.parametrize("text", ["", " ", "\n\n\n", " \t\r\n \u00a0\u202f\n", "\ufeff\n"])
def test_empty_and_blank_input(text: str) -> None:
    assert segment(text) == []
    assert render_numbered(segment(text)) == ""


@pytest.mark.parametrize("language", [None, "", "fr", "FR", "fr-FR", "fr_CA", "xx-YY", "pt"])
def test_any_language_tag_works(language: str | None) -> None:
    sentences = segment("Bonjour. Au revoir.", language)
    assert [s.text for s in sentences] == ["Bonjour.", "Au revoir."]


def test_windows_line_endings_and_surrounding_whitespace() -> None:
    text = "\ufeff  First one.  Second one. \r\n\r\n\tThird one.\u00a0\r\n"
    sentences = segment(text, "en")
    _check_invariants(text, sentences)
    assert [(s.text, s.paragraph) for s in sentences] == [
        ("First one.", 0),
        ("Second one.", 0),
        ("Third one.", 1),
    ]


@pytest.mark.parametrize(
    "text",
    [
        "\x00\x01\x02. abc. \x00",
        "«««« »»»» “„” « unterminated. Still going. Yes.",
        "A. " * 5000,
        "x" * 20000,
        "..!!??…" * 1000,
        ("Le Dr. " * 2000) + "Fin.",
    ],
)
def test_robust_on_odd_input(text: str) -> None:
    sentences = segment(text, "fr")
    _check_invariants(text, sentences)
    # Nothing lost: every non-space character is inside some sentence.
    covered = sum(len(s.text) for s in sentences)
    assert covered >= len("".join(text.split())) - text.count("\ufeff")


def test_one_megabyte_text() -> None:
    text = "\n".join([KURSK] * 440)  # ~1 MB, one paragraph per line as usual
    assert len(text) > 1_000_000
    sentences = segment(text, "fr")
    _check_invariants(text, sentences)
    assert len(sentences) == 440 * 9


def test_one_megabyte_single_line() -> None:
    text = "x" * 1_000_000
    sentences = segment(text)
    _check_invariants(text, sentences)
    assert "".join(s.text for s in sentences) == text


# --------------------------------------------------------------------------- render


def test_render_numbered(kursk_sentences: list[Sentence]) -> None:
    rendered = render_numbered(kursk_sentences)
    lines = rendered.split("\n")
    assert lines[0].startswith("[S1] Le Pentagone annonce")
    assert lines[1] == ""  # paragraph break
    assert lines[2].startswith("[S2] ")
    # S3 and S4 share a paragraph: consecutive lines.
    s3 = lines.index(next(line for line in lines if line.startswith("[S3] ")))
    assert lines[s3 + 1].startswith("[S4] La plupart")
    assert rendered.count("[S") == len(kursk_sentences)
    assert not rendered.endswith("\n")


def test_render_collapses_newlines_inside_a_sentence() -> None:
    s = Sentence(id=1, start=0, end=9, paragraph=0, text="a \n  b\r\nc")
    assert render_numbered([s]) == "[S1] a b c"


# --------------------------------------------------------------------------- ids -> spans


def test_sentences_span_and_lookup(kursk_sentences: list[Sentence]) -> None:
    s3, s4 = sentence_by_id(kursk_sentences, 3), sentence_by_id(kursk_sentences, 4)
    assert sentences_span(kursk_sentences, [3, 4]) == (s3.start, s4.end)
    assert sentences_span(kursk_sentences, [4, 3]) == (s3.start, s4.end)
    s, e = sentences_span(kursk_sentences, [2, 6])  # non-contiguous
    assert KURSK[s:e].startswith("Le Pentagone estime")
    assert KURSK[s:e].endswith("une telle conclusion.")
    assert sentences_span(kursk_sentences, [6]) == (
        sentence_by_id(kursk_sentences, 6).start,
        sentence_by_id(kursk_sentences, 6).end,
    )


def test_unknown_sentence_id(kursk_sentences: list[Sentence]) -> None:
    with pytest.raises(KeyError, match="S42"):
        sentences_span(kursk_sentences, [1, 42])
    with pytest.raises(KeyError, match="S0"):
        sentence_by_id(kursk_sentences, 0)
    with pytest.raises(KeyError):
        sentence_by_id([], 1)
    with pytest.raises(ValueError):
        sentences_span(kursk_sentences, [])


# --------------------------------------------------------------------------- find_span


def test_find_span_straight_vs_typographic_apostrophe() -> None:
    span = find_span(KURSK, "M. Ryder n'a fourni aucune preuve")
    assert span is not None
    s, e = span
    assert KURSK[s:e] == "M. Ryder n’a fourni aucune preuve"


def test_find_span_strips_quotes_punctuation_and_case() -> None:
    span = find_span(KURSK, '  "D\'EXAGÉRATION ET DE FARCE",  ')
    assert span is not None
    assert KURSK[span[0] : span[1]] == "d'exagération et de farce"
    span = find_span(KURSK, "« Nous pensons que la Corée du Nord »")
    assert span is not None
    assert KURSK[span[0] : span[1]] == "Nous pensons que la Corée du Nord"


def test_find_span_whitespace_and_nbsp() -> None:
    text = "Il a dit\u00a0:  « 10\u202f000  soldats »\u00a0; fin."
    span = find_span(text, "dit : « 10 000 soldats »")
    assert span is not None
    assert text[span[0] : span[1]] == "dit\u00a0:  « 10\u202f000  soldats"
    span = find_span(text, "10  000\tsoldats")
    assert span is not None
    assert text[span[0] : span[1]] == "10\u202f000  soldats"
    # and the other way round: the needle has the NBSP, the text a double space
    assert find_span("a  b c", "a\u00a0b") == (0, 4)


def test_find_span_quote_variants() -> None:
    text = "He said “it’s ‘fine’” and left."
    span = find_span(text, "said \"it's 'fine'\" and")
    assert span is not None
    assert text[span[0] : span[1]] == "said “it’s ‘fine’” and"
    assert find_span("l`homme", "l’homme") == (0, 7)
    assert find_span("„Ja“ sagte er", "«ja» sagte") == (1, 10)  # quote marks stripped


def test_find_span_not_found() -> None:
    assert find_span(KURSK, "Le Kremlin a démenti") is None
    assert find_span(KURSK, "") is None
    assert find_span(KURSK, " « » ... ") is None
    assert find_span("", "x") is None


def test_find_span_window() -> None:
    text = "Koursk. Koursk. Koursk."
    assert find_span(text, "koursk") == (0, 6)
    assert find_span(text, "koursk", start=1) == (8, 14)
    assert find_span(text, "koursk", start=8, end=14) == (8, 14)
    assert find_span(text, "koursk", start=8, end=13) is None
    assert find_span(text, "koursk", start=-5, end=999) == (0, 6)


def test_aligned_text_reused_for_many_needles(kursk_sentences: list[Sentence]) -> None:
    aligned = AlignedText(KURSK)
    for s in kursk_sentences:
        assert aligned.find(s.text) is not None
        found = aligned.find(s.text.upper(), s.start, s.end)
        assert found is not None
        fs, fe = found
        assert s.start <= fs < fe <= s.end
        assert normalize_for_match(KURSK[fs:fe]) == normalize_for_match(s.text)
    # Restricting the search to one sentence.
    s6 = sentence_by_id(kursk_sentences, 6)
    assert aligned.find("koursk", s6.start, s6.end) is None
    assert aligned.find("preuve", s6.start, s6.end) is not None


def test_find_span_needs_whole_characters() -> None:
    # "ß" normalises to "ss"; a needle "s" must not match half of it.
    assert find_span("Straße", "s") == (0, 1)
    assert find_span("ß", "s") is None
    assert find_span("Straße", "STRASSE") == (0, 6)


# --------------------------------------------------------------------------- quotes


def test_quoted_segments_zakharova(kursk_sentences: list[Sentence]) -> None:
    (zakharova,) = _containing(kursk_sentences, "Zakharova")
    spans = quoted_segments(KURSK, zakharova.start, zakharova.end)
    # « excitation » is a single word: not a quotation worth cutting out.
    assert [KURSK[s:e] for s, e in spans] == ["d'exagération et de farce"]


def test_quoted_segments_long_quote(kursk_sentences: list[Sentence]) -> None:
    (quote,) = _containing(kursk_sentences, "Nous pensons")
    spans = quoted_segments(KURSK, quote.start, quote.end)
    assert len(spans) == 1
    inner = KURSK[spans[0][0] : spans[0][1]]
    assert inner.startswith("Nous pensons que")
    assert inner.endswith("dans la région de Koursk, en Russie")


def test_quoted_segments_pairs_and_window() -> None:
    text = (
        'He said "we are ready now" and “we will go soon” then „wir sind da“ '
        "and « one two » but “a b « c d e » f”."
    )
    spans = [text[s:e] for s, e in quoted_segments(text, 0, len(text))]
    assert spans == ["we are ready now", "we will go soon", "wir sind da", "a b « c d e » f"]
    # Only quotations lying inside the window.
    start = text.index("“we")
    assert [text[s:e] for s, e in quoted_segments(text, start, start + 30)] == ["we will go soon"]
    assert quoted_segments(text, 5, 3) == []
    assert quoted_segments("", 0, 10) == []
    assert quoted_segments("« unterminated quote with words", 0, 99) == []


# --------------------------------------------------------------------------- properties

_ALPHABET = st.sampled_from(
    [
        *"abcXYZ éÉß",
        *[" ", "  ", "\n", "\n\n", "\t", "\u00a0", "\u202f", "\r\n", "\x00", "\u200b"],
        *".!?…,;:«»“”„\"'’‘ʼ`()-—",
        *["M. ", "Mme ", "Dr. ", "St. ", "Mr. ", " a dit. ", "Koursk", "İ", "ŉ"],
    ]
)
_TEXT = st.lists(_ALPHABET, max_size=80).map("".join)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=st.one_of(_TEXT, st.text(max_size=200)), language=st.sampled_from(["fr", "en", "de"]))
def test_property_segment_invariants(text: str, language: str) -> None:
    sentences = segment(text, language)
    _check_invariants(text, sentences)
    rendered = render_numbered(sentences)
    assert rendered.count("\n[S") + (1 if sentences else 0) >= len(sentences)


@settings(max_examples=200, deadline=None)
@given(text=st.one_of(_TEXT, st.text(max_size=200)), data=st.data())
def test_property_find_span_of_a_substring(text: str, data: st.DataObject) -> None:
    i = data.draw(st.integers(0, len(text)))
    j = data.draw(st.integers(i, len(text)))
    needle = text[i:j]
    key = normalize_for_match(needle)
    assume(key)
    span = find_span(text, needle)
    assert span is not None
    s, e = span
    assert 0 <= s < e <= len(text)
    assert not text[s].isspace() and not text[e - 1].isspace()
    assert normalize_for_match(text[s:e]) == key
    # Searching only where the needle was taken from also finds it.
    inner = find_span(text, needle, i, j)
    assert inner is not None
    assert i <= inner[0] < inner[1] <= j


def test_find_words_aligns_inflected_words_in_order() -> None:
    text = "Elles ont manifesté hier. Ce droit est remis en cause, selon un collectif."
    aligned = AlignedText(text)
    s, e = aligned.find_words("manifestation")  # type: ignore[misc]
    assert text[s:e] == "manifesté"
    s, e = aligned.find_words("droit remis en cause")  # type: ignore[misc]
    assert text[s:e] == "droit est remis en cause"
    assert aligned.find_words("malformation") is None
    assert aligned.find_words("manifestation", 25) is None  # outside the window
