"""Helpers for tests and for re-recording cassettes against the embedded local model.

:class:`FunctionModel` answers a :class:`~summarizer.client.ModelClient`'s questions with a
Python function (``ModelClient(settings, model=FunctionModel(answer))``): canned answers
without an HTTP server.

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
from summarizer._model import FunctionModel

__all__ = ["REPLAY_BASE_URL", "FunctionModel", "cassette_base_url", "main", "read_article"]

REPLAY_BASE_URL = "http://127.0.0.1:9/v1"
"""Where replayed requests pretend to go; vcrpy answers them, nothing listens there."""


def cassette_base_url() -> str:
    """Where a cassette test sends its requests: nowhere when replaying; when recording, the
    embedded model's server, started here, or the one already running at
    ``SUMMARIZER_RECORD_URL`` (two llama.cpp servers on one machine slow each other
    ninefold, so a recording can share the server of an evaluation)."""
    if os.environ.get("SUMMARIZER_RECORD") != "local":
        return REPLAY_BASE_URL
    running = os.environ.get("SUMMARIZER_RECORD_URL")
    if running:
        return running
    from summarizer.local import get_server

    return get_server().base_url


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
