"""Quotations in a text, paired by where each mark stands, not by counting marks.

News copy mixes curly and straight marks (“Immunity deals …," she said) and uses straight
marks for inches or scare quotes, so pairing the n-th mark with the (n+1)-th swaps inside and
outside for the rest of the article, and every reporting verb after it is "inside a quote".
Here a mark opens only at the start of a word and closes only at the end of one; an opening
mark takes the next closing mark it is compatible with. The marks are script conventions
(Latin quotation marks in English, French, German …), not one language's knowledge.
"""

from __future__ import annotations

__all__ = ["quotations"]

# opening mark → the closing marks it accepts
_PAIRS = {
    "“": '”"“',  # “…” and, in mixed copy, “…"; „…“ is handled by „ below
    "«": "»",
    "„": '“”"',
    '"': '"”',
    "‹": "›",
    "‘": "’",  # British copy, US headlines; ’ ("players’ union") ends only an open ‘
}
_CLOSERS = frozenset('”»“"›’')
_MIN_WORDS = 3
_BEFORE_OPEN = frozenset(" \t\n([{—–-/")  # what may stand before an opening mark


def _opens(text: str, i: int) -> bool:
    if text[i] not in _PAIRS:
        return False
    before = text[i - 1] if i else " "
    after = text[i + 1] if i + 1 < len(text) else " "
    if text[i] in "«„":
        return not after.isspace() or text[i] == "«"  # « with a space after, French style
    return (before in _BEFORE_OPEN or before in "«„“") and not after.isspace()


def _closes(text: str, i: int) -> bool:
    if text[i] not in _CLOSERS:
        return False
    before = text[i - 1] if i else " "
    after = text[i + 1] if i + 1 < len(text) else " "
    if text[i] == "»":
        return True
    return not before.isspace() and (after.isspace() or not after.isalnum())


def quotations(text: str) -> list[tuple[int, int]]:
    """(start, end) of the inside of every outermost quotation of three words or more, marks
    excluded and whitespace trimmed, in text order."""
    out: list[tuple[int, int]] = []
    i, n = 0, len(text)
    while i < n:
        if not _opens(text, i):
            i += 1
            continue
        accepted = _PAIRS[text[i]]
        j = i + 1
        while j < n and text[j] != "\n" and not (text[j] in accepted and _closes(text, j)):
            j += 1
        # a quotation running on into the next paragraph reopens there: this one ends here
        start, end = i + 1, j
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        if len([w for w in text[start:end].split() if any(c.isalnum() for c in w)]) >= _MIN_WORDS:
            out.append((start, end))
            i = j + 1
        else:
            i = j + 1 if end > start else i + 1
    return out
