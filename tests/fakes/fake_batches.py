"""A fake of the OpenAI Files and Batch APIs on top of :class:`FakeOpenAI`.

Why: the Batch API backend must be tested without network against the documented formats:
``POST /v1/files`` (multipart, ``purpose=batch``), ``GET /v1/files/{id}/content``,
``POST /v1/batches`` (``input_file_id``, ``endpoint``, ``completion_window``, ``metadata``),
``GET /v1/batches/{id}``, ``GET /v1/batches`` and ``POST /v1/batches/{id}/cancel``. Chat
completions (the online re-asks) are served by :class:`FakeOpenAI` as usual.

A batch is ``validating`` when created and moves on at each ``GET``: ``in_progress``, then its
outcome, chosen per batch by ``outcomes`` (a callable ``(batch_index) -> str``):

* ``"completed"``: every line answered in the output file;
* ``"partial"``: every third line fails with a 500 in the error file, the rest answered;
* ``"expired"``: the first half answered, the rest in the error file with ``batch_expired``;
* ``"failed"``: validation failed, no output (``errors`` says why).

Answers are built exactly as the chat endpoint builds them (valid for our validators), and the
input lines are checked like the real service: JSON, unique ``custom_id``, ``method`` POST,
``url`` equal to the batch's endpoint, at most 50,000 lines.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any

from tests.fakes.fake_openai import FakeOpenAI, _requested_answer

__all__ = ["FakeBatchAPI"]

MAX_LINES = 50_000


class FakeBatchAPI(FakeOpenAI):
    """:class:`FakeOpenAI` plus files and batches; ``outcomes`` picks each batch's fate."""

    def __init__(
        self, *, outcomes: Callable[[int], str] = lambda _i: "completed", **kw: Any
    ) -> None:
        super().__init__(**kw)
        self.outcomes = outcomes
        self.files: dict[str, dict[str, Any]] = {}
        self.batches: dict[str, dict[str, Any]] = {}
        self.uploads = 0
        self._batch_lock = threading.Lock()

    # -- routing -----------------------------------------------------------------------------

    def _route(
        self, method: str, path: str, target: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, bytes] | None:
        path = path.removeprefix("/v1")
        with self._batch_lock:
            if path == "/files" and method == "POST":
                return self._upload(headers, body)
            if m := re.fullmatch(r"/files/([\w-]+)/content", path):
                found = self.files.get(m.group(1))
                return (200, found["content"]) if found else _not_found("file")
            if m := re.fullmatch(r"/files/([\w-]+)", path):
                found = self.files.get(m.group(1))
                return (200, _json(_public(found))) if found else _not_found("file")
            if path == "/batches" and method == "POST":
                return self._create(json.loads(body or b"{}"))
            if path == "/batches" and method == "GET":
                data = [self._advance(b) for b in self.batches.values()]
                listed = {"object": "list", "data": data, "has_more": False}
                return 200, _json(listed)
            if m := re.fullmatch(r"/batches/([\w-]+)/cancel", path):
                found = self.batches.get(m.group(1))
                if found is None:
                    return _not_found("batch")
                if found["status"] in ("validating", "in_progress"):
                    found["status"] = "cancelling"
                return 200, _json(found)
            if m := re.fullmatch(r"/batches/([\w-]+)", path):
                found = self.batches.get(m.group(1))
                return (200, _json(self._advance(found))) if found else _not_found("batch")
        return None

    # -- files -------------------------------------------------------------------------------

    def _upload(self, headers: dict[str, str], body: bytes) -> tuple[int, bytes]:
        head = f"Content-Type: {headers.get('content-type', '')}\r\n\r\n".encode()
        message = BytesParser(policy=HTTP).parsebytes(head + body)
        fields: dict[str, tuple[str | None, bytes]] = {}
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            payload = part.get_payload(decode=True)
            fields[str(name)] = (
                part.get_filename(),
                payload if isinstance(payload, bytes) else b"",
            )
        if "file" not in fields or fields.get("purpose", (None, b""))[1] != b"batch":
            return 400, _json({"error": {"message": "need file and purpose=batch"}})
        self.uploads += 1
        file_id = f"file-{len(self.files) + 1}"
        self.files[file_id] = {
            "id": file_id,
            "object": "file",
            "bytes": len(fields["file"][1]),
            "created_at": int(time.time()),
            "filename": fields["file"][0] or "upload.jsonl",
            "purpose": "batch",
            "status": "processed",
            "content": fields["file"][1],
        }
        return 200, _json(_public(self.files[file_id]))

    def _output_file(self, lines: list[dict[str, Any]], purpose: str) -> str | None:
        if not lines:
            return None
        file_id = f"file-{len(self.files) + 1}"
        content = "".join(json.dumps(line) + "\n" for line in lines).encode()
        self.files[file_id] = {
            "id": file_id,
            "object": "file",
            "bytes": len(content),
            "created_at": int(time.time()),
            "filename": f"{purpose}.jsonl",
            "purpose": purpose,
            "status": "processed",
            "content": content,
        }
        return file_id

    # -- batches -----------------------------------------------------------------------------

    def _create(self, request: dict[str, Any]) -> tuple[int, bytes]:
        if request.get("input_file_id") not in self.files:
            return 400, _json({"error": {"message": "input_file_id not found"}})
        if request.get("endpoint") != "/v1/chat/completions":
            return 400, _json({"error": {"message": "unsupported endpoint"}})
        batch_id = f"batch_{len(self.batches) + 1}"
        self.batches[batch_id] = {
            "id": batch_id,
            "object": "batch",
            "endpoint": request["endpoint"],
            "errors": None,
            "input_file_id": request["input_file_id"],
            "completion_window": request.get("completion_window", "24h"),
            "status": "validating",
            "output_file_id": None,
            "error_file_id": None,
            "created_at": int(time.time()),
            "request_counts": {"total": 0, "completed": 0, "failed": 0},
            "metadata": request.get("metadata"),
            "_index": len(self.batches),
        }
        return 200, _json(_public(self.batches[batch_id]))

    def _advance(self, batch: dict[str, Any]) -> dict[str, Any]:
        """One step of a batch's life per look at it, so polling loops are exercised."""
        status = batch["status"]
        if status == "validating":
            batch["status"] = "in_progress"
        elif status == "cancelling":
            batch["status"] = "cancelled"
        elif status == "in_progress":
            self._finish(batch, self.outcomes(batch["_index"]))
        return _public(batch)

    def _finish(self, batch: dict[str, Any], outcome: str) -> None:
        lines, problem = _parse_input(self.files[batch["input_file_id"]]["content"])
        if problem is not None or outcome == "failed":
            batch["status"] = "failed"
            message = problem or "fake validation failure"
            batch["errors"] = {"object": "list", "data": [{"code": "invalid", "message": message}]}
            return
        answered: list[dict[str, Any]] = []
        failed: list[dict[str, Any]] = []
        for n, line in enumerate(lines):
            rid = f"batch_req_{batch['id']}_{n}"
            if outcome == "expired" and n >= len(lines) // 2:
                error = {"code": "batch_expired", "message": "not executed in the window"}
                failed.append({"id": rid, "custom_id": line["custom_id"], "response": None,
                               "error": error})  # fmt: skip
            elif outcome == "partial" and n % 3 == 2:
                body = {"error": {"message": "fake server error", "type": "server_error"}}
                response = {"status_code": 500, "request_id": rid, "body": body}
                failed.append({"id": rid, "custom_id": line["custom_id"], "response": response,
                               "error": None})  # fmt: skip
            else:
                body = self._batch_answer(n, line["body"])
                response = {"status_code": 200, "request_id": rid, "body": body}
                answered.append({"id": rid, "custom_id": line["custom_id"], "response": response,
                                 "error": None})  # fmt: skip
        batch["status"] = "expired" if outcome == "expired" else "completed"
        batch["output_file_id"] = self._output_file(answered, "batch_output")
        batch["error_file_id"] = self._output_file(failed, "batch_error")
        batch["request_counts"] = {
            "total": len(lines),
            "completed": len(answered),
            "failed": len(failed),
        }

    def _batch_answer(self, n: int, body: dict[str, Any]) -> dict[str, Any]:
        mode, title, schema = _requested_answer(body)
        with self._lock:
            self._requests += 1
        return self._answer(n, body, mode, title, schema, None)


def _parse_input(content: bytes) -> tuple[list[dict[str, Any]], str | None]:
    lines: list[dict[str, Any]] = []
    seen: set[str] = set()
    for number, raw in enumerate(content.decode("utf-8").splitlines(), 1):
        try:
            line = json.loads(raw)
        except json.JSONDecodeError:
            return [], f"line {number} is not JSON"
        if line.get("method") != "POST" or line.get("url") != "/v1/chat/completions":
            return [], f"line {number}: method must be POST and url /v1/chat/completions"
        if line.get("custom_id") in seen or not isinstance(line.get("body"), dict):
            return [], f"line {number}: duplicate custom_id or no body"
        seen.add(line["custom_id"])
        lines.append(line)
    if len(lines) > MAX_LINES:
        return [], f"{len(lines)} requests, over {MAX_LINES}"
    return lines, None


def _public(record: dict[str, Any] | None) -> dict[str, Any]:
    return {k: v for k, v in (record or {}).items() if not k.startswith("_") and k != "content"}


def _json(value: Any) -> bytes:
    return json.dumps(value).encode()


def _not_found(what: str) -> tuple[int, bytes]:
    return 404, _json({"error": {"message": f"no such {what}", "type": "invalid_request_error"}})
