"""Articles and clients for the batch tests, benchmarks and reliability suite."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from summarizer import RetryPolicy, Summarizer
from summarizer.batch import BatchOptions, BatchStats, Store, Throttle, run_batch

ROOT = Path(__file__).resolve().parent.parent
_SPEAKERS = ("Jean Dupont", "Marie Curie", "Paul Martin", "Aïcha Benali", "Li Wei")


def store_sql(store: Path, sql: str, *args: object) -> list[tuple[Any, ...]]:
    """Run ``sql`` on the store file at ``store`` on a connection of the test's own (the store
    keeps its own connections to itself), commit, and return what it read."""
    with contextlib.closing(sqlite3.connect(store, timeout=30)) as db, db:
        return db.execute(sql, args).fetchall()


async def no_sleep(_seconds: float) -> None:
    return None


def article_text(i: int) -> str:
    """A short, distinct French article with a claim, a response and an event."""
    a, b = _SPEAKERS[i % len(_SPEAKERS)], _SPEAKERS[(i + 2) % len(_SPEAKERS)]
    return (
        f"Budget numéro {i} : le vote est reporté\n\n"
        f"Le ministre {a} a déclaré lundi que le budget numéro {i} sera voté avant mars. "
        f"« Nous n'avons vu aucune preuve de ces économies », a répondu {b} mardi. "
        f"Le Parlement se réunira le {1 + i % 28} février pour le vote."
    )


def write_jsonl(path: Path, n: int, *, start: int = 0) -> list[str]:
    """``n`` article objects in a JSONL file; returns their ids in order."""
    ids = []
    with path.open("w", encoding="utf-8") as handle:
        for i in range(start, start + n):
            ids.append(f"a{i:06d}")
            doc = {"id": ids[-1], "title": f"Budget {i}", "text": article_text(i)}
            handle.write(json.dumps(doc, ensure_ascii=False) + "\n")
    return ids


def fake_summarizer(base_url: str, throttle: Throttle | None = None, **kw: object) -> Summarizer:
    """A Summarizer for a fake endpoint: tools mode, no real waiting between retries."""
    options: dict[str, object] = {
        "backend": "openai",
        "base_url": base_url,
        "api_key": "sk-test-not-a-real-key",
        "mode": "tools",
        "timeout": 5.0,
        "retry": RetryPolicy(max_attempts=4, sleep=no_sleep),
        **kw,
    }
    return Summarizer(gate=throttle, **options)  # type: ignore[arg-type]


def run_night(
    base_url: str,
    sources: list[Path],
    db: Path,
    *,
    concurrency: int = 2,
    on_progress: Callable[[BatchStats], None] | None = None,
    **options: Any,
) -> BatchStats:
    """One batch run of ``sources`` into the store ``db`` against the fake at ``base_url``."""
    throttle = Throttle(concurrency)
    with Store(db) as store:
        return asyncio.run(
            run_batch(
                sources,
                store,
                fake_summarizer(base_url, throttle),
                BatchOptions(concurrency=concurrency, **options),
                throttle=throttle,
                on_progress=on_progress,
            )
        )


def batch_cli(args: list[str], base_url: str, **env: str) -> subprocess.Popen[str]:
    """``summarizer batch ARGS`` as a child process against the endpoint at ``base_url``
    (what a cron job runs: it can be killed with ``kill -9``); ``env`` adds settings."""
    return subprocess.Popen(
        [sys.executable, "-m", "summarizer", "batch", *args],
        env={
            **os.environ,
            "OPENAI_BASE_URL": base_url,
            "OPENAI_API_KEY": "sk-test-not-a-real-key",
            "SUMMARIZER_TIMEOUT": "5",
            "PYTHONPATH": str(ROOT),
            **env,
        },
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
