"""Dates: "le 29 octobre" / "October 29" / "29. Oktober" resolved against the publication date.

Month names, day suffixes and which languages write the month first come from the language
packs, all of them for every article (an English date may sit in a French article). A date
that cannot be resolved (no year known, "le 31 juin", a 29 February in a year that has none)
is kept as written with no ``date``: resolving never raises, since it runs after the model
questions were paid for.
"""

from __future__ import annotations

import re
from datetime import date
from functools import cache

from summarizer._packs import every_pack, packs, phrase_pattern
from summarizer.models import TimeRef

__all__ = ["time_ref"]


@cache
def _months() -> dict[str, int]:
    return {
        name.casefold(): number
        for p in packs()
        for number, names in enumerate(p.months, 1)
        for name in names
    }


def _suffixes(words: tuple[str, ...] | list[str]) -> str:
    return "|".join(phrase_pattern(w) for w in sorted(set(words), key=len, reverse=True))


@cache
def _patterns() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """(day month [year], month day [year]): the second for the languages that write it."""
    day = _suffixes(every_pack().day_suffixes)
    month_first = _suffixes([s for p in packs() if p.month_first for s in p.day_suffixes])
    return (
        re.compile(rf"(\d{{1,2}})(?:{day})?\s+([^\W\d_]+)(?:\s+(\d{{4}}))?"),
        re.compile(rf"([^\W\d_]+)\s+(\d{{1,2}})(?:{month_first})?(?:,?\s+(\d{{4}}))?"),
    )


def time_ref(when: str | None, published: date | None) -> TimeRef | None:
    """Resolve "le 29 octobre" / "October 29" to a date, using the article's year if needed:
    the last such day on or before publication."""
    if not when:
        return None
    day_month, month_day = _patterns()
    for pattern, day_group, month_group in ((day_month, 1, 2), (month_day, 2, 1)):
        for match in pattern.finditer(when):
            month = _months().get(match.group(month_group).casefold())
            if month is None:
                continue
            written = int(match.group(3)) if match.group(3) else None
            year = written if written is not None else (published.year if published else None)
            if year is None:
                return TimeRef(text=when)
            day = int(match.group(day_group))
            resolved = _date(year, month, day)
            if resolved is None:
                continue
            if published and written is None and resolved > published:
                resolved = _date(year - 1, month, day)
                if resolved is None:  # 29 February after publication, none the year before
                    return TimeRef(text=when)
            return TimeRef(text=when, date=resolved)
    return TimeRef(text=when)


def _date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:  # "le 31 juin", year 0 or 10000
        return None
