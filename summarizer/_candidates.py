"""What code can find before asking the model: statement sentences, names, cue phrases.

A small model attributes far better when it picks a speaker from names that really occur in
the text than when it writes one, and when it is asked about one sentence at a time; so the
sentences worth asking about and the names to pick from are found here, by rules.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

from summarizer._packs import every_pack, phrase_pattern
from summarizer.grounding import AlignedText, Sentence

__all__ = [
    "REPORTER",
    "UNNAMED",
    "Cue",
    "candidate_names",
    "every_name",
    "find_cues",
    "imitates_prompt",
    "mentions",
    "name_pattern",
    "not_names",
    "outside_quotes",
    "speaker_next_to_verb",
    "speech_verbs",
    "statement_sentences",
    "without_contained",
]

UNNAMED = "unnamed source"
REPORTER = "the reporter"
_QUOTES = '«»“”„"'
_UPPER = "A-ZÀ-ÖØ-ÞА-Я"


def _alternatives(words: Iterable[str]) -> str:
    """``words`` as one regex alternation, longest first, an apostrophe matching ' or ’."""
    return "|".join(phrase_pattern(w) for w in sorted(words, key=len, reverse=True))


@cache
def name_pattern() -> re.Pattern[str]:
    """A run of capitalised words, with the packs' particles between them ("Charles de
    Gaulle", "Osama bin Laden")."""
    particles = _alternatives(every_pack().name_particles)
    return re.compile(
        rf"[{_UPPER}][\w’'\-]*(?:[ \u00a0]+(?:(?:{particles})[ ]+)?[{_UPPER}][\w’'\-]*)*"
    )


@cache
def not_names() -> frozenset[str]:
    """Capitalised at the start of a sentence, never anybody who speaks: function words,
    titles, dates, time adverbs, quantifiers (the packs' ``not_names``, casefolded)."""
    return frozenset(w.casefold() for w in every_pack().not_names)


@cache
def _contraction() -> re.Pattern[str]:
    """An English-style contraction ("It’s", "Don’t", "We’re") is not a name; a possessive
    ("Warren’s") is a name already found without it."""
    endings = _alternatives(every_pack().contraction_endings) or "(?!)"
    return re.compile(rf"(?P<base>\w+)['’](?P<tail>{endings})", re.IGNORECASE)


def _is_possessive(tail: str) -> bool:
    return tail.casefold() in every_pack().possessive_endings


@dataclass(frozen=True)
class Cue:
    label: str
    start: int
    end: int
    sentence: int


# Quotation marks that open a JSON object ({"speaker": …) quote nobody: an article carrying a
# fake model answer must not have it attributed to the name it holds.
# A JSON object, one of our prompts' sentence ids ("[S12]") or fences: what an article holds
# only to pass for our prompt or the model's answer (tests/security/test_prompt_injection.py).
_PROMPT_MARKUP = re.compile(r'\{\s*["“]\w+["”]\s*:|\[S\d+\]|</?(?:article|excerpt)>')


def imitates_prompt(text: str) -> bool:
    """Whether ``text`` imitates our prompt or the model's answer: a JSON object, whose
    quotation marks are syntax, not a quotation, or our sentence ids and fences. Such a
    sentence (an injected fake answer or instruction) is never a statement."""
    return _PROMPT_MARKUP.search(text) is not None


def statement_sentences(sentences: list[Sentence], aligned: AlignedText) -> list[int]:
    """Ids of sentences that quote someone or use a reporting verb ("a déclaré", "said");
    not those that :func:`imitates_prompt`."""
    verbs = every_pack().speech
    out = []
    for s in sentences:
        if imitates_prompt(s.text):
            continue
        if any(q in s.text for q in _QUOTES) or any(
            aligned.find(v, s.start, s.end) is not None for v in verbs
        ):
            out.append(s.id)
    return out


def candidate_names(text: str) -> list[str]:
    """:func:`every_name` of ``text`` minus those contained in a longer one ("Ryder" in
    "Patrick Ryder"): the names offered to the model."""
    return without_contained(every_name(text))


def without_contained(names: list[str]) -> list[str]:
    """``names`` minus each one contained in a longer one of them."""
    kept = [n for n in names if not any(n != m and n in m.split() for m in names)]
    return [n for n in kept if not any(n != m and f" {n}" in f" {m}" for m in kept)]


