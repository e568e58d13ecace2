"""The orchestrator: article → numbered sentences → model passes → grounded :class:`ArticleSummary`.

The stages, each a module of its own:

1. segment (:mod:`~summarizer._document`, parts that fit the model: :mod:`~summarizer._chunking`);
2. find statements and names: from a dependency parse where the language has a parser model
   (:mod:`~summarizer._parse`, :mod:`~summarizer._statements`), else by rules
   (:mod:`~summarizer._candidates`); language knowledge in the packs (:mod:`~summarizer._packs`);
3. attribute (:mod:`~summarizer._attribution`): who says each statement, claim or response
   (with a parse, several statements labelled in one question: :mod:`~summarizer._labels`);
4. overview and events (:mod:`~summarizer._overview`, dates: :mod:`~summarizer._dates`), and
   the headline's figures the body does not confirm (:mod:`~summarizer._figures`);
5. evidence (:mod:`~summarizer._evidence`), for the claims (:mod:`~summarizer._claims`) that
   no cue phrase settles;
6. assemble (:mod:`~summarizer._assemble`): answers → summary, pure.

A model pass is one module with its messages, its answer model, ``ask`` and ``apply``; this
module only calls them in order and accounts for the article's cost. All passes that read the
article start with the same system message holding the numbered article, so a server with
prompt caching (llama.cpp) reads it once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import partial
from types import TracebackType
from typing import TYPE_CHECKING, Any

import httpx2

from summarizer import (
    _attribution,
    _evidence,
    _figures,
    _labels,
    _overview,
    _replies,
    _statements,
    prompts,
)
from summarizer._assemble import Answers, assemble
from summarizer._candidates import candidate_names, statement_sentences
from summarizer._chunking import by_part, chunk_of, chunks, sentence_limit
from summarizer._claims import link
from summarizer._document import Document
from summarizer._grammar import article
from summarizer._input import check_text, text_sha256
from summarizer._language import detect_language
from summarizer._model import Meter, Model
from summarizer._parallel import Parallel, side_by_side
from summarizer.client import ModelClient, OpenAIModel, RequestGate
from summarizer.config import OPENAI_URL, Backend, Mode, Settings
from summarizer.exceptions import (
    ConfigurationError,
    LocalModelError,
    ProviderUnavailableError,
    SummarizerError,
)
from summarizer.models import ArticleMeta, ArticleSummary, Provenance
from summarizer.retrying import RetryPolicy

if TYPE_CHECKING:
    from summarizer.local import LocalServer

__all__ = ["PROMPTS", "PromptPreview", "Summarizer", "asummarize", "preview_prompts", "summarize"]

PROMPTS = (
    "attribution.system",
    "attribution.user",
    "article.system",
    "overview.user",
    "labels.user",
    "figures.user",
    "replies.user",
    "evidence.user",
    "reask.user",
)


class Summarizer:
    """A reusable, async client that summarizes articles; use it as ``async with``.

    Arguments override the environment, which overrides the defaults (see
    :class:`~summarizer.config.Settings`). ``http_client`` is an injectable ``httpx2.AsyncClient``
    (what the ``openai`` SDK uses; tests pass one with a mock transport); ``gate`` admits each
    HTTP request (the batch runner's rate limits, see :class:`~summarizer.client.RequestGate`).
    With no endpoint configured, the embedded local model is started on first use and shared
    by every ``Summarizer`` in the process.
    """

    def __init__(
        self,
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
        http_client: httpx2.AsyncClient | None = None,
        settings: Settings | None = None,
        gate: RequestGate | None = None,
    ) -> None:
        self.settings = settings or Settings.resolve(
            model=model,
            base_url=base_url,
            api_key=api_key,
            backend=backend,
            mode=mode,
            timeout=timeout,
            max_reasks=max_reasks,
            token_budget=token_budget,
            parallel_requests=parallel_requests,
            max_statements=max_statements,
            retry=retry,
        )
        self._http_client = http_client
        self._gate = gate
        self._client: ModelClient | None = None
        # What a batch backend puts around the endpoint's model (the Batch API's store, an
        # evaluation's replayed answers); set before the first question.
        self._wrap: Callable[[Model], Model] | None = None
        self._server: LocalServer | None = None

    def __repr__(self) -> str:
        s = self.settings
        return f"Summarizer(backend={s.backend!r}, model={s.model!r}, base_url={s.shown_url!r})"

    async def __aenter__(self) -> Summarizer:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def _model_client(self) -> ModelClient:
        if self._server is not None and not self._server.alive():
            await self.aclose()  # the server died: restart it, maybe on another port
        if self._client is None:
            base_url = self.settings.base_url
            if base_url is None and self.settings.backend == "local":
                self._server = await asyncio.to_thread(_local_server, self._server)
                base_url = self._server.base_url
            model: Model = OpenAIModel(
                self.settings,
                base_url=base_url or OPENAI_URL,
                http_client=self._http_client,
                gate=self._gate,
            )
            if self._wrap is not None:
                model = self._wrap(model)
            self._client = ModelClient(self.settings, model=model)
        return self._client

    async def asummarize(
        self,
        text: str,
        *,
        title: str | None = None,
        url: str | None = None,
        published: date | None = None,
        language: str | None = None,
        outlet: str | None = None,
        author: str | None = None,
        meter: Meter | None = None,
    ) -> ArticleSummary:
        """Summarize one article. Raises a :class:`~summarizer.exceptions.SummarizerError`.

        ``meter`` (new by default) has the article's usage added to it as its questions are
        answered: the batch runner passes its own to read the Batch API's discounted share."""
        original, text = text, check_text(text)
        language = language or detect_language(text)
        meter = meter if meter is not None else Meter()
        limit = self.settings.max_input_tokens
        doc = Document(text, language, published, original, sentence_limit(limit))
        client = await self._model_client()
        parts = chunks(doc.sentences, limit)
        parallel = Parallel(self.settings.parallel_requests)
        try:
            # The overview and the figures do not wait for the attributions (unless questions
            # go one by one).
            attributions, overview, figures = await side_by_side(
                [
                    partial(_attribution.ask, client, doc, parts, meter, parallel),
                    partial(_overview.ask, client, doc, parts, meter, parallel),
                    partial(_figures.ask, client, doc, parts, meter, parallel),
                ],
                parallel,
            )
            # The grammar cues' parse (summarizer._grammar), kept for the later passes and
            # assembly: made in a thread, so loading a parser model does not stall the loop.
            await asyncio.to_thread(article, doc.text, doc.language)
            replies = await _replies.ask(
                client, doc, parts, link(doc, attributions), meter, parallel
            )
            statements = link(doc, attributions, replies)
            evidence = await _evidence.ask(client, doc, parts, statements, meter, parallel)
        except SummarizerError as exc:
            # The error's usage was taken when it was raised; the article's other questions,
            # cancelled since, may have sent requests after that. The article's cost is all.
            exc.usage = meter.snapshot()
            server = self._server
            if not isinstance(exc, ProviderUnavailableError) or server is None or server.alive():
                raise
            raise LocalModelError(
                "the embedded model server stopped during the request (out of memory?); it is "
                f"restarted for the next article. Its log: {server.log_path}",
                log_tail=server.log_tail(),
            ) from exc
        return assemble(
            doc,
            Answers(attributions, overview, evidence, figures, replies),
            ArticleMeta(
                title=title or _first_line(text),
                language=language,
                outlet=outlet,
                author=author,
                url=url,
                published=published,
                sha256=text_sha256(original),
                chars=len(text),
            ),
            Provenance(
                model=self.settings.model,
                backend=self.settings.backend,
                prompt_version=prompts.prompt_version(PROMPTS),
                usage=meter.snapshot(),
                warnings=meter.warnings,
            ),
        )


async def asummarize(text: str, **kwargs: Any) -> ArticleSummary:
    """One-shot async summary; keyword arguments go to :class:`Summarizer` or the article."""
    article_keys = {"title", "url", "published", "language", "outlet", "author"}
    article = {k: v for k, v in kwargs.items() if k in article_keys}
    client = {k: v for k, v in kwargs.items() if k not in article_keys}
    async with Summarizer(**client) as summarizer:
        return await summarizer.asummarize(text, **article)


def summarize(
    text: str,
    *,
    title: str | None = None,
    url: str | None = None,
    published: date | None = None,
    language: str | None = None,
    **options: Any,
) -> ArticleSummary:
    """Summarize one news article into claims, counterclaims, events and evidence status.

    Synchronous; reads its configuration from the environment (``OPENAI_BASE_URL``,
    ``OPENAI_API_KEY``, ``SUMMARIZER_MODEL`` …) unless ``options`` (``model``, ``base_url``,
    ``api_key``, ``max_reasks`` …) say otherwise. With nothing configured it uses the embedded
    local model. Inside a running event loop use ``await Summarizer().asummarize(text)``.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        pass
    else:
        raise ConfigurationError(
            "summarize() was called inside a running event loop; "
            "use `await summarizer.asummarize(text)` or `Summarizer().asummarize(text)`"
        )
    return asyncio.run(
        asummarize(text, title=title, url=url, published=published, language=language, **options)
    )


def _local_server(current: LocalServer | None) -> LocalServer:
    """The process-wide embedded server, (re)started if needed."""
    if current is not None:
        current.ensure_alive()
        return current
    from summarizer.local import get_server

    return get_server()


def _first_line(text: str) -> str | None:
    line = text.strip().splitlines()[0].strip()
    return line[:300] if line else None


@dataclass(frozen=True)
class PromptPreview:
    """One request the pipeline would send: what it asks and its chat messages."""

    name: str
    messages: list[dict[str, str]]


def preview_prompts(
    text: str,
    *,
    published: date | None = None,
    language: str | None = None,
    max_input_tokens: int = Settings.max_input_tokens,
    max_statements: int = Settings.max_statements,
) -> list[PromptPreview]:
    """The first requests of a summary, rendered without calling a model: the labels of the
    first statements (with a parser; without one, the attribution of the first statement
    sentence) and the overview of each part. Speaker and evidence questions depend on the
    parse and the model's answers and are not shown."""
    text = check_text(text)
    doc = Document(
        text,
        language or detect_language(text),
        published,
        max_sentence_chars=sentence_limit(max_input_tokens),
    )
    out: list[PromptPreview] = []
    parts = chunks(doc.sentences, max_input_tokens)
    found = _statements.find(doc)
    if found is not None:
        named = [s for s in found[: max_statements or None] if s.speaker is not None]
        if named:
            first = by_part(parts, named, _labels.GROUP)[0]
            out.append(
                PromptPreview(
                    f"labels of {len(first)} statements (of {len(named)})",
                    _labels.messages(doc, chunk_of(parts, first[0].sentence), first),
                )
            )
    ids = [] if found is not None else statement_sentences(doc.sentences, doc.aligned)
    if ids:
        _options, user = _attribution.user_message(doc, candidate_names(doc.text), ids[0])
        out.append(
            PromptPreview(
                f"attribution of S{ids[0]} (1 of {len(ids[: max_statements or None])})",
                [_attribution.system_message(), {"role": "user", "content": user}],
            )
        )
    for n, part in enumerate(parts, 1):
        out.append(
            PromptPreview(f"overview (part {n} of {len(parts)})", _overview.messages(doc, part))
        )
    return out
