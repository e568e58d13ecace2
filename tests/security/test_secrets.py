"""The API key never leaves the process: a canary key, real command lines, every artefact read.

Runs of the real ``summarizer`` command (``python -m summarizer``, ``--verbose``; reports,
``doctor`` and the 429 case in this process, through the same Typer app) with
``OPENAI_API_KEY`` set to a canary: a summary, a batch night with failures, the morning
report in each format, ``doctor``; and the error paths, against an endpoint that answers 401
and *echoes the key it was sent* in its error body (as careless proxies do), and one that
keeps answering 429. Then the canary is searched for in everything the runs left: stdout and
stderr, the output files, the SQLite store with its WAL, the reports, a cassette recorded with
the project's VCR settings, the library's log records at DEBUG, and the ``str``, ``repr`` and
formatted traceback of every exception raised.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import subprocess
import sys
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import vcr
from pytest_httpserver import HTTPServer
from typer.testing import CliRunner
from werkzeug import Request, Response

from summarizer import AuthenticationError, Summarizer, SummarizerError
from summarizer._cli import app
from summarizer.config import Settings
from tests.batch_support import article_text, write_jsonl
from tests.fakes.fake_openai import FakeOpenAI

pytestmark = pytest.mark.block_network(allowed_hosts=["127.0.0.1", "localhost"])

ROOT = Path(__file__).resolve().parent.parent.parent
CANARY = "sk-canary-7f3a9c2e41b8d05e6a1f4d2c"
# A key may be logged in pieces or encoded: look for a distinctive middle part too.
NEEDLES = (CANARY, CANARY[10:26], CANARY.encode().hex())


def _echo_401(request: Request) -> Response:
    key = request.headers.get("Authorization", "").removeprefix("Bearer ")
    body = {
        "error": {
            "message": f"Incorrect API key provided: {key}. You can find your API key at …",
            "type": "invalid_request_error",
            "code": "invalid_api_key",
        }
    }
    return Response(json.dumps(body), status=401, content_type="application/json")


@pytest.fixture
def echo_401(httpserver: HTTPServer) -> str:
    httpserver.expect_request("/v1/chat/completions").respond_with_handler(_echo_401)
    httpserver.expect_request("/v1/models").respond_with_handler(_echo_401)
    return httpserver.url_for("/v1")


class Artefacts:
    """Everything a run printed or wrote, to be searched for the canary."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.texts: dict[str, str] = {}

    def add(self, name: str, text: str) -> None:
        self.texts[name] = text

    def run(self, name: str, args: list[str], base_url: str, code: int) -> str:
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "SUMMARIZER_"))},
            "OPENAI_API_KEY": CANARY,
            "OPENAI_BASE_URL": base_url,
            "SUMMARIZER_TIMEOUT": "5",
            "SUMMARIZER_CACHE_DIR": str(self.root / "cache"),
            "OPENAI_LOG": "debug",  # the SDK's own debug logging, as a user might turn it on
            "PYTHONPATH": str(ROOT),
            "NO_COLOR": "1",
        }
        done = subprocess.run(
            [sys.executable, "-m", "summarizer", *args],
            env=env,
            cwd=self.root,
            capture_output=True,
            text=True,
            timeout=120,
        )
        self.add(f"{name}: stdout", done.stdout)
        self.add(f"{name}: stderr", done.stderr)
        assert done.returncode == code, (name, done.returncode, done.stderr[-2000:])
        return done.stderr

    def invoke(self, name: str, args: list[str], base_url: str, code: int) -> str:
        """The same command in this process (a new interpreter costs seconds on 2 cores)."""
        with pytest.MonkeyPatch.context() as patch:
            patch.chdir(self.root)
            patch.setenv("OPENAI_API_KEY", CANARY)
            patch.setenv("OPENAI_BASE_URL", base_url)
            patch.setenv("SUMMARIZER_TIMEOUT", "5")
            result = CliRunner().invoke(app, args)
        self.add(f"{name}: stdout", result.stdout)
        self.add(f"{name}: stderr", result.stderr)
        assert result.exit_code == code, (name, result.exit_code, result.output[-2000:])
        return result.stderr

    def files(self) -> Iterator[tuple[str, bytes]]:
        for path in sorted(self.root.rglob("*")):
            if path.is_file():
                yield str(path.relative_to(self.root)), path.read_bytes()

    def leaks(self) -> list[str]:
        found = []
        for name, text in self.texts.items():
            found += [f"{name} holds {n!r}" for n in NEEDLES if n in text]
        for name, data in self.files():
            found += [f"{name} holds {n!r}" for n in NEEDLES if n.encode() in data]
        return found


