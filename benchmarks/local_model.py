"""Embedded local model: seconds per article, and generation speed through our stack vs raw.

Runs in one process, one after the other (2 shared cores: ratios within one run, not absolute
numbers, are what to compare):

1. the whole pipeline on the seed article through the embedded llama.cpp server;
2. one representative request (the overview pass of the seed article) through our client
   (openai SDK + instructor + validation + server), timed from the client;
3. the same messages and JSON-schema grammar with ``llama_cpp.Llama.create_chat_completion``
   in-process: the raw runtime, no HTTP, no validation.

Usage: ``python benchmarks/local_model.py [--json results.json]`` (needs the ``local`` extra).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from summarizer import Summarizer, prompts  # noqa: E402
from summarizer._document import Document  # noqa: E402
from summarizer._packs import pack  # noqa: E402
from summarizer.client import Meter  # noqa: E402
from summarizer.local import get_server, locate_weights  # noqa: E402
from summarizer.models import OverviewAnswer  # noqa: E402

SEED = ROOT / "tests" / "data" / "kursk.fr.txt"


def overview_messages(doc: Document) -> list[dict[str, str]]:
    return [
        doc.system_message(doc.sentences),
        {
            "role": "user",
            "content": prompts.render("overview.user", language_name=pack(doc.language).name),
        },
    ]


async def pipeline_run(text: str) -> dict[str, Any]:
    started = time.perf_counter()
    async with Summarizer(backend="local") as s:
        summary = await s.asummarize(text)
    wall = time.perf_counter() - started
    u = summary.provenance.usage
    return {
        "seconds": round(wall, 1),
        "requests": u.requests,
        "prompt_tokens": u.prompt_tokens,
        "completion_tokens": u.completion_tokens,
        "claims": len(summary.claims),
        "counterclaims": len(summary.counterclaims),
    }


async def client_request(doc: Document) -> dict[str, Any]:
    async with Summarizer(backend="local", max_reasks=0) as s:
        client = await s._model_client()
        meter = Meter()
        started = time.perf_counter()
        await client.ask(
            OverviewAnswer, overview_messages(doc), meter=meter, context=doc.context, max_tokens=600
        )
        wall = time.perf_counter() - started
    return {
        "seconds": round(wall, 2),
        "completion_tokens": meter.usage.completion_tokens,
        "prompt_tokens": meter.usage.prompt_tokens,
    }


def raw_request(doc: Document, model_path: Path) -> dict[str, Any]:
    from llama_cpp import Llama

    llm = Llama(model_path=str(model_path), n_ctx=4096, n_threads=2, verbose=False)
    messages = overview_messages(doc)
    schema = OverviewAnswer.model_json_schema()
    for _ in range(2):  # the second call finds the article in the KV cache, as ours does
        started = time.perf_counter()
        out: Any = llm.create_chat_completion(
            messages=messages,
            temperature=0,
            max_tokens=600,
            response_format={"type": "json_object", "schema": schema},
        )
        wall = time.perf_counter() - started
    usage = out["usage"]
    return {
        "seconds": round(wall, 2),
        "completion_tokens": usage["completion_tokens"],
        "prompt_tokens": usage["prompt_tokens"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--json", type=Path, help="write the results here too")
    args = parser.parse_args()
    text = SEED.read_text(encoding="utf-8")
    doc = Document(text, "fr", None)
    server = get_server()
    results: dict[str, Any] = {
        "date": time.strftime("%Y-%m-%d"),
        "machine": f"{platform.machine()}, {platform.processor() or 'cpu'}, 2 cores",
        "model": server.model_id,
    }
    results["pipeline_seed_article"] = asyncio.run(pipeline_run(text))
    # Both sides are timed with the article already in their prompt cache.
    ours = asyncio.run(client_request(doc))
    server.stop()
    raw = raw_request(doc, locate_weights())
    for row in (ours, raw):
        row["completion_tokens_per_s"] = round(row["completion_tokens"] / row["seconds"], 2)
    results["overview_request_ours"] = ours
    results["overview_request_raw_llama_cpp"] = raw
    results["ratio_ours_to_raw_tokens_per_s"] = round(
        ours["completion_tokens_per_s"] / raw["completion_tokens_per_s"], 3
    )
    print(json.dumps(results, indent=2))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
