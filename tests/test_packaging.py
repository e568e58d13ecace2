"""Prompts and schemas ship inside the wheel and are found from an installed package."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_wheel_carries_prompts_and_schema_and_imports(tmp_path: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "build",
            "--wheel",
            "--no-isolation",
            "--outdir",
            str(tmp_path),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    wheel = next(tmp_path.glob("summarizer-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert "summarizer/_data/prompts/article.system.j2" in names
    assert "summarizer/_data/prompts/packs/fr.json" in names
    assert "summarizer/_data/schemas/summary.schema.json" in names
    assert "summarizer/py.typed" in names
    assert "summarizer/templates/night.html.j2" in names
    assert "summarizer/templates/night.css" in names
    (entry_points,) = (n for n in names if n.endswith(".dist-info/entry_points.txt"))
    scripts = zipfile.ZipFile(wheel).read(entry_points).decode()
    assert "summarizer = summarizer._cli:main" in scripts
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    code = (
        "import summarizer, summarizer.prompts as p; "
        f"assert str(p.data_dir('prompts')).startswith({str(site)!r}); "
        "print(summarizer.summarize.__doc__.splitlines()[0]); "
        "print(p.prompt_version(summarizer.pipeline.PROMPTS)); "
        "from summarizer._packs import pack; print(pack('de').name); "
        "from summarizer.batch._night import _ENV; "
        f"assert _ENV.get_template('night.html.j2').filename.startswith({str(site)!r})"
    )
    env = {**os.environ, "PYTHONPATH": str(site)}
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    assert "Summarize one news article" in out.stdout
    assert "German" in out.stdout  # the language packs load from the installed wheel


def test_the_library_does_not_load_the_command_line() -> None:
    """``summarizer`` and ``summarizer.batch`` are a library: typer and the commands
    (``summarizer._cli``) are imported by the command line only."""
    code = (
        "import sys, summarizer, summarizer.batch; "
        "print([m for m in sys.modules if m == 'typer' or m.startswith('summarizer._cli')])"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
