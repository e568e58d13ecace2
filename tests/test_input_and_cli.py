"""Bad input gets a clear error and its own exit code, before any model is called."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from summarizer import InputError
from summarizer._cli import app
from summarizer._cli._exits import EXIT_INPUT
from summarizer._dates import time_ref
from summarizer._fetch import MAX_FILE_BYTES
from summarizer._input import check_text, decode_bytes
from summarizer._language import detect_language

DATA = Path(__file__).resolve().parent / "data"
runner = CliRunner()


@pytest.mark.parametrize("text", ["", "   \n\t  "])
def test_empty_article_is_an_input_error(text: str) -> None:
    with pytest.raises(InputError, match="empty"):
        check_text(text)


def test_too_long_article_names_the_limit() -> None:
    with pytest.raises(InputError, match="1,000"):
        check_text("a" * 1001, max_chars=1000)


def test_binary_text_is_refused_but_stray_control_chars_are_blanked() -> None:
    with pytest.raises(InputError, match="binary"):
        check_text("\x00\x01\x02\x03" * 100)
    cleaned = check_text("Bonjour\x00 le monde.")
    assert cleaned == "Bonjour  le monde." and len(cleaned) == len("Bonjour\x00 le monde.")


@pytest.mark.parametrize(
    ("data", "text", "encoding"),
    [
        ("café «ok»".encode(), "café «ok»", "utf-8"),
        ("café".encode("cp1252"), "café", "cp1252"),
        ("\ufeffcafé".encode("utf-16"), "\ufeffcafé".encode("utf-16").decode("utf-16"), "utf-16"),
    ],
)
def test_decode_bytes_tries_common_encodings(data: bytes, text: str, encoding: str) -> None:
    assert decode_bytes(data) == (text, encoding)


def test_language_detection() -> None:
    assert detect_language((DATA / "kursk.fr.txt").read_text(encoding="utf-8")) == "fr"
    assert detect_language("The minister said that the report was wrong and that it was") == "en"
    assert detect_language("Президент заявил, что войска не будут") == "ru"
    assert detect_language("12 345 — 67 %", default="fr") == "fr"  # nothing to judge by


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("uk", "Речник міністерства сказав, що переговори продовжаться наступного тижня."),
        ("pl", "Rzecznik rządu oświadczył, że rozmowy będą kontynuowane w przyszłym tygodniu."),
        ("ro", "Purtătorul de cuvânt a afirmat că discuțiile vor continua săptămâna viitoare."),
        ("sv", "Talespersonen sa att samtalen fortsätter nästa vecka i huvudstaden."),
        ("tr", "Sözcü, görüşmelerin önümüzdeki hafta devam edeceğini söyledi."),
        ("ko", "대변인은 협상이 다음 주에도 계속될 것이라고 말했다."),
        (
            "fr",
            "Grève à la SNCF\nLes syndicats appellent à cesser le travail jeudi.\nLa direction "
            "dit regretter ce choix.",
        ),
    ],
)
def test_language_detection_beyond_the_old_stopword_lists(lang: str, text: str) -> None:
    """The old guesser called these Russian, English or the default (issue 17)."""
    assert detect_language(text, default="xx") == lang


def test_dates_resolve_against_the_article_date() -> None:
    published = dt.date(2024, 10, 30)
    assert time_ref("le 29 octobre", published).date == dt.date(2024, 10, 29)  # type: ignore[union-attr]
    assert time_ref("December 31", published).date == dt.date(2023, 12, 31)  # type: ignore[union-attr]
    assert time_ref("hier", published).date is None  # type: ignore[union-attr]


def _cli(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def test_cli_bad_inputs_exit_with_input_code(tmp_path: Path) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    binary = tmp_path / "scan.pdf"
    binary.write_bytes(b"%PDF-1.4\x00\x00\x01binary")
    huge = tmp_path / "huge.txt"
    with huge.open("wb") as f:
        f.truncate(MAX_FILE_BYTES + 1)
    for path, message in [
        (tmp_path / "missing.txt", "no such file"),
        (tmp_path, "is a directory"),
        (empty, "empty"),
        (binary, "binary"),
        (huge, "over the limit"),
    ]:
        code, output = _cli("summarize", str(path))
        assert code == EXIT_INPUT, output
        assert message in output
        assert "Traceback" not in output


def test_cli_schema_version_and_usage_errors() -> None:
    code, output = _cli("schema")
    assert code == 0 and json.loads(output)["title"] == "ArticleSummary"
    code, output = _cli("--version")
    assert code == 0 and output.startswith("summarizer ")
    code, _ = _cli("summarize", "x.txt", "--max-reasks", "-1")
    assert code == 2