def every_name(text: str) -> list[str]:
    """Capitalised names in order of first mention, minus sentence-initial function words,
    those contained in longer ones included (a title-case headline is one long run that
    holds the names it is about)."""
    found: list[str] = []
    for match in name_pattern().finditer(text):
        words = re.split(r"\s+", match.group(0))
        while words and (
            words[0].casefold().rstrip(".’'") in not_names() or _elided().match(words[0])
        ):
            words.pop(0)
        name = " ".join(words).strip("’'-")
        if (
            len(name) < 3
            or name.casefold() in not_names()
            or (name.isupper() and len(name) > 12)
            or _CODE.search(name)
            or _is_contraction(name)
        ):
            continue
        if name not in found:
            found.append(name)
    return [n for n in found if not _possessive_of(n, found)]


def _is_contraction(name: str) -> bool:
    match = _contraction().fullmatch(name)
    return match is not None and (
        not _is_possessive(match["tail"]) or match["base"].casefold() in not_names()
    )


def _possessive_of(name: str, found: list[str]) -> bool:
    match = _contraction().fullmatch(name.rsplit(" ", 1)[-1])
    if match is None or not _is_possessive(match["tail"]):
        return False
    base = name[: len(name) - 2]
    return any(m != name and (m == base or base in mentions(m)) for m in found)


@cache
def _elided() -> re.Pattern[str]:
    """A sentence-initial elided word ("J'ai", "L'armée", "Qu'il") is capitalised without
    being a name (but "O'Brien" is)."""
    return re.compile(rf"(?:{_alternatives(every_pack().elisions) or '(?!)'})['’][a-zà-ÿ]")


# Nor is a code such as the rating "Baa3".
_CODE = re.compile(r"[^\W\d_]\d")
_PERSON = re.compile(r"[A-ZÀ-ÖØ-ÞА-Я][\w’'\-]+(?: [A-ZÀ-ÖØ-ÞА-Я][\w’'\-]+){1,2}")


def mentions(name: str) -> list[str]:
    """How the article may refer to ``name``: whole, and for a person's name of two or three
    capitalised words by its last one ("Figueroa said" after "Melezia Figueroa"), as news style
    does after the first mention."""
    if _PERSON.fullmatch(name):
        surname = name.rsplit(" ", 1)[1]
        if len(surname) >= 3:
            return [name, surname]
    return [name]


def find_cues(
    kind: str, sentences: list[Sentence], ids: list[int], aligned: AlignedText
) -> list[Cue]:
    """Lexicon phrases of ``kind`` ("evidence" or "stance") in the given sentences.

    In reading order, so the first cue of a sentence is the one a reader meets first.
    """
    table = every_pack().cues(kind)
    found: list[Cue] = []
    for n in ids:
        s = sentences[n - 1]
        for label, phrases in table.items():
            for phrase in phrases:
                hit = aligned.find(phrase, s.start, s.end)
                if hit is not None:
                    found.append(Cue(label, hit[0], hit[1], n))
    found.sort(key=lambda c: (c.sentence, c.start, c.start - c.end))
    return found


@cache
def _relay() -> re.Pattern[str]:
    """ "Selon X, (le) Y …": a relay phrase, the relay, a comma, maybe an article, the rest."""
    pack = every_pack()
    articles = "|".join(
        phrase_pattern(a) if a.endswith("'") else phrase_pattern(a) + r"\s+"
        for a in sorted(pack.definite_articles, key=len, reverse=True)
    )
    return re.compile(
        rf"^(?:{_alternatives(pack.relay_phrases)})\s+(?P<relay>[^,]{{2,60}}),\s*"
        rf"(?:{articles})?(?P<rest>.+)$",
        re.IGNORECASE | re.DOTALL,
    )


def relayed_statement(sentence: str, names: list[str]) -> tuple[str, str] | None:
    """(relay, speaker) for "Selon X, Y estime …" / "According to X, Y said …".

    Only when both X and the subject Y right after the comma are names found in the article:
    "Selon RIA Novosti, le Pentagone estime" is the Pentagon via RIA Novosti, while
    "Selon RIA Novosti, 10 000 soldats …" is RIA Novosti's own statement (None).
    """
    match = _relay().match(sentence.strip())
    if match is None:
        return None
    relay = next((n for n in names if n.casefold() == match["relay"].strip().casefold()), None)
    rest = match["rest"]
    speaker = next((n for n in names if rest.startswith(n) and n != relay), None)
    return (relay, speaker) if relay and speaker else None


