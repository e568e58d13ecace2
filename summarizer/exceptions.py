"""The exceptions raised by summarizer.

Every error a caller can act on is one of these, so ``except SummarizerError`` is
enough for a batch loop, and the subclass says what to do next::

    SummarizerError
    ├── ConfigurationError          bad settings, missing extra, unknown model file
    │   └── LocalModelError         the embedded model could not be found, verified or started
    ├── InputError                  the article itself is unusable (empty, binary, too big…)
    ├── ProviderError               the model endpoint failed (carries status_code, body excerpt)
    │   ├── AuthenticationError     401/403: check the key
    │   ├── RateLimitError          429 after every transport retry was spent
    │   ├── ProviderUnavailableError 5xx, timeouts, refused connections after every retry
    │   └── BadRequestError         400/404/422: the request itself was refused
    └── OutputError                 the model answered, but not usably
        ├── ValidationExhaustedError  still invalid or ungrounded after every re-ask
        ├── TruncatedOutputError      finish_reason == "length": raise max_tokens
        └── TokenBudgetExceededError  the per-article token budget ran out

Errors raised after a model call carry ``usage`` (a :class:`~summarizer.models.Usage`)
so the cost of a failure is never lost. Messages never contain an API key.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from summarizer.models import Usage

__all__ = [
    "AuthenticationError",
    "BadRequestError",
    "ConfigurationError",
    "InputError",
    "LocalModelError",
    "OutputError",
    "ProviderError",
    "ProviderUnavailableError",
    "RateLimitError",
    "SummarizerError",
    "TokenBudgetExceededError",
    "TruncatedOutputError",
    "ValidationExhaustedError",
    "fails_every_input",
]


class SummarizerError(Exception):
    """Root of every error summarizer raises on purpose."""

    def __init__(self, message: str, *, usage: Usage | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.usage = usage

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r})"


class ConfigurationError(SummarizerError):
    """The settings cannot work (missing model, bad URL, optional extra not installed)."""


class LocalModelError(ConfigurationError):
    """The embedded local model could not be located, verified or started.

    ``log_tail`` holds the last lines the server printed, when it printed any.
    """

    def __init__(self, message: str, *, log_tail: str = "") -> None:
        super().__init__(message)
        self.log_tail = log_tail


class InputError(SummarizerError):
    """The article cannot be summarized as given (empty, binary, undecodable, too large)."""


class ProviderError(SummarizerError):
    """The model endpoint failed; ``attempts`` counts the transport attempts made."""

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = None,
        body: str | None = None,
        attempts: int = 1,
        usage: Usage | None = None,
    ) -> None:
        super().__init__(message, usage=usage)
        self.status_code = status_code
        self.body = body
        self.attempts = attempts


class AuthenticationError(ProviderError):
    """401/403 from the endpoint: the key is missing, wrong or lacks access. Never retried."""


class RateLimitError(ProviderError):
    """429 from the endpoint after the transport retry budget was spent."""


class ProviderUnavailableError(ProviderError):
    """5xx, timeouts or connection failures after the transport retry budget was spent."""


class BadRequestError(ProviderError):
    """The endpoint refused the request itself (400, 404, 422). Never retried."""


class OutputError(SummarizerError):
    """The model answered, but the answer cannot be used."""


class ValidationExhaustedError(OutputError):
    """Every validation re-ask was spent and the answer is still invalid or ungrounded.

    ``errors`` lists the problems of the last answer, ``attempts`` the answers tried.
    """

    def __init__(
        self,
        message: str,
        *,
        attempts: int,
        errors: list[str],
        usage: Usage | None = None,
    ) -> None:
        super().__init__(message, usage=usage)
        self.attempts = attempts
        self.errors = errors


class TruncatedOutputError(OutputError):
    """The answer was cut at max_tokens (finish_reason == "length"); it is not re-asked."""


class TokenBudgetExceededError(OutputError):
    """The per-article token budget was spent before a valid answer arrived."""


def fails_every_input(exc: BaseException) -> bool:
    """Whether every other article would meet ``exc`` too (a refused key, a bad setting, an
    embedded model that cannot start): the batch and ``summarize`` stop on it at once."""
    return isinstance(exc, AuthenticationError | ConfigurationError)
