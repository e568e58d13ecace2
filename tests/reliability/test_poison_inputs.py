"""Poison inputs among good ones: each is that input's failure with its reason, never the end
of the command or the night, never a hang, never unbounded memory.

The commands run in a subprocess with a hang guard and an address-space limit, so that the
old behaviour (a FIFO read that blocks for ever, ``/dev/zero`` read to the end) fails the
test instead of hanging or exhausting the machine.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from typer.testing import CliRunner

import summarizer._cli._summarize as cli
from summarizer import ArticleSummary, InputError
from summarizer._cli import app
from summarizer._fetch import read_input
from summarizer.batch import iter_items
from summarizer.models import ArticleMeta
from tests.batch_support import article_text
from tests.fakes.fake_openai import FakeOpenAI
from tests.test_cli_url import _summary as empty_summary

pytestmark = pytest.mark.block_network(allowed_hosts=["127.0.0.1", "localhost"])

ROOT = Path(__file__).resolve().parents[2]
NESTED = "[" * 100_000
BIG_NUMBER = '{"text": "Le ministre a dit oui.", "n": ' + "9" * 5000 + "}"
HANG_GUARD = 120  # seconds; a run that blocks on a FIFO never ends
MEMORY_CAP = 2 << 30  # address space of the subprocess: /dev/zero read whole would exceed it


def _limit_memory() -> None:  # pragma: no cover - runs in the child
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))


def _command(args: list[str], base_url: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "OPENAI_BASE_URL": base_url,
        "OPENAI_API_KEY": "sk-test-not-a-real-key",
        "SUMMARIZER_TIMEOUT": "5",
        "PYTHONPATH": str(ROOT),
    }
    return subprocess.run(
        [sys.executable, "-m", "summarizer", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=HANG_GUARD,
        preexec_fn=_limit_memory,
        check=False,
    )


@pytest.fixture(scope="module")
def fake() -> FakeOpenAI:
    with FakeOpenAI() as server:
        yield server  # type: ignore[misc]


# -- item 3: JSON with depth and number limits --------------------------------------------------


@pytest.mark.parametrize(
    ("content", "reason"),
    [(NESTED, "nested deeper than 64 levels"), (BIG_NUMBER, "JSON number of 5,000 characters")],
    ids=["nested", "5000-digits"],
)
def test_a_poison_json_file_is_an_input_error(tmp_path: Path, content: str, reason: str) -> None:
    path = tmp_path / "poison.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InputError, match=reason):
        read_input(path)


def test_poison_jsonl_lines_fail_alone(tmp_path: Path) -> None:
    feed = tmp_path / "feed.jsonl"
    good = json.dumps({"id": "good", "text": article_text(1)})
    feed.write_text("\n".join([NESTED, BIG_NUMBER, '{"id": ' + "1" * 5000 + "}", good]) + "\n")
    items = list(iter_items([feed]))
    assert [i.article_id for i in items] == [f"{feed}:1", f"{feed}:2", f"{feed}:3", "good"]
    assert [i.error is None for i in items] == [False, False, False, True]
    assert "nested deeper" in items[0].error.message  # type: ignore[union-attr]
    assert "JSON number" in items[1].error.message  # type: ignore[union-attr]


def test_an_unexpected_parser_exception_is_that_files_failure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A parser bug met by one page (here: RecursionError from the HTML reader)."""

    def broken(*_args: object, **_kwargs: object) -> object:
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr("summarizer._fetch.extract_article", broken)
    page = tmp_path / "page.html"
    page.write_text("<html><body><p>Le ministre a dit oui.</p></body></html>")
    with pytest.raises(InputError, match=r"page.html: cannot be parsed \(RecursionError"):
        read_input(page)
    (item,) = iter_items([page])
    assert item.error is not None and "RecursionError" in item.error.message


# -- item 4: regular files only, read with bounds that do not trust st_size ---------------------


