"""The request step: one structured question to the model, validated, re-asked, metered.

:class:`ModelClient` asks; a :class:`~summarizer._model.Model` answers each request it builds
(by default :class:`OpenAIModel`, an OpenAI-compatible endpoint). Two budgets, kept apart on
purpose:

* transport retries (:class:`~summarizer.retrying.RetryPolicy`) repeat the *same* request when
  the provider fails (429, 5xx, timeouts); the ``openai`` client runs with ``max_retries=0`` so
  nothing retries behind our back;
* validation re-asks send the model its last answer and exactly what was wrong with it.

``instructor`` turns the pydantic model into the request (JSON mode, JSON schema or tools) and
parses the answer, its work done once per answer model (:mod:`summarizer._structured`); the
``openai`` SDK sends the request (:class:`OpenAIModel`). We drive the re-ask loop ourselves
so that each re-ask carries only the *last* bad answer (cost grows linearly, not
quadratically, with re-asks) and so that usage is counted for every attempt, failed ones
included. Provider exceptions are translated by the model, at the boundary, into
:mod:`summarizer.exceptions`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator
from functools import partial
from typing import Any, Protocol, TypeVar, get_args, get_origin

import httpx2
import instructor
import openai
from instructor.core.exceptions import IncompleteOutputException, ResponseParsingError
from openai.types.chat import ChatCompletion
from pydantic import BaseModel, ValidationError

from summarizer import prompts
from summarizer._answers import ANSWER_CACHE, AnswerCache, CachingModel, request_key
from summarizer._chunking import CHARS_PER_TOKEN
from summarizer._confidence import label_probabilities
from summarizer._input import BodyTooLarge, ByteCap
from summarizer._model import Meter, Model, Reply, bill
from summarizer._parallel import finish_in_flight
from summarizer._structured import StructuredQuestion
from summarizer.config import OPENAI_URL, Secret, Settings, mask_url
from summarizer.exceptions import (
    AuthenticationError,
    BadRequestError,
    ProviderError,
    ProviderUnavailableError,
    RateLimitError,
    SummarizerError,
    TokenBudgetExceededError,
    TruncatedOutputError,
    ValidationExhaustedError,
)
from summarizer.retrying import MalformedResponseError

__all__ = [
    "ANSWER_CACHE",
    "MAX_RESPONSE_BYTES",
    "AnswerCache",
    "Meter",
    "Model",
    "ModelClient",
    "OpenAIModel",
    "Reply",
    "RequestGate",
    "ResponseTooLargeError",
    "cap_responses",
    "check_endpoint",
    "request_key",
    "translate_provider_error",
]

M = TypeVar("M", bound=BaseModel)

# Problems with an answer the model gave, worth a re-ask (a missing tool call included).
_ANSWER_ERRORS = (ValidationError, json.JSONDecodeError, ResponseParsingError)

_MODES = {
    "json": instructor.Mode.JSON,
    "json_schema": instructor.Mode.JSON_SCHEMA,
    "tools": instructor.Mode.TOOLS,
}


MAX_RESPONSE_BYTES = 16 * 1024 * 1024
"""A model answer is a few kB (``max_tokens`` bounds it); an endpoint that sends more, or
streams for ever, is cut here rather than buffered until the timeout."""
_MAX_DEFLATE_RATIO = 1032  # the most a deflate/gzip stream expands; brotli is not asked for


class ResponseTooLargeError(openai.OpenAIError):
    """A response body over :data:`MAX_RESPONSE_BYTES`. An ``OpenAIError``, so the SDK passes
    it through as it is (not as a connection error) and no retry repeats the request."""


class _CappedStream(httpx2.AsyncByteStream):
    def __init__(self, stream: Any, cap: ByteCap) -> None:
        self._stream, self._cap = stream, cap

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self._stream:
                yield self._cap.add(chunk)
        except BodyTooLarge as exc:
            raise ResponseTooLargeError(f"the model endpoint's response: {exc}") from None

    async def aclose(self) -> None:
        await self._stream.aclose()


async def _plain_bodies(request: httpx2.Request) -> None:
    request.headers["Accept-Encoding"] = "identity"  # the cap counts what is decoded


async def _cap_body(response: httpx2.Response) -> None:
    """Count the body's bytes as they are read; a compressed one (sent unasked) is capped
    so that even decompressed it stays under the limit."""
    encoded = response.headers.get("content-encoding", "identity").strip().casefold()
    limit = MAX_RESPONSE_BYTES
    if encoded not in ("", "identity"):
        limit //= _MAX_DEFLATE_RATIO
    try:
        cap = ByteCap(limit, response.headers.get("content-length"))
    except BodyTooLarge as exc:
        raise ResponseTooLargeError(f"the model endpoint's response: {exc}") from None
    response.stream = _CappedStream(response.stream, cap)


def cap_responses(client: httpx2.AsyncClient) -> httpx2.AsyncClient:
    """``client`` with every response body capped in bytes (the time is capped per request
    by :class:`ModelClient`): the hooks run before the body is read."""
    hooks = client.event_hooks
    if _cap_body not in hooks.get("response", []):
        client.event_hooks = {
            **hooks,
            "request": [*hooks.get("request", []), _plain_bodies],
            "response": [*hooks.get("response", []), _cap_body],
        }
    return client


class RequestGate(Protocol):
    """Admission for every HTTP request, retries included: how a batch keeps to its limits.

    ``acquire`` may wait (requests or tokens per minute, a pause after a 429); ``release`` is
    told the tokens really used (``None`` when the request failed) and the failure, so the
    gate can correct its estimate and back off on rate limits.
    """

    async def acquire(self, estimate: int) -> None: ...

    def release(self, estimate: int, used: int | None, error: BaseException | None) -> None: ...


class OpenAIModel(Model):
    """An OpenAI-compatible endpoint: the ``openai`` SDK under our retry policy.

    Each attempt is admitted by ``gate``, bounded as a whole by the timeout and counted in the
    meter (requests, tokens, retries) as it happens; a failure is raised translated into
    :mod:`summarizer.exceptions`, with its status, body and attempts."""

    def __init__(
        self,
        settings: Settings,
        *,
        base_url: str,
        http_client: httpx2.AsyncClient | None = None,
        gate: RequestGate | None = None,
    ) -> None:
        self.settings = settings
        self.base_url = base_url
        self.gate = gate
        key = settings.api_key.reveal() if settings.api_key is not None else "local-no-key"
        self._openai = openai.AsyncOpenAI(
            api_key=key,
            base_url=base_url,
            max_retries=0,
            timeout=settings.timeout,
            http_client=cap_responses(
                http_client or openai.DefaultAsyncHttpx2Client(timeout=settings.timeout)
            ),
        )

    async def aclose(self) -> None:
        await self._openai.close()

    async def request(self, request: dict[str, Any], meter: Meter) -> Reply:
        """Transport retries around ``chat.completions.create``."""
        gate = self.gate
        estimate = _estimate_tokens(request)

        async def attempt() -> Any:
            if gate is not None:
                await gate.acquire(estimate)
            meter.usage.requests += 1
            try:
                # The SDK's timeout bounds each read; a server that drips a byte at a time
                # would hold the request for ever. This bounds the whole request. A request in
                # flight when the article fails elsewhere is let finish and counted.
                async with asyncio.timeout(self.settings.timeout):
                    answer = await finish_in_flight(
                        self._openai.chat.completions.create(**request), partial(bill, meter)
                    )
            except TimeoutError as exc:
                if gate is not None:
                    gate.release(estimate, None, exc)
                raise openai.APITimeoutError(request=_request(self._openai.base_url)) from exc
            except BaseException as exc:
                if gate is not None:
                    gate.release(estimate, None, exc)
                raise
            used = getattr(answer, "usage", None)
            if gate is not None:
                gate.release(estimate, used.total_tokens if used is not None else None, None)
            if not getattr(answer, "choices", None):
                raise MalformedResponseError("the endpoint answered with no choices")
            return answer

        def on_retry(_attempt: int, _exc: BaseException, _wait: float) -> None:
            meter.usage.transport_retries += 1

        try:
            return Reply(await self.settings.retry.run(attempt, on_retry))
        except Exception as exc:
            raise translate_provider_error(exc, meter, secret=self.settings.api_key) from exc


class ModelClient:
    """Structured questions asked of a :class:`~summarizer._model.Model`, validated, re-asked
    and metered.

    ``model`` answers each request (injectable, as an ``httpx`` client's transport is); by
    default an :class:`OpenAIModel` on ``base_url`` (the configured one, else OpenAI's), with
    ``http_client`` and ``gate``. ``cache`` (else the :data:`ANSWER_CACHE` of the context)
    answers the requests an earlier run received (:class:`~summarizer._answers.CachingModel`).
    """

    def __init__(
        self,
        settings: Settings,
        *,
        base_url: str | None = None,
        http_client: httpx2.AsyncClient | None = None,
        gate: RequestGate | None = None,
        cache: AnswerCache | None = None,
        model: Model | None = None,
    ) -> None:
        self.settings = settings
        self.cache = cache
        self.model = model or OpenAIModel(
            settings,
            base_url=base_url or settings.base_url or OPENAI_URL,
            http_client=http_client,
            gate=gate,
        )
        self._mode = _MODES[settings.mode]
        # llama.cpp's server turns a schema in response_format into a grammar (JSON mode).
        self._grammar = settings.backend == "local" and self._mode is instructor.Mode.JSON

    async def aclose(self) -> None:
        await self.model.aclose()

    def _question(self, response_model: type[BaseModel]) -> StructuredQuestion:
        """``response_model`` prepared for this client's mode (once per model class)."""
        return StructuredQuestion.of(response_model, self._mode, grammar=self._grammar)

    async def _send(self, request: dict[str, Any], meter: Meter) -> ChatCompletion:
        """One logical request, answered by the model (through the cache, when there is one)
        and attributed in ``meter`` by how it was billed."""
        cache = self.cache if self.cache is not None else ANSWER_CACHE.get()
        model = self.model if cache is None else CachingModel(self.model, cache)
        reply = await model.request(request, meter)
        completion = reply.completion
        if not completion.choices:  # a kept or batched answer without one: nothing to parse
            empty = MalformedResponseError("the answer has no choices")
            raise translate_provider_error(empty, meter, secret=self.settings.api_key) from empty
        if reply.billed == "earlier":
            used = completion.usage
            meter.reused_requests += 1
            meter.reused_tokens += used.total_tokens if used is not None else 0
        elif reply.billed == "batch" and completion.usage is not None:
            meter.batch.prompt_tokens += completion.usage.prompt_tokens or 0
            meter.batch.completion_tokens += completion.usage.completion_tokens or 0
        return completion

    async def ask(
        self,
        response_model: type[M],
        messages: list[dict[str, str]],
        *,
        meter: Meter,
        context: dict[str, Any],
        max_tokens: int | None = None,
        salvage: bool = False,
        confidence: dict[str, float] | None = None,
    ) -> M:
        """Ask until the answer validates, the re-asks are spent or the token budget is.

        With ``confidence``, the answer's log-probabilities are requested and the dict is
        filled with each label's probability (:func:`summarizer._confidence.label_probabilities`;
        nothing when the endpoint sends none).

        With ``salvage``, a last answer that fits the schema but has some ungrounded items
        (a trigger not in its sentence, a sentence id out of range) keeps its valid items
        instead of failing; what was dropped is recorded in the meter's warnings.
        """
        settings = self.settings
        question = self._question(response_model)
        max_tokens = max_tokens or settings.max_tokens
        conversation = list(messages)
        errors: list[str] = []
        grounded_only: dict[str, Any] | None = None
        for attempt in range(settings.max_reasks + 1):
            _check_budget(settings.token_budget, meter, response_model.__name__)
            if attempt:
                meter.usage.reasks += 1
            grounded_only = None
            # No validation context while parsing: grounding is checked by a second validation.
            # llama-cpp-python's server sends log-probabilities only with top_logprobs set.
            extra = {"logprobs": True, "top_logprobs": 1} if confidence is not None else {}
            request = question.request(
                conversation, model=settings.model, temperature=0, max_tokens=max_tokens, **extra
            )
            completion = await self._send(request, meter)
            last = _completion_text(completion)
            parsed, errors = _parse(question, completion, max_tokens, meter)
            if parsed is not None:
                try:
                    valid = response_model.model_validate(parsed.model_dump(), context=context)
                except ValidationError as exc:
                    errors = describe_errors(exc)
                    grounded_only = parsed.model_dump()  # schema-valid, some references wrong
                else:
                    if confidence is not None:
                        confidence.update(label_probabilities(completion))
                    return valid
            budget = settings.token_budget
            if budget is not None and _spent(meter) >= budget:
                raise TokenBudgetExceededError(
                    f"token budget of {budget} spent ({_spent(meter)} tokens) after "
                    f"{attempt + 1} answers; last problems: {'; '.join(errors)[:300]}",
                    usage=meter.snapshot(),
                )
            conversation = [
                *messages,
                {"role": "assistant", "content": last},
                {"role": "user", "content": prompts.render("reask.user", errors=errors)},
            ]
        if salvage and grounded_only is not None:
            kept = salvage_items(response_model, grounded_only, context)
            if kept is not None:
                meter.warnings.append(
                    f"{response_model.__name__}: dropped items the model could not ground "
                    f"after {settings.max_reasks + 1} answers: {'; '.join(errors)[:400]}"
                )
                return kept
        raise ValidationExhaustedError(
            f"no valid answer after {settings.max_reasks + 1} attempts; last problems: "
            f"{'; '.join(errors)[:500]}",
            attempts=settings.max_reasks + 1,
            errors=errors,
            usage=meter.snapshot(),
        )


def _parse(
    question: StructuredQuestion, completion: Any, max_tokens: int, meter: Meter
) -> tuple[BaseModel | None, list[str]]:
    """The schema-valid answer in ``completion``, or what to tell the model about it."""
    try:
        return question.parse(completion), []
    except IncompleteOutputException as exc:
        raise TruncatedOutputError(
            f"the model's answer was cut at max_tokens={max_tokens}"
            " (finish_reason=length); raise max_tokens or shorten the article",
            usage=meter.snapshot(),
        ) from exc
    except _ANSWER_ERRORS as exc:  # a missing tool call included
        return None, describe_errors(exc)
    except Exception as exc:
        # No answer to re-ask about (e.g. a refusal): the provider misbehaved.
        raise ProviderError(
            f"the model endpoint sent an unusable response ({type(exc).__name__}: {exc})"[:300],
            usage=meter.snapshot(),
        ) from exc


def _check_budget(budget: int | None, meter: Meter, question: str) -> None:
    """Refuse to send a question once the article has spent its budget: it bounds the whole
    article (first questions and re-asks alike) to the budget plus the one request that
    crossed it, whatever the article's length."""
    if budget is not None and _spent(meter) >= budget:
        raise TokenBudgetExceededError(
            f"token budget of {budget} spent ({_spent(meter)} tokens in "
            f"{meter.usage.requests} requests) before the {question} question; raise "
            "SUMMARIZER_TOKEN_BUDGET or shorten the article",
            usage=meter.snapshot(),
        )


def _spent(meter: Meter) -> int:
    """The article's tokens against its budget: billed now, or by the run that first asked."""
    return meter.usage.total_tokens + meter.reused_tokens


def _estimate_tokens(request: dict[str, Any]) -> int:
    """Tokens a request may count against a tokens-per-minute limit, before it is sent.

    Providers count the prompt and ``max_tokens`` when admitting a request, so does this.
    """
    chars = sum(len(str(m.get("content") or "")) for m in request.get("messages", []))
    return int(chars / CHARS_PER_TOKEN) + int(request.get("max_tokens") or 0)


def salvage_items(model: type[M], data: dict[str, Any], context: dict[str, Any]) -> M | None:
    """Drop the list items that fail validation with ``context``; None if still invalid."""
    kept = dict(data)
    for name, field_info in model.model_fields.items():
        item_type = _list_item_model(field_info.annotation)
        if item_type is None or not isinstance(data.get(name), list):
            continue
        valid = []
        for item in data[name]:
            try:
                valid.append(item_type.model_validate(item, context=context))
            except ValidationError:
                continue
        kept[name] = valid
    try:
        return model.model_validate(kept, context=context)
    except ValidationError as exc:
        if any(err["type"] != "too_short" for err in exc.errors()):
            return None
    # Only emptied lists fail (e.g. no grounded event was left): every item that remains has
    # been validated above, so the answer is kept as it is.
    return model.model_construct(**kept) if any(kept.get(n) for n in model.model_fields) else None


def _list_item_model(annotation: Any) -> type[BaseModel] | None:
    if get_origin(annotation) is list:
        (arg,) = get_args(annotation)
        if isinstance(arg, type) and issubclass(arg, BaseModel):
            return arg
    return None


def describe_errors(exc: BaseException | None) -> list[str]:
    """Readable, model-facing descriptions of why an answer was rejected."""
    if isinstance(exc, ValidationError):
        out = []
        for err in exc.errors(include_url=False):
            where = ".".join(str(p) for p in err["loc"]) or "answer"
            msg = str(err["msg"]).removeprefix("Value error, ")
            out.append(f"{where}: {msg}")
        return out
    if isinstance(exc, json.JSONDecodeError):
        return [f"the answer is not valid JSON ({exc.msg} at position {exc.pos})"]
    return [str(exc) or type(exc).__name__]


def _completion_text(completion: Any) -> str:
    try:
        message = completion.choices[0].message
    except (AttributeError, IndexError, TypeError):
        return ""
    if message.content:
        return str(message.content)
    calls = getattr(message, "tool_calls", None) or []
    return str(calls[0].function.arguments) if calls else ""


def translate_provider_error(
    exc: BaseException, meter: Meter, *, secret: Secret | None = None
) -> SummarizerError:
    """Map an ``openai``/``httpx`` exception to our tree, keeping status, body and attempts.

    An endpoint may repeat the key it was sent in its error body ("Incorrect API key provided:
    sk-…"): ``secret`` is masked in what we keep and in ``exc`` itself, which stays the
    translated error's cause and is printed with it by ``--verbose``."""
    if isinstance(exc, SummarizerError):
        return exc
    _mask_in_exception(exc, secret)
    error = _translate(exc, meter, secret)
    error.message = mask_url(error.message)  # an exception's words may quote the base URL
    error.args = (error.message,)
    return error


def _translate(exc: BaseException, meter: Meter, secret: Secret | None) -> SummarizerError:
    attempts = int(getattr(exc, "attempts", 1))
    usage = meter.snapshot()
    if isinstance(exc, openai.APIStatusError):
        status = exc.status_code
        body = _mask(_excerpt(exc.response), secret)
        kind: type[ProviderError]
        if status in (401, 403):
            kind, hint = AuthenticationError, "check OPENAI_API_KEY and the model's access"
        elif status == 429:
            kind, hint = RateLimitError, "lower the request rate or raise the retry budget"
        elif status >= 500 or status in (408, 409):
            kind, hint = ProviderUnavailableError, "the endpoint is failing; try again later"
        else:
            kind, hint = BadRequestError, "check the model name and the endpoint's features"
        return kind(
            f"the model endpoint answered HTTP {status} after {attempts} attempt(s): {hint}"
            + (f" ({body[:200]})" if body else ""),
            status_code=status,
            body=body,
            attempts=attempts,
            usage=usage,
        )
    if isinstance(exc, ResponseTooLargeError):
        return ProviderError(
            f"{exc}; a chat completion is a few kB: check that the base URL is an "
            "OpenAI-compatible API",
            attempts=attempts,
            usage=usage,
        )
    if isinstance(exc, openai.APITimeoutError):
        return ProviderUnavailableError(
            f"the model endpoint timed out after {attempts} attempt(s); raise the timeout "
            "or check the server",
            attempts=attempts,
            usage=usage,
        )
    if isinstance(exc, openai.APIConnectionError):
        return ProviderUnavailableError(
            f"could not reach the model endpoint after {attempts} attempt(s) "
            f"({type(exc.__cause__ or exc).__name__}); check the base URL and that it is up",
            attempts=attempts,
            usage=usage,
        )
    if isinstance(exc, json.JSONDecodeError | MalformedResponseError):
        what = "a body that is not JSON" if isinstance(exc, json.JSONDecodeError) else str(exc)
        return ProviderError(
            f"the model endpoint sent an unusable response after {attempts} attempt(s) ({what}); "
            "check that the base URL is an OpenAI-compatible API",
            attempts=attempts,
            usage=usage,
        )
    if isinstance(exc, openai.APIResponseValidationError | openai.APIError):
        return ProviderError(
            f"the model endpoint sent an unusable response: {exc}"[:300],
            attempts=attempts,
            usage=usage,
        )
    return ProviderError(
        f"the request failed: {type(exc).__name__}: {exc}"[:300], attempts=attempts, usage=usage
    )


def _mask(text: str, secret: Secret | None) -> str:
    """``text`` without ``secret`` and without the credentials of any URL it quotes."""
    if secret is not None and len(secret.reveal()) >= 8:
        text = text.replace(secret.reveal(), secret.masked())
    return mask_url(text)


def _mask_in_exception(exc: BaseException, secret: Secret | None) -> None:
    """Mask ``secret`` and URL credentials in the words of a provider's exception and of its
    causes (message, args and body): ``--verbose`` prints the whole chain."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        current.args = tuple(_mask(a, secret) if isinstance(a, str) else a for a in current.args)
        message = getattr(current, "message", None)
        if isinstance(message, str):
            # Some exceptions (a test runner's, a C extension's) make ``message`` read-only;
            # their words are in ``args`` too, masked above.
            with contextlib.suppress(AttributeError, TypeError):
                current.message = _mask(message, secret)  # type: ignore[attr-defined]
        body = getattr(current, "body", None)
        if body is not None:
            dumped = json.dumps(body, default=str)
            if _mask(dumped, secret) != dumped:
                current.body = json.loads(_mask(dumped, secret))  # type: ignore[attr-defined]
        current = current.__cause__ or current.__context__


def _request(base_url: object) -> httpx2.Request:
    return httpx2.Request("POST", f"{str(base_url).rstrip('/')}/chat/completions")


def _excerpt(response: httpx2.Response) -> str:
    try:
        return response.text[:500]
    except (httpx2.ResponseNotRead, UnicodeDecodeError):
        return ""


def check_endpoint(settings: Settings) -> dict[str, str]:
    """Whether the configured model can be reached: starts the embedded server, or lists the
    endpoint's models. For ``summarizer doctor --check``; never raises a provider error."""
    started = time.monotonic()
    try:
        if settings.backend == "local" and settings.base_url is None:
            from summarizer.local import get_server

            base_url = get_server().base_url
            what = f"embedded server ready at {base_url}"
        else:
            key = settings.api_key.reveal() if settings.api_key is not None else "no-key"
            with openai.OpenAI(
                api_key=key,
                base_url=settings.base_url,
                max_retries=0,
                timeout=min(settings.timeout, 20.0),
            ) as client:
                models = [m.id for m in client.models.list()]
            listed = "listed" if settings.model in models else "NOT listed"
            what = f"{len(models)} models available; {settings.model!r} {listed}"
    except SummarizerError as exc:
        return {"reachable": "no", "error": exc.message}
    except Exception as exc:
        error = translate_provider_error(exc, Meter(), secret=settings.api_key)
        return {"reachable": "no", "error": error.message}
    return {"reachable": "yes", "detail": what, "seconds": f"{time.monotonic() - started:.1f}"}
