"""The run fingerprint: a store never serves as done what the current code would not produce.

``tests/golden/fingerprint.json`` holds the fingerprint over fixed settings and pairs of
(fingerprint, digest of the pipeline's output over fixed model answers: the fake endpoint's).
A change of output under a known fingerprint fails (bump ``RULES_VERSION``, or the version of
what changed); a new fingerprint fails until the golden is regenerated with::

    PYTHONPATH=. .venv/bin/python tests/test_fingerprint.py

which refuses to record a new output under a fingerprint it already has.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from summarizer import Summarizer, _fingerprint, _grammar, _parse, prompts
from summarizer.batch import run_key
from summarizer.config import Secret, Settings
from tests.batch_support import article_text, run_night, write_jsonl
from tests.fakes.fake_openai import FakeOpenAI

pytestmark = pytest.mark.block_network(allowed_hosts=["127.0.0.1", "localhost"])

GOLDEN = Path(__file__).parent / "golden" / "fingerprint.json"
KURSK = Path(__file__).parent / "data" / "kursk.fr.txt"
FIXED = Settings(backend="openai", model="fake-model", mode="tools", parallel_requests=1)


def _articles() -> list[str]:
    return [article_text(i) for i in range(3)] + [KURSK.read_text(encoding="utf-8")]


def _output_digest(summaries: list[dict[str, Any]]) -> str:
    """sha256 of what the summaries say (their usage and timings left out)."""
    for summary in summaries:
        summary["provenance"].pop("usage", None)
    canonical = json.dumps(summaries, sort_keys=True, ensure_ascii=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


def current() -> tuple[dict[str, Any], str, str]:
    """(parts, fingerprint, output digest) of this code over the fixed model answers.

    The parser is taken as absent (the rule path), so the pair does not depend on whether
    the ``parser`` extra is installed where the test runs."""
    available = _parse._spacy_available
    _parse._spacy_available = lambda: False
    _forget_parses()  # an article parsed by an earlier test must not be read from the cache
    try:
        parts = _fingerprint.fingerprint_parts(FIXED)
        with FakeOpenAI() as fake:
            settings = replace(FIXED, base_url=fake.base_url, api_key=Secret("sk-fixed"))

            async def go() -> list[dict[str, Any]]:
                async with Summarizer(settings=settings) as s:
                    return [(await s.asummarize(t)).model_dump(mode="json") for t in _articles()]

            summaries = asyncio.run(go())
    finally:
        _parse._spacy_available = available
        _forget_parses()
    return parts, _fingerprint.digest(parts), _output_digest(summaries)


def _forget_parses() -> None:
    _parse.analysed.cache_clear()
    _grammar.article.cache_clear()


def _golden() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(GOLDEN.read_text(encoding="utf-8"))
    return loaded


def _changed(old: dict[str, Any], new: dict[str, Any], prefix: str = "") -> list[str]:
    keys = sorted(set(old) | set(new))
    out = []
    for key in keys:
        a, b = old.get(key), new.get(key)
        if isinstance(a, dict) and isinstance(b, dict):
            out += _changed(a, b, f"{prefix}{key}.")
        elif a != b:
            out.append(f"{prefix}{key}")
    return out


def test_the_output_over_fixed_answers_changes_only_with_the_fingerprint() -> None:
    parts, fingerprint, output = current()
    golden = _golden()
    known = {p["fingerprint"]: p["output"] for p in golden["pairs"]}
    if fingerprint in known:
        assert known[fingerprint] == output, (
            "the pipeline's output over fixed model answers changed but the run fingerprint did "
            "not: a store would serve the old summaries as done. Bump RULES_VERSION in "
            "summarizer/_fingerprint.py (or the version of the template or pack you changed)"
        )
    else:
        pytest.fail(
            f"the run fingerprint changed ({', '.join(_changed(golden['parts'], parts))}); "
            "regenerate tests/golden/fingerprint.json: "
            "PYTHONPATH=. .venv/bin/python tests/test_fingerprint.py"
        )


def _copied_prompts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    copy = tmp_path / "prompts"
    shutil.copytree(prompts.data_dir("prompts"), copy)
    real = prompts.data_dir
    monkeypatch.setattr(prompts, "data_dir", lambda name: copy if name == "prompts" else real(name))
    return copy


def test_editing_a_language_pack_or_a_template_changes_the_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    copy = _copied_prompts(tmp_path, monkeypatch)
    key = run_key("text-hash", _fingerprint.fingerprint(FIXED))
    pack = copy / "packs" / "fr.json"
    data = json.loads(pack.read_text(encoding="utf-8"))
    data["speech"] = [*data["speech"], "a chuchoté"]
    pack.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    after_pack = run_key("text-hash", _fingerprint.fingerprint(FIXED))
    assert after_pack != key
    template = copy / "attribution.user.j2"  # same version line, other words
    template.write_text(template.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    after_template = run_key("text-hash", _fingerprint.fingerprint(FIXED))
    assert after_template != after_pack
    (copy / "packs" / "README.md").write_text("documentation only\n", encoding="utf-8")
    assert run_key("text-hash", _fingerprint.fingerprint(FIXED)) == after_template


@pytest.mark.parametrize(
    "change",
    [
        {"mode": "json"},
        {"max_input_tokens": 1000},
        {"max_statements": 0},
        {"max_tokens": 600},
        {"model": "other-model"},
        {"backend": "local"},
    ],
)
def test_every_setting_that_changes_results_changes_the_key(change: dict[str, Any]) -> None:
    other = replace(FIXED, **change)
    assert _fingerprint.fingerprint(other) != _fingerprint.fingerprint(FIXED)


def test_settings_that_do_not_change_results_keep_the_key() -> None:
    other = replace(FIXED, timeout=5.0, base_url="http://127.0.0.1:1/v1")
    assert _fingerprint.fingerprint(other) == _fingerprint.fingerprint(FIXED)


def test_editing_rule_code_changes_the_key_and_a_docstring_does_not(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import importlib.util

    source = Path(_parse.__file__).read_text(encoding="utf-8")
    copy = tmp_path / "_parse.py"
    real_find_spec = importlib.util.find_spec

    def code_with(text: str) -> str:
        copy.write_text(text, encoding="utf-8")
        monkeypatch.setattr(
            importlib.util,
            "find_spec",
            lambda name: (
                importlib.util.spec_from_file_location(name, copy)
                if name == "summarizer._parse"
                else real_find_spec(name)
            ),
        )
        _fingerprint._code.cache_clear()
        try:
            return _fingerprint._code()
        finally:
            monkeypatch.undo()
            _fingerprint._code.cache_clear()

    same = code_with(source)
    assert same == _fingerprint._code()
    assert code_with(source.replace('"""The parse of', '"""What the parse of', 1)) == same
    constant = source + '\n_LIMIT = 3\n"""How many, and why."""\n'
    assert code_with(constant.replace("How many", "How many at most")) == code_with(constant)
    assert code_with(source.replace("_MAX_FOLLOW = 5", "_MAX_FOLLOW = 6", 1)) != same


def test_the_fingerprint_never_imports_spacy() -> None:
    code = (
        "import sys; sys.modules['spacy'] = None\n"  # the parser extra is absent
        "from summarizer import _fingerprint\nfrom summarizer.config import Settings\n"
        "parts = _fingerprint.fingerprint_parts(Settings())\n"
        "assert all(v['installed'] == 'false' for v in parts['parser'].values()), parts\n"
        "print(_fingerprint.fingerprint(Settings()))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    assert len(done.stdout.strip()) == 64


def test_a_rules_change_resummarizes_a_finished_night(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    inputs, db = tmp_path / "in.jsonl", tmp_path / "night.db"
    write_jsonl(inputs, 3)
    with FakeOpenAI() as fake:
        first = run_night(fake.base_url, [inputs], db)
        again = run_night(fake.base_url, [inputs], db)
        monkeypatch.setattr(_fingerprint, "RULES_VERSION", _fingerprint.RULES_VERSION + ".test")
        after = run_night(fake.base_url, [inputs], db)
    assert (first.done, again.skipped_done, again.done) == (3, 3, 0)
    assert (after.done, after.skipped_done) == (3, 0)


def _regenerate() -> int:
    parts, fingerprint, output = current()
    golden = _golden() if GOLDEN.exists() else {"pairs": []}
    known = {p["fingerprint"]: p["output"] for p in golden["pairs"]}
    if known.get(fingerprint, output) != output:
        print(
            "refused: the output changed but the fingerprint did not; bump RULES_VERSION in "
            "summarizer/_fingerprint.py (or the version of what you changed), then rerun",
            file=sys.stderr,
        )
        return 1
    if fingerprint not in known:
        golden["pairs"].append({"fingerprint": fingerprint, "output": output})
    golden["parts"] = parts
    golden["fingerprint"] = fingerprint
    GOLDEN.write_text(json.dumps(golden, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    print(f"{GOLDEN}: fingerprint {fingerprint[:16]}…, output {output[:16]}…")
    return 0


if __name__ == "__main__":
    raise SystemExit(_regenerate())
