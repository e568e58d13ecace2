"""The README's Python example runs as written, against the fake endpoint.

Its ```python block is taken from README.md and run in a fresh interpreter from the
repository root, configured only through the environment (as a reader would, with
OPENAI_BASE_URL and OPENAI_API_KEY), so a stale name or a top-level ``async with`` fails here.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fakes.fake_openai import FakeOpenAI

pytestmark = pytest.mark.block_network(allowed_hosts=["127.0.0.1", "localhost"])
ROOT = Path(__file__).resolve().parent.parent
_PYTHON_BLOCK = re.compile(r"^```python\n(.*?)^```$", re.S | re.M)


def _python_blocks() -> list[str]:
    return _PYTHON_BLOCK.findall((ROOT / "README.md").read_text(encoding="utf-8"))


def test_the_readme_python_example_runs_and_names_the_speakers() -> None:
    (code,) = _python_blocks()  # one example; a second one would need its own run here
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "SUMMARIZER_"))}
    with FakeOpenAI() as fake:
        env |= {"OPENAI_BASE_URL": fake.base_url, "OPENAI_API_KEY": "sk-fake-readme"}
        done = subprocess.run(
            [sys.executable, "-c", code],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            encoding="utf-8",
            timeout=120,
        )
        assert fake.errors == []
        asked = fake.requests
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    text = (ROOT / "tests" / "data" / "kursk.fr.txt").read_text(encoding="utf-8")
    *claims, usage, cost, last = lines
    assert claims and asked > 0
    for line in claims:  # a name written in the article, not a source id such as "s1"
        assert not re.match(r"s\d+ ", line) and line.split(" ", 1)[0] in text
        assert line.rsplit(" ", 2)[-1] in ("cue", "model", "model+cue", "not_assessed")
    assert usage.startswith("prompt_tokens=") and f"requests={asked // 2}" in usage
    assert float(cost) > 0  # the fake's model is gpt-4o-mini: a known price
    assert last.startswith("kursk.fr.txt ") and " claims " in last
