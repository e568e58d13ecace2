"""Shared fixtures: cassette location and scrubbing, and the model endpoint for e2e tests."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from summarizer import Summarizer
from summarizer.config import LOCAL_MODEL_NAME
from summarizer.testing import cassette_base_url

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
SECRET_HEADERS = (
    "authorization",
    "api-key",
    "x-api-key",
    "openai-organization",
    "openai-project",
    "cookie",
    "set-cookie",
)


def _scrub_response(response: dict[str, Any]) -> dict[str, Any]:
    headers = response.get("headers", {})
    for name in list(headers):
        if name.lower() in SECRET_HEADERS:
            del headers[name]
    return response


def _skip_readiness_probe(request: Any) -> Any:
    """The local server's start-up polls /v1/models; that is not a model answer."""
    return None if request.path.endswith("/v1/models") else request


@pytest.fixture(scope="module")
def vcr_config() -> dict[str, Any]:
    # record_mode is deliberately not set here: CI passes --record-mode=none, recording
    # passes --record-mode=rewrite (python -m summarizer.testing record).
    return {
        "filter_headers": [(h, None) for h in SECRET_HEADERS],
        "before_record_request": _skip_readiness_probe,
        "before_record_response": _scrub_response,
        "match_on": ["method", "path", "body"],
        "decode_compressed_response": True,
    }


@pytest.fixture(scope="module")
def vcr_cassette_dir(request: pytest.FixtureRequest) -> str:
    return str(ROOT / "cassettes" / request.module.__name__.split(".")[-1])


@pytest.fixture
def make_summarizer() -> Callable[[], Summarizer]:
    """A Summarizer bound to the embedded model when recording, to nowhere when replaying."""
    base_url = cassette_base_url()

    def make() -> Summarizer:
        return Summarizer(backend="local", base_url=base_url, model=LOCAL_MODEL_NAME)

    return make
