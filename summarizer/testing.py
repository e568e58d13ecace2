"""Helpers for tests and for re-recording cassettes against the embedded local model.

``python -m summarizer.testing record`` re-records every cassette: it runs the cassette tests
with ``--record-mode=rewrite`` and ``SUMMARIZER_RECORD=local``, so the tests start the embedded
llama.cpp server and every recorded answer is a real model answer. CI replays them with
``--record-mode=none --block-network``.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Article", "main", "read_article"]

REPLAY_BASE_URL = "http://127.0.0.1:9/v1"
"""Where replayed requests pretend to go; vcrpy answers them, nothing listens there."""


@dataclass(frozen=True)
class Article:
    text: str
    title: str | None
    published: dt.date | None


def read_article(path: Path) -> Article:
    """Read a test article: line 1 title; line 2 an ISO date when the file has one."""
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    published = None
    if len(lines) > 1:
        try:
            published = dt.date.fromisoformat(lines[1].strip())
        except ValueError:
            published = None
    return Article(text=text, title=lines[0].strip() if lines else None, published=published)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if not args or args[0] != "record":
        print("usage: python -m summarizer.testing record [pytest args...]", file=sys.stderr)
        return 2
    env = {**os.environ, "SUMMARIZER_RECORD": "local"}
    command = [sys.executable, "-m", "pytest", "-m", "cassette", "--record-mode=rewrite", *args[1:]]
    return subprocess.call(command, env=env)


if __name__ == "__main__":
    raise SystemExit(main())
