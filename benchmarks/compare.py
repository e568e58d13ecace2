"""An older commit beside this tree, in one run: CPU per article, the night at C=32 and C=128.

    python benchmarks/compare.py --old 9c8047c            # writes benchmarks/results-compare.json
    python benchmarks/compare.py --old 9c8047c --rounds 2 --concurrency 32,128

The old commit is exported (``git archive``) into a temporary directory; each measurement of
``benchmarks/run.py`` (item 2 "overhead", item 1 "throughput" at each C) runs from the old tree
and then from this one, one after the other, so both see the same machine; with ``--rounds 2``
the second round runs this tree first. Each tree's ratios are to its own bare ``AsyncOpenAI``
figure of the same measurement. Then each tree's ``summarizer batch`` answers the same
articles with claims (several questions each) against one fake: the requests and tokens the
fake served must be the same.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path[:0] = [str(Path(__file__).resolve().parent), str(Path(__file__).resolve().parent.parent)]

from _common import PY, ROOT, FakeServer, run_cli_batch, write_articles  # noqa: E402
from run import commit, log, machine  # noqa: E402


def export(rev: str, into: Path) -> tuple[Path, str]:
    """The tree of ``rev`` under ``into`` and its one-line description."""
    archive = into / "old.tar"
    subprocess.run(["git", "-C", str(ROOT), "archive", "-o", str(archive), rev], check=True)
    tree = into / "old"
    with tarfile.open(archive) as tar:
        tar.extractall(tree, filter="data")
    described = subprocess.run(
        ["git", "-C", str(ROOT), "log", "-1", "--format=%h %cs %s", rev],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    return tree, described


def measure(tree: Path, item: str, out: Path, concurrency: int | None = None) -> dict[str, Any]:
    """One item of ``tree``'s own ``benchmarks/run.py``, in a process of its own."""
    args = [PY, str(tree / "benchmarks" / "run.py"), "--only", item, "--json", str(out)]
    if concurrency is not None:
        args += ["--concurrency", str(concurrency)]
    subprocess.run(args, cwd=tree, check=True, stdout=subprocess.DEVNULL)
    data: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    measured: dict[str, Any] = data["items"][item]
    measured["load_average_at_start"] = data["machine"]["load_average"]
    return measured


def same_work(trees: dict[str, Path], tmp: Path, n: int) -> dict[str, Any]:
    """Requests and tokens served to each tree's ``summarizer batch`` for the same articles."""
    source = write_articles(tmp / "claims.jsonl", n, "claims", start=700_000)
    out: dict[str, Any] = {}
    for name, tree in trees.items():
        with FakeServer(latency=0.0) as fake:
            run = run_cli_batch(
                fake.base_url, source, tmp / f"same-{name}.db", tmp / "same.jsonl", 8, tree
            )
            served = fake.stop()
        out[name] = {
            "articles": n,
            "done": run["store_done"],
            "requests_served": served["requests"],
            "tokens_served": served["usage_served"],
            "usage_counted": run["run_usage"],
        }
    return out


def row(o: dict[str, Any]) -> dict[str, float]:
    ms = o["cpu_ms_per_article"]
    return {"sdk_ms": ms["sdk"], "run_batch_ms": ms["run_batch"], "ratio": o["ratio_to_bare"]}


def table(results: dict[str, Any]) -> str:
    lines = [
        "| round | tree | measure | ours | bare AsyncOpenAI | ours / bound | bare / bound |",
        "|---|---|---|---|---|---|---|",
    ]
    for r, rnd in enumerate(results["rounds"], 1):
        for name in rnd["order"]:
            o = rnd[name]["overhead"]
            ms = o["cpu_ms_per_article"]
            lines.append(
                f"| {r} | {name} | CPU ms per one-request article (`run_batch`; ratio to the "
                f"bare call) | {ms['run_batch']:.2f} (**{o['ratio_to_bare']:.2f}×**) | "
                f"{ms['sdk']:.2f} | – | – |"
            )
        for c in results["parameters"]["concurrency"]:
            for name in rnd["order"]:
                (t,) = rnd[name][f"throughput_c{c}"]["rows"]
                lines.append(
                    f"| {r} | {name} | night, N={t['n']}, L={t['latency_s']:g} s, C={c} (bound "
                    f"{t['bound_s']:.0f} s) | {t['ours_wall_s']:.1f} s | {t['bare_wall_s']:.1f} s "
                    f"| **{t['ours_ratio']:.3f}** ({t['ours_ratio_without_start']:.3f} without "
                    f"start) | {t['bare_ratio']:.3f} ({t['bare_ratio_without_start']:.3f}) |"
                )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=(__doc__ or "").split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--old", required=True, help="the commit to compare with")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--concurrency", default="32,128")
    parser.add_argument("--same-work-n", type=int, default=100)
    parser.add_argument("--json", type=Path, default=ROOT / "benchmarks" / "results-compare.json")
    args = parser.parse_args()
    cs = [int(c) for c in args.concurrency.split(",")]
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="summarizer-compare-") as name:
        tmp = Path(name)
        old_tree, old_commit = export(args.old, tmp)
        trees = {"old": old_tree, "new": ROOT}
        results: dict[str, Any] = {
            "date": time.strftime("%Y-%m-%d %H:%M"),
            "old_commit": old_commit,
            "new_commit": commit(),
            "machine": machine(),
            "parameters": {"rounds": args.rounds, "concurrency": cs},
            "rounds": [],
        }
        log("same work: requests and tokens served to each tree")
        results["same_work"] = same_work(trees, tmp, args.same_work_n)
        for r in range(args.rounds):
            order = ["old", "new"] if r % 2 == 0 else ["new", "old"]
            rnd: dict[str, Any] = {"order": order, "old": {}, "new": {}}
            for name in order:
                log(f"round {r + 1}: overhead, {name} tree")
                rnd[name]["overhead"] = measure(trees[name], "overhead", tmp / "m.json")
            for c in cs:
                for name in order:
                    log(f"round {r + 1}: throughput C={c}, {name} tree")
                    rnd[name][f"throughput_c{c}"] = measure(
                        trees[name], "throughput", tmp / "m.json", c
                    )
            results["rounds"].append(rnd)
            write(args.json, results)  # a round is kept even if a later one fails
    for name in ("old", "new"):
        rows = [row(rnd[name]["overhead"]) for rnd in results["rounds"]]
        results[f"{name}_overhead_ratio_median"] = statistics.median(x["ratio"] for x in rows)
    results["load_average_after"] = list(os.getloadavg())
    results["seconds"] = round(time.perf_counter() - started, 1)
    results["table"] = table(results)
    print(results["table"])
    print(json.dumps(results["same_work"], indent=1))
    write(args.json, results)
    log(f"wrote {args.json}")


def write(path: Path, results: dict[str, Any]) -> None:
    path.write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n", "utf-8")


if __name__ == "__main__":
    main()
