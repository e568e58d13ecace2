"""Checks on an output path, made before any model request: a run must not pay for summaries
it then cannot write."""

from __future__ import annotations

import os
from pathlib import Path

from summarizer.exceptions import InputError

__all__ = ["check_writable"]


def check_writable(path: Path) -> None:
    """Raise :class:`InputError` when ``path`` cannot be written atomically.

    The atomic writers create missing parent folders and rename a temporary file over
    ``path``, so what matters is the nearest folder that exists: it must be a folder we may
    create files in. ``path`` itself must not be a folder."""
    if path.is_dir():
        raise InputError(f"cannot write {path}: it is a directory; give a file name")
    folder = path.absolute().parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if not folder.is_dir():
        raise InputError(f"cannot write {path}: {folder} is not a directory")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise InputError(f"cannot write {path}: no permission to create files in {folder}")
