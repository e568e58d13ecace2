"""The batch store survives kill -9 in the middle of its writes, and refuses what is not its own.

tests/test_batch.py kills whole batch runs and reruns them; tests/test_batch_store.py covers
the lock, a foreign SQLite file, garbage and a scribbled page. Here: a process writing as fast
as the store lets it (sixteen writers through the group-commit thread) is killed at random
moments, again and again on the same file; after each kill the file passes SQLite's integrity
check and holds every article the process had been told was committed. And: the commit
settings the claim rests on (WAL, synchronous FULL), a truncated file, a store from a newer
version, a garbage WAL beside a good store, and the command line's message for each.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from summarizer._cli import app
from summarizer.batch import Store, StoreError
from summarizer.models import Usage

ROOT = Path(__file__).resolve().parent.parent.parent
ROUNDS = 6
ROWS = 60  # of the good store: a few pages of results

# Sixteen coroutines write articles (start, then finish with a 2 kB result) as fast as the
# store allows; each prints an article's number once finish() has returned, i.e. committed.
WRITER = """
import asyncio, json, sys
from summarizer.batch import Store
from summarizer.models import Usage

path, base = sys.argv[1], int(sys.argv[2])

def meta(key):
    return {"article_id": key, "source": key, "text_sha256": key, "title": None, "url": None,
            "published": None, "language": None, "model": "m", "prompt_version": "p",
            "schema_hash": "s"}

async def writer(store, run, lane):
    n = 0
    while True:
        number = base + lane * 100_000 + n
        key = f"k{number:09d}"
        await store.astart(key, meta(key), run)
        result = json.dumps({"n": number, "pad": "x" * 2000})
        await store.afinish(key, usage=Usage(prompt_tokens=number, requests=1), result=result)
        print(number, flush=True)
        n += 1

async def main():
    with Store(path) as store:
        run = store.begin_run(model="m", prompt_version="p", schema_hash="s", settings={})
        print("ready", flush=True)
        await asyncio.gather(*(writer(store, run, lane) for lane in range(16)))

