"""Output files are files people can share: the umask's mode (0644 under 022), never 0600,
and still written atomically (a failed write leaves the old file and no temporary behind)."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from summarizer._cli import app
from summarizer._files import atomic_writer, current_umask, write_atomic
from tests.batch_support import run_night, write_jsonl
from tests.fakes.fake_openai import FakeOpenAI

pytestmark = pytest.mark.block_network(allowed_hosts=["127.0.0.1", "localhost"])


@pytest.fixture(params=[0o022, 0o077, 0o002])
def umask(request: pytest.FixtureRequest) -> Iterator[int]:
    old = os.umask(request.param)
    try:
        yield request.param
    finally:
        os.umask(old)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_umask_is_read_without_being_changed(umask: int) -> None:
    assert current_umask() == umask
    assert current_umask() == umask


def test_every_output_of_a_night_has_the_umask_mode(tmp_path: Path, umask: int) -> None:
    want = 0o666 & ~umask  # 0644 under 022, 0600 under 077
    write_jsonl(tmp_path / "night.jsonl", 2)
    out, out_dir, db = tmp_path / "night.out.jsonl", tmp_path / "each", tmp_path / "night.db"
    with FakeOpenAI() as fake:
        run_night(fake.base_url, [tmp_path / "night.jsonl"], db, out=out, out_dir=out_dir)
    written = [out, *sorted(out_dir.iterdir())]
    assert len(written) == 3
    for fmt in ("html", "md", "json"):
        report = tmp_path / f"night.{fmt}"
        result = CliRunner().invoke(app, ["report", str(db), "-f", fmt, "-o", str(report)])
        assert result.exit_code == 0, result.output
        written.append(report)
    assert {p.name: oct(_mode(p)) for p in written} == {p.name: oct(want) for p in written}


def test_the_atomic_writer_replaces_whole_or_not_at_all(tmp_path: Path, umask: int) -> None:
    target = tmp_path / "sub" / "report.html"
    write_atomic(target, "old")
    assert _mode(target) == 0o666 & ~umask

    class Boom(Exception):
        pass

    with pytest.raises(Boom), atomic_writer(target) as handle:
        handle.write("half of the new")
        raise Boom
    assert target.read_text() == "old"
    assert [p.name for p in target.parent.iterdir()] == ["report.html"]  # no temporary left
