"""Stores and outputs in folders that cannot be written (issue 16, item 11).

A store in a read-only folder, or an unwritable ``batch --out``, gave a traceback; ``report``
could not open a store in a read-only folder (WAL needs ``-shm``). The commands run in a child
process without the capabilities that let root write anywhere (``CAP_DAC_OVERRIDE``,
``CAP_DAC_READ_SEARCH``, dropped from its bounding set), so the folders' modes are what the
kernel enforces whoever runs the suite.
"""

from __future__ import annotations

import ctypes
import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from summarizer._cli._exits import EXIT_UNWRITABLE
from tests.batch_support import run_night, write_jsonl
from tests.fakes.fake_openai import FakeOpenAI
from tests.reliability.support import closed_port

pytestmark = pytest.mark.block_network(allowed_hosts=["127.0.0.1", "localhost"])

ROOT = Path(__file__).resolve().parents[2]


_PR_CAPBSET_DROP, _CAP_DAC_OVERRIDE, _CAP_DAC_READ_SEARCH = 24, 1, 2


def _drop() -> None:
    """In the child, before exec: as root, give up overriding file modes for good."""
    if os.geteuid() != 0:
        return
    libc = ctypes.CDLL(None, use_errno=True)
    for cap in (_CAP_DAC_OVERRIDE, _CAP_DAC_READ_SEARCH):
        if libc.prctl(_PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


@pytest.fixture
def place(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path
    for sub in tmp_path.rglob("*"):  # let pytest remove what was made read-only
        if sub.is_dir() and not sub.is_symlink():
            sub.chmod(0o755)


def _cli(*argv: str, base_url: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHONPATH": str(ROOT),
        "PYTHONDONTWRITEBYTECODE": "1",
        "HOME": "/nonexistent",
        "OPENAI_API_KEY": "sk-test-not-a-real-key",
        "OPENAI_BASE_URL": base_url or f"http://127.0.0.1:{closed_port()}/v1",
        "SUMMARIZER_MAX_REASKS": "0",
    }
    return subprocess.run(
        [sys.executable, "-m", "summarizer", *argv],
        capture_output=True,
        text=True,
        env=env,
        cwd=str(ROOT),
        timeout=120,
        preexec_fn=_drop,
        check=False,
    )


def _one_error_line(done: subprocess.CompletedProcess[str]) -> str:
    assert "Traceback" not in done.stderr, done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("error")]
    assert len(errors) == 1, done.stderr
    return errors[0]


def _night_in(folder: Path, fake: FakeOpenAI, n: int = 3) -> Path:
    folder.mkdir(mode=0o755)
    inputs = folder / "in.jsonl"
    write_jsonl(inputs, n)
    inputs.chmod(0o644)
    db = folder / "night.db"
    run_night(fake.base_url, [inputs], db)
    for made in folder.iterdir():
        made.chmod(0o644)
    return db


def test_a_store_in_a_read_only_folder_is_one_line_and_exit_8(place: Path) -> None:
    with FakeOpenAI() as fake:
        db = _night_in(place / "shared", fake)
        (place / "shared").chmod(0o555)
        sent = fake.requests
        argv = ["batch", str(place / "shared" / "in.jsonl"), "--store", str(db), "--quiet"]
        done = _cli(*argv, base_url=fake.base_url)
        assert fake.requests == sent  # nothing paid for a night that could not be kept
    assert done.returncode == EXIT_UNWRITABLE, done.stderr
    line = _one_error_line(done)
    assert f"cannot write the batch store {db}" in line


def test_an_unwritable_out_is_refused_before_the_first_request(place: Path) -> None:
    (place / "work").mkdir(mode=0o777)
    (place / "work").chmod(0o777)
    (place / "locked").mkdir(mode=0o555)
    (place / "locked").chmod(0o555)
    inputs = place / "in.jsonl"
    write_jsonl(inputs, 2)
    inputs.chmod(0o644)
    with FakeOpenAI() as fake:
        argv = ["batch", str(inputs), "--store", str(place / "work" / "night.db")]
        done = _cli(*argv, "--out", str(place / "locked" / "night.jsonl"), base_url=fake.base_url)
        assert fake.requests == 0
    assert done.returncode == EXIT_UNWRITABLE, done.stderr
    assert "locked" in _one_error_line(done)


def test_report_reads_a_store_in_a_read_only_folder(place: Path) -> None:
    with FakeOpenAI() as fake:
        db = _night_in(place / "shared", fake)
    (place / "shared").chmod(0o555)
    done = _cli("report", str(db), "--format", "json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["counts"]["done"] == 3


def test_report_reads_the_commits_still_in_the_wal_of_a_read_only_folder(place: Path) -> None:
    with FakeOpenAI() as fake:
        db = _night_in(place / "shared", fake)
    # A writer killed before its checkpoint leaves its last commits in the -wal file only.
    script = (
        "import os, sqlite3, sys\n"
        "db = sqlite3.connect(sys.argv[1])\n"
        "db.execute('PRAGMA wal_autocheckpoint=0')\n"
        "db.execute(\"UPDATE articles SET state = 'failed', error_type = 'Killed'\")\n"
        "db.commit()\n"
        "os._exit(0)\n"
    )
    subprocess.run([sys.executable, "-c", script, str(db)], check=True, timeout=60)
    wal = db.with_name(db.name + "-wal")
    assert wal.stat().st_size > 0
    # Copied to a share with its -wal but not the -shm index (SQLite rebuilds that from the WAL,
    # but only where it may write it).
    db.with_name(db.name + "-shm").unlink(missing_ok=True)
    for made in db.parent.iterdir():
        made.chmod(0o644)
    (place / "shared").chmod(0o555)
    done = _cli("report", str(db), "--format", "json")
    assert done.returncode == 0, done.stderr
    assert "Killed" in done.stdout  # the commit that only the WAL holds
    with sqlite3.connect(f"{db.absolute().as_uri()}?mode=ro&immutable=1", uri=True) as raw:
        main_only = raw.execute("SELECT count(*) FROM articles WHERE state = 'failed'")
        assert main_only.fetchone()[0] == 0  # it is not in the main file: the WAL was read
