"""`summarizer doctor --check` says whether the model can be reached, without raising."""

from __future__ import annotations

import socket

import pytest
from pytest_httpserver import HTTPServer

from summarizer.client import check_endpoint
from summarizer.config import Settings

pytestmark = pytest.mark.block_network(allowed_hosts=["127.0.0.1", "localhost"])


def test_reachable_endpoint_lists_the_configured_model(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/v1/models").respond_with_json(
        {"object": "list", "data": [{"id": "m1", "object": "model", "owned_by": "x", "created": 0}]}
    )
    ok = check_endpoint(
        Settings.resolve(base_url=httpserver.url_for("/v1"), api_key="sk-t", model="m1")
    )
    assert ok["reachable"] == "yes" and "'m1' listed" in ok["detail"]
    other = check_endpoint(
        Settings.resolve(base_url=httpserver.url_for("/v1"), api_key="sk-t", model="m2")
    )
    assert "'m2' NOT listed" in other["detail"]


def test_unreachable_or_refusing_endpoint_is_reported_not_raised(httpserver: HTTPServer) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    down = check_endpoint(Settings.resolve(base_url=f"http://127.0.0.1:{port}/v1", api_key="k"))
    assert down["reachable"] == "no" and "could not reach" in down["error"]
    httpserver.expect_request("/v1/models").respond_with_json({"error": "bad key"}, status=401)
    denied = check_endpoint(
        Settings.resolve(base_url=httpserver.url_for("/v1"), api_key="sk-secret-value-123456")
    )
    assert denied["reachable"] == "no" and "401" in denied["error"]
    assert "sk-secret-value-123456" not in denied["error"]


def test_doctor_check_exits_with_the_provider_code_when_unreachable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from typer.testing import CliRunner

    from summarizer._cli import app
    from summarizer._cli._exits import EXIT_PROVIDER

    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-canary-0123456789abcdef")
    result = CliRunner().invoke(app, ["doctor", "--check"])
    assert result.exit_code == EXIT_PROVIDER
    assert "check.reachable: no" in result.output
    assert "sk-canary-0123456789abcdef" not in result.output


def test_doctor_names_openai_s_api_when_only_a_key_is_set(monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from summarizer._cli import app

    for name in ("OPENAI_BASE_URL", "SUMMARIZER_BACKEND", "SUMMARIZER_MODEL", "SUMMARIZER_MODE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-canary-0123456789abcdef")
    result = CliRunner().invoke(app, ["doctor"])
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert "backend: openai" in lines
    assert "base_url: https://api.openai.com/v1 (OpenAI's API: OPENAI_BASE_URL is not set)" in lines
    assert "embedded" not in result.output
