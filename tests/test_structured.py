"""Requests prepared once per answer model are the ones instructor builds on every call.

The cassettes prove it for the embedded model's JSON mode (they replay by request); these
tests prove it for every mode and answer model, against instructor's own patched ``create``
given a send function that records what it would send. Nothing is mocked in instructor.
"""

from __future__ import annotations

import asyncio
import copy
import json
from typing import Any

import instructor
import pytest
from instructor.core.exceptions import InstructorRetryException
from openai.types.chat import ChatCompletion
from pydantic import BaseModel

from summarizer._structured import StructuredQuestion
from summarizer.models import (
    EventAnswer,
    EvidenceAnswer,
    InconsistencyAnswer,
    OverviewAnswer,
    SummaryAnswer,
    attribution_model,
)

SYSTEM = {"role": "system", "content": "You read one article.\n[S1] The bridge is closed."}
USER = {"role": "user", "content": "What does S1 say?"}
CONVERSATIONS = {
    "first question": [SYSTEM, USER],
    # a re-ask after an answer with no text: instructor sends that empty content as a list
    "re-ask of an empty answer": [
        SYSTEM,
        USER,
        {"role": "assistant", "content": ""},
        {"role": "user", "content": "sentence: must be 1 to 1"},
    ],
    "no system message": [USER],
}
MODELS: dict[str, type[BaseModel]] = {
    "overview": OverviewAnswer,
    "evidence": EvidenceAnswer,
    "event": EventAnswer,
    "inconsistency": InconsistencyAnswer,
    "summary": SummaryAnswer,
    "attribution (made per question)": attribution_model(["the minister", "the army"]),
}
MODES = [instructor.Mode.TOOLS, instructor.Mode.JSON_SCHEMA, instructor.Mode.JSON]
PARAMS = {"model": "some-model", "temperature": 0, "max_tokens": 300}


def _empty_completion() -> ChatCompletion:
    return ChatCompletion.model_validate(
        {
            "id": "c1",
            "object": "chat.completion",
            "created": 0,
            "model": "some-model",
            "choices": [
                {
                    "index": 0,
                    "finish_reason": "stop",
                    "message": {"role": "assistant", "content": "{}"},
                }
            ],
        }
    )


def instructor_request(
    model: type[BaseModel], mode: instructor.Mode, messages: list[dict[str, str]]
) -> dict[str, Any]:
    """What instructor's patched ``create`` passes to the send function, as it is used."""
    sent: list[dict[str, Any]] = []

    async def send(**kwargs: Any) -> ChatCompletion:
        sent.append(copy.deepcopy(kwargs))  # instructor's re-ask then extends these
        return _empty_completion()  # "{}" fails every answer model: one call, then an error

    create: Any = instructor.patch(create=send, mode=mode)
    with pytest.raises(InstructorRetryException):
        asyncio.run(
            create(
                response_model=instructor.response_schema(model),
                messages=messages,
                max_retries=0,
                **PARAMS,
            )
        )
    (request,) = sent
    return request


def _wire(request: dict[str, Any]) -> str:
    """The request as the SDK serializes it: key order of the body is the SDK's own."""
    return json.dumps(request, sort_keys=True, ensure_ascii=False)


@pytest.mark.parametrize("mode", MODES, ids=lambda m: m.value)
@pytest.mark.parametrize("model_name", MODELS)
@pytest.mark.parametrize("conversation", CONVERSATIONS)
def test_the_prepared_request_is_instructors(
    mode: instructor.Mode, model_name: str, conversation: str
) -> None:
    model, messages = MODELS[model_name], CONVERSATIONS[conversation]
    question = StructuredQuestion.of(model, mode)
    ours = question.request(list(messages), **PARAMS)
    assert _wire(ours) == _wire(instructor_request(model, mode, list(messages)))
    # the prepared request is not changed by being used
    assert _wire(question.request(list(messages), **PARAMS)) == _wire(ours)


def test_the_grammar_request_sends_the_messages_as_they_are_and_the_schema_as_format() -> None:
    question = StructuredQuestion.of(OverviewAnswer, instructor.Mode.JSON, grammar=True)
    messages = CONVERSATIONS["re-ask of an empty answer"]
    request = question.request(list(messages), **PARAMS)
    assert request["messages"] == messages
    assert request["response_format"] == {
        "type": "json_object",
        "schema": OverviewAnswer.model_json_schema(),
    }


def test_a_model_defined_in_a_module_is_prepared_once_a_model_made_per_question_is_not() -> None:
    mode = instructor.Mode.TOOLS
    assert StructuredQuestion.of(OverviewAnswer, mode) is StructuredQuestion.of(
        OverviewAnswer, mode
    )
    per_question = attribution_model(["the minister"])
    assert StructuredQuestion.of(per_question, mode) is not StructuredQuestion.of(
        per_question, mode
    )
