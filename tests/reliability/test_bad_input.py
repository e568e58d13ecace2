"""Bad input, through the library, the command line and the batch, against the fault server.

Each input ends in a typed error with a clear message (``InputError``, exit code 3, a failed
batch item with its reason) or in a correct summary (every span is the caller's text at its
offsets); never a traceback, never a hang. The model is the fake OpenAI server: what is
tested is our handling of the input, not the model's reading of it.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from summarizer import InputError, RetryPolicy, _parse
from summarizer._cli import app
from summarizer._cli._exits import EXIT_INPUT
from summarizer._fetch import read_input
from summarizer._input import check_text
from summarizer.batch import BatchOptions, Store, Throttle, iter_items, normalise, run_batch
from summarizer.batch._runner import run_key
from summarizer.models import ArticleSummary
from tests.batch_support import fake_summarizer
from tests.fakes.fake_openai import FakeOpenAI
from tests.reliability.support import settings, summarize

pytestmark = pytest.mark.block_network(allowed_hosts=["127.0.0.1", "localhost"])

FR = (
    "Le ministre Jean Dupont a déclaré lundi que le budget sera voté. "
    "« Non », a répondu Marie Curie."
)
RU = (
    "Министр Иван Петров заявил во вторник, что бюджет будет принят. «Мы не видели никаких "
    "доказательств», — ответила депутат Анна Смирнова."
)
AR = (
    "قال الوزير أحمد علي يوم الثلاثاء إن الميزانية ستقر قبل مارس. وردت النائبة "
    "فاطمة حسن: «لم نر أي دليل على ذلك»."
)
ONLY_QUOTES = "« Nous ne partirons pas. » « Jamais. » « C'est faux », « tout est faux ». « Non. »"
MISMATCHED = (
    "Le ministre a déclaré « nous partirons demain. Jean Dupont a répondu \"c'est faux” et "
    "« non. Marie Curie a dit “peut-être »."
)
CONTROL = (
    "Le ministre\x00 a déclaré\x07 que le budget\x1b sera voté. « Non », a répondu\x0b Marie Curie."
)
MINIMAL_PDF = (
    b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
    b"4 0 obj << /Length 60 >> stream\nBT /F1 24 Tf 72 700 Td (Le ministre a dit.) Tj ET\n"
    b"endstream endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
)
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10" + bytes(range(256)) * 4
HUGE = 20 * 1024 * 1024
ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff\u3164 " * 40  # invisible, yet not whitespace


@dataclass(frozen=True)
class Case:
    name: str
    data: bytes
    """The file's bytes (command line and batch)."""
    text: object
    """What a library caller would pass (a str, or the bytes by mistake)."""
    error: str | None
    """A fragment of the InputError's message, or None: a correct summary is expected."""
    cli_error: str | None = None
    """When the file is refused for another reason than the library's text."""


def _utf16(text: str) -> bytes:
    return "\ufeff".encode("utf-16-le") + text.encode("utf-16-le")


