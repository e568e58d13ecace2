"""Control characters in model text, credentials in the endpoint URL, invisible articles.

* Model text with ``\\r``, NUL, ESC or U+202E (right-to-left override) cannot break a Markdown
  table or reach a terminal, a page or a spreadsheet through the renderings.
* ``OPENAI_BASE_URL`` may hold a secret (``user:secret@`` or ``?api-key=``): it is masked in
  everything printed or stored (doctor, the runs table, error lines, ``--verbose``).
* An article made only of zero-width characters is refused before any request (the library,
  the command line and the batch share the case list of tests/reliability/test_bad_input.py).
"""

from __future__ import annotations

import asyncio
import csv
import io
import sqlite3
from pathlib import Path

import openai
import pytest
from typer.testing import CliRunner

from summarizer import Summarizer
from summarizer._cli import app
from summarizer.batch import BatchOptions, Store, run_batch
from summarizer.client import Meter, translate_provider_error
from summarizer.config import Secret, Settings, mask_url
from summarizer.models import (
    ArticleMeta,
    ArticleSummary,
    Basis,
    Claim,
    Counterclaim,
    Event,
    EventStatus,
    Evidence,
    EvidenceStatus,
    Inconsistency,
    Provenance,
    Source,
    SourceType,
    Span,
    Stance,
    SummarySentence,
    Usage,
)
from summarizer.render import to_csv, to_html, to_markdown

pytestmark = pytest.mark.block_network(allowed_hosts=["127.0.0.1", "localhost"])

BAD = "\r\x00\x1b[31m\u202e\x07\x7f\x9b\u2028"
FORBIDDEN = ("\r", "\x00", "\x1b", "\u202e", "\x07", "\x7f", "\x9b", "\u2028")
SECRETS = ("s3cret-password", "k3y-in-query")
URL = "https://alice:s3cret-password@127.0.0.1:9/v1?api-key=k3y-in-query"


def _summary() -> ArticleSummary:
    text = "Le ministre a dit \u202enon\u202c hier. Faux, a dit Bob. Il a voté."
    quote = Span.of(text, 0, text.index(" Faux"))
    answer = Span.of(text, text.index("Faux"), text.index("Faux") + 4)
    vote = text.index("voté")
    return ArticleSummary(
        article=ArticleMeta(title=f"Titre{BAD}fin", language="fr", sha256="0" * 64, chars=99),
        summary=[SummarySentence(text=f"Résumé{BAD}fin", refs=["c1"])],
        sources=[
            Source(id="s1", name=f"Jean{BAD}Dupont", type=SourceType.named_on_record),
            Source(id="s2", name="Bob", type=SourceType.named_on_record),
        ],
        events=[
            Event(
                id="e1",
                what=f"vote{BAD}fin",
                trigger=Span.of(text, vote, vote + 4),
                status=EventStatus.occurred,
            )
        ],
        claims=[
            Claim(
                id="c1",
                speaker="s1",
                quote=quote,
                evidence=Evidence(
                    status=EvidenceStatus.unclear, note=f"note{BAD}", basis=Basis.model
                ),
            )
        ],
        counterclaims=[
            Counterclaim(
                id="cc1",
                target="c1",
                speaker="s2",
                quote=answer,
                stance=Stance.denies,
                stance_note=f"the model said{BAD}x",
                evidence=Evidence(status=EvidenceStatus.unclear, basis=Basis.not_assessed),
            )
        ],
        inconsistencies=[Inconsistency(id="i1", what=f"écart{BAD}", spans=[quote, answer])],
        provenance=Provenance(
            model="m", backend="openai", prompt_version="p@1", usage=Usage(), warnings=[BAD]
        ),
    )


def test_control_characters_in_model_text_never_reach_a_rendering() -> None:
    s = _summary()
    for rendered in (to_markdown(s), to_html(s), to_csv([s])):
        found = [repr(c) for c in FORBIDDEN if c in rendered]
        assert found == [], found
    md = to_markdown(s)
    rows = [line for line in md.splitlines() if line.startswith("|")]
    assert len(rows) == 2 + 2 + 2 + 1  # header + rule, claim + answer, header + rule, event
    for row, cells in zip(rows, [6] * 4 + [7] * 3, strict=True):  # 5 columns, then 6
        assert row.endswith("|") and row.replace("\\|", "").count("|") == cells, row
    assert "Résumé [31m" not in md and "Résumé" in md  # the ESC is gone, the words stay
    assert "Titre" in md and "fin" in md
    (header, *cells) = list(csv.reader(io.StringIO(to_csv([s]))))
    assert len(cells) == 2 and all(len(row) == len(header) for row in cells)


# -- credentials in OPENAI_BASE_URL --------------------------------------------------------------


def test_mask_url_masks_userinfo_and_query_values() -> None:
    assert mask_url(URL) == "https://****@127.0.0.1:9/v1?api-key=****"
    assert mask_url("http://127.0.0.1:8080/v1") == "http://127.0.0.1:8080/v1"
    quoted = f"error reaching {URL}: refused"
    assert mask_url(quoted) == "error reaching https://****@127.0.0.1:9/v1?api-key=**** refused"


def test_doctor_prints_the_base_url_masked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", URL)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-real-key-1234")
    result = CliRunner().invoke(app, ["doctor"])
    assert result.exit_code == 0, result.output
    assert "base_url: https://****@127.0.0.1:9/v1?api-key=****" in result.stdout
    assert not any(secret in result.output for secret in SECRETS)
    settings = Settings.resolve(env={"OPENAI_BASE_URL": URL})
    assert not any(secret in repr(settings) for secret in SECRETS)
    assert not any(secret in repr(Summarizer(settings=settings)) for secret in SECRETS)


def test_a_bad_base_url_is_refused_with_its_credentials_masked() -> None:
    with pytest.raises(Exception) as caught:
        Settings.resolve(env={"OPENAI_BASE_URL": "ftp://u:s3cret-password@h/v1?api-key=x"})
    assert "s3cret-password" not in str(caught.value)


def test_the_runs_table_stores_the_base_url_masked(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    settings = Settings.resolve(env={"OPENAI_BASE_URL": URL, "OPENAI_API_KEY": "sk-x"})

    async def go() -> None:
        async with Summarizer(settings=settings) as summarizer:
            with Store(tmp_path / "night.db") as store:
                await run_batch([tmp_path / "in"], store, summarizer, BatchOptions())

    asyncio.run(asyncio.wait_for(go(), 60))
    with sqlite3.connect(tmp_path / "night.db") as con:
        dumped = "\n".join(con.iterdump())
    assert "127.0.0.1:9" in dumped  # the settings are stored…
    assert not any(secret in dumped for secret in SECRETS)  # …without the credentials
    assert not any(
        secret.encode() in p.read_bytes() for p in tmp_path.glob("night.db*") for secret in SECRETS
    )


def test_provider_errors_quoting_the_url_are_masked_in_the_whole_chain() -> None:
    try:
        try:
            raise ValueError(f"low-level failure for {URL}")
        except ValueError as low:
            raise openai.APIConnectionError(
                message=f"Connection error at {URL}",
                request=None,  # type: ignore[arg-type]
            ) from low
    except openai.APIConnectionError as exc:
        error = translate_provider_error(exc, Meter(), secret=Secret("sk-test-not-a-real-key"))
        chain = [error.message, str(exc), str(exc.__cause__)]
    assert chain[1].startswith("Connection error at https://****@")
    assert not any(secret in text for text in chain for secret in SECRETS)