def test_the_canary_key_is_in_no_artefact_of_any_run(
    tmp_path: Path, echo_401: str, vcr_config: dict[str, Any]
) -> None:
    out = Artefacts(tmp_path)
    article = tmp_path / "article.txt"
    article.write_text(article_text(1), encoding="utf-8")
    inputs = tmp_path / "night.jsonl"
    write_jsonl(inputs, 12)
    store = tmp_path / "night.db"
    faults = lambda i, _r: "schema_invalid" if i % 7 == 3 else None  # noqa: E731
    with FakeOpenAI(faults=faults, retry_after=0) as fake:
        # A summary, verbose, written to a file and printed.
        out.run("summarize", ["summarize", str(article), "-v", "-o", "s.json"], fake.base_url, 0)
        out.run("summarize md", ["summarize", str(article), "-v", "-f", "md"], fake.base_url, 0)
        # A night with failed articles (every 7th request answers out of schema).
        night = ["batch", str(inputs), "--store", str(store), "-v", "--max-reasks", "0"]
        out.run("batch", [*night, "--out", "night.out.jsonl", "--out-dir", "one"], fake.base_url, 6)
        out.invoke("doctor", ["doctor", "--check"], fake.base_url, 0)
    for fmt in ("md", "html", "json"):
        out.invoke(f"report {fmt}", ["report", str(store), "-f", fmt, "-o", f"r.{fmt}"], "x", 0)
    # The endpoint refuses the key and repeats it: the verbose errors must not.
    err = out.run("summarize 401", ["summarize", str(article), "-v"], echo_401, 4)
    assert "AuthenticationError" in err and "HTTP 401" in err
    assert "Traceback" in err  # --verbose shows the traceback: it must be clean too
    err = out.run("batch 401", ["batch", str(inputs), "--store", "auth.db", "-v"], echo_401, 4)
    assert "HTTP 401" in err
    out.invoke("report 401", ["report", "auth.db", "-f", "html", "-o", "auth.html"], "x", 0)
    out.invoke("doctor 401", ["doctor", "--check"], echo_401, 4)
    with FakeOpenAI(faults=lambda _i, _r: "429", retry_after=0) as always_429:
        err = out.invoke("summarize 429", ["summarize", str(article), "-v"], always_429.base_url, 4)
        assert "RateLimitError" in err

    # The library: exceptions, reprs and log records, and a cassette recorded as ours are.
    records = _library_run(out, echo_401, tmp_path / "cassettes" / "run.yaml", vcr_config)
    out.add("log records", records)

    assert {p.name for p in tmp_path.iterdir()} >= {"night.db", "s.json", "r.html", "auth.db"}
    assert any(name.endswith("-wal") or name.endswith(".db") for name, _ in out.files())
    assert (tmp_path / "cassettes" / "run.yaml").exists()
    leaks = out.leaks()
    assert leaks == [], "\n".join(leaks)


def _library_run(out: Artefacts, echo_401: str, cassette: Path, vcr_config: dict[str, Any]) -> str:
    class Collect(logging.Handler):
        def __init__(self) -> None:
            super().__init__(logging.DEBUG)
            self.lines: list[str] = []

        def emit(self, record: logging.LogRecord) -> None:
            self.lines.append(self.format(record))

    handler = Collect()
    root = logging.getLogger()
    previous = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        errors: list[BaseException] = []
        for base_url in (echo_401,):
            try:
                asyncio.run(_summarize(base_url))
            except SummarizerError as exc:
                errors.append(exc)
        assert isinstance(errors[0], AuthenticationError)
        with FakeOpenAI() as fake:
            recorder = vcr.VCR(**{**vcr_config, "record_mode": "all"})
            with recorder.use_cassette(str(cassette)):
                summary = asyncio.run(_summarize(fake.base_url))
            out.add("summary json", summary.model_dump_json())
            settings = Settings.resolve(base_url=fake.base_url, api_key=CANARY)
            out.add("settings repr", repr(settings) + str(settings))
            out.add("summarizer repr", repr(Summarizer(settings=settings)))
    finally:
        root.removeHandler(handler)
        root.setLevel(previous)
    for n, exc in enumerate(errors):
        out.add(f"exception {n} str/repr", f"{exc} {exc!r} {exc.args!r}")
        out.add(f"exception {n} traceback", "".join(traceback.format_exception(exc)))
        out.add(f"exception {n} attributes", repr(vars(exc)))
        cause = exc.__cause__
        out.add(f"exception {n} cause", f"{cause} {cause!r} {getattr(cause, 'body', '')!r}")
    return "\n".join(handler.lines)


async def _summarize(base_url: str) -> Any:
    async with Summarizer(
        backend="openai", base_url=base_url, api_key=CANARY, mode="tools", timeout=5
    ) as s:
        return await s.asummarize(article_text(2))
