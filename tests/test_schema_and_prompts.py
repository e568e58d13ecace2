"""The shipped JSON Schema equals the models', and prompts render strictly with versions."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from summarizer import ArticleSummary, ConfigurationError, prompts
from summarizer._packs import every_pack, pack, packs
from summarizer.models import EvidenceStatus, Stance
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


def test_language_knowledge_is_data_beside_the_prompts() -> None:
    every = every_pack()
    assert set(every.evidence) >= {"none_provided", "referenced_not_disclosed"}
    assert {"denies", "disputes", "deflects"} <= set(every.stance)
    assert len(pack("fr").speech) > 30 and len(pack("en").speech) > 30
    assert pack("de-AT").name == "German" and not pack("de").subject_before_verb
    assert pack("xx-YY").name == "xx-YY"  # no pack: the tag as written, no rules


def test_every_cue_label_is_a_status_or_stance() -> None:
    # A typo in a pack's label would make its phrases a cue for nothing (or crash at use).
    for p in packs():
        assert set(p.evidence) <= {s.value for s in EvidenceStatus}, p.tag
        assert set(p.stance) <= {s.value for s in Stance}, p.tag


def test_provenance_names_every_shipped_template() -> None:
    # A template missing from PROMPTS could change without changing the recorded version.
    shipped = {p.name.removesuffix(".j2") for p in prompts.data_dir("prompts").glob("*.j2")}
    assert shipped == set(PROMPTS)
