"""The HTML report in a real browser: hostile article text stays inert text (headless Chromium)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from summarizer import ArticleSummary, Span
from summarizer.render import to_html

CHROMIUM = shutil.which("chromium")
SCRIPT = "<script>document.title='pwned'</script>"
IMG = "<img src=x onerror=alert(1)>"
TEXT = f"Le ministre a déclaré « {SCRIPT} {IMG} ». L'opposition a démenti."

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")


def _summary() -> ArticleSummary:
    start = TEXT.index(SCRIPT)
    end = TEXT.index(IMG) + len(IMG)
    doc: dict[str, Any] = {
        "article": {
            "title": "Rapport sûr",
            "language": "fr",
            "sha256": "0" * 64,
            "chars": len(TEXT),
        },
        "summary": [{"text": f"Résumé {SCRIPT}", "refs": ["c1"]}],
        "sources": [{"id": "s1", "name": f"ministre {SCRIPT} {IMG}", "type": "named_on_record"}],
        "events": [],
        "claims": [
            {
                "id": "c1",
                "speaker": "s1",
                "quote": Span.of(TEXT, start, end).model_dump(),
                "evidence": {"status": "unclear"},
            }
        ],
        "counterclaims": [],
        "inconsistencies": [],
        "provenance": {"model": "m", "backend": "local", "prompt_version": "p@1", "usage": {}},
    }
    return ArticleSummary.model_validate(doc)


def _chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None
    command = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={tmp_path / 'profile'}",
        *args,
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)


def test_hostile_text_is_escaped_in_the_rendered_report(tmp_path: Path) -> None:
    report = tmp_path / "report.html"
    report.write_text(to_html(_summary()), encoding="utf-8")

    dumped = _chromium(tmp_path, "--dump-dom", report.as_uri())
    assert dumped.returncode == 0, dumped.stderr[-2000:]
    dom = dumped.stdout
    assert "<body" in dom, dumped.stderr[-2000:]
    assert "<script" not in dom.casefold()
    assert "<img" not in dom.casefold()
    assert "<title>Rapport sûr</title>" in dom and "pwned</title>" not in dom
    assert "&lt;script&gt;document.title='pwned'&lt;/script&gt;" in dom
    assert "&lt;img src=x onerror=alert(1)&gt;" in dom

    png = tmp_path / "report.png"
    shot = _chromium(tmp_path, f"--screenshot={png}", "--window-size=1300,1600", report.as_uri())
    assert shot.returncode == 0, shot.stderr[-2000:]
    assert png.stat().st_size > 0
    assert png.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
