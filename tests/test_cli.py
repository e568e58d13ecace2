"""The command line: formats, input kinds, exit codes; end to end on the seed article's cassette.

The cassette was recorded by ``tests/test_e2e.py``; the CLI sends the same request bodies (the
title and URL are metadata only, never in a prompt), so it replays here.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from typer.testing import CliRunner

import summarizer._cli._summarize as cli
from summarizer import ArticleSummary, EvidenceStatus, Usage, ValidationExhaustedError
from summarizer._cli import app
from summarizer._cli._exits import EXIT_INPUT, EXIT_OUTPUT, EXIT_PROVIDER
from summarizer._fetch import read_input
from summarizer.config import LOCAL_MODEL_NAME
from summarizer.pricing import PRICES_ENV
from summarizer.render import CSV_HEADER
from summarizer.testing import REPLAY_BASE_URL

TESTS = Path(__file__).resolve().parent
KURSK = TESTS / "data" / "kursk.fr.txt"
REPLAY = ["--base-url", REPLAY_BASE_URL, "--model", LOCAL_MODEL_NAME, "--quiet"]
runner = CliRunner()


@pytest.fixture(scope="module")
def vcr_cassette_dir() -> str:
    return str(TESTS.parent / "cassettes" / "test_e2e")


@pytest.fixture
def default_cassette_name() -> str:
    return "test_summary_is_valid_grounded_and_costed[kursk.fr.txt]"


@pytest.fixture(scope="module")
def vcr_config(vcr_config: dict[str, Any]) -> dict[str, Any]:
    # Two inputs holding the same article send the same requests twice.
    return {**vcr_config, "allow_playback_repeats": True}


@pytest.fixture(autouse=True)
def _local_backend(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "SUMMARIZER_MODEL", "SUMMARIZER_MODE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SUMMARIZER_BACKEND", "local")


def _cli(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def _kursk_json(tmp_path: Path) -> Path:
    lines = KURSK.read_text(encoding="utf-8")
    path = tmp_path / "kursk.json"
    doc = {"title": "Koursk (JSON)", "text": lines, "url": "https://example.org/k"}
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


# --- end to end, replayed ---------------------------------------------------------------------


@pytest.mark.vcr
def test_csv_end_to_end_has_ryder_with_no_evidence() -> None:
    code, out, err = _cli("summarize", str(KURSK), "--format", "csv", *REPLAY)
    assert code == 0, err
    rows = [dict(zip(CSV_HEADER, r, strict=True)) for r in list(csv.reader(io.StringIO(out)))[1:]]
    ryder = next(r for r in rows if r["speaker"] == "Patrick Ryder")
    assert ryder["kind"] == "claim" and ryder["evidence_status"] == "none_provided"
    assert ryder["evidence_basis"] == "cue" and "aucune preuve" in ryder["cue"]
    assert ryder["article"].startswith("Le Pentagone annonce")
    stances = {r["speaker"]: r["commitment_or_stance"] for r in rows if r["kind"] == "counterclaim"}
    assert stances == {"Poutine": "deflects", "Maria Zakharova": "disputes"}


@pytest.mark.vcr
def test_several_inputs_make_one_document_per_format(tmp_path: Path) -> None:
    as_json = _kursk_json(tmp_path)
    code, out, err = _cli("summarize", str(KURSK), str(as_json), "--format", "json", *REPLAY)
    assert code == 0, err
    docs = json.loads(out)
    assert isinstance(docs, list) and len(docs) == 2
    assert docs[1]["article"]["title"] == "Koursk (JSON)"
    assert docs[1]["article"]["url"] == "https://example.org/k"

    code, out, _ = _cli("summarize", str(KURSK), str(as_json), "-f", "jsonl", *REPLAY)
    lines = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and [(x["source"], x["state"]) for x in lines] == [
        (str(KURSK), "done"),
        (str(as_json), "done"),
    ]
    assert (
        ArticleSummary.model_validate(lines[0]["summary"]).article.title
        == KURSK.read_text(encoding="utf-8").splitlines()[0]
    )

    code, out, _ = _cli("summarize", str(KURSK), str(as_json), "-f", "csv", *REPLAY)
    rows = list(csv.reader(io.StringIO(out)))
    assert code == 0 and rows.count(list(CSV_HEADER)) == 1 and len(rows) == 1 + 2 * 10

    code, out, _ = _cli("summarize", str(KURSK), str(as_json), "-f", "md", *REPLAY)
    assert code == 0 and out.count("\n# ") + out.startswith("# ") == 2

    page = tmp_path / "out" / "report.html"
    code, out, _ = _cli(
        "summarize", str(KURSK), str(as_json), "-f", "html", "-o", str(page), *REPLAY
    )
    assert code == 0 and out == ""
    html = page.read_text(encoding="utf-8")
    assert html.count('<section class="article">') == 2 and "<script" not in html
    assert [p.name for p in page.parent.iterdir()] == ["report.html"]  # no temp file left


@pytest.mark.vcr
def test_json_is_the_default_when_piped() -> None:
    code, out, err = _cli("summarize", str(KURSK), *REPLAY)
    assert code == 0, err
    summary = ArticleSummary.model_validate_json(out)
    assert summary.check_grounded(KURSK.read_text(encoding="utf-8")) == []


@pytest.mark.vcr
def test_unwritable_out_is_a_one_line_error(tmp_path: Path) -> None:
    code, _, err = _cli("summarize", str(KURSK), "-f", "md", "-o", str(tmp_path), *REPLAY)
    assert code == EXIT_INPUT and "cannot write" in err and len(err.strip().splitlines()) == 1
    assert list(tmp_path.parent.glob(f".{tmp_path.name}.*.tmp")) == []


# --- input kinds -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"title": "x", "text": ', "not valid JSON (Expecting value at line 1 column 24)"),
        ('{"title": "x"}', 'no "text" field'),
        ('["a", "b"]', "expected a JSON object"),
        ('{"text": 42}', '"text" must be a string'),
        ('{"text": "Il a dit.", "published": "hier"}', "not an ISO date"),
        ('{"text": "   "}', "empty"),
    ],
)
def test_bad_json_input_is_an_input_error(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "article.json"
    path.write_text(content, encoding="utf-8")
    code, out, err = _cli("summarize", str(path), *REPLAY)
    assert code == EXIT_INPUT, out + err
    assert message in err
    assert str(path) in err or message == "empty"
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_json_input_fields(tmp_path: Path) -> None:
    path = tmp_path / "a.json"
    doc = {
        "title": " T ",
        "text": "Corps.",
        "url": "https://x.test/a",
        "published": "2024-10-30T08:00:00Z",
        "language": "fr",
    }
    path.write_text(json.dumps(doc), encoding="utf-8")
    article = read_input(path)
    assert (article.title, article.text, article.url, article.language) == (
        "T",
        "Corps.",
        "https://x.test/a",
        "fr",
    )
    assert article.published is not None and article.published.isoformat() == "2024-10-30"


def test_text_input_title_and_date_lines_and_encoding_note(tmp_path: Path) -> None:
    path = tmp_path / "a.md"
    path.write_bytes("Titre accentué\n2024-10-30\n\nLe ministre a déclaré.".encode("cp1252"))
    article = read_input(path)
    assert article.title == "Titre accentué" and article.published is not None
    assert article.text.startswith("Titre accentué\n")  # the whole file is the article
    assert article.notes == [f"{path} is not UTF-8; read it as cp1252"]


def test_unknown_format_is_a_usage_error() -> None:
    code, _, _ = _cli("summarize", str(KURSK), "--format", "pdf")
    assert code == 2


# --- several inputs: a failure is reported and skipped, the rest is still written -------------


@pytest.fixture
def invalid_article(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An article whose summary fails as if the model never gave a valid answer (exit 5);
    every other article goes through the real pipeline, replayed from the cassette."""
    path = tmp_path / "invalid.txt"
    path.write_text("Titre\nLe ministre a déclaré que tout va bien.", encoding="utf-8")
    real = cli.summarize_text

    def summarize(text: str, **kwargs: Any) -> ArticleSummary:
        if text == path.read_text(encoding="utf-8"):
            raise ValidationExhaustedError(
                "no valid answer after 3 attempts; last problems: S9 does not exist",
                attempts=3,
                errors=["S9 does not exist"],
                usage=Usage(prompt_tokens=1000, completion_tokens=100, requests=3),
            )
        return real(text, **kwargs)

    monkeypatch.setattr(cli, "summarize_text", summarize)
    return path


