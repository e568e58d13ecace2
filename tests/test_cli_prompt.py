"""``summarizer prompt``: the prompts a summary starts with, exactly as they are sent."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner
from vcr.serializers import yamlserializer

from summarizer._cli import app
from summarizer._cli._exits import EXIT_INPUT
from summarizer._parse import has_parser
from summarizer.pipeline import preview_prompts
from summarizer.testing import read_article

TESTS = Path(__file__).resolve().parent
KURSK = TESTS / "data" / "kursk.fr.txt"
CASSETTE = (
    TESTS.parent
    / "cassettes"
    / "test_e2e"
    / "test_summary_is_valid_grounded_and_costed[kursk.fr.txt].yaml"
)
runner = CliRunner()


def _recorded_messages() -> list[Any]:
    interactions = yamlserializer.deserialize(CASSETTE.read_text(encoding="utf-8"))["interactions"]
    return [json.loads(i["request"]["body"])["messages"] for i in interactions]


def test_previewed_prompts_are_the_ones_the_pipeline_sends() -> None:
    article = read_article(KURSK)
    previews = preview_prompts(article.text, published=article.published)
    # With a parser the statements are labelled several at a time; without, one sentence each.
    first = "labels" if has_parser("fr") else "attribution"
    assert [p.name.split(" ")[0] for p in previews] == [first, "overview"]
    recorded = _recorded_messages()
    for preview in previews:
        assert preview.messages in recorded, preview.name


def test_prompt_command_prints_messages_and_a_token_estimate() -> None:
    result = runner.invoke(app, ["prompt", str(KURSK)])
    assert result.exit_code == 0, result.output
    out = result.stdout
    first = "===== labels of 8 statements" if has_parser("fr") else "===== attribution of S2"
    assert first in out and "===== overview (part 1 of 1)" in out
    assert "[S6] Toutefois, M. Ryder n’a fourni aucune preuve" in out
    assert "--- system" in out and "--- user" in out
    assert out.rstrip().splitlines()[-1].startswith("===== ~")
    assert "prompt tokens" in out


def test_prompt_command_input_errors(tmp_path: Path) -> None:
    result = runner.invoke(app, ["prompt", str(tmp_path / "missing.txt")])
    assert result.exit_code == EXIT_INPUT and "no such file" in result.stderr
