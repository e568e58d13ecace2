"""The nightly batch: many articles, resumable, idempotent, rate-limited, with a store.

::

    from summarizer import Settings, Summarizer
    from summarizer.batch import BatchOptions, Store, Throttle, batch_concurrency, run_batch

    settings = Settings.resolve()
    throttle = Throttle(batch_concurrency(settings), rpm=500)  # 1 for the embedded model
    with Store("night.db") as store:
        async with Summarizer(settings=settings, gate=throttle) as s:
            stats = await run_batch(["articles/"], store, s, BatchOptions(out=Path("night.jsonl")),
                                    throttle=throttle)
"""

from summarizer.batch._inputs import Item, iter_items, normalise
from summarizer.batch._limits import Throttle
from summarizer.batch._report import NightReport, build_report, report_html, report_markdown
from summarizer.batch._runner import (
    BatchAborted,
    BatchOptions,
    BatchStats,
    batch_concurrency,
    export_jsonl,
    run_batch,
    run_key,
    safe_name,
    schema_hash,
)
from summarizer.batch._store import Store, StoreBusyError, StoreError

__all__ = [
    "BatchAborted",
    "BatchOptions",
    "BatchStats",
    "Item",
    "NightReport",
    "Store",
    "StoreBusyError",
    "StoreError",
    "Throttle",
    "batch_concurrency",
    "build_report",
    "export_jsonl",
    "iter_items",
    "normalise",
    "report_html",
    "report_markdown",
    "run_batch",
    "run_key",
    "safe_name",
    "schema_hash",
]
