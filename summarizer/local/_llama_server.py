"""The embedded model's server: llama-cpp-python's own, with its log-probabilities made cheap.

llama-cpp-python (0.3.x) answers a request for log-probabilities by turning the logits of
*every* token of the context, prompt included, into log-probabilities (a log-softmax over
151,936 values a token for Qwen2.5: 15 of 19 s of a profiled evidence answer), then, for each
generated token, sorting every (log-probability, token) pair of the vocabulary in Python to
keep the first few. Measured on the seed article's evidence questions (2 shared cores, the
prompt already cached): 28–42 s an answer with log-probabilities against 3–4 s without
(benchmarks/README.md), so the evidence and replies passes, which ask for them, made the
pipeline about twice as slow as the one before them. The server is started through this
module, which changes two names inside ``llama_cpp.llama`` and nothing else:

* ``Llama.logits_to_logprobs`` given the whole context computes a row only when it is read
  (the generated tokens' rows), by the same formula;
* ``sorted`` (its only uses there are the three per-token loops) keeps the :data:`TOP`
  largest pairs, in the order a full sort gives them (the OpenAI API allows
  ``top_logprobs`` up to 20).

So answers and their probabilities are the same; everything else is
``python -m llama_cpp.server``.
"""

from __future__ import annotations

import builtins
import heapq
import runpy
from collections.abc import Callable, Iterable
from typing import Any

__all__ = ["TOP", "largest_first", "lazy_rows", "main"]

TOP = 20
"""How many of the largest pairs :func:`largest_first` returns, sorted: the OpenAI API's
highest ``top_logprobs``."""


def largest_first(
    iterable: Iterable[Any], *, key: Callable[[Any], Any] | None = None, reverse: bool = False
) -> list[Any]:
    """``sorted(pairs, reverse=True)[:TOP]`` without sorting the rest; any other call is
    ``sorted``'s."""
    if key is not None or not reverse:
        return builtins.sorted(iterable, key=key, reverse=reverse)
    return heapq.nlargest(TOP, iterable)


class _Rows:
    """The log-probabilities of a 2-D array of logits, a row computed when it is read."""

    def __init__(self, logits: Any, softmax: Callable[[Any], Any]) -> None:
        self.logits, self.softmax = logits, softmax

    def __len__(self) -> int:
        return len(self.logits)

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return _Rows(self.logits[index], self.softmax)
        return self.softmax(self.logits[index])

    def __iter__(self) -> Any:
        return (self.softmax(row) for row in self.logits)


def lazy_rows(softmax: Callable[..., Any]) -> Callable[..., Any]:
    """``softmax`` (``Llama.logits_to_logprobs``) that defers a 2-D array row by row."""

    def logits_to_logprobs(logits: Any, axis: int = -1) -> Any:
        if axis == -1 and getattr(logits, "ndim", 1) == 2:
            return _Rows(logits, softmax)
        return softmax(logits, axis=axis)

    return logits_to_logprobs


def main() -> None:
    import llama_cpp.llama

    llama = llama_cpp.llama
    patched: Any = llama  # llama-cpp-python's typing does not know these names are replaced
    patched.sorted = largest_first
    patched.Llama.logits_to_logprobs = staticmethod(lazy_rows(llama.Llama.logits_to_logprobs))
    runpy.run_module("llama_cpp.server", run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
