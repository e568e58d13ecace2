"""The embedded server's cheap log-probabilities (summarizer/local/_llama_server.py): the same
pairs and the same log-probabilities as llama-cpp-python's full computation."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from summarizer.local import LocalServer
from summarizer.local._llama_server import TOP, largest_first, lazy_rows


def log_softmax(logits: np.ndarray, axis: int = -1) -> np.ndarray:
    """llama-cpp-python 0.3.x's ``Llama.logits_to_logprobs``, as written there."""
    maxs = np.amax(logits, axis=axis, keepdims=True)
    if maxs.ndim > 0:
        maxs[~np.isfinite(maxs)] = 0
    elif not np.isfinite(maxs):
        maxs = 0
    shifted = np.subtract(logits, maxs, dtype=np.single)
    with np.errstate(divide="ignore"):
        out = np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))
    return shifted - out


@pytest.mark.parametrize("k", [1, 5, TOP])
def test_the_largest_pairs_come_first_in_the_order_a_full_sort_gives(k: int) -> None:
    rng = np.random.default_rng(7)
    row = rng.normal(size=5000).astype(np.single)
    row[[10, 20, 30]] = row.max()  # ties are broken by the token id, as the sort does
    full = sorted(zip(row, range(len(row)), strict=True), reverse=True)
    assert largest_first(zip(row, range(len(row)), strict=True), reverse=True)[:k] == full[:k]


def test_any_other_sort_is_the_builtin_one() -> None:
    assert largest_first([3, 1, 2]) == [1, 2, 3]
    assert largest_first(["b", "a"], key=str.upper, reverse=True) == ["b", "a"]


def test_the_context_rows_are_computed_only_when_read_and_equal_the_full_computation() -> None:
    rng = np.random.default_rng(3)
    logits = rng.normal(scale=4, size=(300, 2000)).astype(np.single)
    calls: list[int] = []

    def counted(x: np.ndarray, axis: int = -1) -> np.ndarray:
        calls.append(x.ndim)
        return log_softmax(x, axis)

    lazy = lazy_rows(counted)(logits)
    generated = lazy[290:]  # the non-streaming path reads the generated tokens' rows only
    rows = list(generated)
    assert len(rows) == len(generated) == 10 and calls == [1] * 10
    np.testing.assert_allclose(np.array(rows), log_softmax(logits)[290:], rtol=1e-6, atol=1e-6)
    assert lazy_rows(counted)(logits[0]).shape == (2000,)  # a single row: computed at once


def test_the_embedded_server_is_started_through_the_module_that_makes_them_cheap() -> None:
    server = LocalServer("model.gguf")
    assert server.command == (sys.executable, "-m", "summarizer.local._llama_server")
