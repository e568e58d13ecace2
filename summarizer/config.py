"""Settings: explicit arguments > environment > defaults, resolved once per client.

Environment variables: ``OPENAI_API_KEY``, ``OPENAI_BASE_URL``, ``SUMMARIZER_MODEL``,
``SUMMARIZER_BACKEND`` (``local`` or ``openai``), ``SUMMARIZER_MODE`` (``json``, ``json_schema``
or ``tools``), ``SUMMARIZER_TIMEOUT``, ``SUMMARIZER_MAX_REASKS``, ``SUMMARIZER_TOKEN_BUDGET``,
``SUMMARIZER_PARALLEL`` (questions of one article in flight at once: 1 local, 4 remote).
With no base URL and no key anywhere, the embedded local model is used.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Literal

from summarizer.exceptions import ConfigurationError
from summarizer.retrying import RetryPolicy

__all__ = ["LOCAL_MODEL_NAME", "OPENAI_URL", "Secret", "Settings", "mask_url"]

Backend = Literal["local", "openai"]
Mode = Literal["json", "json_schema", "tools"]

LOCAL_MODEL_NAME = "qwen2.5-coder-1.5b-instruct-q4_k_m"
DEFAULT_REMOTE_MODEL = "gpt-4o-mini"
OPENAI_URL = "https://api.openai.com/v1"
"""Where the openai backend sends requests when no base URL is given."""


class Secret:
    """An API key that never shows itself in ``repr``, ``str`` or f-strings."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def masked(self) -> str:
        return "…" + self._value[-4:] if len(self._value) >= 12 else "****"

    def __repr__(self) -> str:
        return f"Secret({self.masked()!r})"

    __str__ = masked

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


_USERINFO = re.compile(r"(?:\b([A-Za-z][A-Za-z0-9+.-]*://)|^)[^/?#@\s'\"{}<>]*@")
_QUERY_VALUE = re.compile(r"([?&;][\w.~%-]*=)[^&;#\s'\"]*")


def mask_url(text: str) -> str:
    """``text`` (a URL, or a message quoting one) with the credentials of its URLs masked.

    An endpoint URL can carry a secret as ``user:password@`` or as a query parameter
    (``?api-key=…``, Azure's style); both become ``****``, and so does every other query
    value, since which parameter is a secret depends on the provider. Everything that prints
    or stores a base URL (doctor, the runs table, error messages, ``--verbose``) uses this.
    """
    return _QUERY_VALUE.sub(r"\1****", _USERINFO.sub(r"\1****@", text))


@dataclass(frozen=True)
class Settings:
    """Everything a :class:`~summarizer.Summarizer` needs to reach a model."""

    backend: Backend = "local"
    model: str = LOCAL_MODEL_NAME
    base_url: str | None = field(default=None, repr=False)  # may hold a secret: see shown_url
    api_key: Secret | None = field(default=None)
    mode: Mode = "json"
    timeout: float = 300.0
    max_reasks: int = 2
    token_budget: int | None = 120_000
    """Tokens one article may spend, every question and re-ask counted; none is sent once they
    are. The costliest of the 40 dev documents needs at most about 77,000 with the embedded
    model's settings (benchmarks/token_budget.json); a 900k-character page would need millions."""
    max_tokens: int = 1200
    max_input_tokens: int = 2600
    parallel_requests: int = 1
    max_statements: int = 48
    """Statement sentences attributed per article (one question each); 0: every one, for a
    complete extraction. The rest are named in the summary's warnings. 48 since the parse
    finds more statements than the sentence path: at 24 it dropped 30 of the 374 statements
    of the 20 PolNeAR dev documents (4 documents), at 48 none (EVAL.md)."""
    retry: RetryPolicy = field(default_factory=RetryPolicy)

    @property
    def endpoint(self) -> str | None:
        """The URL requests go to; None for the embedded server (its port is picked when it
        starts). A key alone means OpenAI's own API."""
        return self.base_url or (None if self.backend == "local" else OPENAI_URL)

    @property
    def embedded(self) -> bool:
        """Whether requests go to the embedded llama.cpp server, which has one slot: it
        serves one request at a time."""
        return self.backend == "local" and self.base_url is None

    @property
    def shown_url(self) -> str | None:
        """The base URL with its credentials masked (:func:`mask_url`), for output and logs."""
        return None if self.base_url is None else mask_url(self.base_url)

    @classmethod
    def resolve(
        cls,
        *,
        model: str | None = None,
        base_url: str | None = None,
        api_key: str | None = None,
        backend: Backend | None = None,
        mode: Mode | None = None,
        timeout: float | None = None,
        max_reasks: int | None = None,
        token_budget: int | None = None,
        parallel_requests: int | None = None,
        max_statements: int | None = None,
        retry: RetryPolicy | None = None,
        env: Mapping[str, str] | None = None,
    ) -> Settings:
        e = os.environ if env is None else env
        base_url = base_url or e.get("OPENAI_BASE_URL") or None
        key = api_key or e.get("OPENAI_API_KEY") or None
        chosen = (
            backend or e.get("SUMMARIZER_BACKEND") or ("openai" if base_url or key else "local")
        )
        if chosen not in ("local", "openai"):
            raise ConfigurationError(
                f"unknown backend {chosen!r}: use 'local' (embedded model) or 'openai' "
                "(any OpenAI-compatible endpoint)"
            )
        local = chosen == "local"
        if base_url is not None and not base_url.startswith(("http://", "https://")):
            raise ConfigurationError(
                f"base URL {mask_url(base_url)!r} must start with http:// or https:// "
                "(e.g. http://127.0.0.1:11434/v1 for Ollama)"
            )
        chosen_mode = mode or e.get("SUMMARIZER_MODE") or ("json" if local else "tools")
        if chosen_mode not in ("json", "json_schema", "tools"):
            raise ConfigurationError(
                f"unknown mode {chosen_mode!r}: use json, json_schema or tools"
            )
        settings = cls(
            backend="local" if local else "openai",
            model=model
            or e.get("SUMMARIZER_MODEL")
            or (LOCAL_MODEL_NAME if local else DEFAULT_REMOTE_MODEL),
            base_url=base_url,
            api_key=None if local or key is None else Secret(key),
            mode=chosen_mode,  # type: ignore[arg-type]
            retry=retry or RetryPolicy(),
        )
        changes: dict[str, object] = {}
        for name, given, env_name, conv in (
            ("timeout", timeout, "SUMMARIZER_TIMEOUT", float),
            ("max_reasks", max_reasks, "SUMMARIZER_MAX_REASKS", int),
            ("token_budget", token_budget, "SUMMARIZER_TOKEN_BUDGET", int),
            ("parallel_requests", parallel_requests, "SUMMARIZER_PARALLEL", int),
            ("max_statements", max_statements, "SUMMARIZER_MAX_STATEMENTS", int),
        ):
            raw = given if given is not None else e.get(env_name)
            if raw is None:
                continue
            try:
                value = conv(raw)
            except ValueError:
                raise ConfigurationError(f"{env_name}={raw!r} is not a number") from None
            if value < (1 if name == "parallel_requests" else 0):
                raise ConfigurationError(
                    f"{name} must be at least 1 (got {value})"
                    if name == "parallel_requests"
                    else f"{name} must not be negative (got {value})"
                )
            changes[name] = value
        if not local:
            changes.setdefault("max_input_tokens", 60_000)
            # A hosted API answers the questions of an article side by side; llama.cpp has
            # one slot, and asking in order lets each request reuse the last one's cache.
            changes.setdefault("parallel_requests", 4)
        return replace(settings, **changes)  # type: ignore[arg-type]
