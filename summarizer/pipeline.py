"""The pipeline: article → numbered sentences → model passes → grounded :class:`ArticleSummary`.

Code first finds what rules can find: the sentences that quote someone or use a reporting verb,
the capitalised names, and cue phrases from the lexicon (``prompts/lexicon.json``). Then:

1. ``attribution``: one narrow question per statement sentence: who speaks (picked from the
   names found, a grammar enum on llama.cpp), claim or response, stance, commitment;
2. ``overview``: a short summary, events and inconsistencies, by sentence number;
3. ``evidence``: one question per claim, only when no lexicon cue settles it. Small models
   label almost everything "provided" when asked in a big schema, while a phrase such as
   "n'a fourni aucune preuve" is a finding the reader can check.

Quotes are cut from the referenced sentences by code, so they are verbatim by construction.
Every judgement records its basis (``cue``, ``model``, ``model+cue``). All passes start with
the same system message holding the numbered article, so a server with prompt caching
(llama.cpp) reads the article once.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import partial
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar

import httpx2

from summarizer import prompts
from summarizer._candidates import (
    REPORTER,
    UNNAMED,
    Cue,
    candidate_names,
    every_name,
    find_cues,
    mentions,
    relayed_statement,
    speaker_next_to_verb,
    statement_sentences,
    without_contained,
)
from summarizer._input import check_text, text_sha256
from summarizer._language import detect_language
from summarizer.client import Meter, ModelClient, RequestGate
from summarizer.config import Backend, Mode, Settings
from summarizer.exceptions import (
    ConfigurationError,
    LocalModelError,
    ProviderUnavailableError,
    SummarizerError,
)
from summarizer.grounding import AlignedText, Sentence, quoted_segments, render_numbered, segment
from summarizer.models import (
    ArticleMeta,
    ArticleSummary,
    AttributionAnswer,
    Basis,
    Claim,
    Counterclaim,
    Event,
    Evidence,
    EvidenceAnswer,
    EvidenceStatus,
    Inconsistency,
    OverviewAnswer,
    Provenance,
    Source,
    SourceType,
    Span,
    Stance,
    SummarySentence,
    TimeRef,
    attribution_model,
)
from summarizer.retrying import RetryPolicy

if TYPE_CHECKING:
    from summarizer.local import LocalServer

__all__ = ["PROMPTS", "PromptPreview", "Summarizer", "asummarize", "preview_prompts", "summarize"]

PROMPTS = (
    "attribution.system",
    "attribution.user",
    "article.system",
    "overview.user",
    "evidence.user",
    "reask.user",
)
T = TypeVar("T")
_CHARS_PER_TOKEN = 3.5
_MAX_OPTIONS = 12
"""Names offered for one sentence at most, in order of first mention (2 of 403 statement
sentences of the dev data name more). Every name of the article may be offered: a cap on the
article's names (24 until November 2026) left 38 % of those sentences without one of theirs."""
_SUBJECT_BEFORE_VERB = frozenset({"en", "fr"})
"""Languages where the name right before a reporting verb is its subject. Not German: the
verb comes second, so a place ("… in Berlin seien") or the organisation of an apposition
("…, Sprecher des Vereins X kommentierte") stands there (4 right speakers became 3 of 18)."""
_OPENAI_URL = "https://api.openai.com/v1"


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
            self._client = ModelClient(
                self.settings,
                base_url=base_url or _OPENAI_URL,
                http_client=self._http_client,
                gate=self._gate,
            )
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
    ) -> ArticleSummary:
        """Summarize one article. Raises a :class:`~summarizer.exceptions.SummarizerError`."""
        original, text = text, check_text(text)
        language = language or detect_language(text)
        meter = Meter()
        doc = _Document(text, language, published, original)
        client = await self._model_client()
        chunks = _chunks(doc.sentences, self.settings.max_input_tokens)
        parallel = _Parallel(self.settings.parallel_requests)

        def overviews() -> Awaitable[list[OverviewAnswer]]:
            return _in_order(
                [partial(_overview, client, doc, chunk, meter) for chunk in chunks], parallel
            )

        try:
            if parallel.sequential:
                attributions = await _attribute(client, doc, meter, parallel)
                merged = await overviews()
            else:  # the overview does not wait for the attributions
                attributions, merged = await _all_or_nothing(
                    [_attribute(client, doc, meter, parallel), overviews()]
                )
            built = _Builder(doc, chunks, attributions, _merge(merged))
            await built.judge_evidence(client, meter, parallel)
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
        return built.summary(
            ArticleMeta(
                title=title or _first_line(text),
                language=language,
                outlet=outlet,
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
    article_keys = {"title", "url", "published", "language", "outlet"}
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


# ---------------------------------------------------------------------------------------------


@dataclass
class _Document:
    text: str
    """What the model reads: the caller's text with control characters blanked."""
    language: str
    published: date | None
    original: str = ""
    """The caller's text (same length): every span is cut from it."""
    sentences: list[Sentence] = field(init=False)
    aligned: AlignedText = field(init=False)

    def __post_init__(self) -> None:
        self.original = self.original or self.text
        self.sentences = segment(self.text, self.language)
        self.aligned = AlignedText(self.text)

    def cut(self, start: int, end: int) -> Span:
        """A span of the caller's text, so that ``text[start:end] == span.text`` holds for the
        text the caller passed, NUL and control characters included."""
        return Span.of(self.original, start, end)

    @property
    def context(self) -> dict[str, Any]:
        return {"sentences": self.sentences, "aligned": self.aligned}

    def span(self, ids: Sequence[int]) -> Span:
        first, last = self.sentences[min(ids) - 1], self.sentences[max(ids) - 1]
        return self.cut(first.start, last.end)

    def system_message(self, sentences: Sequence[Sentence]) -> dict[str, str]:
        numbered = _as_data(render_numbered(list(sentences)))
        return {
            "role": "system",
            "content": prompts.render(
                "article.system",
                language=self.language,
                published=self.published.isoformat() if self.published else None,
                numbered=numbered,
            ),
        }


def _chunks(sentences: list[Sentence], max_tokens: int) -> list[list[Sentence]]:
    """Split on paragraph boundaries so each part fits the model, one paragraph of overlap."""
    if not sentences:
        return [[]]
    paragraphs: list[list[Sentence]] = []
    for s in sentences:
        if paragraphs and paragraphs[-1][-1].paragraph == s.paragraph:
            paragraphs[-1].append(s)
        else:
            paragraphs.append([s])
    budget = max_tokens * _CHARS_PER_TOKEN

    def size(ps: Sequence[list[Sentence]]) -> int:
        return sum(len(s.text) + 8 for p in ps for s in p)

    if size(paragraphs) <= budget:
        return [sentences]
    chunks: list[list[Sentence]] = []
    current: list[list[Sentence]] = []
    for p in paragraphs:
        if current and size([*current, p]) > budget:
            chunks.append([s for q in current for s in q])
            current = [current[-1]] if size([current[-1], p]) <= budget else []
        current.append(p)
    chunks.append([s for q in current for s in q])
    return chunks


def _attribution_system() -> dict[str, str]:
    return {
        "role": "system",
        "content": prompts.render("attribution.system", reporter=REPORTER, unnamed=UNNAMED),
    }


def _attribution_user(doc: _Document, names: list[str], n: int) -> tuple[list[str], str]:
    """The names offered for sentence ``n`` and the user message asking who says it."""
    # The sentence and the one before it, and only the names written in the sentence (in
    # the one before for "she said"): with the whole article and every name in view, or
    # with "unnamed source" on offer, the 1.5B model gave statements to the wrong person.
    window = doc.sentences[max(n - 2, 0) : n]
    here = _names_in(doc, names, window[-1:])[:_MAX_OPTIONS]
    options = here or [*_names_in(doc, names, window)[:_MAX_OPTIONS], REPORTER, UNNAMED]
    user = prompts.render(
        "attribution.user",
        context=[{"id": s.id, "text": _as_data(_one_line(s.text))} for s in window],
        sentence=n,
        names=options,
    )
    return options, user


async def _attribute(
    client: ModelClient, doc: _Document, meter: Meter, parallel: _Parallel
) -> dict[int, AttributionAnswer]:
    """Pass 1: one question per statement sentence, the speaker picked from the names found."""
    found = statement_sentences(doc.sentences, doc.aligned)
    ids = found[: client.settings.max_statements or None]
    if len(found) > len(ids):
        meter.warnings.append(
            f"only the first {len(ids)} of {len(found)} statement sentences were attributed "
            f"(one model question each); the rest, from S{found[len(ids)]} on, are not listed "
            "(SUMMARIZER_MAX_STATEMENTS=0 lists every one)"
        )
    all_names = every_name(doc.text)  # for the name next to the verb; the model gets fewer
    names = without_contained(all_names)
    quotes = quoted_segments(doc.text, 0, len(doc.text))
    system = _attribution_system()

    async def one(n: int) -> AttributionAnswer:
        options, user = _attribution_user(doc, names, n)
        answer = await client.ask(
            attribution_model(options),
            [system, {"role": "user", "content": user}],
            meter=meter,
            context=doc.context,
            max_tokens=120,
        )
        sentence = doc.sentences[n - 1]
        relayed = relayed_statement(sentence.text, options)
        if relayed is not None and answer.speaker in (relayed[0], UNNAMED, REPORTER):
            # "Selon X, Y estime …": the 1.5B model names the relay X as the speaker.
            return answer.model_copy(update={"speaker": relayed[1], "relayed_by": relayed[0]})
        named = (
            speaker_next_to_verb(doc.text, sentence, quotes, all_names)
            if doc.language[:2].lower() in _SUBJECT_BEFORE_VERB
            else None
        )
        if named is not None and not _same_source(named, answer.speaker):
            # "Warren said", "…,” said Erin Murphy": the 1.5B model often picks another name
            # of the sentence, or none (measured in EVAL.md).
            kind = answer.speaker_type
            if answer.speaker in (REPORTER, UNNAMED):
                kind = SourceType.named_on_record
            answer = answer.model_copy(update={"speaker": named, "speaker_type": kind})
        return answer

    answers = await _in_order([partial(one, n) for n in ids], parallel)
    return dict(zip(ids, answers, strict=True))


def _model_evidence(answer: EvidenceAnswer, claim_sentence: int, doc: _Document) -> Evidence:
    """The model's evidence answer as reported: a status that says the article shows something
    needs the sentence that shows it, else it is ``unclear``."""
    if answer.cue_sentence is None and answer.status not in _NEEDS_NO_SENTENCE:
        # "The article shows evidence" with no sentence that shows it cannot be checked; the
        # 1.5B model answers `provided` this way for most claims, opinions included.
        return Evidence(
            status=EvidenceStatus.unclear,
            basis=Basis.model,
            note=f"the model said {answer.status.value} but named no sentence showing it",
        )
    # A cue is worth showing when it points elsewhere than the claim's own sentence.
    cue = (
        doc.span([answer.cue_sentence])
        if answer.cue_sentence and answer.cue_sentence != claim_sentence
        else None
    )
    return Evidence(
        status=answer.status,
        cue=cue,
        basis=Basis.model,
        note="the model's judgement, not backed by a cue phrase",
    )


_NEEDS_NO_SENTENCE = frozenset({EvidenceStatus.not_applicable, EvidenceStatus.unclear})
"""Evidence answers that say the article shows nothing, so need no sentence to point to."""


class _Parallel:
    """How many questions of one article may be in flight at once, shared by all its passes."""

    def __init__(self, limit: int) -> None:
        self.sequential = limit <= 1
        self._slots = asyncio.Semaphore(max(1, limit))

    async def bounded(self, call: Callable[[], Awaitable[T]]) -> T:
        async with self._slots:
            return await call()


async def _in_order(calls: list[Callable[[], Awaitable[T]]], parallel: _Parallel) -> list[T]:
    """Run ``calls`` within the article's limit, results in the order given.

    Sequentially they run one after another in order, which is what a single-slot llama.cpp
    server wants (each request reuses the previous one's prompt cache) and what cassettes
    recorded. The calls are factories, so a question is only created when it is asked.
    """
    if parallel.sequential:
        return [await call() for call in calls]
    return await _all_or_nothing([parallel.bounded(call) for call in calls])


async def _all_or_nothing(calls: list[Awaitable[Any]]) -> list[Any]:
    """Results in order; the first failure cancels the others (the article has failed, and
    its remaining questions would only spend tokens) and is raised as it is."""
    if not calls:
        return []  # asyncio.wait refuses an empty set: an article with no statement
    tasks = [asyncio.ensure_future(c) for c in calls]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    failed = [t for t in tasks if not t.cancelled() and t.exception() is not None]
    if failed:
        raise failed[0].exception()  # type: ignore[misc]
    return [t.result() for t in tasks]


def _same_source(name: str, other: str) -> bool:
    """Whether two speaker names denote the same source: equal, or one a mention of the other
    ("Figueroa" and "Melezia Figueroa")."""
    return name == other or other in mentions(name) or name in mentions(other)


def _names_in(doc: _Document, names: list[str], sentences: list[Sentence]) -> list[str]:
    """The names mentioned in ``sentences``, whole or by surname alone."""
    return [
        n
        for n in names
        if any(doc.aligned.find(m, s.start, s.end) for m in mentions(n) for s in sentences)
    ]


async def _overview(
    client: ModelClient, doc: _Document, chunk: list[Sentence], meter: Meter
) -> OverviewAnswer:
    return await client.ask(
        OverviewAnswer,
        _overview_messages(doc, chunk),
        meter=meter,
        context=doc.context,
        max_tokens=600,
        salvage=True,
    )


def _overview_messages(doc: _Document, chunk: list[Sentence]) -> list[dict[str, str]]:
    return [
        doc.system_message(chunk),
        {
            "role": "user",
            "content": prompts.render("overview.user", language_name=_language_name(doc.language)),
        },
    ]


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
    """The first requests of a summary, rendered without calling a model: the attribution of
    the first statement sentence and the overview of each part. Evidence questions depend on
    the model's answers and are not shown."""
    text = check_text(text)
    doc = _Document(text, language or detect_language(text), published)
    out: list[PromptPreview] = []
    ids = statement_sentences(doc.sentences, doc.aligned)
    if ids:
        _options, user = _attribution_user(doc, candidate_names(doc.text), ids[0])
        out.append(
            PromptPreview(
                f"attribution of S{ids[0]} (1 of {len(ids[: max_statements or None])})",
                [_attribution_system(), {"role": "user", "content": user}],
            )
        )
    chunks = _chunks(doc.sentences, max_input_tokens)
    for n, chunk in enumerate(chunks, 1):
        out.append(
            PromptPreview(f"overview (part {n} of {len(chunks)})", _overview_messages(doc, chunk))
        )
    return out


def _merge(answers: list[OverviewAnswer]) -> OverviewAnswer:
    """Merge the overviews of overlapping chunks; the first mention of an event wins."""
    if len(answers) == 1:
        return answers[0]
    events = {(e.sentence, e.trigger): e for a in reversed(answers) for e in a.events}
    return OverviewAnswer.model_construct(
        summary=[s for a in answers for s in a.summary][:6],
        events=sorted(events.values(), key=lambda e: e.sentence),
        inconsistencies=[i for a in answers for i in a.inconsistencies],
    )


def _word_end(text: str, end: int, limit: int) -> int:
    while end < limit and text[end].isalnum():
        end += 1
    return end


# Article text in a prompt is data: it must not close the fence it sits in, nor spell a
# chat-template token. llama.cpp parses "<|im_start|>" written in any message as the real
# token, so an article could open a system turn of its own on the embedded model.
_BREAKOUT = re.compile(r"</?(?=\s*(?:article|excerpt)\b)|<(?=\|)", re.IGNORECASE)


def _as_data(text: str) -> str:
    """``text`` safe inside a prompt's ``<article>``/``<excerpt>`` block (unchanged unless it
    holds a tag of those or a ``<|…|>`` token: "</article" becomes "</ article")."""
    return _BREAKOUT.sub(lambda m: m.group() + " ", text)


def _one_line(text: str) -> str:
    return " ".join(text.split())


_LANGUAGE_NAMES = {
    "fr": "French",
    "en": "English",
    "de": "German",
    "es": "Spanish",
    "it": "Italian",
    "pt": "Portuguese",
    "nl": "Dutch",
    "ru": "Russian",
    "ar": "Arabic",
}


def _language_name(tag: str) -> str:
    return _LANGUAGE_NAMES.get(tag.split("-")[0].casefold(), tag)


# ---------------------------------------------------------------------------------------------


class _Builder:
    """Turns the validated answers into the grounded public summary."""

    def __init__(
        self,
        doc: _Document,
        chunks: list[list[Sentence]],
        attributions: dict[int, AttributionAnswer],
        overview: OverviewAnswer,
    ) -> None:
        self.doc = doc
        self.chunks = chunks
        self.overview = overview
        statements = {n: a for n, a in attributions.items() if a.kind != "none"}
        by_key = _sources(list(statements.values()))
        self.sources = list(by_key.values())

        self.events: list[Event] = []
        event_sentences: dict[int, list[str]] = {}
        for e in overview.events:
            sentence = doc.sentences[e.sentence - 1]
            found = doc.aligned.find_words(e.trigger, sentence.start, sentence.end)
            if found is not None:  # a trigger cut at its length cap ends on a whole word
                found = (found[0], _word_end(doc.text, found[1], sentence.end))
            if found is None:  # pragma: no cover - checked by EventAnswer's validator
                continue
            speaker = statements.get(e.sentence)
            ev = Event(
                id=f"e{len(self.events) + 1}",
                what=e.what,
                trigger=doc.cut(*found),
                when=_time_ref(e.when, doc.published),
                status=e.status,
                reported_by=by_key[_source_key(speaker)].id if speaker else None,
            )
            self.events.append(ev)
            event_sentences.setdefault(e.sentence, []).append(ev.id)

        self.drafts = [
            _Draft(
                n, a, by_key[_source_key(a)].id, self._quote(n), about=event_sentences.get(n, [])
            )
            for n, a in sorted(statements.items())
        ]
        for d in self.drafts:
            if d.answer.kind == "claim" and self._stance_cues(d):
                d.promoted = True  # a denial or dispute phrase makes it a response
        self.claims = [d for d in self.drafts if d.answer.kind == "claim" and not d.promoted]
        for d in self.drafts:
            if d.answer.kind == "response" or d.promoted:
                d.target = _nearest_claim(self.claims, d)
        responses = [d for d in self.drafts if d.target is not None]
        # A "response" with nothing before it to answer is reported as a claim of its own.
        self.claims = [d for d in self.drafts if d not in responses]
        for prefix, group in (("c", self.claims), ("cc", responses)):
            for n, d in enumerate(group, 1):
                d.id = f"{prefix}{n}"
        self.statement_at = {d.sentence: d for d in self.drafts}
        self.ref_at: dict[int, list[str]] = {d.sentence: [d.id] for d in self.drafts}
        for n, ids in event_sentences.items():
            self.ref_at.setdefault(n, []).extend(ids)

    def _quote(self, sentence_id: int) -> Span:
        s = self.doc.sentences[sentence_id - 1]
        quoted = quoted_segments(self.doc.text, s.start, s.end)
        if quoted:
            start, end = max(quoted, key=lambda q: q[1] - q[0])
            return self.doc.cut(start, end)
        return self.doc.cut(s.start, s.end)

    def _cues(self, kind: str, sentence_ids: list[int]) -> list[Cue]:
        return find_cues(kind, self.doc.sentences, sentence_ids, self.doc.aligned)

    def _stance_cues(self, draft: _Draft) -> list[Cue]:
        return [
            c
            for c in self._cues("stance", [draft.sentence])
            if c.label in ("denies", "disputes", "deflects")
        ]

    def _cue_span(self, cue: Cue) -> Span:
        return self.doc.cut(cue.start, cue.end)

    def _window(self, draft: _Draft) -> list[int]:
        """The claim's sentence and the next two, unless another speaker takes over."""
        out = [draft.sentence]
        for m in range(draft.sentence + 1, min(draft.sentence + 3, len(self.doc.sentences)) + 1):
            other = self.statement_at.get(m)
            if other is not None and other.speaker != draft.speaker:
                break
            out.append(m)
        return out

    async def judge_evidence(self, client: ModelClient, meter: Meter, parallel: _Parallel) -> None:
        asked: list[_Draft] = []
        for draft in self.drafts:
            cues = self._cues("evidence", self._window(draft))
            if cues:
                draft.evidence = Evidence(
                    status=EvidenceStatus(cues[0].label),
                    cue=self._cue_span(cues[0]),
                    basis=Basis.cue,
                )
            elif draft.target is None:
                asked.append(draft)
            else:
                draft.evidence = Evidence(
                    status=EvidenceStatus.unclear,
                    note="evidence is not assessed for responses",
                    basis=Basis.not_assessed,
                )
            if draft.target is not None:
                draft.stance, draft.stance_basis, draft.stance_note = self._stance(draft)
        answers = await _in_order(
            [partial(self._ask_evidence, client, meter, d) for d in asked], parallel
        )
        for draft, evidence in zip(asked, answers, strict=True):
            draft.evidence = evidence

    async def _ask_evidence(self, client: ModelClient, meter: Meter, draft: _Draft) -> Evidence:
        sentence = self.doc.sentences[draft.sentence - 1]
        messages = [
            # The part of the article the overview saw, so the model reuses its prompt cache.
            self.doc.system_message(
                next(c for c in self.chunks if c and c[0].id <= draft.sentence <= c[-1].id)
            ),
            {
                "role": "user",
                "content": prompts.render(
                    "evidence.user",
                    sentence=sentence.id,
                    speaker=draft.answer.speaker,
                    claim=_as_data(draft.quote.text[:400]),
                ),
            },
        ]
        answer = await client.ask(
            EvidenceAnswer, messages, meter=meter, context=self.doc.context, max_tokens=60
        )
        return _model_evidence(answer, draft.sentence, self.doc)

    def _stance(self, draft: _Draft) -> tuple[Stance, Basis, str | None]:
        model = draft.answer.stance
        cues = self._cues("stance", [draft.sentence])
        labels = [Stance(c.label) for c in cues]
        if model is not None and model in labels:
            return model, Basis.model_and_cue, None
        if labels:
            cue = self._cue_span(cues[0]).text
            note = f"cue “{cue}”" + (f"; the model said {model.value}" if model else "")
            return labels[0], Basis.cue, note
        return model or Stance.disputes, Basis.model, None

    def summary(self, meta: ArticleMeta, provenance: Provenance) -> ArticleSummary:
        claims = [
            Claim(
                id=d.id,
                speaker=d.speaker,
                quote=d.quote,
                commitment=d.answer.commitment,
                evidence=d.require_evidence(),
                about=d.about,
            )
            for d in self.claims
        ]
        counterclaims = [
            Counterclaim(
                id=d.id,
                target=d.target.id,
                speaker=d.speaker,
                quote=d.quote,
                stance=d.stance,
                stance_basis=d.stance_basis,
                stance_note=d.stance_note,
                evidence=d.require_evidence(),
            )
            for d in self.drafts
            if d.target is not None
        ]
        inconsistencies = [
            Inconsistency(
                id=f"i{n}",
                what=i.what,
                spans=[self.doc.span([m]) for m in sorted(set(i.sentences))],
            )
            for n, i in enumerate(self.overview.inconsistencies, 1)
        ]
        summary = [
            SummarySentence(
                text=s.text,
                refs=list(dict.fromkeys(r for n in s.sentences for r in self.ref_at.get(n, []))),
            )
            for s in self.overview.summary
        ]
        return ArticleSummary(
            article=meta,
            summary=summary,
            sources=self.sources,
            events=self.events,
            claims=claims,
            counterclaims=counterclaims,
            inconsistencies=inconsistencies,
            provenance=provenance,
        )


@dataclass(eq=False)
class _Draft:
    sentence: int
    answer: AttributionAnswer
    speaker: str
    quote: Span
    about: list[str] = field(default_factory=list)
    id: str = ""
    target: _Draft | None = None
    evidence: Evidence | None = None
    stance: Stance = Stance.disputes
    stance_basis: Basis = Basis.model
    stance_note: str | None = None
    promoted: bool = False

    def require_evidence(self) -> Evidence:
        return self.evidence or Evidence(status=EvidenceStatus.unclear, basis=Basis.not_assessed)


def _nearest_claim(claims: list[_Draft], response: _Draft) -> _Draft | None:
    earlier = [
        c for c in claims if c.sentence < response.sentence and c.speaker != response.speaker
    ]
    return earlier[-1] if earlier else None


def _source_key(answer: AttributionAnswer) -> tuple[str, str | None]:
    relay = answer.relayed_by
    return answer.speaker, relay if relay and relay != answer.speaker else None


def _sources(statements: list[AttributionAnswer]) -> dict[tuple[str, str | None], Source]:
    """Sources keyed by (name, relay), in order of first statement.

    "The Pentagon" quoted directly and "the Pentagon according to RIA Novosti" are two sources,
    the second with ``via`` set: the relay concerns those statements only.
    """
    types: dict[tuple[str, str | None], SourceType] = {}
    for a in statements:
        types.setdefault(_source_key(a), _speaker_type(a))
    for _name, relay in list(types):
        if relay is not None:
            types.setdefault((relay, None), SourceType.other_outlet)
    ids = {key: f"s{n}" for n, key in enumerate(types, 1)}
    return {
        (name, relay): Source(
            id=ids[(name, relay)],
            name=name,
            type=kind,
            via=ids[(relay, None)] if relay is not None else None,
        )
        for (name, relay), kind in types.items()
    }


def _speaker_type(answer: AttributionAnswer) -> SourceType:
    if answer.speaker == REPORTER:
        return SourceType.reporter
    if answer.speaker == UNNAMED:
        return (
            answer.speaker_type
            if answer.speaker_type.value.startswith("anonymous")
            else SourceType.anonymous_unspecified
        )
    return answer.speaker_type


_MONTHS = {
    name: number
    for number, names in enumerate(
        [
            "janvier january januar jan",
            "février fevrier february februar feb",
            "mars march märz mar",
            "avril april apr",
            "mai may",
            "juin june juni jun",
            "juillet july juli jul",
            "août aout august aug",
            "septembre september sep sept",
            "octobre october oktober oct okt",
            "novembre november nov",
            "décembre decembre december dezember dec dez",
        ],
        1,
    )
    for name in names.split()
}
_DAY_MONTH = re.compile(r"(\d{1,2})(?:er|st|nd|rd|th|\.)?\s+([^\W\d_]+)(?:\s+(\d{4}))?")
_MONTH_DAY = re.compile(r"([^\W\d_]+)\s+(\d{1,2})(?:st|nd|rd|th)?(?:,?\s+(\d{4}))?")


def _time_ref(when: str | None, published: date | None) -> TimeRef | None:
    """Resolve "le 29 octobre" / "October 29" to a date, using the article's year if needed."""
    if not when:
        return None
    for pattern, day_group, month_group in ((_DAY_MONTH, 1, 2), (_MONTH_DAY, 2, 1)):
        for match in pattern.finditer(when):
            month = _MONTHS.get(match.group(month_group).casefold())
            if month is None:
                continue
            year = (
                int(match.group(3)) if match.group(3) else (published.year if published else None)
            )
            if year is None:
                return TimeRef(text=when)
            try:
                resolved = date(year, month, int(match.group(day_group)))
            except ValueError:
                continue
            if published and not match.group(3) and resolved > published:
                resolved = resolved.replace(year=year - 1)
            return TimeRef(text=when, date=resolved)
    return TimeRef(text=when)