def _specials(folder: Path) -> dict[str, str]:
    """A FIFO and a link to /dev/zero, named like articles; returns name -> expected reason."""
    os.mkfifo(folder / "pipe.txt")
    (folder / "zero.txt").symlink_to("/dev/zero")
    os.mkfifo(folder / "pipe.jsonl")
    return {
        "pipe.txt": "is a FIFO (named pipe), not a regular file",
        "zero.txt": "is a character device, not a regular file",
        "pipe.jsonl": "is a FIFO (named pipe), not a regular file",
    }


def _guarded(call: Callable[[], object]) -> object:
    """``call()``'s result or exception, in a daemon thread: a read that blocks for ever fails
    the test instead of hanging it."""
    outcome: list[object] = []

    def run() -> None:
        try:
            outcome.append(call())
        except Exception as exc:
            outcome.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(HANG_GUARD / 4)
    assert outcome, "the read blocked"
    return outcome[0]


def test_special_files_are_refused_without_reading_them(tmp_path: Path) -> None:
    """In-process: the FIFOs only (``/dev/zero`` is read by the subprocess tests below, which
    cap the memory that reading it whole would take)."""
    expected = _specials(tmp_path)
    error = _guarded(lambda: read_input(tmp_path / "pipe.txt"))
    assert isinstance(error, InputError) and expected["pipe.txt"] in error.message
    items = _guarded(lambda: list(iter_items([tmp_path / "pipe.jsonl"])))
    assert isinstance(items, list) and len(items) == 1
    assert items[0].error is not None and expected["pipe.jsonl"] in items[0].error.message


