"""A night killed mid-article never pays twice, however the store is reached (issue 16).

End to end, ``summarizer batch`` as a subprocess against the fake server on 127.0.0.1:

* killed with ``kill -9`` once some questions of an article were answered, the rerun sends
  none of those requests again (their answers are in the store), and the night ends with the
  summaries an uninterrupted night writes, having paid for exactly as many requests;
* a second night on the same store file through a hard link or a symlink is refused with one
  line (a hard link has a folder and name of its own: a lock beside the path misses it);
* what a killed atomic write left next to ``--out`` and in ``--out-dir`` is swept by the next
  night, and a file that is not ours is left alone.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import time
from pathlib import Path
from typing import Any

import pytest

from summarizer.batch import Store
from tests.batch_support import article_text, batch_cli, run_night, write_jsonl
from tests.fakes.fake_openai import TIMEOUT, FakeOpenAI, FakeRequest

pytestmark = pytest.mark.block_network(allowed_hosts=["127.0.0.1", "localhost"])

ANSWERED = 1  # questions of the first article answered before the kill (it asks 2 to 4)
# One article, one question at a time: request N+1 is sent only once answer N was handled.
SERIAL = ["--concurrency", "1", "--quiet"]
SERIAL_ENV = {"SUMMARIZER_PARALLEL": "1", "SUMMARIZER_TIMEOUT": "60"}


class Bodies:
    """A fault picker that answers the first ``answered`` requests, leaves every later one
    unanswered (a ``timeout``: received, never billed) until ``release``, and logs bodies."""

    def __init__(self, answered: int | None = None) -> None:
        self.answered = answered
        self.paid: list[str] = []  # bodies of the requests answered, in order
        self.received = 0

    def __call__(self, _index: int, request: FakeRequest) -> str | None:
        self.received += 1
        if self.answered is not None and len(self.paid) >= self.answered:
            return TIMEOUT
        self.paid.append(json.dumps(dict(request.body), sort_keys=True))
        return None

    def release(self) -> None:
        self.answered = None


def _articles(path: Path, n: int) -> Path:
    with path.open("w", encoding="utf-8") as handle:
        for i in range(n):
            doc = {"id": f"a{i:04d}", "text": article_text(i), "language": "fr"}
            handle.write(json.dumps(doc, ensure_ascii=False) + "\n")
    return path


def _summaries(out: Path) -> dict[str, Any]:
    """Each article's summary as a reader sees it, but for its usage (what this run paid)."""
    found = {}
    for line in out.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        assert row["state"] == "done", row
        del row["summary"]["provenance"]["usage"]
        found[row["id"]] = row["summary"]
    return found


def _last_counts(db: Path) -> dict[str, Any]:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as con:
        (counts,) = con.execute("SELECT counts FROM runs ORDER BY id DESC LIMIT 1").fetchone()
    return dict(json.loads(counts))


def test_a_rerun_after_kill_9_mid_article_sends_no_answered_request_again(
    tmp_path: Path,
) -> None:
    inputs = _articles(tmp_path / "in.jsonl", 2)
    db, out = tmp_path / "night.db", tmp_path / "out.jsonl"
    argv = [str(inputs), "--store", str(db), "--out", str(out), *SERIAL]
    bodies = Bodies(answered=ANSWERED)
    with FakeOpenAI(faults=bodies) as fake:
        proc = batch_cli(argv, fake.base_url, **SERIAL_ENV)
        deadline = time.monotonic() + 60
        # Questions go one at a time: once request ANSWERED + 1 arrived, the client had every
        # earlier answer in hand (and, with the cache, committed).
        while bodies.received <= ANSWERED and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        assert proc.poll() is None, proc.communicate()[1]
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=30)
        assert not out.exists()  # killed mid-article: the night had not finished
        first_night = list(bodies.paid)
        assert len(first_night) == ANSWERED

        bodies.release()
        rerun = batch_cli(argv, fake.base_url, **SERIAL_ENV)
        _, stderr = rerun.communicate(timeout=120)
        assert rerun.returncode == 0, stderr
        resent = set(first_night) & set(bodies.paid[ANSWERED:])
        paid_over_both = len(bodies.paid)

        with FakeOpenAI() as fresh:  # the same night, never interrupted, on a store of its own
            whole_db, whole_out = tmp_path / "whole.db", tmp_path / "whole.jsonl"
            whole = batch_cli(
                [str(inputs), "--store", str(whole_db), "--out", str(whole_out), *SERIAL],
                fresh.base_url,
                **SERIAL_ENV,
            )
            _, stderr = whole.communicate(timeout=120)
            assert whole.returncode == 0, stderr
            paid_uninterrupted = fresh.requests
    assert not resent, f"{len(resent)} answered requests were sent again"
    assert _last_counts(db)["reused_requests"] == ANSWERED
    assert paid_over_both == paid_uninterrupted  # the kill cost nothing more
    assert _summaries(out) == _summaries(whole_out)


@pytest.mark.parametrize("link", ["hard link", "symlink"])
def test_a_second_night_through_another_name_of_the_store_is_refused(
    tmp_path: Path, link: str
) -> None:
    inputs = tmp_path / "in.jsonl"
    write_jsonl(inputs, 1)
    db = tmp_path / "night.db"
    with Store(db):
        pass  # the store file exists, as after a first night
    other = tmp_path / "elsewhere" / "other-name.db"
    other.parent.mkdir()
    if link == "hard link":
        os.link(db, other)
    else:
        other.symlink_to(db)
    with Store(db):  # a night at work on the store
        proc = batch_cli([str(inputs), "--store", str(other)], "http://127.0.0.1:9/v1")
        _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 7, stderr
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert lines[0].startswith("error (StoreBusy): another batch run is using")


def test_leftovers_of_a_killed_atomic_write_are_swept_and_nothing_else(tmp_path: Path) -> None:
    inputs = tmp_path / "in.jsonl"
    write_jsonl(inputs, 2)
    out, out_dir = tmp_path / "out.jsonl", tmp_path / "articles"
    out_dir.mkdir()
    ours = [  # what ``tempfile.mkstemp`` names for them (prefix ``.<name>.``, suffix ``.tmp``)
        tmp_path / ".out.jsonl.k3x_9qaz.tmp",
        out_dir / ".a000000.0123456789ab.json.m2p8w0e1.tmp",
    ]
    not_ours = [
        tmp_path / ".notes.tmp",
        tmp_path / "out.jsonl.tmp",
        tmp_path / ".other.jsonl.k3x_9qaz.tmp",  # another file's writer, not --out's
        out_dir / "draft.tmp",
        out_dir / ".a000000.json.backup.tmp",
    ]
    an_hour_ago = time.time() - 3600  # a night killed earlier
    for path in (*ours, *not_ours):
        path.write_text("half a file", encoding="utf-8")
        os.utime(path, (an_hour_ago, an_hour_ago))
    with FakeOpenAI() as fake:
        stats = run_night(fake.base_url, [inputs], tmp_path / "night.db", out=out, out_dir=out_dir)
    assert stats.done == 2
    assert [p.name for p in ours if p.exists()] == []
    assert [p.name for p in not_ours if not p.exists()] == []
    assert all(p.read_text(encoding="utf-8") == "half a file" for p in not_ours)
    assert stats.swept == len(ours)
