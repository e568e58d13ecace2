"""Main text and metadata of an HTML article page, by trafilatura.

A news page holds more than its article: a cookie banner, "À lire aussi" links, a newsletter
pitch, reader comments. Whatever is kept here becomes article text the model reads, so a
reader's comment kept by mistake can come back as a "claim". trafilatura is the field's
extractor for this (text in ``<div>``s too, comments left out on request) and reads the
metadata a summary carries: title, date, author, site name (the outlet) and canonical URL.
The language is the page's ``<html lang>``; it is only a hint, the text decides otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass

import trafilatura
from trafilatura.utils import load_html

__all__ = ["HtmlArticle", "extract_article"]


@dataclass(frozen=True)
class HtmlArticle:
    title: str | None
    text: str
    """One paragraph per line; empty when the page has no article text."""
    language: str | None = None
    published: str | None = None
    """ISO date (YYYY-MM-DD), as trafilatura found it in the page."""
    url: str | None = None
    author: str | None = None
    outlet: str | None = None


def extract_article(markup: str, url: str | None = None) -> HtmlArticle:
    """The article of an HTML page without its chrome, and the page's metadata.

    ``url`` is where the page came from: a relative canonical link is resolved against it."""
    tree = load_html(markup)
    if tree is None:
        return HtmlArticle(title=None, text="")
    language = (tree.get("lang") or "").strip() or None  # read before trafilatura prunes
    doc = trafilatura.bare_extraction(
        tree,
        url=url,
        with_metadata=True,
        include_comments=False,
        include_images=False,
        favor_precision=True,  # a line of chrome kept is text the model may quote as a claim
    )
    if doc is None or isinstance(doc, dict):  # dict only with as_dict=True
        return HtmlArticle(title=None, text="", language=language)
    return HtmlArticle(
        title=_clean(doc.title),
        text=(doc.text or "").strip(),
        language=language,
        published=_clean(doc.date),
        url=_clean(doc.url),
        author=_clean(doc.author),
        outlet=_clean(doc.sitename),
    )


def _clean(value: object) -> str | None:
    return value.strip() or None if isinstance(value, str) else None
