"""HTML inputs: the article text and metadata trafilatura finds, and nothing of the chrome.

The pages in tests/data/html/ were written for these tests: ``divs.html`` holds its article in
``<div>``s only (no ``<p>``); ``cluttered.html`` is a ``<p>`` page without ``<article>``,
with a cookie banner, "À lire aussi" links, a newsletter pitch and two reader comments, one of
which reads like a claim ("Le gouvernement ment …"). Text kept from any of those is text the
model may quote as a claim.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

import summarizer._cli._summarize as cli
from summarizer._cli import app
from summarizer._cli._exits import EXIT_INPUT
from summarizer._fetch import read_input
from summarizer.testing import REPLAY_BASE_URL

HTML = Path(__file__).resolve().parent / "data" / "html"
runner = CliRunner()


def test_an_article_in_divs_only_is_extracted_with_its_metadata() -> None:
    article = read_input(HTML / "divs.html")
    paragraphs = article.text.splitlines()
    assert len(paragraphs) == 4
    assert paragraphs[0].startswith("Le conseil municipal de Valmont a adopté jeudi soir")
    assert "« La mairie n'a présenté aucun chiffrage du coût réel" in paragraphs[2]
    assert paragraphs[3].endswith("des communes de cette taille.")
    assert article.title == "Le conseil municipal de Valmont vote le budget des cantines"
    assert article.published == dt.date(2024, 3, 14)
    assert (article.author, article.outlet, article.language) == (
        "Claire Martin",
        "La Gazette du Val",
        "fr",
    )
    assert article.url == "https://gazette-du-val.test/valmont/budget-cantines"


def test_banner_related_links_newsletter_and_comments_are_not_article_text() -> None:
    article = read_input(HTML / "cluttered.html")
    paragraphs = article.text.splitlines()
    assert len(paragraphs) == 5  # the five paragraphs of the article, and only them
    assert paragraphs[0].startswith("La ministre de la Transition écologique s'est rendue")
    assert paragraphs[1].startswith("« L'État débloquera une aide d'urgence de 50 millions")
    assert paragraphs[4].endswith("dépassé depuis les crues de 2002.")
    for chrome in (
        "cookies",  # the consent banner
        "À lire aussi",
        "La crue de 1958",  # a related link
        "newsletter",
        "Commentaires",
        "Le gouvernement ment",  # a reader's comment, worded like a claim
        "Gardois30",
        "Le maire a entièrement raison",
        "Mentions légales",
    ):
        assert chrome not in article.text, chrome
    assert article.title == "Inondations dans le Gard : la ministre promet une aide d'urgence"
    assert (article.author, article.outlet) == ("Julien Fabre", "Le Courrier du Sud")
    assert article.published == dt.date(2024, 10, 18)
    assert article.url == "https://courrier-du-sud.test/gard/inondations-aide-urgence"


def test_a_page_with_no_article_text_is_one_clear_error(tmp_path: Path) -> None:
    page = tmp_path / "spa.html"
    page.write_text("<html><body><div id=app></div><script>x()</script></body></html>")
    result = runner.invoke(app, ["summarize", str(page), "--base-url", REPLAY_BASE_URL, "-q"])
    assert result.exit_code == EXIT_INPUT
    assert result.stderr.strip() == (
        f"error (InputError): {page}: no article text found in the HTML (is it built by "
        "JavaScript?)"
    )


def test_the_page_metadata_reaches_the_summary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: dict[str, object] = {}

    def summarize(text: str, **kwargs: object) -> object:
        seen.update(kwargs, text=text)
        raise KeyboardInterrupt  # stop here: no model is needed to see what it would get

    monkeypatch.setattr(cli, "summarize_text", summarize)
    page = tmp_path / "page.htm"
    shutil.copy(HTML / "cluttered.html", page)
    runner.invoke(app, ["summarize", str(page), "--base-url", REPLAY_BASE_URL, "-q"])
    assert seen["outlet"] == "Le Courrier du Sud" and seen["author"] == "Julien Fabre"
    assert seen["title"] == "Inondations dans le Gard : la ministre promet une aide d'urgence"
    assert seen["language"] == "fr" and seen["published"] == dt.date(2024, 10, 18)
