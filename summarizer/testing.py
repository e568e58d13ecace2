"""Helpers for tests and for re-recording cassettes against the embedded local model.

``python -m summarizer.testing record`` re-records every cassette: it runs the cassette tests
with ``--record-mode=rewrite`` and ``SUMMARIZER_RECORD=local``, so the tests start the embedded
llama.cpp server and every recorded answer is a real model answer. CI replays them with
``--record-mode=none --block-network``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from summarizer._fetch import ArticleInput, plain_article

__all__ = ["REPLAY_BASE_URL", "main", "read_article"]

REPLAY_BASE_URL = "http://127.0.0.1:9/v1"
"""Where replayed requests pretend to go; vcrpy answers them, nothing listens there."""


def read_article(path: Path) -> ArticleInput:
    """Read a test article the way the CLI reads a .txt file."""
    return plain_article(path.read_text(encoding="utf-8"))


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
