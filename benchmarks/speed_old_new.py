"""The committed form of ``speed_old_new.sh``'s runs: per commit and corpus the documents, the
mean seconds a document, the requests asked and their tokens (ids, counts and seconds only).

    python benchmarks/speed_old_new.py OUT_DIR OLD_COMMIT NEW_COMMIT [MORE_COMMITS] --json F

Each later commit's seconds a document are also given as a ratio to the first's.
"""

from __future__ import annotations

import argparse
import json
import re
import sqlite3
from pathlib import Path
from typing import Any

CORPORA = ("polnear", "de-wikinews-quotes")


def _run(out: Path, commit: str, corpus: str) -> dict[str, Any]:
    report = json.loads((out / f"{commit}-{corpus}.json").read_text(encoding="utf-8"))
    last = (out / f"{commit}-{corpus}.log").read_text(encoding="utf-8").strip().splitlines()[-1]
    found = re.search(r"(\d+) documents, (\d+) s, answers replayed (\d+), asked (\d+)", last)
    if found is None:
        raise SystemExit(f"{commit} {corpus}: the run did not finish ({last!r})")
    docs, seconds, replayed, asked = map(int, found.groups())
    prompt = completion = 0
    with sqlite3.connect(out / f"{commit}-{corpus}.db") as db:
        for (body,) in db.execute("SELECT body FROM answers"):
            usage = json.loads(body).get("usage") or {}
            prompt += usage.get("prompt_tokens", 0)
            completion += usage.get("completion_tokens", 0)
    return {
        "documents": [p["id"] for p in report["predictions"]["pipeline"]],
        "failed": report["failed"],
        "seconds_per_doc": report["seconds_per_doc"],
        "run_seconds": seconds,
        "requests_asked": asked,
        "requests_replayed_within_the_run": replayed,
        "requests_per_doc": round(asked / docs, 1),
        "prompt_tokens_per_doc": round(prompt / docs),
        "completion_tokens_per_doc": round(completion / docs),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("old")
    parser.add_argument("new", nargs="+")
    parser.add_argument("--json", type=Path, required=True)
    args = parser.parse_args()
    runs = {c: {k: _run(args.out, c, k) for k in CORPORA} for c in (args.old, *args.new)}
    ratio = {
        c: {
            k: round(runs[c][k]["seconds_per_doc"] / runs[args.old][k]["seconds_per_doc"], 2)
            for k in CORPORA
        }
        for c in args.new
    }
    result = {"old": args.old, "new": args.new, "runs": runs, "over_old_seconds": ratio}
    args.json.write_text(json.dumps(result, indent=1) + "\n")
    print(json.dumps(ratio))


if __name__ == "__main__":
    main()
