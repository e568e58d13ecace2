"""Kept for ``summarizer`` scripts installed before the command line moved to
:mod:`summarizer._cli` (their entry point names ``summarizer.cli:main``)."""

from summarizer._cli import app, main

__all__ = ["app", "main"]
