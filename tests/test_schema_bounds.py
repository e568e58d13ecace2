"""The model-facing answer schemas carry the bounds their validators enforce.

Grammar-constrained decoding (llama.cpp turns the schema into a grammar) can produce any
instance of the schema, the smallest included. A fake endpoint that answers each question
with the *minimal* instance of the schema it was sent (every integer at its minimum, every
list at its minimum length, the first enum value, no optional field) must not fail every
article: before, ``sentence: 0`` fitted the schema and no validator accepted it.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx2
import pytest

from summarizer import Summarizer
from summarizer.models import EventAnswer, EvidenceAnswer, OverviewAnswer
from tests.batch_support import article_text


def minimal_instance(schema: dict[str, Any], root: dict[str, Any] | None = None) -> Any:
    """The smallest value ``schema`` allows (``$ref``, ``anyOf``, enums, bounds)."""
    root = root or schema
    if "$ref" in schema:
        node: Any = root
        for part in schema["$ref"].removeprefix("#/").split("/"):
            node = node[part]
        return minimal_instance(node, root)
    if "anyOf" in schema:
        options = schema["anyOf"]
        if any(o.get("type") == "null" for o in options):
            return None
        return minimal_instance(options[0], root)
    if "const" in schema:
        return schema["const"]
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "object":
        properties = schema.get("properties", {})
        return {
            name: minimal_instance(properties[name], root) for name in schema.get("required", [])
        }
    if kind == "array":
        item = minimal_instance(schema.get("items", {}), root)
        return [item] * schema.get("minItems", 0)
    if kind == "integer":
        return schema.get("minimum", 0)
    if kind == "number":
        return schema.get("minimum", 0.0)
    if kind == "string":
        return "a" * schema.get("minLength", 0)
    if kind == "boolean":
        return False
    return None


def _answer(request: httpx2.Request) -> httpx2.Response:
    body = json.loads(request.content)
    message: dict[str, Any] = {"role": "assistant", "content": None}
    if body.get("tools"):
        function = body["tools"][0]["function"]
        arguments = json.dumps(minimal_instance(function["parameters"]))
        message["tool_calls"] = [
            {
                "id": "call_1",
                "type": "function",
                "function": {"name": function["name"], "arguments": arguments},
            }
        ]
    else:
        schema = body["response_format"]["schema"]
        message["content"] = json.dumps(minimal_instance(schema))
    return httpx2.Response(
        200,
        json={
            "id": "chatcmpl-1",
            "object": "chat.completion",
            "created": 0,
            "model": body["model"],
            "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
        },
    )


@pytest.mark.parametrize(
    ("backend", "mode"), [("local", "json"), ("openai", "tools")], ids=["llama.cpp", "tools"]
)
def test_minimal_schema_instances_do_not_fail_the_article(backend: str, mode: str) -> None:
    client = httpx2.AsyncClient(transport=httpx2.MockTransport(_answer))
    summarizer = Summarizer(
        backend=backend,  # type: ignore[arg-type]
        base_url="http://127.0.0.1:9/v1",
        api_key="sk-test-not-a-real-key",
        mode=mode,  # type: ignore[arg-type]
        http_client=client,
    )

    async def go() -> Any:
        async with summarizer:
            return await summarizer.asummarize(article_text(4))

    summary = asyncio.run(asyncio.wait_for(go(), 60))  # before: ValidationExhaustedError
    assert summary.summary  # the sentence ids were all valid
    # What is left is grounding no schema can state (is the trigger "a" written in S1?).
    assert "does not exist" not in " ".join(summary.provenance.warnings)


@pytest.mark.parametrize(
    "model",
    [OverviewAnswer, EventAnswer, EvidenceAnswer],
    ids=lambda m: m.__name__,
)
def test_every_integer_of_an_answer_schema_is_bounded_below(model: type) -> None:
    """Sentence ids start at 1: no integer of an answer schema may allow 0."""
    found: list[str] = []

    def walk(node: Any, where: str) -> None:
        if isinstance(node, dict):
            if node.get("type") == "integer":
                found.append(f"{where}: minimum {node.get('minimum')}")
            for key, value in node.items():
                walk(value, f"{where}.{key}")
        elif isinstance(node, list):
            for value in node:
                walk(value, where)

    walk(model.model_json_schema(), model.__name__)
    assert found and all(line.endswith("minimum 1") for line in found), found
