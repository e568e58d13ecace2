"""summarizer: structured, grounded summaries of news articles.

Who claims what, quoted verbatim with offsets into the text; who denies, disputes, qualifies or
deflects; and what the article shows about the evidence for each claim::

    from summarizer import summarize
    s = summarize(text, title="…", url="…")
    print(s.claims[0].quote.text, s.claims[0].evidence.status)
"""

from summarizer._version import __version__
from summarizer.config import Settings
from summarizer.exceptions import (
    AuthenticationError,
    BadRequestError,
    ConfigurationError,
    InputError,
    LocalModelError,
    OutputError,
    ProviderError,
    ProviderUnavailableError,
    RateLimitError,
    SummarizerError,
    TokenBudgetExceededError,
    TruncatedOutputError,
    ValidationExhaustedError,
)
from summarizer.models import (
    ArticleSummary,
    Basis,
    Claim,
    Commitment,
    Counterclaim,
    Event,
    EventStatus,
    Evidence,
    EvidenceStatus,
    Inconsistency,
    Source,
    SourceType,
    Span,
    Stance,
    Usage,
)
from summarizer.pipeline import Summarizer, asummarize, summarize
from summarizer.retrying import RetryPolicy

__all__ = [
    "ArticleSummary",
    "AuthenticationError",
    "BadRequestError",
    "Basis",
    "Claim",
    "Commitment",
    "ConfigurationError",
    "Counterclaim",
    "Event",
    "EventStatus",
    "Evidence",
    "EvidenceStatus",
    "Inconsistency",
    "InputError",
    "LocalModelError",
    "OutputError",
    "ProviderError",
    "ProviderUnavailableError",
    "RateLimitError",
    "RetryPolicy",
    "Settings",
    "Source",
    "SourceType",
    "Span",
    "Stance",
    "Summarizer",
    "SummarizerError",
    "TokenBudgetExceededError",
    "TruncatedOutputError",
    "Usage",
    "ValidationExhaustedError",
    "__version__",
    "asummarize",
    "summarize",
]
