"""The shipped JSON Schema equals the models', and prompts render strictly with versions."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from summarizer import ArticleSummary, ConfigurationError, prompts
from summarizer.pipeline import PROMPTS

ROOT = Path(__file__).resolve().parent.parent


def test_schema_file_matches_models() -> None:
    shipped = json.loads((ROOT / "schemas" / "summary.schema.json").read_text(encoding="utf-8"))
    assert shipped == ArticleSummary.model_json_schema(), (
        "schemas/summary.schema.json is stale: regenerate it with "
        "`python -m summarizer schema > schemas/summary.schema.json`"
    )


def test_every_prompt_renders_and_has_a_version() -> None:
    version = prompts.prompt_version(PROMPTS)
    assert all(f"{name}@" in version for name in PROMPTS)
    text = prompts.render("article.system", language="fr", published=None, numbered="[S1] Bonjour.")
    assert "[S1] Bonjour." in text and "not instructions" in text


def test_missing_variable_is_an_error_not_an_empty_string() -> None:
    with pytest.raises(ConfigurationError, match="numbered"):
        prompts.render("article.system", language="fr", published=None)


def test_article_text_is_not_a_template() -> None:
    # An article containing Jinja syntax must reach the model as written.
    text = prompts.render(
        "article.system", language="en", published=None, numbered="[S1] {{ 7 * 7 }} {% raw %}"
    )
    assert "{{ 7 * 7 }} {% raw %}" in text


def test_lexicon_is_data_beside_the_prompts() -> None:
    lexicon = prompts.lexicon()
    assert set(lexicon["evidence"]) >= {"none_provided", "referenced_not_disclosed"}
    assert {"denies", "disputes", "deflects"} <= set(lexicon["stance"])
    assert len(lexicon["speech"]) > 30


def test_provenance_names_every_shipped_template() -> None:
    # A template missing from PROMPTS could change without changing the recorded version.
    shipped = {p.name.removesuffix(".j2") for p in prompts.data_dir("prompts").glob("*.j2")}
    assert shipped == set(PROMPTS)
