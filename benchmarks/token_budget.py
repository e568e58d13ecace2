"""What an article costs at most, in prompt tokens, to size the default token budget.

    python benchmarks/token_budget.py GOLD.jsonl [--out benchmarks/token_budget.json]

Runs every document through the scripted fake endpoint of tests/fakes (no model, on
127.0.0.1) with the embedded model's settings and no budget. The fake answers every statement
as a claim, so every claim no cue settles gets an evidence question: the most questions the
pipeline can ask. Prompt tokens are estimated as characters / 3.5 of each request's messages.
Writes document ids and counts only.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import Any

sys.path[:0] = [str(Path(__file__).resolve().parent.parent)]

from summarizer import Settings, Summarizer  # noqa: E402
from summarizer._chunking import CHARS_PER_TOKEN  # noqa: E402
from tests.fakes.embedded_like import embedded_like  # noqa: E402
from tests.fakes.fake_openai import FakeOpenAI, FakeRequest  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("gold", type=Path)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    docs = [json.loads(line) for line in args.gold.read_text(encoding="utf-8").splitlines()]
    sizes: list[int] = []

    def watch(_index: int, request: FakeRequest) -> None:
        sizes.append(sum(len(str(m.get("content") or "")) for m in request.messages))

    rows: list[dict[str, Any]] = []
    with FakeOpenAI(faults=watch) as fake:
        settings = embedded_like(fake.base_url, mode="json", token_budget=None)

        async def run() -> None:
            async with Summarizer(settings=settings) as summarizer:
                for doc in docs:
                    sizes.clear()
                    await summarizer.asummarize(doc["text"], language=doc.get("lang"))
                    rows.append(
                        {
                            "id": doc["id"],
                            "requests": len(sizes),
                            "prompt_tokens_est": int(sum(sizes) / CHARS_PER_TOKEN),
                            "largest_request_tokens_est": int(max(sizes) / CHARS_PER_TOKEN),
                        }
                    )

        asyncio.run(run())
    costs = sorted(r["prompt_tokens_est"] for r in rows)
    report = {
        "documents": len(rows),
        "max_input_tokens": Settings.max_input_tokens,
        "prompt_tokens_est": {"max": costs[-1], "median": costs[len(costs) // 2]},
        "over_40000": sum(c >= 40_000 for c in costs),
        "per_document": rows,
    }
    text = json.dumps(report, indent=1)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")
    print(json.dumps({k: v for k, v in report.items() if k != "per_document"}))


if __name__ == "__main__":
    main()