@cache
def speech_verbs() -> re.Pattern[str]:
    """The packs' reporting verbs with the forms their inflections derive (French "a précisé"
    also matches "a-t-il précisé", "ont précisé", "précise" and "précisent")."""
    pack = every_pack()
    verbs: set[str] = set(pack.speech)
    for verb in list(verbs):
        for rule in pack.speech_inflections:
            if verb.startswith(rule.prefix) and verb.endswith(rule.suffix):
                stem = verb[len(rule.prefix) : len(verb) - len(rule.suffix)]
                verbs |= {form.format(stem=stem) for form in rule.forms}
    alternatives = []
    for verb in sorted(verbs, key=len, reverse=True):
        pattern = phrase_pattern(verb)
        for auxiliary, infixes in pack.auxiliary_inversions.items():
            if verb.startswith(f"{auxiliary} "):
                rest = phrase_pattern(verb[len(auxiliary) + 1 :])
                pattern = rf"{re.escape(auxiliary)}(?:{_alternatives(infixes)})?\s+{rest}"
        alternatives.append(pattern)
    return re.compile(r"(?<!\w)(?:" + "|".join(alternatives) + r")(?!\w)", re.I)


def outside_quotes(offset: int, quotes: list[tuple[int, int]]) -> bool:
    """Whether ``offset`` is outside every quotation (its marks included)."""
    return not any(s - 1 <= offset <= e for s, e in quotes)


_CAPITALISED = r"[A-ZÀ-ÖØ-ÞА-Я][\w’'\-]*\.?"
_RUN = _CAPITALISED + r"(?:[ \u00a0]+" + _CAPITALISED + r")*"
_BEFORE_VERB = re.compile(r"(?<![\w’'])(?P<run>" + _RUN + r")[ \u00a0]+$")
_AFTER_VERB = re.compile(r"[ \u00a0]+(?P<run>" + _RUN + r")(?![\w’'])")
# Inside a sentence: after a word, a comma or a closing mark, or a title ("Mr. ", "R. ").
_INSIDE = (
    r"(?:(?<=[\w,;”»\"’)][ \u00a0])|(?<=\b[A-Z]\. )|(?<=\b[A-Z][a-z]\. )"
    r"|(?<=\b[A-Z][a-z][a-z]\. ))"
)
_CLOSING = ("”", "»", "“", '"', "''", "’’")


def speaker_next_to_verb(
    text: str, sentence: Sentence, quotes: list[tuple[int, int]], names: list[str]
) -> str | None:
    """The name written right next to a reporting verb of ``sentence``, outside quotations:
    "Warren said", "Mr. Stenger announced", or after a quotation "…,” said Erin Murphy".

    That word order leaves no doubt about who speaks, where the 1.5B model, picking among the
    names of the sentence, often takes another one. The name is given as the article's fullest
    form of it (``names``, "Erin Murphy" for "Murphy"); a single word the article never writes
    capitalised inside a sentence ("Having said that") is not taken.
    """
    part = text[sentence.start : sentence.end]
    for verb in speech_verbs().finditer(part):
        start, end = sentence.start + verb.start(), sentence.start + verb.end()
        if not outside_quotes(start, quotes):
            continue
        before = text[sentence.start : start]
        found = _BEFORE_VERB.search(before)
        if found is None and before.rstrip(" ,\u00a0").endswith(_CLOSING):
            found = _AFTER_VERB.match(text, end, sentence.end)
        if found is not None and (name := _known_name(found["run"], names, text)) is not None:
            return name
    return None


def _known_name(run: str, names: list[str], text: str) -> str | None:
    """The article's name that ``run`` ends with, in its fullest form: "Retired Lt. Gen.
    Michael Flynn" is "Michael Flynn", "Murphy" is "Erin Murphy"; else a surname the article
    also writes capitalised inside a sentence ("…,” Warren said"). None for a possessive or a
    capitalised first word ("Having said that")."""
    words = [w.rstrip(".") for w in run.split()]
    last = words[-1]
    if _contraction().fullmatch(last) or len(last) < 3 or last.casefold() in not_names():
        return None
    for i in range(len(words) - 1):
        tail = " ".join(words[i:])
        whole = [n for n in names if n == tail or n.endswith(f" {tail}")]
        if whole:
            return min(whole, key=len)
    # One word: a name only if the article also writes it capitalised inside a sentence.
    inside = re.compile(_INSIDE + re.escape(last) + r"(?![\w’'])")
    if inside.search(text) is None:
        return None
    whole = [n for n in names if n.endswith(f" {last}")]
    return min(whole, key=len) if whole else last  # "Stumpf": the shortest full name
