"""`summarize` in a pipeline: JSON lines streamed as each article is done, each naming its
input, failures as lines of their own; --out checked before anything is paid for.

The streaming test runs the real command in a subprocess against the fake endpoint, which
holds every request of the last article until the test has read the lines before it: if the
command printed nothing until the end, those lines would only come after the hold timed out.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import summarizer._cli._summarize as cli
from summarizer import ArticleSummary
from summarizer._cli import app
from summarizer._cli._exits import EXIT_INPUT
from tests.fakes.fake_openai import FakeOpenAI, FakeRequest

pytestmark = pytest.mark.block_network(allowed_hosts=["127.0.0.1", "localhost"])
ROOT = Path(__file__).resolve().parent.parent
HOLD_SECONDS = 60.0  # a hang guard only: the test releases the hold itself
FIRST = (
    "Le maire annonce un nouveau parc\n\n"
    "« Le parc ouvrira au printemps », a déclaré le maire, Paul Durand, lundi.\n"
    "L'opposition a dénoncé un projet trop coûteux.\n"
)
LAST = (
    "La région ferme une ligne de car\n\n"
    "« La ligne 12 transporte trop peu de voyageurs », a affirmé la présidente de la région, "
    "Anne Morel, mardi.\n"
    "Les usagers ont dénoncé une décision prise sans concertation.\n"
)


class _Hold:
    """The gate of the last article's requests; remembers whether it ever timed out."""

    def __init__(self) -> None:
        self.released = threading.Event()
        self.reached = threading.Event()
        self.timed_out = False

    def __call__(self, request: FakeRequest) -> _Hold | None:
        held = any("Anne Morel" in str(m.get("content")) for m in request.messages)
        if held:
            self.reached.set()
        return self if held else None

    def wait(self, timeout: float | None = None) -> bool:
        if not self.released.wait(timeout):
            self.timed_out = True
        return True


def _env(base_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "SUMMARIZER_"))}
    return {**env, "OPENAI_BASE_URL": base_url, "OPENAI_API_KEY": "sk-fake-pipeline"}


def test_jsonl_streams_each_article_as_it_is_done_with_its_source(tmp_path: Path) -> None:
    first, missing, last = tmp_path / "first.txt", tmp_path / "missing.txt", tmp_path / "last.txt"
    first.write_text(FIRST, encoding="utf-8")
    last.write_text(LAST, encoding="utf-8")
    hold = _Hold()
    with FakeOpenAI(hold=hold, hang_seconds=HOLD_SECONDS) as fake:
        command = [sys.executable, "-m", "summarizer", "summarize", "--format", "jsonl", "-q"]
        proc = subprocess.Popen(
            [*command, str(first), str(missing), str(last)],
            cwd=ROOT,
            env=_env(fake.base_url),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
        )
        try:
            assert proc.stdout is not None and proc.stderr is not None
            done = json.loads(proc.stdout.readline())
            failed = json.loads(proc.stdout.readline())
            # Both lines were read before the last article got any answer.
            assert hold.reached.wait(HOLD_SECONDS) and not hold.timed_out
            hold.released.set()
            after = json.loads(proc.stdout.readline())
            rest = proc.stdout.read()
            stderr = proc.stderr.read()
            code = proc.wait(timeout=HOLD_SECONDS)
        finally:
            hold.released.set()
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    assert code == EXIT_INPUT, stderr  # the failed input's code
    assert rest == "" and not hold.timed_out
    assert (done["source"], done["state"]) == (str(first), "done")
    assert ArticleSummary.model_validate(done["summary"]).article.title == FIRST.splitlines()[0]
    assert failed == {
        "source": str(missing),
        "state": "failed",
        "error": {"type": "InputError", "message": f"{missing}: no such file; check the path"},
    }
    assert (after["source"], after["state"]) == (str(last), "done")
    assert ArticleSummary.model_validate(after["summary"]).article.title == LAST.splitlines()[0]
    assert stderr.strip() == f"error (InputError): {missing}: no such file; check the path"


# --- the output format and path, decided before any model request ------------------------------

runner = CliRunner()


@pytest.fixture
def summarize_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Each text the command would send to the model (no model is called)."""
    calls: list[str] = []

    def summarize(text: str, **kwargs: Any) -> ArticleSummary:
        calls.append(text)
        raise AssertionError("no model request was expected")

    monkeypatch.setattr(cli, "summarize_text", summarize)
    return calls


@pytest.mark.parametrize("target", ["dir", "file/report.json"])
def test_an_unwritable_out_is_refused_before_the_first_request(
    tmp_path: Path, summarize_calls: list[str], target: str
) -> None:
    article = tmp_path / "a.txt"
    article.write_text(FIRST, encoding="utf-8")
    (tmp_path / "dir").mkdir()
    (tmp_path / "file").write_text("a file, not a folder", encoding="utf-8")
    out = tmp_path / target
    result = runner.invoke(app, ["summarize", str(article), "-f", "json", "-o", str(out)])
    assert result.exit_code == EXIT_INPUT and summarize_calls == []
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith(f"error (InputError): cannot write {out}: ")


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write anywhere")
def test_a_folder_without_write_permission_is_refused_before_the_first_request(
    tmp_path: Path, summarize_calls: list[str]
) -> None:
    article = tmp_path / "a.txt"
    article.write_text(FIRST, encoding="utf-8")
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o555)
    try:
        result = runner.invoke(app, ["summarize", str(article), "-o", str(locked / "s.json")])
    finally:
        locked.chmod(0o755)
    assert result.exit_code == EXIT_INPUT and summarize_calls == []
    assert "no permission to create files in" in result.stderr


def test_an_unknown_out_extension_without_format_is_a_usage_error(
    tmp_path: Path, summarize_calls: list[str]
) -> None:
    article = tmp_path / "a.txt"
    article.write_text(FIRST, encoding="utf-8")
    result = runner.invoke(app, ["summarize", str(article), "-o", str(tmp_path / "s.txt")])
    assert result.exit_code == 2 and summarize_calls == []
    assert "cannot tell the format from 's.txt'" in result.stderr
    assert not (tmp_path / "s.txt").exists()
