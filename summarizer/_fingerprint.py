"""The run fingerprint: everything besides the article's text that decides its summary.

A stored summary is reused only under the same fingerprint (the batch run key is the text's
hash and this), so a store never serves as done a summary that other rules, language packs,
prompts, parser models, schemas or settings would have made differently. Its parts:

* ``templates``: each prompt template's own ``{# version: N #}``;
* ``files``: the sha256 of every file under ``prompts/`` (the templates and the language packs
  ``prompts/packs/*.json``), found by :func:`summarizer.prompts.data_dir`, the resolver the
  code reads them through, so it is the same from a checkout and an installed wheel;
  Markdown files there are documentation and left out;
* ``rules``: :data:`RULES_VERSION` and the grammar cues' own version, for the rules written as
  code, and a hash of the code of every module that decides what a summary says
  (:data:`RULE_MODULES`, docstrings and comments left out), so a rule edited without a
  version bump still changes the key;
* ``parser``: :func:`summarizer._parse.parser_versions` (pins, installed or not; spaCy is
  never imported for it);
* ``schemas``: a hash of the summary's schema and of each answer schema the model is given;
* ``settings``: backend, model, mode, ``max_tokens``, ``max_input_tokens``, ``max_statements``.

The fingerprint is a sha256 over the canonical JSON of these parts; :func:`fingerprint_parts`
gives the parts themselves, recorded with each batch run (``runs.settings``).
"""

from __future__ import annotations

import ast
import hashlib
import importlib.util
import json
from functools import cache
from pathlib import Path
from typing import Any

from summarizer import _grammar, _parse, prompts
from summarizer.config import Settings
from summarizer.models import ArticleSummary, AttributionAnswer, EvidenceAnswer, OverviewAnswer

__all__ = ["RULES_VERSION", "fingerprint", "fingerprint_parts"]

RULES_VERSION = "2"
"""The version of the rules written as code. Bump it on any change of rule code that can change
a summary: statement and name candidates (``_candidates.py``), the parser front end's rules
(``_parse.py``), claim linking (``_claims.py``), the baseline (``_baseline.py``), grounding
(``grounding.py``), dates (``_dates.py``), assembly (``_assemble.py``) or the passes' ``apply``
code. ``tests/test_fingerprint.py`` fails when the output over fixed model answers changes while
the fingerprint does not."""

RULE_MODULES = (
    "_assemble",
    "_attribution",
    "_by_id",
    "_candidates",
    "_chunking",
    "_claims",
    "_confidence",
    "_dates",
    "_document",
    "_events",
    "_evidence",
    "_figures",
    "_grammar",
    "_happenings",
    "_labels",
    "_language",
    "_numbers",
    "_overview",
    "_packs",
    "_parse",
    "_quotes",
    "_replies",
    "_statements",
    "grounding",
    "models",
    "pipeline",
)
"""The modules whose code decides what a summary says (not how it is fetched, sent or shown)."""

RESULT_SETTINGS = ("backend", "model", "mode", "max_tokens", "max_input_tokens", "max_statements")
"""The settings that change what a summary says (the others change how it is obtained)."""

_SCHEMAS = (ArticleSummary, AttributionAnswer, OverviewAnswer, EvidenceAnswer)


def _templates() -> dict[str, str]:
    from summarizer.pipeline import PROMPTS  # the pipeline imports much; only when asked

    return {name: prompts.template_version(name) for name in PROMPTS}


def _files() -> dict[str, str]:
    """sha256 of every file under the prompts folder, by path relative to it."""
    root = prompts.data_dir("prompts")
    out: dict[str, str] = {}
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        relative = path.relative_to(root).as_posix()
        if path.suffix.casefold() == ".md" or "__pycache__" in relative.split("/"):
            continue
        out[relative] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def _is_docstring(statement: Any) -> bool:
    return (
        isinstance(statement, ast.Expr)
        and isinstance(statement.value, ast.Constant)
        and isinstance(statement.value.value, str)
    )


@cache
def _code() -> str:
    """sha256 over the syntax trees of :data:`RULE_MODULES`, docstrings removed (a module's,
    a function's and a constant's, the string under it): a comment or docstring edit keeps the
    key, any change of code changes it."""
    h = hashlib.sha256()
    for name in RULE_MODULES:
        spec = importlib.util.find_spec(f"summarizer.{name}")
        assert spec is not None and spec.origin is not None
        tree = ast.parse(Path(spec.origin).read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            body = getattr(node, "body", None)
            if isinstance(body, list):
                body[:] = [ast.Pass() if _is_docstring(s) else s for s in body]
        h.update(name.encode() + b"\0" + ast.dump(tree).encode() + b"\0")
    return h.hexdigest()


def _schemas() -> dict[str, str]:
    return {
        model.__name__: hashlib.sha256(
            json.dumps(model.model_json_schema(), sort_keys=True).encode()
        ).hexdigest()[:16]
        for model in _SCHEMAS
    }


def fingerprint_parts(settings: Settings) -> dict[str, Any]:
    """What the fingerprint is made of, for ``settings`` and the code and data installed."""
    return {
        "templates": _templates(),
        "files": _files(),
        "rules": {"version": RULES_VERSION, "grammar": _grammar.RULES_VERSION, "code": _code()},
        "parser": _parse.parser_versions(),
        "schemas": _schemas(),
        "settings": {name: getattr(settings, name) for name in RESULT_SETTINGS},
    }


def digest(parts: dict[str, Any]) -> str:
    """The fingerprint of ``parts``: sha256 of their canonical JSON."""
    canonical = json.dumps(parts, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


def fingerprint(settings: Settings) -> str:
    """The run fingerprint for ``settings`` (a hex sha256)."""
    return digest(fingerprint_parts(settings))
