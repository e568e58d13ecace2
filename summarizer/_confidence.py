"""How sure the model was of a label: the probability of the tokens that wrote it.

llama.cpp's server and OpenAI return, on request (``logprobs: true``), the log-probability
of every token of the answer. A label's probability is the product of the probabilities of
the tokens that spell its value: the first one decides between the labels, the rest are
almost certain. The log-probabilities are the model's before the grammar of constrained
decoding, so a label the grammar forced on an unsure model shows as unsure, which is the
point. Only by-id answers are read (``{"C1": {"kind": "fact", …}, …}``: flat objects, string
values); anything else, or an endpoint that sent no log-probabilities, gives no probability.
"""

from __future__ import annotations

import math
import re
from typing import Any

__all__ = ["label_probabilities"]

_ITEM = re.compile(r'"(\w+)"\s*:\s*\{([^{}]*)\}')
_FIELD = re.compile(r'"(\w+)"\s*:\s*"([^"\\]*)"')


def label_probabilities(completion: Any) -> dict[str, float]:
    """``{"C1.kind": 0.93, …}``: each string value of each item of a by-id answer, with the
    probability of the tokens that wrote it; empty without log-probabilities."""
    try:
        choice = completion.choices[0]
        tokens = choice.logprobs.content or []
        text = choice.message.content or ""
    except (AttributeError, IndexError, TypeError):
        return {}
    if not tokens or "".join(t.token for t in tokens) != text:
        return {}  # offsets would not line up (a tool call, a re-encoded token)
    starts, at = [], 0
    for t in tokens:
        starts.append(at)
        at += len(t.token)
    out: dict[str, float] = {}
    for item in _ITEM.finditer(text):
        base = item.start(2)
        for field in _FIELD.finditer(item.group(2)):
            start, end = base + field.start(2), base + field.end(2)
            logprob = sum(
                t.logprob
                for t, s in zip(tokens, starts, strict=True)
                if s < end and s + len(t.token) > start
            )
            out[f"{item.group(1)}.{field.group(1)}"] = round(math.exp(logprob), 4)
    return out
