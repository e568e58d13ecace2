"""Measurements that need a process of their own (CPU time, RSS); ``run.py`` starts them.

Each subcommand prints one JSON line (the last line of stdout). The fake model server is
another process, given by ``--base-url``; this process's CPU time (every thread, the store's
writer included) is what is measured, after a warm-up, so imports and first-call set-up do not
count.

- ``bare``: a bare ``AsyncOpenAI`` loop sending one recorded request body ``--n`` times;
- ``layers``: CPU per call of each layer of our stack, from the bare SDK call up to
  ``run_batch`` (SDK → instructor's patched create, for reference → our prepared question
  with the retry policy → + our validation → + the pipeline → + store and output);
- ``api``: ``run_batch`` over ``--n`` articles (CPU per article), optionally under cProfile;
- ``rss``: ``run_batch`` over ``--n`` articles, through the fake or a stub summarizer, peak RSS
  and the store's size.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import os
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

# ``benchmarks`` is also the name of an unrelated package in some environments: import our
# helpers by file location, not as ``benchmarks._common``.
sys.path[:0] = [str(Path(__file__).resolve().parent), str(Path(__file__).resolve().parent.parent)]

from _common import (  # noqa: E402
    API_KEY,
    peak_rss_mb,
    rss_mb,
    self_cpu,
    write_articles,
)


async def _concurrently(call: Callable[[int], Awaitable[Any]], n: int, c: int) -> None:
    counter = iter(range(n))

    async def one_worker() -> None:
        for i in counter:
            await call(i)

    await asyncio.gather(*(one_worker() for _ in range(c)))


async def _timed(call: Callable[[int], Awaitable[Any]], n: int, c: int) -> dict[str, float]:
    cpu, wall = self_cpu(), time.perf_counter()
    await _concurrently(call, n, c)
    cpu, wall = self_cpu() - cpu, time.perf_counter() - wall
    return {"n": n, "concurrency": c, "loop_s": wall, "cpu_s": cpu, "cpu_ms_each": cpu / n * 1e3}


def _bare_client(base_url: str) -> Any:
    import openai

    return openai.AsyncOpenAI(api_key=API_KEY, base_url=base_url, max_retries=0, timeout=300)


def cmd_bare(args: argparse.Namespace) -> dict[str, Any]:
    body = json.loads(Path(args.body).read_text(encoding="utf-8"))

    async def main() -> dict[str, Any]:
        client = _bare_client(args.base_url)

        async def call(_i: int) -> None:
            await client.chat.completions.create(**body)

        await _concurrently(call, args.warmup, min(args.warmup, args.concurrency))
        result = await _timed(call, args.n, args.concurrency)
        await client.close()
        return result

    return asyncio.run(main())


def cmd_layers(args: argparse.Namespace) -> dict[str, Any]:
    """CPU per call of each layer, on the one-request article (one overview request)."""
    import instructor
    from _common import one_request_article

    from summarizer import Summarizer
    from summarizer._document import Document
    from summarizer._overview import messages as overview_messages
    from summarizer.batch import BatchOptions, Store, Throttle, run_batch
    from summarizer.client import Meter
    from summarizer.models import OverviewAnswer

    body = json.loads(Path(args.body).read_text(encoding="utf-8"))
    tmp = Path(tempfile.mkdtemp(prefix="bench-layers-"))
    n, c = args.n, args.concurrency
    texts = [one_request_article(10_000 + i) for i in range(n + args.warmup)]

    async def main() -> dict[str, Any]:
        out: dict[str, Any] = {}
        client = _bare_client(args.base_url)

        async def bare(_i: int) -> None:
            await client.chat.completions.create(**body)

        throttle = Throttle(c)
        s = Summarizer(
            backend="openai", base_url=args.base_url, api_key=API_KEY, mode="tools", gate=throttle
        )
        ours = await s._model_client()
        docs = [Document(t, "fr", None) for t in texts]
        messages = [overview_messages(d, d.sentences) for d in docs]

        wrapped = instructor.response_schema(OverviewAnswer)
        patched: Any = instructor.patch(create=client.chat.completions.create, mode=ours._mode)

        async def instructor_plain(i: int) -> None:
            # instructor as it is normally used: its patched create on the SDK, given a plain
            # pydantic model, no retry policy and no validation with the article as context.
            await instructor_call(i, OverviewAnswer)

        async def instructor_wrapped(i: int) -> None:
            # the same with the model wrapped once for instructor (what client.ask once did)
            await instructor_call(i, wrapped)

        async def instructor_call(i: int, model: Any) -> None:
            await patched(
                response_model=model,
                messages=messages[i],
                max_retries=0,
                model=s.settings.model,
                temperature=0,
                max_tokens=600,
            )

        question = ours._question(OverviewAnswer)

        async def prepared(i: int) -> None:
            # our request: instructor's per-model work done once, our retry policy and gate,
            # instructor's parser; no validation with the article as context.
            request = question.request(
                messages[i], model=s.settings.model, temperature=0, max_tokens=600
            )
            question.parse(await ours._send(request, Meter()))

        async def ask(i: int) -> None:
            await ours.ask(
                OverviewAnswer,
                messages[i],
                meter=Meter(),
                context=docs[i].context,
                max_tokens=600,
                salvage=True,
            )

        async def pipeline(i: int) -> None:
            await s.asummarize(texts[i])

        w = args.warmup
        for name, call in (
            ("sdk", bare),
            ("sdk+instructor", instructor_plain),
            ("sdk+instructor, model wrapped once", instructor_wrapped),
            ("prepared question", prepared),
            ("client.ask", ask),
            ("asummarize", pipeline),
        ):
            await _concurrently(lambda i, call=call: call(n + i), w, min(w, c))
            out[name] = await _timed(call, n, c)
        source = write_articles(tmp / "in.jsonl", n, start=20_000)
        warm = write_articles(tmp / "warm.jsonl", w, start=30_000)
        with Store(tmp / "night.db") as store:
            options = BatchOptions(concurrency=c, out=tmp / "out.jsonl")
            await run_batch([warm], store, s, options, throttle=throttle)
            cpu = self_cpu()
            started = time.perf_counter()
            stats = await run_batch([source], store, s, options, throttle=throttle)
            cpu, wall = self_cpu() - cpu, time.perf_counter() - started
        assert stats.done == n, stats
        out["run_batch"] = {
            "n": n,
            "concurrency": c,
            "loop_s": wall,
            "cpu_s": cpu,
            "cpu_ms_each": cpu / n * 1e3,
        }
        await s.aclose()
        await client.close()
        return out

    return asyncio.run(main())


def cmd_api(args: argparse.Namespace) -> dict[str, Any]:
    from summarizer import Summarizer
    from summarizer.batch import BatchOptions, Store, Throttle, run_batch

    tmp = Path(tempfile.mkdtemp(prefix="bench-api-"))
    source = write_articles(tmp / "in.jsonl", args.n, args.kind)
    warm = write_articles(tmp / "warm.jsonl", args.warmup, args.kind, start=500_000)
    # CPU time of the event loop's thread: waiting in epoll is not a cost.
    profiler = cProfile.Profile(time.thread_time) if args.profile else None

    async def main() -> dict[str, Any]:
        throttle = Throttle(args.concurrency)
        options = BatchOptions(concurrency=args.concurrency, out=tmp / "out.jsonl")
        async with Summarizer(
            backend="openai", base_url=args.base_url, api_key=API_KEY, mode="tools", gate=throttle
        ) as s:
            with Store(tmp / "night.db") as store:
                await run_batch([warm], store, s, options, throttle=throttle)
                cpu, wall = self_cpu(), time.perf_counter()
                if profiler is not None:
                    profiler.enable()
                stats = await run_batch([source], store, s, options, throttle=throttle)
                if profiler is not None:
                    profiler.disable()
                cpu, wall = self_cpu() - cpu, time.perf_counter() - wall
        if stats.done != args.n:
            raise RuntimeError(f"only {stats.done} of {args.n} articles done: {stats.failures}")
        return {
            "kind": args.kind,
            "n": args.n,
            "concurrency": args.concurrency,
            "loop_s": wall,
            "cpu_s": cpu,
            "cpu_ms_each": cpu / args.n * 1e3,
            "requests": stats.usage.requests,
            "requests_per_article": stats.usage.requests / args.n,
            "cpu_ms_per_request": cpu / stats.usage.requests * 1e3,
        }

    result = asyncio.run(main())
    if profiler is not None:
        profiler.dump_stats(args.profile)
    return result


def cmd_rss(args: argparse.Namespace) -> dict[str, Any]:
    """Peak RSS streaming ``--n`` articles; ``stub``: a summarizer answering one real summary
    (made once through the fake), so only ours is measured: inputs, store, outputs."""
    from summarizer import Summarizer
    from summarizer.batch import BatchOptions, BatchStats, Store, Throttle, run_batch
    from summarizer.models import ArticleSummary
    from tests.batch_support import article_text

    tmp = Path(tempfile.mkdtemp(prefix="bench-rss-"))
    store_path = Path(args.store) if args.store else tmp / "night.db"
    # With --store, the articles are kept beside it for the rerun benchmark.
    source = write_articles(
        store_path.with_suffix(".jsonl") if args.store else tmp / "in.jsonl", args.n, args.kind
    )
    marks: dict[str, float] = {}
    calls = 0

    class Stub:
        def __init__(self, summary: ArticleSummary, settings: Any) -> None:
            self.summary, self.settings = summary, settings

        async def asummarize(self, text: str, **_: Any) -> ArticleSummary:
            return self.summary

    def progress(stats: BatchStats) -> None:
        nonlocal calls
        calls += 1
        if calls % 50:
            return
        finished = stats.done + stats.failed
        if finished >= args.n // 10 and "at_10pct" not in marks:
            marks["at_10pct"] = rss_mb()
        marks["peak_sampled"] = max(marks.get("peak_sampled", 0.0), rss_mb())

    async def main() -> BatchStats:
        throttle = Throttle(args.concurrency)
        async with Summarizer(
            backend="openai", base_url=args.base_url, api_key=API_KEY, mode="tools", gate=throttle
        ) as real:
            summarizer: Any = real
            if args.mode == "stub":
                summarizer = Stub(await real.asummarize(article_text(0)), real.settings)
            else:
                await real.asummarize(article_text(999_999))  # warm: connection, caches
            marks["before_run"] = rss_mb()
            with Store(store_path) as store:
                return await run_batch(
                    [source],
                    store,
                    summarizer,
                    BatchOptions(concurrency=args.concurrency, out=tmp / "out.jsonl"),
                    throttle=throttle,
                    on_progress=progress,
                )

    started = time.perf_counter()
    stats = asyncio.run(main())
    wall = time.perf_counter() - started
    if stats.done != args.n:
        raise RuntimeError(f"only {stats.done} of {args.n} articles done: {stats.failures}")
    store_bytes = sum(
        p.stat().st_size
        for p in (store_path, Path(f"{store_path}-wal"), Path(f"{store_path}-shm"))
        if p.exists()
    )
    out_bytes = (tmp / "out.jsonl").stat().st_size
    # As written, pages are part empty (a pending row is inserted, then updated with its
    # result), by how much depends on how writes interleaved; VACUUM INTO gives the compact
    # size, and the results' own bytes are the floor.
    import sqlite3

    db = sqlite3.connect(f"file:{store_path}?mode=ro", uri=True)
    try:
        result_bytes = db.execute("SELECT sum(length(result)) FROM articles").fetchone()[0] or 0
        db.execute("VACUUM INTO ?", (str(tmp / "compact.db"),))
    finally:
        db.close()
    compact_bytes = (tmp / "compact.db").stat().st_size
    for p in tmp.iterdir():
        p.unlink()
    tmp.rmdir()
    return {
        "mode": args.mode,
        "kind": args.kind,
        "n": args.n,
        "wall_s": wall,
        "requests": stats.usage.requests,
        "rss_before_run_mb": marks["before_run"],
        "rss_at_10pct_mb": marks.get("at_10pct", marks["before_run"]),
        "rss_peak_sampled_mb": marks.get("peak_sampled", marks["before_run"]),
        "ru_maxrss_mb": peak_rss_mb(),
        "store_bytes": store_bytes,
        "store_bytes_per_article": store_bytes / args.n,
        "store_compact_bytes_per_article": compact_bytes / args.n,
        "result_bytes_per_article": result_bytes / args.n,
        "out_bytes_per_article": out_bytes / args.n,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else "")
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("bare", "layers", "api", "rss"):
        p = sub.add_parser(name)
        p.add_argument("--base-url", required=True)
        p.add_argument("--n", type=int, required=True)
        p.add_argument("--concurrency", type=int, default=8)
        p.add_argument("--warmup", type=int, default=20)
        p.add_argument("--body", help="bare/layers: the recorded request body (JSON file)")
        p.add_argument("--kind", choices=("one", "claims"), default="one")
        p.add_argument("--profile", help="api: write cProfile stats here")
        p.add_argument("--mode", choices=("full", "stub"), default="full")
        p.add_argument(
            "--store", help="rss: keep the store here, and the articles beside it (.jsonl)"
        )
    args = parser.parse_args()
    command = {"bare": cmd_bare, "layers": cmd_layers, "api": cmd_api, "rss": cmd_rss}
    result = command[args.command](args)
    result["pid"] = os.getpid()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
