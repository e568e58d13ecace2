"""A long article is read in overlapping parts: every request fits, offsets stay right.

The model here is a scripted OpenAI-compatible endpoint on 127.0.0.1 that answers each pass
with the first valid choice it is offered; it checks plumbing, not judgement.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import re
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from summarizer import Settings, Summarizer
from summarizer.retrying import RetryPolicy

pytestmark = pytest.mark.block_network(allowed_hosts=["127.0.0.1", "localhost"])

PARAGRAPH = (
    "Le ministre {n} a déclaré « nous ouvrirons {n} écoles cette année ». "
    "L'opposition a démenti ce chiffre {n}."
)
ARTICLE = "\n".join(PARAGRAPH.format(n=n) for n in range(40))


def answer(body: dict[str, Any]) -> dict[str, Any]:
    system, user = body["messages"][0]["content"], body["messages"][-1]["content"]
    if "Label the sentence marked" in user:
        first_name = re.search(r"Names: ([^,.]+)", user)
        speaker = first_name.group(1) if first_name else "unnamed source"
        return {"speaker": speaker, "speaker_type": "named_on_record", "kind": "claim"}
    if "Label every one, by its id" in user:  # the labels question of the parse path
        ids = re.findall(r"^(A\d+) \[S\d+\]", user, re.M)
        return {i: {"kind": "claim", "commitment": "asserted"} for i in ids}
    if "Ignore the numbers" in user:  # the figures question: the headline's against the body's
        return {i: {"same_group": "yes"} for i in re.findall(r"^(F\d+): ", user, re.M)}
    if "does B answer A" in user:  # the replies question: nothing here answers anything
        return {i: {"answers": "no"} for i in set(re.findall(r"^(R\d+) A ", user, re.M))}
    first = re.search(r"\[S(\d+)\] (\w+)", system)
    assert first is not None
    if "Three short tasks" in user:
        n, word = int(first.group(1)), first.group(2)
        return {
            "events": [{"sentence": n, "trigger": word, "what": "x", "status": "occurred"}],
            "inconsistencies": [],
            "summary": [{"text": "Un résumé.", "sentences": [n]}],
        }
    assert "about every claim, by its id" in user, user  # the evidence question
    ids = re.findall(r"^(C\d+) \[S\d+\]", user, re.M)
    return {i: {"statement": "fact", "evidence": "not_discussed"} for i in ids}


def _summarize(httpserver: HTTPServer, **changes: Any) -> tuple[Any, list[int]]:
    """The summary of ARTICLE by the scripted endpoint, and each request's sentence count."""
    sizes: list[int] = []

    def handle(request: Request) -> Response:
        body = json.loads(request.data)
        sizes.append(len(re.findall(r"^\[S\d+\]", body["messages"][0]["content"], re.M)))
        content = json.dumps(answer(body), ensure_ascii=False)
        return Response(
            json.dumps(
                {
                    "id": "x",
                    "object": "chat.completion",
                    "created": 0,
                    "model": "m",
                    "choices": [
                        {
                            "index": 0,
                            "finish_reason": "stop",
                            "message": {"role": "assistant", "content": content},
                        }
                    ],
                    "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
                }
            ),
            content_type="application/json",
        )

    httpserver.expect_request("/v1/chat/completions").respond_with_handler(handle)
    settings = dataclasses.replace(
        Settings.resolve(
            backend="openai",
            base_url=httpserver.url_for("/v1"),
            api_key="k",
            mode="json",
            retry=RetryPolicy(max_attempts=1),
        ),
        max_input_tokens=400,
        **changes,
    )

    async def run() -> Any:
        async with Summarizer(settings=settings) as s:
            return await s.asummarize(ARTICLE)

    return asyncio.run(run()), sizes


def test_long_article_is_chunked_and_grounded(httpserver: HTTPServer) -> None:
    summary, sizes = _summarize(httpserver)
    assert summary.check_grounded(ARTICLE) == []
    assert len(summary.events) > 3  # one overview per part, merged
    # 80 statement sentences: the first 48 (the default cap) are attributed, and the cut is
    # said, not silent.
    cap = Settings.max_statements
    assert cap == 48
    assert len(summary.claims) + len(summary.counterclaims) == cap
    assert any(f"{cap} of 80" in w for w in summary.provenance.warnings)
    # No prompt carries the whole article (80 sentences): each holds one part (≈ 400 tokens).
    assert 0 < max(sizes) <= 40


def test_a_complete_extraction_attributes_every_statement(httpserver: HTTPServer) -> None:
    summary, _sizes = _summarize(httpserver, max_statements=0)
    assert len(summary.claims) + len(summary.counterclaims) == 80
    assert not any("statement sentences were attributed" in w for w in summary.provenance.warnings)
