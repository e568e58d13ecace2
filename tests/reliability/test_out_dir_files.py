"""Every done article has its ``--out-dir`` file after a rerun (issue 16, item 2).

A night stopped (a full disk) or killed between an article's commit and its file used to
leave the article done without its file, and every rerun skipped it: 300 done, 296 files.
"""

from __future__ import annotations

import errno
import json
from pathlib import Path

import pytest

from summarizer.batch import Store
from summarizer.batch import _runner as runner_module
from summarizer.batch._runner import NightUnwritable
from tests.batch_support import run_night, store_sql, write_jsonl
from tests.fakes.fake_openai import FakeOpenAI

pytestmark = pytest.mark.block_network(allowed_hosts=["127.0.0.1", "localhost"])

N = 6


def _results(db: Path) -> dict[str, str]:
    with Store(db):
        rows = store_sql(db, "SELECT article_id, result FROM articles WHERE state = 'done'")
        return {article_id: result for article_id, result in rows}


def test_a_rerun_writes_the_files_a_killed_night_did_not(tmp_path: Path) -> None:
    inputs, db, out = tmp_path / "in.jsonl", tmp_path / "night.db", tmp_path / "out"
    ids = write_jsonl(inputs, N)
    with FakeOpenAI() as fake:
        assert run_night(fake.base_url, [inputs], db, out_dir=out).done == N
        files = sorted(out.iterdir())
        assert len(files) == N
        for lost in files[:2]:  # killed after the commit, before the file
            lost.unlink()
        sent = fake.requests
        again = run_night(fake.base_url, [inputs], db, out_dir=out)
        assert fake.requests == sent  # nothing paid twice
    assert (again.skipped_done, again.restored) == (N, 2)
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in files)
    on_disk = sorted(json.loads(p.read_text(encoding="utf-8"))["article"]["sha256"] for p in files)
    stored = sorted(json.loads(r)["article"]["sha256"] for r in _results(db).values())
    assert on_disk == stored and len(set(stored)) == len(ids)


def test_a_night_stopped_by_a_full_disk_leaves_no_done_article_without_its_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    inputs, db, out = tmp_path / "in.jsonl", tmp_path / "night.db", tmp_path / "out"
    write_jsonl(inputs, N)
    real = runner_module.write_atomic
    written: list[Path] = []

    def fills_up(path: Path, content: str) -> None:
        if len(written) >= 2:
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        written.append(path)
        real(path, content)

    with FakeOpenAI() as fake:
        monkeypatch.setattr(runner_module, "write_atomic", fills_up)
        with pytest.raises(NightUnwritable):
            run_night(fake.base_url, [inputs], db, out_dir=out)
        monkeypatch.setattr(runner_module, "write_atomic", real)  # space freed
        run_night(fake.base_url, [inputs], db, out_dir=out)
    assert len(_results(db)) == N
    assert len(list(out.iterdir())) == N