asyncio.run(main())
"""


def _kill_at_random(path: Path, base: int, rng: random.Random) -> list[int]:
    """Start a writer, let it commit for a random while, kill -9; the numbers it reported."""
    proc = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(path), str(base)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert proc.stdout is not None
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(proc.stdout or []), daemon=True)
    reader.start()
    deadline = time.monotonic() + 30
    while "ready\n" not in lines and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
    time.sleep(rng.uniform(0.05, 0.6))  # somewhere in the middle of the writes
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    reader.join(timeout=10)
    assert proc.returncode == -signal.SIGKILL
    return [int(line) for line in lines if line.strip().isdigit()]


def test_kill_9_during_writes_keeps_the_file_whole_and_every_commit(tmp_path: Path) -> None:
    path = tmp_path / "night.db"
    rng = random.Random(7)
    committed: list[int] = []
    for round_ in range(ROUNDS):
        reported = _kill_at_random(path, round_ * 10_000_000, rng)
        assert reported, "the writer committed nothing before the kill"
        committed += reported
        # SQLite's own verdict on the file, with the WAL the killed process left behind.
        with sqlite3.connect(path) as db:
            assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            rows = dict(
                db.execute("SELECT key, result FROM articles WHERE state = 'done'").fetchall()
            )
        for number in committed:
            result = rows.get(f"k{number:09d}")
            assert result is not None, f"article {number} was committed, then lost"
            assert json.loads(result)["n"] == number
        # The store opens again (lock released by the kernel, quick_check passes) and counts.
        with Store(path) as store:
            counts = store.counts()
        assert counts["done"] >= len(set(committed))
        assert counts["pending"] <= 16 * (round_ + 1)  # at most what was in flight at a kill
    print(f"{ROUNDS} kills, {len(committed):,} commits reported, none lost")


def test_commits_are_wal_and_synchronous_full(tmp_path: Path) -> None:
    """The claim 'a commit survives a crash' rests on these two settings."""
    with Store(tmp_path / "s.db") as store:
        run = store.begin_run(model="m", prompt_version="p", schema_hash="s", settings={})
        store.finish_run(run, {})
        writer = store._writer  # the connection that commits
        assert writer is not None
        assert writer._db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
        assert writer._db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def _meta(key: str) -> dict[str, str | None]:
    return {
        "article_id": key,
        "source": key,
        "text_sha256": key,
        "title": None,
        "url": None,
        "published": None,
        "language": None,
        "model": "m",
        "prompt_version": "p",
        "schema_hash": "s",
    }


@pytest.fixture
def good_store(tmp_path: Path) -> Path:
    path = tmp_path / "good.db"
    with Store(path) as store:
        run = store.begin_run(model="m", prompt_version="p", schema_hash="s", settings={})
        for i in range(ROWS):
            store.start(f"k{i}", _meta(f"k{i}"), run)
            store.finish(f"k{i}", usage=Usage(), result=json.dumps({"n": i, "pad": "y" * 1500}))
    return path


def test_a_truncated_store_is_refused_and_left_as_it_is(good_store: Path) -> None:
    data = good_store.read_bytes()
    good_store.write_bytes(data[: len(data) // 2])
    before = good_store.read_bytes()
    with pytest.raises(StoreError, match=r"corrupted|damaged") as refused:
        Store(good_store).open()
    assert "left untouched" in refused.value.message
    assert good_store.read_bytes() == before


def test_a_store_of_a_newer_version_is_refused_without_losing_a_row(good_store: Path) -> None:
    with sqlite3.connect(good_store) as db:
        db.execute("PRAGMA user_version = 99")
    with pytest.raises(StoreError, match="newer summarizer"):
        Store(good_store).open()
    with sqlite3.connect(good_store) as db:
        assert db.execute("SELECT count(*) FROM articles").fetchone()[0] == ROWS


def test_a_garbage_wal_beside_a_good_store_loses_no_committed_row(good_store: Path) -> None:
    wal = good_store.with_name(good_store.name + "-wal")
    wal.write_bytes(random.Random(1).randbytes(64 * 1024))
    with Store(good_store) as store:
        assert store.counts()["done"] == ROWS
    with sqlite3.connect(good_store) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


@pytest.mark.parametrize("kind", ["foreign", "garbage", "truncated", "directory", "newer"])
def test_the_batch_command_says_what_is_wrong_with_the_store_in_one_line(
    tmp_path: Path, good_store: Path, kind: str
) -> None:
    store = tmp_path / f"{kind}.db"
    if kind == "foreign":
        with sqlite3.connect(store) as db:
            db.execute("CREATE TABLE invoices (amount)")
            db.execute("INSERT INTO invoices VALUES (42)")
    elif kind == "garbage":
        store.write_bytes(b"%PDF-1.7 not a database\n" * 400)
    elif kind == "truncated":
        store.write_bytes(good_store.read_bytes()[:5000])
    elif kind == "directory":
        store.mkdir()
    else:
        shutil.copy(good_store, store)
        with sqlite3.connect(store) as db:
            db.execute("PRAGMA user_version = 99")
    before = None if store.is_dir() else store.read_bytes()
    feed = tmp_path / "in.jsonl"
    feed.write_text('{"id": "a", "text": "Le ministre a dit oui."}\n', encoding="utf-8")
    result = CliRunner().invoke(
        app, ["batch", str(feed), "--store", str(store), "--base-url", "http://127.0.0.1:9/v1"]
    )
    assert result.exit_code == 4, result.output
    errors = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(errors) == 1 and errors[0].startswith("error (StoreError):"), result.stderr
    assert str(store) in errors[0] and "Traceback" not in result.output
    if kind in ("foreign", "garbage", "truncated"):
        assert store.read_bytes() == before  # a file that is not ours is never written