CASES = [
    Case("empty", b"", "", "empty"),
    Case("whitespace", b" \n\t \r\n  ", " \n\t \r\n  ", "empty"),
    Case("zero-width", ZERO_WIDTH.encode(), ZERO_WIDTH, "no letter or digit"),
    Case("pdf", MINIMAL_PDF, MINIMAL_PDF.decode("latin-1"), "PDF document"),
    Case("png", PNG, PNG, "must be text (str), not bytes", cli_error="PNG image"),
    Case("png-as-text", PNG, PNG.decode("latin-1"), "PNG image", cli_error="PNG image"),
    Case(
        "invalid-utf8",
        FR.encode() + b" \xff\xfe\x81 " + "Paul Martin a démenti.".encode("cp1252"),
        (FR.encode() + b" \xff\x81").decode("utf-8", "surrogateescape"),
        "lone surrogate",
        cli_error="",  # read as latin-1, with a note: summarized
    ),
    Case("utf16-bom", _utf16(FR), FR, None),
    Case("huge-20mb", b"Le ministre a dit oui. " * (HUGE // 23 + 1), "x" * HUGE, "over the limit"),
    Case("only-quotes", ONLY_QUOTES.encode(), ONLY_QUOTES, None),
    Case("russian", RU.encode(), RU, None),
    Case("arabic", AR.encode(), AR, None),
    Case("control-chars", CONTROL.replace("\x00", "").encode(), CONTROL, None),
    Case("nul-bytes", CONTROL.encode(), CONTROL, None, cli_error="NUL bytes"),
    Case("mismatched-quotes", MISMATCHED.encode(), MISMATCHED, None),
]
IDS = [c.name for c in CASES]


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeOpenAI]:
    # Load the parser models once before the timed summaries: a bad input must not make a
    # summary slow, and loading a model (seconds, once per process) is not the input's doing.
    for language in ("fr", "en"):
        _parse.analysed("Bonjour.", language)
    with FakeOpenAI() as server:
        yield server
        assert server.errors == []


def _grounded(summary: ArticleSummary, text: str) -> None:
    assert summary.check_grounded(text) == []
    assert summary.claims or summary.events, "an article with statements has some"
    for claim in summary.claims:
        assert text[claim.quote.start : claim.quote.end] == claim.quote.text


# -- the library ----------------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_library(case: Case, fake: FakeOpenAI) -> None:
    before = fake.requests
    outcome = summarize(case.text, settings(fake.base_url))  # type: ignore[arg-type]
    if case.error is None:
        assert outcome.summary is not None, outcome.error
        assert isinstance(case.text, str)
        _grounded(outcome.summary, case.text)
    else:
        assert isinstance(outcome.error, InputError), outcome
        assert case.error in outcome.error.message
        assert fake.requests == before  # refused before any request
        with pytest.raises(InputError, match=re.escape(case.error)):
            check_text(case.text)
    assert outcome.seconds < 10


def test_library_languages_are_detected(fake: FakeOpenAI) -> None:
    for text, language in ((RU, "ru"), (AR, "ar")):
        outcome = summarize(text, settings(fake.base_url))
        assert outcome.summary is not None and outcome.summary.article.language == language


# -- the command line -----------------------------------------------------------------------


@pytest.fixture
def cli_env(fake: FakeOpenAI, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", fake.base_url)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-real-key")
    monkeypatch.setattr(RetryPolicy, "wait_for", lambda _self, _attempt, _exc: 0.0)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_cli(case: Case, tmp_path: Path, cli_env: None) -> None:
    path = tmp_path / f"{case.name}.txt"
    path.write_bytes(case.data)
    started = time.monotonic()
    result = CliRunner().invoke(app, ["summarize", str(path), "--format", "json", "-q"])
    error = case.error if case.cli_error is None else case.cli_error
    assert "Traceback" not in result.output
    if error:
        assert result.exit_code == EXIT_INPUT, result.output
        (line,) = [line for line in result.stderr.splitlines() if line.startswith("error")]
        assert line.startswith(f"error (InputError): {path}") and error in line
        assert result.stdout == ""
    else:
        assert result.exit_code == 0, result.output
        summary = ArticleSummary.model_validate_json(result.stdout)
        _grounded(summary, read_input(path).text)
    assert time.monotonic() - started < 10


def test_cli_formats_of_a_summary_with_control_characters(tmp_path: Path, cli_env: None) -> None:
    path = tmp_path / "control.txt"
    path.write_bytes(CONTROL.replace("\x00", "").encode())
    for fmt in ("md", "html", "csv", "jsonl"):
        result = CliRunner().invoke(app, ["summarize", str(path), "--format", fmt, "-q"])
        assert result.exit_code == 0 and result.stdout, (fmt, result.output)


# -- the batch ------------------------------------------------------------------------------


def test_batch_every_bad_input_is_done_or_failed_with_its_reason(
    tmp_path: Path, fake: FakeOpenAI
) -> None:
    inputs = tmp_path / "in"
    inputs.mkdir()
    for case in CASES:
        (inputs / f"{case.name}.txt").write_bytes(case.data)
    # The same texts as JSONL objects (JSON cannot carry bytes: binary ones are left out),
    # plus a text that JSON escapes into half a surrogate pair, and a file whose name is not
    # UTF-8 (a surrogate-escaped str in Python, which SQLite cannot store as it is).
    in_jsonl = [
        c for c in CASES if isinstance(c.text, str) and c.name not in ("huge-20mb", "invalid-utf8")
    ]
    with (inputs / "feed.jsonl").open("w", encoding="utf-8") as feed:
        for case in in_jsonl:
            feed.write(json.dumps({"id": f"j-{case.name}", "text": case.text}) + "\n")
        feed.write('{"id": "j-surrogate", "text": "Le ministre a dit \\udcff oui."}\n')
        feed.write('{"id": "j-surrogate-title", "title": "\\ud800", "text": "' + FR + '"}\n')
    undecodable = os.path.join(os.fsencode(inputs), b"caf\xe9-binary.txt")
    with open(undecodable, "wb") as handle:
        handle.write(PNG)
    with open(os.path.join(os.fsencode(inputs), b"caf\xe9.txt"), "wb") as handle:
        handle.write(RU.encode())

    throttle = Throttle(4)
    summarizer = fake_summarizer(fake.base_url, throttle)
    started = time.monotonic()

    async def go() -> None:
        async with summarizer:
            with Store(tmp_path / "night.db") as store:
                await run_batch(
                    [inputs],
                    store,
                    summarizer,
                    BatchOptions(concurrency=4, out=tmp_path / "out.jsonl"),
                    throttle=throttle,
                )

    asyncio.run(asyncio.wait_for(go(), 60))
    assert time.monotonic() - started < 30
    lines = {
        line["id"]: line
        for line in map(json.loads, (tmp_path / "out.jsonl").read_text("utf-8").splitlines())
    }
    assert len(lines) == len(CASES) + len(in_jsonl) + 2 + 2  # files, objects, surrogates, names
    for case in CASES:
        for article_id in (f"{case.name}.txt", f"j-{case.name}"):
            if article_id not in lines:
                continue
            line = lines[article_id]
            from_file = article_id.endswith(".txt")
            error = case.cli_error if from_file and case.cli_error is not None else case.error
            if error:
                assert line["state"] == "failed", (article_id, line)
                assert line["error"]["type"] == "InputError" and error in line["error"]["message"]
            else:
                assert line["state"] == "done", (article_id, line)
                summary = ArticleSummary.model_validate(line["summary"])
                text = read_input(inputs / article_id).text if from_file else str(case.text)
                _grounded(summary, text)
    # An unreadable JSONL line is named by its place in the file.
    lone = [v for k, v in lines.items() if k.startswith(f"{inputs}/feed.jsonl:")]
    assert [v["state"] for v in lone] == ["failed", "failed"]
    assert all("lone surrogate" in v["error"]["message"] for v in lone)
    names = {k: v for k, v in lines.items() if k.startswith("caf")}
    assert {v["state"] for v in names.values()} == {"done", "failed"}, names
    assert set(names) == {"caf\\xe9.txt", "caf\\xe9-binary.txt"}  # the byte, escaped


def test_100k_one_line_articles_are_read_checked_and_keyed_in_bounded_time(
    tmp_path: Path,
) -> None:
    """The batch's input side at scale: 100,000 one-line articles streamed from JSONL, each
    checked and keyed as the runner does (a full run with a stub model is the memory test's
    20,000; 100,000 through the store took 59 s on 2 shared cores, too long for every run)."""
    n = 100_000
    path = tmp_path / "lines.jsonl"
    with path.open("w", encoding="utf-8") as handle:
        for i in range(n):
            line = f"Le maire numéro {i} a déclaré que la séance {i} est ouverte."
            handle.write(json.dumps({"id": f"l{i}", "text": line}) + "\n")
        handle.write('{"id": "bad", "text": ""}\n{oops\n')
    started = time.monotonic()
    keys, failed = set(), []
    for item in iter_items([path]):
        try:
            if item.error is not None:
                raise item.error
            assert item.article is not None
            text = check_text(normalise(item.article.text))
        except InputError as exc:
            failed.append((item.article_id, exc.message))
            continue
        keys.add(run_key(text, "f"))
    elapsed = time.monotonic() - started
    assert len(keys) == n  # every article read, distinct
    assert [f[0] for f in failed] == ["bad", f"{path}:{n + 2}"]
    assert "empty" in failed[0][1] and "not valid JSON" in failed[1][1]
    assert elapsed < 30, f"{elapsed:.1f} s for {n:,} articles"
