"""Two runs on one store through a symlink cannot both proceed (issue 16, item 8).

The lock was keyed on the path as typed: ``night.db`` and a link to it took two locks, and two
nights summarized 168 of 300 articles twice.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from summarizer.batch import Store, StoreBusyError


def test_a_symlink_to_the_store_meets_the_same_lock(tmp_path: Path) -> None:
    db = tmp_path / "night.db"
    link = tmp_path / "link.db"
    link.symlink_to(db)
    with Store(db), pytest.raises(StoreBusyError):
        Store(link).open()
    with Store(link), pytest.raises(StoreBusyError):  # the other way round, the file now there
        Store(db).open()
