"""The figures question (summarizer/_figures.py) on every pair the rule proposes, and our reading.

    python benchmarks/figures_check.py --gold /work/shared/eval/dev_gold.jsonl \
        --articles /work/shared/articles/fr-wikinews --out benchmarks/figures_check.json

Reads the test articles, the fr-wikinews articles and the dev gold documents, keeps those the
figures rule (summarizer/_numbers.py) proposes a pair for, and asks the model (the embedded one
unless OPENAI_BASE_URL says otherwise) whether both figures count the same group, as the
pipeline does. ``READ`` is our reading of each pair; the prompt was written while these
pairs were being asked, so this is a check of seven pairs, not a held-out measurement. The
JSON holds ids, pair numbers, kinds and answers only (no article text).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parent.parent)]

from summarizer import _figures  # noqa: E402
from summarizer._chunking import chunks, sentence_limit  # noqa: E402
from summarizer._document import Document  # noqa: E402
from summarizer._language import detect_language  # noqa: E402
from summarizer._parallel import Parallel  # noqa: E402
from summarizer.client import Meter  # noqa: E402
from summarizer.pipeline import Summarizer  # noqa: E402

READ = {
    # the subtitle's 2 000 sent to Kursk: the body's "plusieurs milliers" sent to Kursk are the
    # same soldiers; its "environ 10 000 … déployés en Russie" are all of them, another group
    ("kursk.fr", 1): "yes",
    ("kursk.fr", 2): "no",
    # 153 aboard the plane against at least 15 killed by a suicide bomber elsewhere
    ("003-nigeria-crash-d-un-avion-avec-153-personnes-a-bord-a-lagos", 1): "no",
    # 47 dead in Xiamen against 28 dead in Chengdu in 2009
    ("dewikinews-dev-75720", 1): "no",
    # 7 militants killed in Afghanistan against 4 of them in one district
    ("wikievents-dev-road_ied_12", 1): "no",
    # "several people" injured by the blast against the 11 of them taken to hospital: one group
    ("wikievents-dev-scenario_en_kairos_60", 1): "yes",
    # "several people" injured in Lyon against 130 killed in Paris in 2015
    ("wikievents-dev-scenario_en_kairos_60", 2): "no",
}


def texts(gold: Path | None, articles: Path | None) -> list[tuple[str, str, str | None]]:
    """(id, text, language or None to detect) of every article read."""
    here = Path(__file__).resolve().parent.parent / "tests" / "data"
    found = [(p.stem, p.read_text(encoding="utf-8"), None) for p in sorted(here.glob("*.txt"))]
    if articles is not None:
        found += [
            (p.stem, p.read_text(encoding="utf-8"), None) for p in sorted(articles.glob("*.txt"))
        ]
    if gold is not None:
        for line in gold.read_text(encoding="utf-8").splitlines():
            d = json.loads(line)
            found.append((d["id"], d["text"], d["lang"]))
    return found


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gold", type=Path, default=None)
    parser.add_argument("--articles", type=Path, default=None)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    rows = []
    articles = texts(args.gold, args.articles)
    async with Summarizer() as summarizer:
        client = await summarizer._model_client()
        limit = summarizer.settings.max_input_tokens
        for ident, text, language in articles:
            language = language or detect_language(text)
            doc = Document(text, language, None, text, sentence_limit(limit))
            pairs = _figures.proposed(doc)
            if not pairs:
                continue
            parts = chunks(doc.sentences, limit)
            got = await _figures.ask(client, doc, parts, Meter(), Parallel(1))
            for pair, (_conflict, same) in zip(pairs, got, strict=True):
                model = "yes" if same else "no"
                read = READ.get((ident, pair.key))
                rows.append(
                    {
                        "id": ident,
                        "pair": pair.key,
                        "kind": pair.conflict.kind,
                        "model": model,
                        "read": read,
                        "agree": None if read is None else model == read,
                    }
                )
                print(ident, pair.key, pair.conflict.kind, model, read, file=sys.stderr)
    agreed = [r for r in rows if r["agree"] is not None]
    summary = {
        "articles_read": len(articles),
        "articles_with_pairs": len({r["id"] for r in rows}),
        "pairs": len(rows),
        "model_agrees": sum(bool(r["agree"]) for r in agreed),
        "read": len(agreed),
        "kept_by_model": sum(r["model"] == "yes" for r in rows),
        "same_group_read": sum(r["read"] == "yes" for r in rows),
    }
    print(json.dumps(summary))
    if args.out:
        args.out.write_text(json.dumps({"summary": summary, "pairs": rows}, indent=1) + "\n")


if __name__ == "__main__":
    asyncio.run(main())