@pytest.mark.vcr
def test_failed_inputs_get_one_line_each_and_the_others_are_written(
    tmp_path: Path, invalid_article: Path
) -> None:
    missing, empty = tmp_path / "missing.txt", tmp_path / "empty.txt"
    empty.write_text("  \n", encoding="utf-8")
    inputs = [str(missing), str(KURSK), str(invalid_article), str(empty)]
    code, out, err = _cli("summarize", *inputs, "--format", "json", *REPLAY)
    assert code == EXIT_INPUT  # the first failure's code: missing.txt
    (doc,) = json.loads(out)  # a list: several inputs were given, one succeeded
    assert doc["article"]["title"].startswith("Le Pentagone annonce")
    lines = err.strip().splitlines()
    assert len(lines) == 3 and "Traceback" not in err
    assert lines[0] == f"error (InputError): {missing}: no such file; check the path"
    assert lines[1].startswith(f"error (ValidationExhaustedError): {invalid_article}: no valid")
    assert lines[2].startswith(f"error (InputError): {empty}: the article is empty")

    code, _, _ = _cli("summarize", str(invalid_article), str(missing), "-f", "json", *REPLAY)
    assert code == EXIT_OUTPUT  # the first failure decides, whatever its kind


@pytest.mark.vcr
def test_the_summary_line_counts_every_input_and_the_tokens_of_failed_ones(
    tmp_path: Path, invalid_article: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(PRICES_ENV, raising=False)
    page = tmp_path / "report.md"
    args = ["summarize", str(KURSK), str(invalid_article), "-f", "md", "-o", str(page)]
    result = runner.invoke(app, [*args, "--base-url", REPLAY_BASE_URL])
    assert result.exit_code == EXIT_OUTPUT
    assert page.read_text(encoding="utf-8").startswith("# Le Pentagone annonce")
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith(
        "summarized 1 of 2 inputs · 10 requests, 8,670 prompt + 864 completion tokens · "
        "est. cost $0.00 · "
    )
    assert last.endswith(f"failed: {invalid_article} (exit code 5, the first failure's)")


def test_help_documents_the_exit_code_of_several_inputs() -> None:
    code, out, _ = _cli("summarize", "--help")
    assert code == 0
    assert "with several inputs, the code of the first one that failed" in " ".join(out.split())


def test_when_every_input_fails_nothing_is_written(tmp_path: Path) -> None:
    page = tmp_path / "report.html"
    missing = [str(tmp_path / "a.txt"), str(tmp_path / "b.txt")]
    code, out, err = _cli("summarize", *missing, "-f", "html", "-o", str(page), *REPLAY)
    assert code == EXIT_INPUT and out == "" and not page.exists()
    assert [line.split(": ")[1] for line in err.strip().splitlines()] == missing


@pytest.mark.parametrize(
    ("env", "value", "message"),
    [
        ("SUMMARIZER_BACKEND", "bogus", "unknown backend 'bogus'"),
        (PRICES_ENV, "/nonexistent/prices.json", "price file cannot be read"),
    ],
)
def test_bad_configuration_fails_once_before_any_input(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, env: str, value: str, message: str
) -> None:
    monkeypatch.setenv(env, value)
    code, out, err = _cli("summarize", str(tmp_path / "a.txt"), str(tmp_path / "b.txt"))
    assert code == EXIT_PROVIDER and out == ""
    line = err.strip()
    assert "\n" not in line and message in line and "a.txt" not in line


@pytest.mark.block_network(allowed_hosts=["127.0.0.1", "localhost"])
def test_a_refused_key_stops_at_the_first_input(tmp_path: Path, httpserver: HTTPServer) -> None:
    refused = {"error": {"message": "Incorrect API key provided", "code": "invalid_api_key"}}
    httpserver.expect_request("/v1/chat/completions").respond_with_json(refused, status=401)
    inputs = []
    for name in ("a.txt", "b.txt", "c.txt"):
        path = tmp_path / name
        path.write_text(KURSK.read_text(encoding="utf-8"), encoding="utf-8")
        inputs.append(str(path))
    result = runner.invoke(
        app,
        ["summarize", *inputs, "-f", "json", "--base-url", httpserver.url_for("/v1")],
        env={"OPENAI_API_KEY": "sk-refused", "SUMMARIZER_PARALLEL": "1"},
    )
    assert result.exit_code == EXIT_PROVIDER
    assert result.stderr.count("(AuthenticationError)") == 1
    assert "stopped: the other 2 input(s) were not tried" in result.stderr
    assert len(httpserver.log) == 1  # b.txt and c.txt never reached the endpoint
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("summarized 0 of 3 inputs")
    assert last.endswith(f"failed: {', '.join(inputs)} (exit code 4, the first failure's)")

    jsonl = runner.invoke(
        app,
        ["summarize", *inputs, "-f", "jsonl", "-q", "--base-url", httpserver.url_for("/v1")],
        env={"OPENAI_API_KEY": "sk-refused", "SUMMARIZER_PARALLEL": "1"},
    )
    lines = [json.loads(line) for line in jsonl.stdout.splitlines()]
    assert [(x["source"], x["state"], x["error"]["type"]) for x in lines] == [
        (inputs[0], "failed", "AuthenticationError"),
        (inputs[1], "not_tried", "AuthenticationError"),
        (inputs[2], "not_tried", "AuthenticationError"),
    ]
    assert lines[1]["error"]["message"].startswith("not tried: each input would meet the same")
    assert len(httpserver.log) == 2 and "sk-refused" not in jsonl.stdout


@pytest.mark.vcr
def test_ctrl_c_keeps_the_summaries_already_made(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    second = tmp_path / "second.txt"
    second.write_text("Titre\nLe ministre a déclaré que tout va bien.", encoding="utf-8")
    real = cli.summarize_text

    def summarize(text: str, **kwargs: Any) -> ArticleSummary:
        if text == second.read_text(encoding="utf-8"):
            raise KeyboardInterrupt
        return real(text, **kwargs)

    monkeypatch.setattr(cli, "summarize_text", summarize)
    out = tmp_path / "night.json"
    code, _, err = _cli("summarize", str(KURSK), str(second), "-f", "json", "-o", str(out), *REPLAY)
    assert code == 130
    assert "interrupted: 1 of 2 input(s) summarized and written" in err
    kept = json.loads(out.read_text(encoding="utf-8"))
    assert [s["article"]["title"] for s in kept] == [
        KURSK.read_text(encoding="utf-8").splitlines()[0]
    ]


# --- the format from --out's extension; ClaimReview-ready JSON-LD ----------------------------


@pytest.mark.vcr
def test_the_format_is_out_s_extension_unless_format_is_given(tmp_path: Path) -> None:
    missing = tmp_path / "missing.txt"
    for name in ("s.html", "s.csv", "s.md", "s.jsonl", "s.jsonld", "forced.html"):
        forced = ["-f", "json"] if name == "forced.html" else []
        code, out, err = _cli(
            "summarize", str(KURSK), str(missing), "-o", str(tmp_path / name), *forced, *REPLAY
        )
        assert code == EXIT_INPUT and out == "", err
    assert (tmp_path / "s.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert (tmp_path / "s.csv").read_text(encoding="utf-8").startswith(",".join(CSV_HEADER))
    assert (tmp_path / "s.md").read_text(encoding="utf-8").startswith("# Le Pentagone annonce")
    lines = [json.loads(x) for x in (tmp_path / "s.jsonl").read_text("utf-8").splitlines()]
    assert [(x["source"], x["state"]) for x in lines] == [
        (str(KURSK), "done"),
        (str(missing), "failed"),
    ]
    assert (
        json.loads((tmp_path / "s.jsonld").read_text("utf-8"))["@context"] == "https://schema.org"
    )
    assert json.loads((tmp_path / "forced.html").read_text("utf-8"))[0]["article"]["chars"] > 0


# What a schema.org Claim, its author, the article and a PropertyValue may hold here; a key
# outside these is a typo or a term schema.org does not have.
_CLAIM_KEYS = {
    "@type", "@id", "identifier", "text", "inLanguage", "author", "appearance",
    "firstAppearance", "datePublished", "description", "additionalProperty",
}  # fmt: skip
_ARTICLE_KEYS = {"@type", "@id", "url", "headline", "datePublished", "inLanguage", "publisher"}
_VALUE_KEYS = {"@type", "propertyID", "value", "description"}


@pytest.mark.vcr
def test_claimreview_export_is_schema_org_claims_of_the_seed_article(tmp_path: Path) -> None:
    as_json = _kursk_json(tmp_path)  # the same article, with a URL and a title
    code, out, err = _cli("summarize", str(as_json), "--format", "claimreview", *REPLAY)
    assert code == 0, err
    doc = json.loads(out)
    assert set(doc) == {"@context", "@graph"} and doc["@context"] == "https://schema.org"
    text = KURSK.read_text(encoding="utf-8")
    claims = doc["@graph"]
    assert len(claims) == 6 and len({c["@id"] for c in claims}) == 6
    for claim in claims:
        assert set(claim) <= _CLAIM_KEYS and claim["@type"] == "Claim", claim
        assert claim["@id"].startswith("urn:sha256:") and claim["text"] in text
        assert "claimReviewed" not in claim and "reviewRating" not in claim  # not ours to give
        assert claim["author"]["@type"] in ("Person", "Organization") and claim["author"]["name"]
        article = claim["appearance"]
        assert claim["firstAppearance"] == article and set(article) <= _ARTICLE_KEYS
        assert article["@type"] == "NewsArticle" and article["url"] == "https://example.org/k"
        assert article["headline"] == "Koursk (JSON)" and claim["inLanguage"] == "fr"
        props = {p["propertyID"]: p for p in claim["additionalProperty"]}
        assert all(p["@type"] == "PropertyValue" and set(p) <= _VALUE_KEYS for p in props.values())
        assert props["evidenceStatus"]["value"] in {s.value for s in EvidenceStatus}
    ryder = next(c for c in claims if c["author"]["name"] == "Patrick Ryder")
    assert ryder["author"]["@type"] == "Person"
    props = {p["propertyID"]: p["value"] for p in ryder["additionalProperty"]}
    assert props["evidenceStatus"] == "none_provided" and props["evidenceBasis"] == "cue"
    assert "aucune preuve" in props["evidenceCue"]
    pentagon = next(c for c in claims if "relayedBy" in str(c["additionalProperty"]))
    assert any(p["value"] == "RIA Novosti" for p in pentagon["additionalProperty"])
