"""Main text and title of an HTML article page, with the standard library only.

A deliberately simple extractor: it drops ``script``, ``style``, ``nav``, ``header``,
``footer``, ``aside``, ``form`` and similar chrome, takes the ``<title>`` (else the first
``<h1>``) and keeps the text of ``<h1>``-``<h3>``, ``<p>``, ``<li>`` and ``<blockquote>``
blocks, one paragraph per line. When the page has an ``<article>`` element, only its blocks are
kept. Good enough for ordinary news pages; pages that build their text with JavaScript yield
nothing, which is then reported as an empty article.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from html.parser import HTMLParser

__all__ = ["HtmlArticle", "extract_article"]

_SKIP = frozenset(
    {
        "script",
        "style",
        "noscript",
        "template",
        "nav",
        "header",
        "footer",
        "aside",
        "form",
        "button",
        "select",
        "svg",
        "iframe",
        "figure",
    }
)
_BLOCKS = frozenset({"p", "h1", "h2", "h3", "li", "blockquote"})
_VOID = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}
)
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class HtmlArticle:
    title: str | None
    text: str
    language: str | None = None
    published: str | None = None
    url: str | None = None


class _Extractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.skip_depth = 0
        self.article_depth = 0
        self.in_title = False
        self.title_parts: list[str] = []
        self.block: list[str] | None = None
        self.block_tag = ""
        self.block_in_article = False
        self.blocks: list[tuple[str, str, bool]] = []  # (tag, text, inside <article>)
        self.language: str | None = None
        self.published: str | None = None
        self.url: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = {k: v or "" for k, v in attrs}
        if tag == "html" and attr.get("lang"):
            self.language = attr["lang"].strip() or None
        elif tag == "meta":
            key = (attr.get("property") or attr.get("name") or "").casefold()
            if key in ("article:published_time", "date", "pubdate") and attr.get("content"):
                self.published = self.published or attr["content"].strip()
            elif key == "og:url" and attr.get("content"):
                self.url = self.url or attr["content"].strip()
        elif tag == "link" and attr.get("rel", "").casefold() == "canonical" and attr.get("href"):
            self.url = self.url or attr["href"].strip()
        if tag in _VOID:
            if tag == "br" and self.block is not None:
                self.block.append(" ")
            return
        if tag in _SKIP:
            self.skip_depth += 1
        elif tag == "article":
            self.article_depth += 1
        elif tag == "title":
            self.in_title = True
        elif tag in _BLOCKS and self.skip_depth == 0 and self.block is None:
            self.block, self.block_tag = [], tag
            self.block_in_article = self.article_depth > 0

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self.skip_depth = max(0, self.skip_depth - 1)
        elif tag == "article":
            self.article_depth = max(0, self.article_depth - 1)
        elif tag == "title":
            self.in_title = False
        elif tag == self.block_tag and self.block is not None:
            text = _SPACE.sub(" ", "".join(self.block)).strip()
            if text:
                self.blocks.append((self.block_tag, text, self.block_in_article))
            self.block, self.block_tag = None, ""

    def handle_data(self, data: str) -> None:
        if self.in_title:
            self.title_parts.append(data)
        elif self.skip_depth == 0 and self.block is not None:
            self.block.append(data)


def extract_article(markup: str) -> HtmlArticle:
    """The title and main text of an HTML page (paragraphs separated by blank lines)."""
    parser = _Extractor()
    parser.feed(markup)
    parser.close()
    blocks = parser.blocks
    if any(inside for _, _, inside in blocks):
        blocks = [b for b in blocks if b[2]]
    title = _SPACE.sub(" ", html.unescape("".join(parser.title_parts))).strip() or None
    if title is None:
        title = next((text for tag, text, _ in blocks if tag == "h1"), None)
    paragraphs = [text for _, text, _ in blocks]
    return HtmlArticle(
        title=title,
        text="\n\n".join(paragraphs),
        language=parser.language,
        published=parser.published,
        url=parser.url,
    )
