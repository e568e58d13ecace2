"""Every benchmark of issue 8 in one command: prints a table, writes ``benchmarks/results.json``.

    python benchmarks/run.py            # the full run (~25 min on 2 shared cores)
    python benchmarks/run.py --quick    # ~2 min: smaller N, fewer settings, no local model
    python benchmarks/run.py --skip-local   # full, but reuse benchmarks/local_model.json

Machines here are noisy (2 shared cores), so every figure that matters is a ratio of two
measurements taken in the same run: our batch vs the physical bound N·L/C and vs a bare
``AsyncOpenAI`` loop, our CPU per article vs a bare SDK call, a faulty night vs a clean one.
The fake model server (``tests/fakes/fake_openai.py``) always runs in its own process.

1. throughput: ``summarizer batch`` (a subprocess: process start included) over N one-request
   articles against a fake with latency L and C slots; wall / (N·L/C); same for a bare loop;
2. overhead: CPU ms per article in our process with a zero-latency fake, layer by layer, vs
   the bare SDK call for the same request; a cProfile of ``run_batch`` summarized;
3. scale: peak RSS streaming 1k/10k/100k small articles, store bytes per article;
4. idempotence: ``summarizer batch`` again on a finished night: requests made, wall time;
5. local model: ``benchmarks/local_model.py`` (embedded model vs raw llama_cpp);
6. faults: the throughput setting with 10 % and 30 % injected 429/5xx.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import pstats
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

# ``benchmarks`` is also the name of an unrelated package in some environments: import our
# helpers by file location, not as ``benchmarks._common``.
sys.path[:0] = [str(Path(__file__).resolve().parent), str(Path(__file__).resolve().parent.parent)]

from _common import (  # noqa: E402
    API_KEY,
    PY,
    ROOT,
    FakeServer,
    one_request_article,
    run_cli_batch,
    worker,
    write_articles,
)

HERE = ROOT / "benchmarks"
LATENCY = 1.0

# Fault mixes: rate → {fault: probability}; "5xx" rows have no 429 (no global pause).
FULL: dict[str, Any] = {
    "throughput_n": 1280,
    "throughput_c": (8, 32, 128),
    "overhead_n": 500,
    "overhead_reps": 3,
    "profile_n": 300,
    "claims_n": 200,
    "scale_full": (1_000, 10_000),
    "scale_stub": (1_000, 10_000, 100_000),
    "fault_n": 640,
    "fault_c": 32,
    "fault_rates": ((0.10, "429+5xx"), (0.30, "429+5xx"), (0.30, "5xx")),
}
QUICK: dict[str, Any] = {
    "throughput_n": 320,
    "throughput_c": (32,),
    "overhead_n": 200,
    "overhead_reps": 1,
    "profile_n": 100,
    "claims_n": 60,
    "scale_full": (),
    "scale_stub": (1_000, 10_000),
    "fault_n": 64,
    "fault_c": 32,
    "fault_rates": ((0.10, "429+5xx"),),
}


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# -- 1. throughput -------------------------------------------------------------------------


def capture_body(article: str) -> dict[str, Any]:
    """The exact chat request our pipeline sends for ``article`` (its only one: the overview),
    recorded by an in-thread fake; the bare loop sends this same body."""
    import asyncio

    from summarizer import Summarizer
    from tests.fakes.fake_openai import FakeOpenAI

    bodies: list[dict[str, Any]] = []

    def record(_index: int, request: Any) -> None:
        bodies.append(dict(request.body))

    with FakeOpenAI(faults=record) as fake:
        s = Summarizer(backend="openai", base_url=fake.base_url, api_key=API_KEY, mode="tools")
        asyncio.run(s.asummarize(article))
    if len(bodies) != 1:
        raise RuntimeError(f"the benchmark article made {len(bodies)} requests, not 1")
    return bodies[0]


def bench_throughput(p: dict[str, Any], tmp: Path, body_file: Path) -> dict[str, Any]:
    n = p["throughput_n"]
    source = write_articles(tmp / "throughput.jsonl", n)
    rows = []
    for c in p["throughput_c"]:
        bound = n * LATENCY / c
        store = tmp / f"night-c{c}.db"
        log(f"throughput C={c}: summarizer batch, {n} articles (bound {bound:.0f} s)")
        with FakeServer(latency=LATENCY, slots=c) as fake:
            ours = run_cli_batch(fake.base_url, source, store, tmp / f"out-c{c}.jsonl", c)
            served = fake.stop()
        ours_cpu_fake = fake.cpu_seconds
        log(f"throughput C={c}: bare AsyncOpenAI loop")
        with FakeServer(latency=LATENCY, slots=c) as fake:
            bare = worker(
                "bare",
                base_url=fake.base_url,
                body=body_file,
                n=n,
                concurrency=c,
                warmup=0,
            )
            bare_served = fake.stop()
        rows.append(
            {
                "concurrency": c,
                "n": n,
                "latency_s": LATENCY,
                "bound_s": bound,
                "ours_wall_s": ours["wall_s"],
                "ours_run_s": ours["run_s"],
                "ours_cpu_s": ours["cpu_s"],
                "ours_ratio": ours["wall_s"] / bound,
                "ours_ratio_without_start": ours["run_s"] / bound,
                "ours_requests": served["requests"],
                "ours_done": ours["store_done"],
                "ours_max_in_flight": served["max_in_flight"],
                "fake_cpu_s": ours_cpu_fake,
                "bare_wall_s": bare["process_wall_s"],
                "bare_loop_s": bare["loop_s"],
                "bare_cpu_s": bare["cpu_s"],
                "bare_ratio": bare["process_wall_s"] / bound,
                "bare_ratio_without_start": bare["loop_s"] / bound,
                "bare_requests": bare_served["requests"],
            }
        )
        log(
            f"  ours {ours['wall_s']:.1f} s ({rows[-1]['ours_ratio']:.3f}), bare "
            f"{bare['process_wall_s']:.1f} s ({rows[-1]['bare_ratio']:.3f})"
        )
    return {"rows": rows, "start_up": start_up_seconds()}


def start_up_seconds() -> dict[str, float]:
    """Wall and CPU of starting the CLI (imports) and of importing the SDK alone, median of 3."""
    out: dict[str, float] = {}
    for name, code in (
        ("cli_help", [PY, "-m", "summarizer", "batch", "--help"]),
        ("import_openai", [PY, "-c", "import openai"]),
    ):
        walls, cpus = [], []
        for _ in range(3):
            before = os.times()
            started = time.perf_counter()
            subprocess.run(code, cwd=ROOT, capture_output=True, check=True)
            walls.append(time.perf_counter() - started)
            after = os.times()
            cpus.append(
                after.children_user
                + after.children_system
                - before.children_user
                - before.children_system
            )
        out[f"{name}_wall_s"] = statistics.median(walls)
        out[f"{name}_cpu_s"] = statistics.median(cpus)
    return out


# -- 2. overhead ---------------------------------------------------------------------------

LAYERS = (
    "sdk",
    "sdk+instructor",
    "sdk+instructor, model wrapped once",
    "prepared question",
    "client.ask",
    "asummarize",
    "run_batch",
)


def bench_overhead(p: dict[str, Any], tmp: Path, body_file: Path) -> dict[str, Any]:
    reps: list[dict[str, Any]] = []
    with FakeServer(latency=0.0) as fake:
        for r in range(p["overhead_reps"]):
            log(f"overhead: layers, {p['overhead_n']} one-request articles, rep {r + 1}")
            reps.append(
                worker(
                    "layers",
                    base_url=fake.base_url,
                    body=body_file,
                    n=p["overhead_n"],
                    concurrency=8,
                )
            )
        log(f"overhead: run_batch over {p['claims_n']} articles with claims (~5 requests each)")
        claims = worker(
            "api", base_url=fake.base_url, kind="claims", n=p["claims_n"], concurrency=8
        )
        log("overhead: cProfile of run_batch")
        prof = tmp / "run_batch.prof"
        profiled = worker(
            "api",
            base_url=fake.base_url,
            n=p["profile_n"],
            concurrency=8,
            profile=prof,
        )
    layers = {name: statistics.median(rep[name]["cpu_ms_each"] for rep in reps) for name in LAYERS}
    return {
        "concurrency": 8,
        "n": p["overhead_n"],
        "reps": len(reps),
        "cpu_ms_per_article": layers,
        "ratio_to_bare": layers["run_batch"] / layers["sdk"],
        "claims_articles": {
            k: claims[k] for k in ("n", "requests_per_article", "cpu_ms_each", "cpu_ms_per_request")
        },
        "profile": summarize_profile(prof, profiled["cpu_s"]),
        "raw": reps,
    }


def _group(filename: str) -> str:
    """What a profiled function belongs to: a package, a module of ours, or the stdlib."""
    if filename.startswith("~") or filename.startswith("<"):
        return "builtins (C: json, re, sqlite3, socket …)"
    path = Path(filename)
    parts = path.parts
    if "site-packages" in parts:
        return parts[parts.index("site-packages") + 1].split(".")[0]
    if "summarizer" in parts:
        rest = parts[parts.index("summarizer") + 1 :]
        return "summarizer." + ".".join(rest).removesuffix(".py")
    return "stdlib " + (parts[-2] if parts[-2] in ("asyncio", "json", "sqlite3") else "other")


def summarize_profile(path: Path, cpu_s: float) -> dict[str, Any]:
    stats = pstats.Stats(str(path))
    entries: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    total = sum(v[2] for v in entries.values())
    groups: dict[str, float] = {}
    for (filename, _line, _name), (_cc, _nc, tottime, _ct, _callers) in entries.items():
        g = _group(filename)
        groups[g] = groups.get(g, 0.0) + tottime
    top_self = sorted(entries.items(), key=lambda kv: kv[1][2], reverse=True)[:12]
    ours = [
        (k, v)
        for k, v in entries.items()
        if "/summarizer/" in k[0] or "/instructor/" in k[0] or "/openai/" in k[0]
    ]
    top_cum = sorted(ours, key=lambda kv: kv[1][3], reverse=True)[:40]

    def label(key: Any) -> str:
        filename, line, name = key
        short = filename.split("site-packages/")[-1].replace(str(ROOT) + "/", "")
        return f"{short}:{line}({name})"

    return {
        "profiled_s": total,
        "unprofiled_cpu_s": cpu_s,
        "self_time_by_group": {
            g: round(t / total, 4) for g, t in sorted(groups.items(), key=lambda x: -x[1])[:14]
        },
        "top_self": [(label(k), round(v[2] / total, 4)) for k, v in top_self],
        "top_cumulative": [(label(k), round(v[3] / total, 4)) for k, v in top_cum],
    }


# -- 3. scale and 4. idempotence -----------------------------------------------------------


def bench_scale(p: dict[str, Any], tmp: Path) -> dict[str, Any]:
    """Each size in a fresh process (peak RSS is per process); the stores are kept for the
    rerun benchmark, the articles beside them."""
    rows = []
    with FakeServer(latency=0.0) as fake:
        for mode, sizes in (("stub", p["scale_stub"]), ("full", p["scale_full"])):
            for n in sizes:
                log(f"scale: {n:,} articles with claims, {mode} summarizer")
                store = tmp / f"scale-{mode}-{n}.db"
                rows.append(
                    worker(
                        "rss",
                        base_url=fake.base_url,
                        mode=mode,
                        kind="claims",
                        n=n,
                        concurrency=16,
                        store=store,
                    )
                )
                rows[-1]["store"] = str(store)
    out: dict[str, Any] = {"rows": rows}
    for mode in ("stub", "full"):
        mine = [r for r in rows if r["mode"] == mode]
        if len(mine) >= 2:
            out[f"{mode}_peak_growth_mb"] = mine[-1]["ru_maxrss_mb"] - mine[0]["ru_maxrss_mb"]
            out[f"{mode}_growth_range"] = [mine[0]["n"], mine[-1]["n"]]
    return out


def bench_rerun(tmp: Path, nights: list[tuple[str, Path, Path]]) -> dict[str, Any]:
    """``summarizer batch`` again over finished nights (the same articles, the same store),
    as a subprocess against a fresh fake that counts the requests it gets."""
    rows = []
    for what, source, store in nights:
        log(f"idempotence: rerun of {what}")
        with FakeServer(latency=LATENCY, slots=32) as fake:
            rerun = run_cli_batch(fake.base_url, source, store, tmp / "rerun.jsonl", 32)
            served = fake.stop()
        with (tmp / "rerun.jsonl").open(encoding="utf-8") as handle:
            lines = sum(1 for _ in handle)
        rows.append(
            {
                "night": what,
                "articles": lines,
                "requests": served["requests"],
                "wall_s": rerun["wall_s"],
                "run_s": rerun["run_s"],
                "run_requests": rerun["run_usage"].get("requests"),
            }
        )
    return {"rows": rows}


# -- 5. local model ------------------------------------------------------------------------


def bench_local(run_it: bool) -> dict[str, Any]:
    path = HERE / "local_model.json"
    if run_it:
        log("local model: benchmarks/local_model.py (about 4 minutes)")
        subprocess.run(
            [PY, str(HERE / "local_model.py"), "--json", str(path)],
            cwd=ROOT,
            check=True,
            stdout=subprocess.DEVNULL,
        )
    if not path.exists():
        return {"skipped": True}
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    data["reused"] = not run_it
    return data


# -- 6. faults -----------------------------------------------------------------------------


def fault_mix(rate: float, kinds: str) -> dict[str, float]:
    """``429+5xx``: half 429 (Retry-After: 1 s), half 5xx (500, 502, 503); ``5xx``: 5xx only."""
    if rate == 0:
        return {}
    if kinds == "5xx":
        return {
            "500": round(rate * 0.4, 4),
            "502": round(rate * 0.3, 4),
            "503": round(rate * 0.3, 4),
        }
    return {
        "429": round(rate / 2, 4),
        "500": round(rate / 5, 4),
        "502": round(rate * 3 / 20, 4),
        "503": round(rate * 3 / 20, 4),
    }


def bench_faults(p: dict[str, Any], tmp: Path) -> dict[str, Any]:
    n, c = p["fault_n"], p["fault_c"]
    source = write_articles(tmp / "faults.jsonl", n, start=100_000)
    rows = []
    for rate, kinds in ((0.0, "none"), *p["fault_rates"]):
        log(f"faults: {rate:.0%} injected {kinds}, {n} articles, C={c}")
        mix = fault_mix(rate, kinds)
        with FakeServer(latency=LATENCY, slots=c, faults=mix, seed=8) as fake:
            night = run_cli_batch(
                fake.base_url, source, tmp / f"faults-{rate}-{kinds}.db", tmp / "faults.out", c
            )
            served = fake.stop()
        rows.append(
            {
                "fault_rate": rate,
                "kinds": kinds,
                "mix": mix,
                "wall_s": night["wall_s"],
                "requests": served["requests"],
                "faults_served": served["faults_served"],
                "requests_per_article": served["requests"] / n,
                "extra_requests_per_article": served["requests"] / n - 1,
                "done": night["store_done"],
                "failed": night["store_failed"],
            }
        )
    base = rows[0]["wall_s"]
    for row in rows:
        row["wall_vs_clean"] = row["wall_s"] / base
    bound = n * LATENCY / c
    return {"n": n, "concurrency": c, "latency_s": LATENCY, "bound_s": bound, "rows": rows}


# -- table ---------------------------------------------------------------------------------


def _yes(ok: bool) -> str:
    return "met" if ok else "MISSED"


def table(results: dict[str, Any]) -> str:
    """The Markdown table printed at the end (and pasted into the README)."""
    r = results["items"]
    lines = ["| # | measure | result | goal |", "|---|---|---|---|"]
    add: Callable[..., None] = lambda *cells: lines.append("| " + " | ".join(cells) + " |")  # noqa: E731
    if "throughput" in r:
        t = r["throughput"]
        for row in t["rows"]:
            c = row["concurrency"]
            goal = f"≤ 1.10: {_yes(row['ours_ratio'] <= 1.10)}" if c == 32 else "–"
            add(
                "1",
                f"wall / (N·L/C), N={row['n']}, L={row['latency_s']:g} s, C={c} "
                f"(bound {row['bound_s']:.0f} s)",
                f"**{row['ours_ratio']:.3f}** ({row['ours_wall_s']:.1f} s; "
                f"{row['ours_ratio_without_start']:.3f} without process start) · bare "
                f"AsyncOpenAI {row['bare_ratio']:.3f} ({row['bare_ratio_without_start']:.3f})",
                goal,
            )
        s = t["start_up"]
        add(
            "1",
            "process start: `summarizer batch --help` / `import openai`",
            f"{s['cli_help_wall_s']:.2f} s wall, {s['cli_help_cpu_s']:.2f} s CPU / "
            f"{s['import_openai_wall_s']:.2f} s wall, {s['import_openai_cpu_s']:.2f} s CPU",
            "–",
        )
    if "overhead" in r:
        o = r["overhead"]
        ms = o["cpu_ms_per_article"]
        add(
            "2",
            "CPU ms per one-request article, zero-latency fake, layer by layer: bare SDK call · "
            "instructor's patched create (plain model) · (model wrapped once) · our prepared "
            "question and retry policy · + our validation (`client.ask`) · + pipeline "
            "(`asummarize`) · + store and output (`run_batch`)",
            " · ".join(f"{ms[name]:.1f}" for name in LAYERS[:-1]) + f" · **{ms['run_batch']:.1f}**",
            "–",
        )
        add(
            "2",
            "ours (run_batch) / bare SDK call, same request, same run",
            f"**{o['ratio_to_bare']:.2f}×**",
            f"≤ 1.5×: {_yes(o['ratio_to_bare'] <= 1.5)}",
        )
        cl = o["claims_articles"]
        add(
            "2",
            f"articles with claims ({cl['requests_per_article']:.1f} requests each)",
            f"{cl['cpu_ms_each']:.1f} ms per article, {cl['cpu_ms_per_request']:.1f} ms per "
            "request",
            "–",
        )
    if "scale" in r:
        sc = r["scale"]
        for row in sc["rows"]:
            add(
                "3",
                f"peak RSS, {row['n']:,} articles, {row['mode']} summarizer",
                f"{row['ru_maxrss_mb']:.0f} MB (in-run growth after 10 %: "
                f"{row['rss_peak_sampled_mb'] - row['rss_at_10pct_mb']:+.1f} MB); store "
                f"{row['store_bytes_per_article'] / 1024:.1f} KiB/article as written, "
                f"{row['store_compact_bytes_per_article'] / 1024:.1f} KiB vacuumed (result JSON "
                f"{row['result_bytes_per_article'] / 1024:.1f} KiB); {row['wall_s']:.0f} s",
                "–",
            )
        for mode in ("stub", "full"):
            if f"{mode}_peak_growth_mb" in sc:
                lo, hi = sc[f"{mode}_growth_range"]
                g = sc[f"{mode}_peak_growth_mb"]
                add(
                    "3",
                    f"peak RSS growth {lo:,} → {hi:,} articles ({mode})",
                    f"**{g:+.1f} MB**",
                    f"< 50 MB: {_yes(g < 50)}",
                )
    if "rerun" in r:
        for rr in r["rerun"]["rows"]:
            add(
                "4",
                f"rerun of {rr['night']}",
                f"**{rr['requests']} requests**, {rr['wall_s']:.2f} s wall "
                f"({rr['run_s']:.2f} s in the run, the rest is process start)",
                f"0 requests: {_yes(rr['requests'] == 0)}",
            )
    if "local" in r and not r["local"].get("skipped"):
        lm = r["local"]
        add(
            "5",
            "embedded model, seed article, whole pipeline",
            f"{lm['pipeline_seed_article']['seconds']} s, "
            f"{lm['pipeline_seed_article']['requests']} requests",
            "–",
        )
        add(
            "5",
            "ours / raw llama_cpp, completion tokens/s"
            + (f" (run of {lm['date']}, reused)" if lm.get("reused") else ""),
            f"**{lm['ratio_ours_to_raw_tokens_per_s']:.2f}** "
            f"({lm['overview_request_ours']['completion_tokens_per_s']} vs "
            f"{lm['overview_request_raw_llama_cpp']['completion_tokens_per_s']} tokens/s)",
            f"≥ 0.9: {_yes(lm['ratio_ours_to_raw_tokens_per_s'] >= 0.9)}",
        )
    if "faults" in r:
        f = r["faults"]
        for row in f["rows"]:
            add(
                "6",
                f"{row['fault_rate']:.0%} injected faults ({row['kinds']}), N={f['n']}, "
                f"C={f['concurrency']}, L={f['latency_s']:g} s",
                f"{row['wall_s']:.1f} s = **{row['wall_vs_clean']:.2f}×** clean; "
                f"{row['extra_requests_per_article']:+.2f} requests/article; "
                f"{row['failed']} failed",
                "–",
            )
    return "\n".join(lines)


# -- main ----------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    model = ""
    with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
        for line in cpuinfo:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "arch": platform.machine(),
        "python": platform.python_version(),
        "load_average": os.getloadavg(),
    }


def commit() -> str:
    proc = subprocess.run(
        ["git", "-C", str(ROOT), "log", "-1", "--format=%h %cs %s"],
        capture_output=True,
        text=True,
        check=False,
    )
    dirty = subprocess.run(
        ["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    return proc.stdout.strip() + (" (working tree has uncommitted changes)" if dirty else "")


ITEMS = ("throughput", "overhead", "scale", "rerun", "local", "faults")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=(__doc__ or "").split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--quick", action="store_true", help="the ~2 minute version")
    parser.add_argument(
        "--skip-local",
        action="store_true",
        help="do not run the local model benchmark; report benchmarks/local_model.json",
    )
    parser.add_argument("--only", help=f"comma-separated items among {', '.join(ITEMS)}")
    parser.add_argument(
        "--concurrency",
        help="comma-separated C values for item 1, instead of 8,32,128 (e.g. to repeat one)",
    )
    parser.add_argument("--json", type=Path, default=HERE / "results.json")
    args = parser.parse_args()
    only = set(args.only.split(",")) if args.only else set(ITEMS)
    p = dict(QUICK if args.quick else FULL)
    if args.concurrency:
        p["throughput_c"] = tuple(int(c) for c in args.concurrency.split(","))
    started = time.perf_counter()
    results: dict[str, Any] = {
        "date": time.strftime("%Y-%m-%d %H:%M"),
        "quick": args.quick,
        "commit": commit(),
        "machine": machine(),
        "parameters": p,
        "load_average_at_start_of": {},
        "items": {},
    }
    items = results["items"]
    with tempfile.TemporaryDirectory(prefix="summarizer-bench-") as name:
        tmp = Path(name)
        body_file = tmp / "overview-request.json"
        body_file.write_text(json.dumps(capture_body(one_request_article(999_999))), "utf-8")
        load: dict[str, float] = results["load_average_at_start_of"]
        if "throughput" in only:
            load["throughput"] = os.getloadavg()[0]
            items["throughput"] = bench_throughput(p, tmp, body_file)
        if "overhead" in only:
            load["overhead"] = os.getloadavg()[0]
            items["overhead"] = bench_overhead(p, tmp, body_file)
        if "scale" in only:
            load["scale"] = os.getloadavg()[0]
            items["scale"] = bench_scale(p, tmp)
        if "rerun" in only:
            load["rerun"] = os.getloadavg()[0]
            nights = []
            c = 32 if 32 in p["throughput_c"] else max(p["throughput_c"])
            if "throughput" in items:
                n = p["throughput_n"]
                what = f"the C={c} night of item 1 ({n:,} one-request articles)"
                nights.append((what, tmp / "throughput.jsonl", tmp / f"night-c{c}.db"))
            scale_rows = items.get("scale", {}).get("rows", [])
            for mode in ("stub", "full"):  # the biggest night of each kind
                mine = [r for r in scale_rows if r["mode"] == mode]
                if not mine:
                    continue
                row = max(mine, key=lambda r: int(r["n"]))
                store = Path(row["store"])
                what = f"the {row['n']:,}-article night of item 3 ({row['mode']} summarizer)"
                nights.append((what, store.with_suffix(".jsonl"), store))
            items["rerun"] = bench_rerun(tmp, nights)
        if "faults" in only:
            load["faults"] = os.getloadavg()[0]
            items["faults"] = bench_faults(p, tmp)
    if "local" in only:
        load["local"] = os.getloadavg()[0]
        items["local"] = bench_local(run_it=not (args.quick or args.skip_local))
    results["load_average_after"] = os.getloadavg()
    results["seconds"] = round(time.perf_counter() - started, 1)
    text = table(results)
    print(text)
    print(
        f"\n{results['date']}, {results['machine']['cpu']}, {results['machine']['cores']} cores, "
        f"load {results['machine']['load_average'][0]:.1f} → "
        f"{results['load_average_after'][0]:.1f}; commit {results['commit']}; "
        f"{results['seconds']:.0f} s"
    )
    results["table"] = text
    args.json.write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n", "utf-8")
    log(f"wrote {args.json}")


if __name__ == "__main__":
    main()
