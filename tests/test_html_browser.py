"""The HTML pages in a real browser (headless Chromium): hostile article text stays inert text,
and the night page draws its highlights and charts."""

from __future__ import annotations

import shutil
import struct
import subprocess
import zlib
from pathlib import Path
from typing import Any

import pytest

from summarizer import ArticleSummary, Span
from summarizer.batch._report import night_page
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


def _pixels(png: bytes) -> bytes:
    """The filtered scanlines of a PNG (enough to tell a blank page from a drawn one)."""
    data, pos = b"", 8
    while pos < len(png):
        length = struct.unpack(">I", png[pos : pos + 4])[0]
        kind = png[pos + 4 : pos + 8]
        if kind == b"IDAT":
            data += png[pos + 8 : pos + 8 + length]
        pos += 12 + length
    return zlib.decompress(data)


def test_the_night_page_renders_highlights_and_charts_in_a_browser(tmp_path: Path) -> None:
    from tests.test_night_html import EVIL, NIGHT, A, C, _store

    hostile = ("evil", A(f"Titre {EVIL}", [C(f"Bob {IMG}", f"Je dis {EVIL} {IMG}")]))
    _store(tmp_path / "night.db", [*NIGHT, hostile])
    page = tmp_path / "night.html"
    page.write_text(night_page(tmp_path / "night.db"), encoding="utf-8")

    dumped = _chromium(tmp_path, "--dump-dom", page.as_uri())
    assert dumped.returncode == 0, dumped.stderr[-2000:]
    dom = dumped.stdout
    assert "<script" not in dom.casefold() and "<img" not in dom.casefold()
    assert "<title>Batch report — run 1</title>" in dom
    assert dom.count('class="hl quote') >= 4 and dom.count("<rect ") >= 2
    assert '<a href="#a1">Le budget</a>' in dom

    png = tmp_path / "night.png"
    shot = _chromium(tmp_path, f"--screenshot={png}", "--window-size=1300,1600", page.as_uri())
    assert shot.returncode == 0, shot.stderr[-2000:]
    assert len(set(_pixels(png.read_bytes()))) > 16  # drawn, not a blank page
