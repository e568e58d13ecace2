"""URL inputs (SSRF), beyond tests/test_cli_url.py: other spellings of loopback resolved by the
real resolver, redirects to other schemes, a body that trickles past the time cap, and the
batch never fetching the URL an article only names.

Each loopback spelling is shown to really reach the local server with ``--allow-private``,
so its refusal without the flag guards a real path.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from typer.testing import CliRunner
from werkzeug import Request, Response

import summarizer._cli._summarize as cli
from summarizer import ArticleSummary
from summarizer._cli import app
from summarizer._cli._exits import EXIT_INPUT
from summarizer._fetch import fetch_url
from summarizer.batch import BatchOptions, Store, Throttle, run_batch
from summarizer.exceptions import InputError
from tests.batch_support import fake_summarizer
from tests.fakes.fake_openai import FakeOpenAI

# Local servers only; 0.0.0.0 and the IPv4-mapped form are this machine too.
pytestmark = pytest.mark.block_network(
    allowed_hosts=["127.0.0.1", "localhost", "0.0.0.0", "::ffff:127.0.0.1"]
)

# Hosts that the system resolver turns into a loopback or unspecified address, no DNS needed.
LOOPBACK_SPELLINGS = [
    "127.1",
    "2130706433",
    "0x7f000001",
    "localhost",
    "LOCALHOST",
    "0.0.0.0",
    "0",
    "[::ffff:127.0.0.1]",
    "[0:0:0:0:0:ffff:7f00:1]",
    "user:secret@127.0.0.1",
]


@pytest.fixture
def page(httpserver: HTTPServer) -> HTTPServer:
    httpserver.expect_request("/story").respond_with_data(
        "Un titre\nLe ministre a déclaré que tout va bien.", content_type="text/plain"
    )
    return httpserver


@pytest.mark.parametrize("host", LOOPBACK_SPELLINGS)
def test_every_spelling_of_loopback_is_refused_before_any_request(
    page: HTTPServer, host: str
) -> None:
    url = f"http://{host}:{page.port}/story"
    with pytest.raises(InputError, match="--allow-private") as refused:
        fetch_url(url, timeout=5)
    assert "private, loopback" in refused.value.message
    assert page.log == []  # refused before any connection
    # The same URL does reach the server once private addresses are allowed.
    assert "tout va bien" in fetch_url(url, timeout=5, allow_private=True).text
    assert len(page.log) == 1


def test_the_command_line_refuses_them_with_exit_3_and_one_line(
    page: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_model(_text: str, **_kw: Any) -> ArticleSummary:
        raise AssertionError("a refused URL must not reach the model")

    monkeypatch.setattr(cli, "summarize_text", no_model)
    urls = [f"http://{host}:{page.port}/story" for host in LOOPBACK_SPELLINGS]
    result = CliRunner().invoke(app, ["summarize", *urls, "-q"])
    assert result.exit_code == EXIT_INPUT, result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("error")]
    assert len(errors) == len(urls) and all("--allow-private" in e for e in errors)
    assert "Traceback" not in result.output and page.log == []


@pytest.mark.parametrize(
    "url",
    ["file:///etc/passwd", "gopher://127.0.0.1:70/_x", "ftp://127.0.0.1/x", "javascript:alert(1)"],
)
def test_only_http_and_https_urls_are_fetched(url: str) -> None:
    with pytest.raises(InputError, match=r"only http:// and https:// URLs can be fetched"):
        fetch_url(url, timeout=5, allow_private=True)


@pytest.mark.parametrize(
    "location",
    ["file:///etc/passwd", "ftp://127.0.0.1/x", "gopher://127.0.0.1:70/_x", "data:,secret"],
)
def test_a_redirect_to_another_scheme_is_refused(httpserver: HTTPServer, location: str) -> None:
    httpserver.expect_request("/go").respond_with_response(
        Response(status=302, headers={"Location": location})
    )
    with pytest.raises(InputError) as refused:
        fetch_url(httpserver.url_for("/go"), timeout=5, allow_private=True)
    message = refused.value.message
    refusals = ("only http:// and https://", "unsupported protocol", "cannot fetch")
    assert any(r in message.casefold() for r in refusals), message
    assert "root:" not in message and "secret" not in message  # nothing of the target read
    assert len(httpserver.log) == 1  # the redirect itself, nothing after it


def test_a_body_trickling_past_the_time_cap_is_cut(httpserver: HTTPServer) -> None:
    """Each chunk comes well within the read timeout; the whole download must not."""

    def trickle(_request: Request) -> Response:
        def body() -> Iterator[bytes]:
            for _ in range(100):
                time.sleep(0.1)
                yield b"Le ministre a dit oui. "

        return Response(body(), content_type="text/plain")

    httpserver.expect_request("/slow").respond_with_handler(trickle)
    started = time.monotonic()
    with pytest.raises(InputError, match="timed out after 1 s"):
        fetch_url(httpserver.url_for("/slow"), timeout=1.0, allow_private=True)
    assert time.monotonic() - started < 3


def test_the_batch_never_fetches_the_url_an_article_names(
    httpserver: HTTPServer, tmp_path: Path
) -> None:
    httpserver.expect_request("/internal").respond_with_data("secret", content_type="text/plain")
    feed = tmp_path / "in.jsonl"
    doc = {
        "id": "a1",
        "url": httpserver.url_for("/internal"),
        "text": "Le ministre Jean Dupont a déclaré lundi que le budget sera voté.",
    }
    feed.write_text(json.dumps(doc) + "\n", encoding="utf-8")
    with FakeOpenAI() as fake:
        throttle = Throttle(1)
        with Store(tmp_path / "night.db") as store:
            stats = asyncio.run(
                run_batch(
                    [feed],
                    store,
                    fake_summarizer(fake.base_url, throttle),
                    BatchOptions(concurrency=1, out=tmp_path / "out.jsonl"),
                    throttle=throttle,
                )
            )
    assert stats.done == 1 and httpserver.log == []
    line = json.loads((tmp_path / "out.jsonl").read_text(encoding="utf-8"))
    assert line["summary"]["article"]["url"] == doc["url"]  # kept as metadata, never fetched