def test_a_file_that_grows_past_its_st_size_is_still_capped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The cap is on the bytes read, not on what stat said (``/proc`` files say 0)."""
    monkeypatch.setattr("summarizer._fetch.MAX_FILE_BYTES", 1000)
    path = Path("/proc/self/maps")  # a regular file whose st_size is 0
    assert path.stat().st_size == 0
    with pytest.raises(InputError, match="over the limit of 1,000 bytes"):
        read_input(path)


def test_summarize_goes_on_past_poison_and_special_inputs(tmp_path: Path, fake: FakeOpenAI) -> None:
    expected = _specials(tmp_path)
    (tmp_path / "nested.json").write_text(NESTED)
    (tmp_path / "digits.json").write_text(BIG_NUMBER)
    good = tmp_path / "good.txt"
    good.write_text(article_text(3), encoding="utf-8")
    names = ["pipe.txt", "zero.txt", "nested.json", "digits.json", "good.txt"]
    result = _command(
        ["summarize", *(str(tmp_path / n) for n in names), "--format", "json"], fake.base_url
    )
    assert "Traceback" not in result.stderr, result.stderr
    assert result.returncode == 3, result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error")]
    assert len(errors) == 4, result.stderr  # one line per poison input
    for name, line in zip(names, errors, strict=False):
        assert line.startswith(f"error (InputError): {tmp_path / name}"), line
    assert expected["pipe.txt"] in errors[0] and expected["zero.txt"] in errors[1]
    assert "nested deeper" in errors[2] and "JSON number" in errors[3]
    (summary,) = json.loads(result.stdout)
    assert summary["article"]["title"] == article_text(3).splitlines()[0]


def test_the_night_goes_on_past_poison_and_special_inputs(tmp_path: Path, fake: FakeOpenAI) -> None:
    inputs = tmp_path / "in"
    inputs.mkdir()
    expected = _specials(inputs)
    (inputs / "nested.json").write_text(NESTED)
    (inputs / "digits.json").write_text(BIG_NUMBER)
    with (inputs / "feed.jsonl").open("w", encoding="utf-8") as feed:
        feed.write(NESTED + "\n" + BIG_NUMBER + "\n")
        for i in range(3):
            feed.write(json.dumps({"id": f"a{i}", "text": article_text(i)}) + "\n")
    out = tmp_path / "out.jsonl"
    result = _command(
        ["batch", str(inputs), "--store", str(tmp_path / "night.db"), "--out", str(out)],
        fake.base_url,
    )
    assert "Traceback" not in result.stderr, result.stderr
    lines = {line["id"]: line for line in map(json.loads, out.read_text().splitlines())}
    done = sorted(k for k, v in lines.items() if v["state"] == "done")
    assert done == ["a0", "a1", "a2"]
    failed = {k: v["error"]["message"] for k, v in lines.items() if v["state"] == "failed"}
    assert len(failed) == 7, failed
    for name, reason in expected.items():
        key = str(inputs / name) if name.endswith(".jsonl") else name
        assert reason in failed[key], failed
    assert "nested deeper" in failed["nested.json"]
    assert "JSON number" in failed["digits.json"]
    assert "nested deeper" in failed[f"{inputs}/feed.jsonl:1"]
    assert "JSON number" in failed[f"{inputs}/feed.jsonl:2"]


# -- item 7: rendering fails per input; no lone surrogate reaches a writer ----------------------


def _stub_summary(text: str, **kwargs: Any) -> ArticleSummary:
    """What the library returns for ``text`` (no model: the output side is under test)."""
    empty = empty_summary(text)
    meta = ArticleMeta(**{**empty.article.model_dump(), "title": kwargs.get("title")})
    return empty.model_copy(update={"article": meta})


UTF7_PAGE = (
    b"<html><head><title>Un titre +2AA- cass\xc3\xa9</title></head><body><article>"
    b"<p>Le ministre Jean Dupont a d\xc3\xa9clar\xc3\xa9 lundi que le budget sera vot\xc3\xa9 "
    b"avant mars, selon un communiqu\xc3\xa9 publi\xc3\xa9 dans la soir\xc3\xa9e.</p>"
    b"</article></body></html>"
)


def test_a_lone_surrogate_from_a_declared_charset_never_reaches_the_writers(
    tmp_path: Path, httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """utf-7 decodes ``+2AA-`` to U+D800, which no UTF-8 writer accepts; before, the whole
    output was lost with a traceback, the other input's finished summary with it."""
    monkeypatch.setattr(cli, "summarize_text", _stub_summary)
    httpserver.expect_request("/a").respond_with_data(
        UTF7_PAGE, content_type="text/html; charset=utf-7"
    )
    good = tmp_path / "good.txt"
    good.write_text(article_text(2), encoding="utf-8")
    for fmt in ("json", "md", "html", "csv", "jsonl"):
        out = tmp_path / f"out.{fmt}"
        args = ["summarize", httpserver.url_for("/a"), str(good), "--allow-private", "-q"]
        result = CliRunner().invoke(app, [*args, "--format", fmt, "--out", str(out)])
        assert result.exit_code == 0, (fmt, result.output, result.exception)
        written = out.read_text(encoding="utf-8")
        if fmt != "csv":  # CSV has a row per claim, and the stub summaries have none
            assert "Un titre" in written and article_text(2).splitlines()[0] in written
    meta = ArticleMeta(title="a\ud800b", language="fr", sha256="0" * 64, chars=1)
    assert meta.title == "a\ufffdb" and "\\ud800" not in meta.model_dump_json()


def test_a_summary_that_cannot_be_rendered_fails_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Any exception of a renderer is that input's failure: one error line, the others'
    summaries are still written."""
    monkeypatch.setattr(cli, "summarize_text", _stub_summary)
    real = cli.to_markdown

    def fragile(summary: ArticleSummary) -> str:
        if summary.article.title == "Poison":
            raise ValueError("cannot render this one")
        return real(summary)

    monkeypatch.setattr(cli, "to_markdown", fragile)
    paths = []
    for name, title in (("a.txt", "Bon début"), ("b.txt", "Poison"), ("c.txt", "Bonne fin")):
        paths.append(tmp_path / name)
        paths[-1].write_text(f"{title}\n\nLe ministre a déclaré que le budget sera voté.")
    result = CliRunner().invoke(app, ["summarize", *map(str, paths), "--format", "md", "-q"])
    assert result.exit_code == 5, result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("error")]
    assert errors == [
        f"error (OutputError): {paths[1]}: the summary cannot be written as md (ValueError: "
        "cannot render this one)"
    ]
    assert "# Bon début" in result.stdout and "# Bonne fin" in result.stdout
