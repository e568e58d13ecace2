"""Settings that talk to a fake endpoint the way the pipeline talks to the embedded model:
its context (``max_input_tokens``), one question at a time, no transport retry."""

from __future__ import annotations

import dataclasses
from typing import Any

from summarizer import Settings
from summarizer.retrying import RetryPolicy


def embedded_like(base_url: str, mode: str = "tools", **changes: Any) -> Settings:
    """``changes`` override any field (``token_budget=None``, ``max_statements=0`` …)."""
    remote = Settings.resolve(
        backend="openai",
        base_url=base_url,
        api_key="k",
        mode=mode,  # type: ignore[arg-type]
        retry=RetryPolicy(max_attempts=1),
    )
    fields: dict[str, Any] = {
        "max_input_tokens": Settings.max_input_tokens,
        "parallel_requests": 1,
        **changes,
    }
    return dataclasses.replace(remote, **fields)
