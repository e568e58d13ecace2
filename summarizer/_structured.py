"""An answer model as a request and a completion as an answer: instructor's work, once per model.

instructor's patched ``create`` redoes its per-model work on every call: it walks the answer
model's class tree twice for async validators, prepares the model and its schema, and builds
a tenacity controller and a usage record even with ``max_retries=0`` (together 41 % of a
request's CPU in benchmarks/README.md). A :class:`StructuredQuestion` does that work once per
answer model through instructor's own functions (``handle_response_model``, which prepares
the model, checks its validators and builds the request's additions, and the mode's handlers
from ``instructor.v2.mode_registry``), then per request only joins the messages to what was
prepared and lets the mode's ``response_parser`` parse the completion. The requests are the
ones instructor builds (``tests/test_structured.py`` compares them, the cassettes replay
them); our re-ask loop (:meth:`summarizer.client.ModelClient.ask`) stays ours.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import instructor
from instructor.v2 import Provider, mode_registry
from instructor.v2.core.response import handle_response_model
from openai.types.chat import ChatCompletion
from pydantic import BaseModel

__all__ = ["StructuredQuestion"]

# Modes whose additions to a request (tools and tool_choice, or response_format) depend on
# the answer model alone; JSON mode writes the schema into the system message, so its
# request is built per call by instructor's request handler.
_MESSAGE_FREE = frozenset({instructor.Mode.TOOLS, instructor.Mode.JSON_SCHEMA})


@dataclass(frozen=True)
class StructuredQuestion:
    """One answer model prepared for one mode: request additions, parser, message converter."""

    answer_model: type[BaseModel]
    mode: instructor.Mode
    prepared: type[BaseModel]
    additions: dict[str, Any]
    grammar: bool

    @classmethod
    def of(
        cls, answer_model: type[BaseModel], mode: instructor.Mode, *, grammar: bool = False
    ) -> StructuredQuestion:
        """``answer_model`` prepared for ``mode``, made once per class defined in a module.

        With ``grammar`` (JSON mode on llama.cpp's server), the schema goes in
        ``response_format``, which the server turns into a grammar the model cannot leave, and
        the messages are sent as they are: instructor's copy of the schema in the system
        message would be ~2,500 tokens of prompt (70 s on 2 cores) for nothing.
        Classes made per question (the attribution model with its speaker enum) are prepared
        for each question and not kept: they would only pile up.
        """
        key = (answer_model, mode, grammar)
        found = _PREPARED.get(key)
        if found is None:
            found = cls._prepare(answer_model, mode, grammar)
            module = sys.modules.get(answer_model.__module__)
            if getattr(module, answer_model.__qualname__, None) is answer_model:
                _PREPARED[key] = found
        return found

    @classmethod
    def _prepare(
        cls, answer_model: type[BaseModel], mode: instructor.Mode, grammar: bool
    ) -> StructuredQuestion:
        # instructor's preparation of a plain model: wrapped as a ResponseSchema (once, so its
        # schema cache, keyed by class, hits), checked for async validators, its request
        # additions built. Given a plain model, instructor would make a new subclass per call.
        prepared, request = handle_response_model(
            instructor.response_schema(answer_model),
            mode=mode,
            provider=Provider.OPENAI,
            messages=[],
        )
        if prepared is None:  # pragma: no cover - only for response_model=None
            raise TypeError(f"instructor could not prepare {answer_model.__name__}")
        if grammar:
            additions = {
                "response_format": {
                    "type": "json_object",
                    "schema": answer_model.model_json_schema(),
                }
            }
        elif mode in _MESSAGE_FREE:
            additions = {k: v for k, v in request.items() if k != "messages"}
        else:
            additions = {}
        return cls(answer_model, mode, prepared, additions, grammar)

    def request(self, messages: list[dict[str, str]], **params: Any) -> dict[str, Any]:
        """The keyword arguments of ``chat.completions.create`` for ``messages``."""
        if self.grammar:
            return {**params, **self.additions, "messages": messages}
        handlers = mode_registry.get_handlers(Provider.OPENAI, self.mode)
        if self.mode in _MESSAGE_FREE:
            request = {**params, **self.additions, "messages": messages}
        else:
            _, request = handlers.request_handler(self.prepared, {**params, "messages": messages})
        convert: Callable[..., list[dict[str, Any]]] | None = handlers.message_converter
        if convert is not None:
            request["messages"] = convert(request["messages"], autodetect_images=False)
        return request

    def parse(self, completion: ChatCompletion) -> BaseModel:
        """The answer in ``completion``, checked against the schema (not yet grounded).

        Raises what instructor's parser raises: ``IncompleteOutputException`` for an answer
        cut at ``max_tokens``, ``ValidationError`` or ``ResponseParsingError`` for an answer
        worth a re-ask."""
        handlers = mode_registry.get_handlers(Provider.OPENAI, self.mode)
        parsed: BaseModel = handlers.response_parser(
            response=completion,
            response_model=self.prepared,
            validation_context=None,
            strict=True,
            stream=False,
            is_async=True,
        )
        return parsed


_PREPARED: dict[tuple[type[BaseModel], instructor.Mode, bool], StructuredQuestion] = {}
