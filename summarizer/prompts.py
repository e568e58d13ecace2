"""Prompt templates: Jinja2 files under ``prompts/``, each carrying its own version.

Templates are rendered with ``StrictUndefined`` so a missing variable is an error, not an empty
string in front of a model. Each template's first line is ``{# version: N #}``; the versions of
the templates a summary used are recorded in its provenance, so a changed prompt changes the
batch run key. The folder is found in a source checkout (``<repo>/prompts``) and in an installed
wheel (``summarizer/_data/prompts``, put there by hatch force-include).
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

import jinja2

from summarizer.exceptions import ConfigurationError

__all__ = ["data_dir", "prompt_version", "render", "template_version"]

_VERSION = re.compile(r"\{#-?\s*version:\s*([\w.-]+)\s*-?#\}")
_PACKAGE = Path(__file__).resolve().parent


def data_dir(name: str) -> Path:
    """The shipped ``prompts`` or ``schemas`` folder, installed or in a checkout."""
    for candidate in (_PACKAGE / "_data" / name, _PACKAGE.parent / name):
        if candidate.is_dir():
            return candidate
    raise ConfigurationError(
        f"the {name!r} folder is missing from this installation; reinstall summarizer"
    )


@cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(data_dir("prompts")),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        keep_trailing_newline=False,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render(name: str, **variables: Any) -> str:
    """Render ``prompts/<name>.j2``; a variable the template uses but is not given raises."""
    try:
        return _environment().get_template(f"{name}.j2").render(**variables).strip()
    except jinja2.UndefinedError as exc:
        raise ConfigurationError(f"prompt {name!r}: {exc.message}") from exc
    except jinja2.TemplateNotFound as exc:
        raise ConfigurationError(f"prompt template {name!r} not found") from exc


@cache
def template_version(name: str) -> str:
    source = (data_dir("prompts") / f"{name}.j2").read_text(encoding="utf-8")
    match = _VERSION.search(source.splitlines()[0] if source else "")
    if match is None:
        raise ConfigurationError(f"prompt {name!r} has no '{{# version: N #}}' first line")
    return match.group(1)


def prompt_version(names: tuple[str, ...]) -> str:
    """One string naming every template and its version, e.g. ``article@1+extract@2``."""
    return "+".join(f"{n}@{template_version(n)}" for n in names)
