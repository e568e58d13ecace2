"""An honest progress bar: its total is the number of inputs (not the read-ahead queue), the
ETA comes from the rate, and nothing on stderr is coloured when it is piped."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from summarizer._cli._batch import _line, _Reporter
from summarizer.batch import BatchStats
from summarizer.batch._inputs import count_items, iter_items
from tests.batch_support import article_text, run_night, write_jsonl
from tests.fakes.fake_openai import FakeOpenAI

pytestmark = pytest.mark.block_network(allowed_hosts=["127.0.0.1", "localhost"])

ROOT = Path(__file__).resolve().parent.parent


def _tree(root: Path) -> None:
    (root / "a" / "b").mkdir(parents=True)
    (root / "a" / "one.txt").write_text(article_text(1), encoding="utf-8")
    (root / "a" / "b" / "two.md").write_text(article_text(2), encoding="utf-8")
    (root / "a" / "b" / "empty.txt").write_text("", encoding="utf-8")  # a failed item
    (root / "a" / "README.md").write_text("not news", encoding="utf-8")  # excluded
    (root / "a" / ".hidden.txt").write_text(article_text(3), encoding="utf-8")
    (root / "a" / "notes.csv").write_text("x", encoding="utf-8")  # no pattern matches
    write_jsonl(root / "a" / "night.jsonl", 5)
    with (root / "a" / "night.jsonl").open("a", encoding="utf-8") as handle:
        handle.write("\n   \n{oops\n")  # blank lines are not items; a bad line is one
    (root / "single.txt").write_text(article_text(4), encoding="utf-8")


def test_the_inputs_are_counted_as_the_run_will_read_them(tmp_path: Path) -> None:
    _tree(tmp_path)
    sources = [tmp_path / "a", tmp_path / "single.txt", tmp_path / "missing.txt"]
    items = list(iter_items(sources))
    assert len(items) == 11  # 3 files (one empty) + 5 lines + 1 bad line + named + missing
    assert count_items(sources) == len(items)


def test_the_total_is_the_inputs_while_the_night_runs(tmp_path: Path) -> None:
    n = 40
    write_jsonl(tmp_path / "night.jsonl", n)
    seen: list[tuple[int | None, int, bool]] = []

    def progress(stats: BatchStats) -> None:
        seen.append((stats.total, stats.accounted, stats.finished))

    with FakeOpenAI(latency=0.02, slots=2) as fake:  # a read-ahead queue of 4: the old total
        stats = run_night(
            fake.base_url, [tmp_path / "night.jsonl"], tmp_path / "night.db", on_progress=progress
        )
    assert stats.total == n and stats.accounted == n
    assert {total for total, _, _ in seen} <= {None, n}
    # known long before the end: the bar at 10/40 is at 25 %, not at 10/14
    assert any(total == n and done < n // 2 for total, done, _ in seen), seen[:20]
    assert seen[-1] == (n, n, True)


def _stats(total: int | None, done: int, skipped: int, elapsed: float) -> BatchStats:
    stats = BatchStats(total=total, done=done, skipped_done=skipped)
    stats.started = time.monotonic() - elapsed
    return stats


def test_the_line_gives_inputs_and_an_eta_from_the_rate() -> None:
    line = _line(_stats(100, 37, 0, 74.0))  # 0.5 article/s, 63 inputs left
    assert line.startswith("37/100 inputs · done 37")
    assert "ETA 2 min 06 s" in line and "30.0/min" in line
    assert "ETA" not in _line(_stats(100, 40, 60, 10.0))  # nothing left
    counting = _line(_stats(None, 3, 0, 6.0))
    assert counting.startswith("3 of ? inputs (counting)") and "ETA" not in counting


def test_the_bar_is_indeterminate_then_counts_inputs(monkeypatch: pytest.MonkeyPatch) -> None:
    reporter = _Reporter(quiet=False)
    reporter.tty = True
    with reporter:
        assert reporter.bar is not None
        reporter(_stats(None, 2, 0, 1.0))
        task = reporter.bar.tasks[0]
        assert task.total is None and task.completed == 2
        reporter(_stats(100, 37, 3, 10.0))
        task = reporter.bar.tasks[0]
        assert (task.total, task.completed) == (100, 40)


def test_piped_stderr_has_no_colour_and_ends_at_the_input_count(tmp_path: Path) -> None:
    write_jsonl(tmp_path / "night.jsonl", 6)
    with (tmp_path / "night.jsonl").open("a", encoding="utf-8") as handle:
        handle.write("{oops\n")
    env = {
        **os.environ,
        "OPENAI_API_KEY": "sk-test-not-a-real-key",
        "SUMMARIZER_TIMEOUT": "5",
        "PYTHONPATH": str(ROOT),
        "TERM": "xterm-256color",
    }
    env.pop("NO_COLOR", None)
    env.pop("FORCE_COLOR", None)
    with FakeOpenAI() as fake:
        env["OPENAI_BASE_URL"] = fake.base_url
        args = [str(tmp_path / "night.jsonl"), "--store", str(tmp_path / "night.db")]
        done = subprocess.run(
            [sys.executable, "-m", "summarizer", "batch", *args, "--max-failed", "0.1"],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    assert done.returncode == 6, done.stderr  # 1 of 7 failed: over --max-failed 10 %
    assert "\x1b[" not in done.stderr
    assert "7/7 inputs · done 6 · failed 1" in done.stderr
    assert "error (TooManyFailed)" in done.stderr
