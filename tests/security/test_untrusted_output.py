"""Article text and model output are data: rendered escaped, never used as a path.

End to end, in the pages a user opens: a hostile article through the pipeline (the fault
server answers with the article's own sentences, markup included) to ``summarize --format
html``/``md``, and hostile summaries and errors in a batch store to ``report --format
html``/``md``. Each HTML page is parsed: only known tags, no event handler, no script, no
``src``, links only to anchors or http(s); and the hostile strings are there as text. Output
files named from article ids stay in ``--out-dir`` whatever the id (``../``, absolute, NUL,
a symlink planted at the name).
"""

from __future__ import annotations

import asyncio
import json
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from summarizer import RetryPolicy, SummarizerError
from summarizer._cli import app
from summarizer.batch import BatchOptions, Store, Throttle, run_batch, safe_name
from summarizer.config import Settings
from summarizer.models import (
    ArticleMeta,
    ArticleSummary,
    Basis,
    Claim,
    Commitment,
    Counterclaim,
    Evidence,
    EvidenceStatus,
    Provenance,
    Source,
    SourceType,
    Span,
    Stance,
    Usage,
)
from tests.fakes.fake_openai import FakeOpenAI

pytestmark = pytest.mark.block_network(allowed_hosts=["127.0.0.1", "localhost"])

SCRIPT = "<script>alert(1)</script>"
IMG = '<img src=x onerror="alert(2)">'
CELL = "</td></tr></table><script>alert(3)</script>"
LINK = "[click](javascript:alert(4))"
HOSTILE = (SCRIPT, IMG, CELL)
ARTICLE = (
    f"{SCRIPT} Le budget {IMG}\n\n"
    f"Le ministre Jean Dupont a déclaré lundi : « {SCRIPT} le budget {IMG} sera voté {LINK} ». "
    f"« Non, {CELL} pas du tout », a répondu Marie Curie mardi. "  # 3 words: a quotation
    f"Le Parlement se réunira le 3 février {SCRIPT} pour le vote."
)
ALLOWED_TAGS = {
    *("html", "head", "meta", "title", "style", "body", "section", "header", "footer", "main"),
    *("h1", "h2", "h3", "h4", "p", "ul", "ol", "li", "table", "thead", "tbody", "tr", "th"),
    *("td", "a", "span", "div", "q", "br", "small", "strong", "em", "b", "i", "code", "details"),
    *("summary", "caption", "abbr", "time", "sup", "sub", "hr", "dl", "dt", "dd", "blockquote"),
    *("nav", "figure", "figcaption"),
    *("svg", "rect", "line", "text"),  # the night page's charts: inert shapes, no <script>/<use>
}
runner = CliRunner()


class _Page(HTMLParser):
    """What a browser would build: the elements with their attributes, and the text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.text: list[str] = []
        self.in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))
        self.in_style = tag == "style"

    def handle_endtag(self, tag: str) -> None:
        self.in_style = False

    def handle_data(self, data: str) -> None:
        if not self.in_style:
            self.text.append(data)


def assert_safe_page(page: str, *hostile: str) -> str:
    parser = _Page()
    parser.feed(page)
    parser.close()
    for tag, attrs in parser.tags:
        assert tag in ALLOWED_TAGS, f"<{tag}> in the page"
        for name, value in attrs:
            assert not name.startswith("on"), f"<{tag} {name}=…>"
            assert name not in ("src", "srcdoc", "formaction", "action"), f"<{tag} {name}=…>"
            if name == "href":
                assert value is not None and re.match(r"#|https?://", value), value
    text = "".join(parser.text)
    for needle in hostile:  # shown to the reader as text, exactly
        assert needle in text, needle
    return text


def assert_safe_markdown(md: str) -> None:
    assert not re.search(r"(?<!\\)<", md), "raw HTML in the Markdown"
    assert not re.search(r"(?<!\\)\]\(javascript", md), "a live link in the Markdown"


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setattr(RetryPolicy, "wait_for", lambda _self, _attempt, _exc: 0.0)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-real-key")
    with FakeOpenAI() as server:
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        yield server


def test_a_hostile_article_renders_escaped_in_html_and_markdown(
    tmp_path: Path, fake: FakeOpenAI
) -> None:
    path = tmp_path / "hostile.txt"
    path.write_text(ARTICLE, encoding="utf-8")
    page_path = tmp_path / "page.html"
    result = runner.invoke(app, ["summarize", str(path), "-f", "html", "-o", str(page_path)])
    assert result.exit_code == 0, result.output
    page = page_path.read_text(encoding="utf-8")
    text = assert_safe_page(page, SCRIPT, IMG, CELL)
    assert "Jean Dupont" in text or "Marie Curie" in text  # it is the summary of the article
    result = runner.invoke(app, ["summarize", str(path), "-f", "md", "-q"])
    assert result.exit_code == 0, result.output
    assert "\\<script>" in result.stdout
    assert_safe_markdown(result.stdout)


# -- a batch store full of hostile summaries and errors -> the morning report ---------------


def _hostile_summary(text: str) -> ArticleSummary:
    def span(needle: str) -> Span:
        start = text.index(needle)
        return Span.of(text, start, start + len(needle))

    evil = f"{SCRIPT}{IMG}{CELL}"
    return ArticleSummary(
        article=ArticleMeta(
            title=f"Titre {evil}",
            language="fr",
            url="javascript:alert(5)",
            sha256="0" * 64,
            chars=len(text),
        ),
        summary=[],
        sources=[
            Source(id="s1", name=f"Jean {SCRIPT}", type=SourceType.named_on_record),
            Source(id="s2", name=f"Marie {IMG}", type=SourceType.named_on_record, via="s1"),
        ],
        events=[],
        claims=[
            Claim(
                id="c1",
                speaker="s1",
                quote=span(SCRIPT),
                commitment=Commitment.asserted,
                evidence=Evidence(
                    status=EvidenceStatus.none_provided,
                    basis=Basis.cue,
                    cue=span(IMG),
                    note=f"note {CELL}",
                ),
            )
        ],
        counterclaims=[
            Counterclaim(
                id="cc1",
                speaker="s2",
                target="c1",
                quote=span(CELL),
                stance=Stance.denies,
                stance_basis=Basis.model,
                stance_note=f"stance {SCRIPT}",
                evidence=Evidence(status=EvidenceStatus.unclear, basis=Basis.not_assessed),
            )
        ],
        inconsistencies=[],
        provenance=Provenance(
            model=f"m{SCRIPT}",
            backend="openai",
            prompt_version="p@1",
            usage=Usage(prompt_tokens=10, completion_tokens=5, requests=1),
            warnings=[f"warning {IMG}"],
        ),
    )


class _Stub:
    """A summarizer whose model writes markup everywhere, and fails with it sometimes."""

    settings = Settings()

    async def asummarize(self, text: str, **_: Any) -> ArticleSummary:
        if "fail" in text:
            raise SummarizerError(f"the model said {SCRIPT}{IMG}")
        return _hostile_summary(text)


def test_a_store_of_hostile_results_renders_escaped_in_the_report(tmp_path: Path) -> None:
    feed = tmp_path / "in.jsonl"
    with feed.open("w", encoding="utf-8") as handle:
        for n in range(3):
            text = f"Article {n}: {SCRIPT} {IMG} {CELL}" + (" fail" if n == 2 else "")
            doc = {"id": f"{SCRIPT}-{n}", "title": f"T {IMG}", "text": text}
            handle.write(json.dumps(doc) + "\n")
    db = tmp_path / "night.db"
    with Store(db) as store:
        asyncio.run(
            run_batch(
                [feed],
                store,
                _Stub(),  # type: ignore[arg-type]
                BatchOptions(concurrency=2),
                throttle=Throttle(2),
            )
        )
    result = runner.invoke(app, ["report", str(db), "--format", "html"])
    assert result.exit_code == 0, result.output
    assert_safe_page(result.stdout, SCRIPT, IMG, CELL)
    result = runner.invoke(app, ["report", str(db), "--format", "md"])
    assert result.exit_code == 0, result.output
    assert_safe_markdown(result.stdout)


# -- output file names ----------------------------------------------------------------------

IDS = [
    "../../escaped",
    "/tmp/absolute",
    "a\u0000b",
    "..",
    ".",
    "",
    ".hidden",
    "C:\\Windows\\win.ini",
    "x" * 400,
    "victim",
    "\u202etxt.exe",
]


def test_output_files_named_from_ids_stay_in_the_out_dir(tmp_path: Path, fake: FakeOpenAI) -> None:
    feed = tmp_path / "in.jsonl"
    with feed.open("w", encoding="utf-8") as handle:
        for n, article_id in enumerate(IDS):
            text = f"Le ministre Jean Dupont a déclaré lundi que le budget {n} sera voté."
            handle.write(json.dumps({"id": article_id, "text": text}) + "\n")
    absolute = Path("/tmp/absolute")
    existed = absolute.exists()
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    outside = tmp_path / "outside.json"
    outside.write_text("precious", encoding="utf-8")
    planted = safe_name("victim", str(feed.absolute()))  # a predictable name
    (out_dir / planted).symlink_to(outside)
    result = runner.invoke(
        app,
        ["batch", str(feed), "--store", str(tmp_path / "night.db"), "--out-dir", str(out_dir)],
    )
    assert result.exit_code == 0, result.output
    assert outside.read_text(encoding="utf-8") == "precious"  # the link was replaced, not followed
    written = sorted(p.name for p in out_dir.iterdir())
    assert len(written) == len(IDS)  # "" and the others got distinct names
    for name in written:
        path = out_dir / name
        assert path.resolve().parent == out_dir.resolve() and not path.is_symlink()
        assert "\x00" not in name and not name.startswith(".") and len(name) < 128
    allowed = {"in.jsonl", "out", "outside.json", "night.db", "night.db-wal", "night.db-shm"}
    assert {p.name for p in tmp_path.iterdir()} <= allowed | {"night.db.lock"}
    assert not (tmp_path.parent / "escaped").exists()
    assert not (absolute.exists() and not existed)
