"""A fault-injecting fake of an OpenAI-compatible chat server, stdlib only.

Why: the batch, reliability and benchmark tests need a model endpoint that answers the
pipeline's structured questions *validly* (so a run produces real claims), fails on demand in
every way a provider fails, is fast enough not to be what a benchmark measures, and needs no
network, key or model weights.

It is a minimal HTTP/1.1 server on asyncio streams (keep-alive, Content-Length or chunked
request bodies, ``Expect: 100-continue``) serving ``POST /v1/chat/completions`` and
``GET /v1/models``. A valid answer is built from the JSON schema the request carries (tools,
``json_schema`` or ``json_object`` mode; for ``json_object`` without a schema, from the schema
instructor writes into the system message), and made valid for our validators: sentence ids
are taken from the numbered article (``[S12] …`` lines inside ``<article>``) and an event
``trigger`` is the first words of its sentence exactly as written. The first enum value is
picked, so an attribution is a ``claim`` by the first name offered.

Faults are given as a dict ``{name: probability}`` (drawn with ``random.Random(seed)``, one
draw per request in arrival order), a list of names (``None`` = ok) used in order then ok, or a
callable ``(index, FakeRequest) -> name | None``. Names (module constants):

- ``"429"``: HTTP 429 with ``Retry-After: <retry_after>`` (seconds);
  ``"429ms"``: HTTP 429 with ``retry-after-ms: <retry_after * 1000>``;
- ``"500"``, ``"502"``, ``"503"``, ``"504"``, ``"408"``: that status, an OpenAI error body;
- ``"timeout"``: the request is read and never answered; the connection is closed after
  ``hang_seconds`` or when the client gives up. It holds no slot: other requests go on;
- ``"reset"``: headers and half the body, then an RST (SO_LINGER 0);
- ``"drip"``: a valid answer sent a few bytes at a time over ``drip_seconds``;
- ``"invalid_json"``: 200, ``application/json``, a body that is not JSON;
- ``"truncated_json"``: 200, the envelope cut mid-object, Content-Length matching what is sent;
- ``"length"``: a valid envelope, ``finish_reason: "length"``, the answer cut mid-JSON;
- ``"schema_invalid"``: a JSON answer that breaks the schema (a required field missing at even
  request indexes, of the wrong type at odd ones);
- ``"ungrounded"``: a schema-valid answer with bad references: event triggers not in their
  sentence, other sentence ids out of range. An answer model without sentence references
  (``AttributionAnswer``) gets a valid answer; pick faults by ``request.answer_model``;
- ``"no_tool_call"``: tools mode: plain text and no ``tool_calls``; JSON modes: empty content;
- ``"empty_choices"``: 200 with ``choices: []``.

``hold`` makes a test the clock: a callable ``(FakeRequest) -> gate | None``; a request given
a gate (anything with ``wait(timeout) -> bool``, e.g. a ``threading.Event``) is answered only
once ``gate.wait(hang_seconds)`` returns, waited for off the server's loop, so the other
requests go on. A test can then see what a client did before an answer came, without timing.

HTTP-status faults and ``"timeout"`` are answered at once, like a rate limiter or a proxy
would; the others, like normal answers, wait for a slot and ``latency`` first. Every complete
200 envelope carries ``usage`` (prompt ≈ characters of all messages / 4, completion ≈
characters of the answer / 4), summed in ``usage_served``.

In a test::

    with FakeOpenAI(latency=0.05, slots=4, faults={"429": 0.1}, seed=1) as fake:
        Summarizer(backend="openai", base_url=fake.base_url, api_key="k", mode="tools")

As a process (prints ``READY http://127.0.0.1:PORT/v1``, serves until SIGTERM/SIGINT)::

    python tests/fakes/fake_openai.py --port 0 --latency 1 --slots 32 \\
        [--fault 429=0.1 --fault 500=0.05] [--fault-sequence 429,ok,500] [--seed N] \\
        [--retry-after S] [--hang-seconds S] [--drip-seconds S] [--stats-file PATH]

``--stats-file`` gets the JSON of :meth:`FakeOpenAI.stats` at most every 0.5 s while requests
come in, and on exit.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import json
import math
import os
import random
import re
import signal
import socket
import struct
import sys
import threading
import time
from collections import Counter, OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from types import TracebackType
from typing import Any, Final, Protocol, TypeAlias

__all__ = [
    "DRIP",
    "EMPTY_CHOICES",
    "FAULTS",
    "FAULT_408",
    "FAULT_429",
    "FAULT_429_MS",
    "FAULT_500",
    "FAULT_502",
    "FAULT_503",
    "FAULT_504",
    "INVALID_JSON",
    "LENGTH",
    "NO_TOOL_CALL",
    "RESET",
    "SCHEMA_INVALID",
    "TIMEOUT",
    "TRUNCATED_JSON",
    "UNGROUNDED",
    "FakeOpenAI",
    "FakeRequest",
    "Gate",
    "LogRecord",
    "main",
]

FAULT_429: Final = "429"
FAULT_429_MS: Final = "429ms"
FAULT_500: Final = "500"
FAULT_502: Final = "502"
FAULT_503: Final = "503"
FAULT_504: Final = "504"
FAULT_408: Final = "408"
TIMEOUT: Final = "timeout"
RESET: Final = "reset"
DRIP: Final = "drip"
INVALID_JSON: Final = "invalid_json"
TRUNCATED_JSON: Final = "truncated_json"
LENGTH: Final = "length"
SCHEMA_INVALID: Final = "schema_invalid"
UNGROUNDED: Final = "ungrounded"
NO_TOOL_CALL: Final = "no_tool_call"
EMPTY_CHOICES: Final = "empty_choices"

_STATUS_FAULTS: Final = {
    FAULT_429: 429,
    FAULT_429_MS: 429,
    FAULT_500: 500,
    FAULT_502: 502,
    FAULT_503: 503,
    FAULT_504: 504,
    FAULT_408: 408,
}
FAULTS: Final = frozenset(
    {
        *_STATUS_FAULTS,
        TIMEOUT,
        RESET,
        DRIP,
        INVALID_JSON,
        TRUNCATED_JSON,
        LENGTH,
        SCHEMA_INVALID,
        UNGROUNDED,
        NO_TOOL_CALL,
        EMPTY_CHOICES,
    }
)
"""Every fault name the server knows."""

_REASONS: Final = {
    200: "OK",
    400: "Bad Request",
    404: "Not Found",
    405: "Method Not Allowed",
    408: "Request Timeout",
    413: "Payload Too Large",
    429: "Too Many Requests",
    431: "Request Header Fields Too Large",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}
_ERROR_TYPES: Final = {429: "rate_limit_exceeded", 408: "timeout", 400: "invalid_request_error"}
_MODEL_ID: Final = "fake-model"
_MAX_BODY: Final = 32 * 1024 * 1024
_STATS_EVERY: Final = 0.5


@dataclass(frozen=True)
class FakeRequest:
    """A parsed chat request, as a fault callable sees it."""

    index: int
    """0-based count of chat requests received (never reset)."""
    body: Mapping[str, Any]
    headers: Mapping[str, str]
    """Lower-cased names."""
    mode: str
    """``tools``, ``json_schema``, ``json`` or ``text`` (no structured output asked)."""
    answer_model: str | None
    """The title of the requested answer model, e.g. ``OverviewAnswer``."""

    @property
    def model(self) -> str | None:
        value = self.body.get("model")
        return value if isinstance(value, str) else None

    @property
    def messages(self) -> list[dict[str, Any]]:
        value = self.body.get("messages")
        return [m for m in value if isinstance(m, dict)] if isinstance(value, list) else []


@dataclass(frozen=True, slots=True)
class LogRecord:
    """One chat request: which fault it got and the usage it was told about (0 if none)."""

    index: int
    fault: str | None
    model: str | None
    answer_model: str | None
    prompt_tokens: int
    completion_tokens: int
    body_sha256: str = ""
    """Of the request body, keys sorted: the same request sent twice has the same one (how a
    benchmark counts what a rerun paid for again)."""


FaultPicker: TypeAlias = Callable[[int, FakeRequest], str | None]


class Gate(Protocol):
    def wait(self, timeout: float | None = None) -> bool: ...


Hold: TypeAlias = Callable[[FakeRequest], Gate | None]
Faults: TypeAlias = FaultPicker | Mapping[str, float] | Sequence[str | None] | None


class FakeOpenAI:
    """The fake server, on its own event loop in a daemon thread (usable from sync and async
    tests alike); ``start()``/``stop()`` or ``with FakeOpenAI(...) as fake``."""

    def __init__(
        self,
        latency: float = 0.0,
        slots: int | None = None,
        faults: Faults = None,
        seed: int = 0,
        retry_after: float = 1.0,
        hang_seconds: float = 30.0,
        drip_seconds: float = 1.0,
        host: str = "127.0.0.1",
        port: int = 0,
        hold: Hold | None = None,
    ) -> None:
        if latency < 0 or hang_seconds < 0 or drip_seconds < 0 or retry_after < 0:
            raise ValueError("latency, retry_after, hang_seconds and drip_seconds must be >= 0")
        if slots is not None and slots < 1:
            raise ValueError(f"slots must be at least 1 (got {slots})")
        self.latency = latency
        self.slots = slots
        self.retry_after = retry_after
        self.hang_seconds = hang_seconds
        self.drip_seconds = drip_seconds
        self.host = host
        self.port = port
        self._pick = _fault_picker(faults, seed)
        self._hold = hold
        self._lock = threading.Lock()
        self._next_index = 0
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.Server | None = None
        self._semaphore: asyncio.Semaphore | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._in_flight = 0
        self._version = 0
        self.reset_stats()

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> FakeOpenAI:
        """Bind and serve; returns once ``base_url`` is usable."""
        if self._thread is not None:
            raise RuntimeError("FakeOpenAI is already started")
        loop = asyncio.new_event_loop()
        self._loop = loop
        self._thread = threading.Thread(target=loop.run_forever, name="fake-openai", daemon=True)
        self._thread.start()
        try:
            asyncio.run_coroutine_threadsafe(self._bind(), loop).result(timeout=10)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Close the listener and every connection (hanging ones included), end the loop."""
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        if loop.is_running():
            with contextlib.suppress(Exception):
                asyncio.run_coroutine_threadsafe(self._shutdown(), loop).result(timeout=10)
            loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        if not thread.is_alive():
            loop.close()
        self._loop = self._thread = self._server = None

    def __enter__(self) -> FakeOpenAI:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("FakeOpenAI is not started")
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/v1"

    async def _bind(self) -> None:
        if self.slots is not None:
            self._semaphore = asyncio.Semaphore(self.slots)
        # backlog: a benchmark opens 128+ connections at once.
        self._server = await asyncio.start_server(
            self._connection, self.host, self.port, backlog=2048, limit=1 << 20
        )
        self.port = self._server.sockets[0].getsockname()[1]

    async def _shutdown(self) -> None:
        if self._server is not None:
            self._server.close()
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    # -- statistics ------------------------------------------------------------------------

    def reset_stats(self) -> None:
        """Zero every statistic (``max_in_flight`` restarts from the requests in flight now).
        The fault schedule (request index) keeps counting."""
        with self._lock:
            self._requests = 0
            self._ok = 0
            self._faults: Counter[str] = Counter()
            self._log: list[LogRecord] = []
            self._prompt_tokens = 0
            self._completion_tokens = 0
            self._max_in_flight = self._in_flight
            self._errors: list[str] = []
            self._version += 1

    @property
    def requests(self) -> int:
        """Chat requests received (``GET /v1/models`` is not one)."""
        with self._lock:
            return self._requests

    @property
    def ok_served(self) -> int:
        """Chat requests answered without a fault."""
        with self._lock:
            return self._ok

    @property
    def faults_served(self) -> Counter[str]:
        with self._lock:
            return Counter(self._faults)

    @property
    def log(self) -> list[LogRecord]:
        with self._lock:
            return list(self._log)

    @property
    def usage_served(self) -> dict[str, int]:
        """Tokens reported in complete 200 envelopes (faulty answers with usage included)."""
        with self._lock:
            p, c = self._prompt_tokens, self._completion_tokens
        return {"prompt_tokens": p, "completion_tokens": c, "total_tokens": p + c}

    @property
    def in_flight(self) -> int:
        """Requests holding a slot now."""
        with self._lock:
            return self._in_flight

    @property
    def max_in_flight(self) -> int:
        """The most requests that held a slot at the same time."""
        with self._lock:
            return self._max_in_flight

    @property
    def errors(self) -> list[str]:
        """Bugs of the fake itself (answered with a 500); a test may assert it is empty."""
        with self._lock:
            return list(self._errors)

    @property
    def version(self) -> int:
        """Changes whenever a statistic does (cheap dirtiness check for the stats file)."""
        with self._lock:
            return self._version

    def stats(self) -> dict[str, Any]:
        """A JSON-ready snapshot of every statistic."""
        with self._lock:
            return {
                "requests": self._requests,
                "ok_served": self._ok,
                "faults_served": dict(self._faults),
                "usage_served": {
                    "prompt_tokens": self._prompt_tokens,
                    "completion_tokens": self._completion_tokens,
                    "total_tokens": self._prompt_tokens + self._completion_tokens,
                },
                "in_flight": self._in_flight,
                "max_in_flight": self._max_in_flight,
                "errors": list(self._errors),
                "log": [asdict(r) for r in self._log],
            }

    def write_stats(self, path: str | os.PathLike[str]) -> None:
        """Write :meth:`stats` atomically, so a reader never sees half a file."""
        data = json.dumps(self.stats(), separators=(",", ":"))
        tmp = f"{os.fspath(path)}.{os.getpid()}.tmp"
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(data)
        os.replace(tmp, path)

    def _note_error(self, exc: BaseException) -> None:
        with self._lock:
            self._errors.append(f"{type(exc).__name__}: {exc}"[:500])
            self._version += 1

    def _record(self, record: LogRecord, *, usage: bool) -> None:
        with self._lock:
            self._log.append(record)
            if record.fault is None:
                self._ok += 1
            else:
                self._faults[record.fault] += 1
            if usage:
                self._prompt_tokens += record.prompt_tokens
                self._completion_tokens += record.completion_tokens
            self._version += 1

    # -- HTTP ------------------------------------------------------------------------------

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            while await self._one_request(reader, writer):
                pass
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
            pass  # the client went away, or the server is stopping
        except Exception as exc:  # e.g. a malformed chunked body: close, and tell the test
            self._note_error(exc)
        finally:
            self._tasks.discard(task)
            writer.close()

    async def _one_request(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> bool:
        """Serve one request; False when the connection must close."""
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except asyncio.IncompleteReadError:
            return False
        except asyncio.LimitOverrunError:
            _send(writer, _error_response(431, "request headers too large", close=True))
            return False
        lines = head.decode("latin-1").split("\r\n")
        try:
            method, target, version = lines[0].split(" ", 2)
        except ValueError:
            _send(writer, _error_response(400, "bad request line", close=True))
            return False
        headers: dict[str, str] = {}
        for line in lines[1:]:
            name, sep, value = line.partition(":")
            if sep:
                headers[name.strip().lower()] = value.strip()
        connection = headers.get("connection", "").lower()
        keep_alive = (
            "keep-alive" in connection if version == "HTTP/1.0" else "close" not in connection
        )
        body = await self._read_body(reader, writer, headers)
        if body is None:
            return False
        path = target.split("?", 1)[0].rstrip("/")
        if path in ("/v1/chat/completions", "/chat/completions"):
            if method != "POST":
                _send(writer, _error_response(405, "use POST", close=not keep_alive))
                return keep_alive
            try:
                return (
                    await self._chat(body, headers, reader, writer, not keep_alive) and keep_alive
                )
            except (ConnectionError, asyncio.CancelledError):
                raise
            except Exception as exc:  # a bug of the fake: say so, loudly but without dying
                self._note_error(exc)
                _send(writer, _error_response(500, f"fake server bug: {exc!r}"[:300], close=True))
                return False
        routed = self._route(method, path, target, headers, body)
        if routed is not None:
            _send(writer, _response(routed[0], routed[1], close=not keep_alive))
        elif path in ("/v1/models", "/models") and method == "GET":
            listed = {
                "object": "list",
                "data": [{"id": _MODEL_ID, "object": "model", "created": 0, "owned_by": "fake"}],
            }
            _send(writer, _response(200, _dumps(listed), close=not keep_alive))
        else:
            _send(writer, _error_response(404, f"no route {method} {path}", close=not keep_alive))
        await writer.drain()
        return keep_alive

    def _route(
        self, method: str, path: str, target: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, bytes] | None:
        """Other endpoints, for subclasses (see fake_batches.py): (status, JSON body) or None."""
        return None

    async def _read_body(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, headers: dict[str, str]
    ) -> bytes | None:
        """The request body (b"" if none), or None after answering an error."""
        chunked = "chunked" in headers.get("transfer-encoding", "").lower()
        length_text = headers.get("content-length")
        if not chunked and length_text is None:
            return b""
        if "100-continue" in headers.get("expect", "").lower():
            writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        if not chunked:
            try:
                length = int(length_text or "")
            except ValueError:
                length = -1
            if not 0 <= length <= _MAX_BODY:
                _send(writer, _error_response(400, "bad Content-Length", close=True))
                return None
            return await reader.readexactly(length)
        parts: list[bytes] = []
        total = 0
        while True:
            size_line = await reader.readuntil(b"\r\n")
            try:
                size = int(size_line.split(b";", 1)[0].strip(), 16)
            except ValueError:
                _send(writer, _error_response(400, "bad chunk size", close=True))
                return None
            total += size
            if total > _MAX_BODY:
                _send(writer, _error_response(413, "body too large", close=True))
                return None
            if size == 0:
                while (await reader.readuntil(b"\r\n")) != b"\r\n":  # trailers
                    pass
                return b"".join(parts)
            parts.append(await reader.readexactly(size))
            await reader.readexactly(2)

    async def _chat(
        self,
        raw: bytes,
        headers: dict[str, str],
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        close: bool,
    ) -> bool:
        """One chat completion; returns whether the connection may be reused. ``close``: the
        client asked to close it after this answer (said in the answer's headers)."""
        try:
            body = json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError):
            body = None
        if not isinstance(body, dict) or not isinstance(body.get("messages"), list):
            _send(writer, _error_response(400, "the body must be a JSON chat request", close=close))
            return True
        if body.get("stream"):
            _send(writer, _error_response(400, "the fake server does not stream", close=close))
            return True
        mode, title, schema = _requested_answer(body)
        with self._lock:
            index = self._next_index
            self._next_index += 1
            self._requests += 1
            self._version += 1
        request = FakeRequest(index, body, headers, mode, title)
        gate = self._hold(request) if self._hold is not None else None
        if gate is not None:
            await asyncio.to_thread(gate.wait, self.hang_seconds)
        fault = self._pick(index, request)
        if fault is not None and fault not in FAULTS:
            raise ValueError(f"the fault picker returned an unknown fault {fault!r}")
        model = request.model
        prompt_tokens = _tokens(sum(_content_chars(m) for m in request.messages))
        body_sha256 = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()

        def record(completion_tokens: int = 0, *, usage: bool) -> None:
            self._record(
                LogRecord(
                    index,
                    fault,
                    model,
                    title,
                    prompt_tokens if usage else 0,
                    completion_tokens if usage else 0,
                    body_sha256,
                ),
                usage=usage,
            )

        if fault in _STATUS_FAULTS:
            status = _STATUS_FAULTS[fault]
            extra: list[tuple[str, str]] = []
            if fault == FAULT_429:
                extra.append(("retry-after", f"{self.retry_after:g}"))
            elif fault == FAULT_429_MS:
                extra.append(("retry-after-ms", f"{self.retry_after * 1000:g}"))
            record(usage=False)
            _send(writer, _error_response(status, f"fake fault {fault}", close=close, extra=extra))
            await writer.drain()
            return True
        if fault == TIMEOUT:
            record(usage=False)
            await writer.drain()
            # Wait for the client to give up (EOF) or for hang_seconds, then close.
            with contextlib.suppress(asyncio.TimeoutError, ConnectionError):
                await asyncio.wait_for(_wait_eof(reader), self.hang_seconds)
            return False

        async with contextlib.AsyncExitStack() as stack:
            if self._semaphore is not None:
                await stack.enter_async_context(self._semaphore)
            self._enter_slot()
            try:
                envelope = self._answer(index, body, mode, title, schema, fault)
                if self.latency:
                    await asyncio.sleep(self.latency)
            finally:
                self._leave_slot()

        if fault == INVALID_JSON:
            record(usage=False)
            _send(
                writer,
                _response(200, b"<html><body>upstream said hello</body></html>", close=close),
            )
            await writer.drain()
            return True
        usage = envelope.get("usage", {})
        completion_tokens = int(usage.get("completion_tokens", 0))
        data = _dumps(envelope)
        if fault == TRUNCATED_JSON:
            record(usage=False)
            _send(writer, _response(200, data[: len(data) // 2], close=close))
            await writer.drain()
            return True
        if fault == RESET:
            record(usage=False)
            head = _head(200, len(data))
            writer.write(head + data[: len(data) // 2])
            await writer.drain()
            await asyncio.sleep(0.05)  # let the client read the partial body first
            _abort(writer)
            return False
        if fault == DRIP:
            writer.write(_head(200, len(data), close=close))
            pieces = min(len(data), 100)
            step = math.ceil(len(data) / pieces)
            pause = self.drip_seconds / pieces
            for start in range(0, len(data), step):
                writer.write(data[start : start + step])
                await writer.drain()
                await asyncio.sleep(pause)
            record(completion_tokens, usage=True)
            return True
        record(completion_tokens, usage=True)
        _send(writer, _response(200, data, close=close))
        await writer.drain()
        return True

    def _enter_slot(self) -> None:
        with self._lock:
            self._in_flight += 1
            self._max_in_flight = max(self._max_in_flight, self._in_flight)

    def _leave_slot(self) -> None:
        with self._lock:
            self._in_flight -= 1

    def _answer(
        self,
        index: int,
        body: dict[str, Any],
        mode: str,
        title: str | None,
        schema: dict[str, Any] | None,
        fault: str | None,
    ) -> dict[str, Any]:
        """The response envelope of a 200 answer, shaped by ``fault``."""
        messages = [m for m in body["messages"] if isinstance(m, dict)]
        prompt_tokens = _tokens(sum(_content_chars(m) for m in messages))
        model = body.get("model") if isinstance(body.get("model"), str) else _MODEL_ID
        finish = "tool_calls" if mode == "tools" else "stop"
        if fault == EMPTY_CHOICES:
            return _envelope(index, model, [], prompt_tokens, 0)
        if schema is None:
            text = "This is the fake server's answer."
        else:
            variant = {SCHEMA_INVALID: "invalid", UNGROUNDED: "ungrounded"}.get(fault or "", "ok")
            answer = _build_answer(schema, _sentences(messages), variant, index)
            text = json.dumps(answer, ensure_ascii=False)
        if fault == LENGTH:
            text, finish = text[: max(1, len(text) // 2)], "length"
        message: dict[str, Any] = {"role": "assistant", "content": text}
        if mode == "tools":
            if fault == NO_TOOL_CALL:
                message["content"] = "I would rather answer in plain text."
                finish = "stop"
            else:
                message["content"] = None
                message["tool_calls"] = [
                    {
                        "id": f"call_fake_{index}",
                        "type": "function",
                        "function": {"name": title or "answer", "arguments": text},
                    }
                ]
        elif fault == NO_TOOL_CALL:
            message["content"] = ""
        completion_tokens = _tokens(len(message["content"] or text))
        choice = {"index": 0, "message": message, "finish_reason": finish, "logprobs": None}
        return _envelope(index, model, [choice], prompt_tokens, completion_tokens)


# -- fault schedules -----------------------------------------------------------------------


def _fault_picker(faults: Faults, seed: int) -> FaultPicker:
    """Normalise the three ways of giving faults to one callable; unknown names raise here."""
    if faults is None:
        return lambda _index, _request: None
    if callable(faults):
        return faults
    if isinstance(faults, Mapping):
        table = dict(faults)
        _check_names(table)
        if any(not 0 <= p <= 1 for p in table.values()) or sum(table.values()) > 1 + 1e-9:
            raise ValueError(f"fault probabilities must be in [0, 1] and sum to <= 1: {table}")
        rng = random.Random(seed)
        lock = threading.Lock()

        def draw(_index: int, _request: FakeRequest) -> str | None:
            with lock:
                r = rng.random()
            for name, p in table.items():
                if r < p:
                    return name
                r -= p
            return None

        return draw
    if isinstance(faults, str | bytes):
        raise TypeError("faults: give a list of names, not one string")
    schedule = list(faults)
    _check_names(schedule)
    return lambda index, _request: schedule[index] if index < len(schedule) else None


def _check_names(names: Any) -> None:
    unknown = sorted({str(n) for n in names if n is not None and n not in FAULTS})
    if unknown:
        raise ValueError(f"unknown fault(s) {unknown}; known: {sorted(FAULTS)}")


# -- what the request asks for -------------------------------------------------------------

_SCHEMA_IN_PROMPT = re.compile(r"json_schema:\s*")


def _requested_answer(body: dict[str, Any]) -> tuple[str, str | None, dict[str, Any] | None]:
    """(mode, answer model title, JSON schema) of a chat request."""
    tools = body.get("tools")
    if isinstance(tools, list) and tools:
        wanted = None
        choice = body.get("tool_choice")
        if isinstance(choice, dict):
            wanted = (choice.get("function") or {}).get("name")
        functions = [t.get("function") or {} for t in tools if isinstance(t, dict)]
        chosen = next((f for f in functions if f.get("name") == wanted), functions[0])
        schema = chosen.get("parameters")
        return "tools", chosen.get("name"), schema if isinstance(schema, dict) else None
    response_format = body.get("response_format")
    if isinstance(response_format, dict):
        kind = response_format.get("type")
        if kind == "json_schema":
            spec = response_format.get("json_schema") or {}
            schema = spec.get("schema")
            if isinstance(schema, dict):
                return "json_schema", spec.get("name") or schema.get("title"), schema
        if kind == "json_object":
            schema = response_format.get("schema")
            if not isinstance(schema, dict):
                schema = _schema_from_messages(body.get("messages") or [])
            if schema is not None:
                return "json", schema.get("title"), schema
            return "json", None, None
    return "text", None, None


def _schema_from_messages(messages: list[Any]) -> dict[str, Any] | None:
    """The schema instructor's JSON mode writes into the system message ("json_schema: {…}")."""
    for message in messages:
        content = message.get("content") if isinstance(message, dict) else None
        if not isinstance(content, str):
            continue
        match = _SCHEMA_IN_PROMPT.search(content)
        if match is None:
            continue
        with contextlib.suppress(ValueError):
            found, _end = json.JSONDecoder().raw_decode(content, match.end())
            if isinstance(found, dict):
                return found
    return None


def _content_chars(message: dict[str, Any]) -> int:
    content = message.get("content")
    if isinstance(content, str):
        return len(content)
    if isinstance(content, list):
        return sum(len(p.get("text") or "") for p in content if isinstance(p, dict))
    return 0


def _tokens(chars: int) -> int:
    return (chars + 3) // 4


# -- the numbered article ------------------------------------------------------------------

_ARTICLE = re.compile(r"<article>\n(.*?)\n</article>", re.S)
_NUMBERED = re.compile(r"^\[S(\d+)\] (.*)$", re.M)
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)?")
_sentence_cache: OrderedDict[str, tuple[tuple[int, str], ...]] = OrderedDict()
_sentence_lock = threading.Lock()


def _sentences(messages: list[dict[str, Any]]) -> tuple[tuple[int, str], ...]:
    """(id, text) of the numbered sentences shown to the model (ids of a chunk may not start
    at 1), parsed from the ``<article>`` block that ``article.system.j2`` renders."""
    for message in messages:
        content = message.get("content")
        if not isinstance(content, str) or "<article>" not in content:
            continue
        with _sentence_lock:
            cached = _sentence_cache.get(content)
            if cached is not None:
                _sentence_cache.move_to_end(content)
                return cached
        match = _ARTICLE.search(content)
        found = tuple(
            (int(m.group(1)), m.group(2))
            for m in _NUMBERED.finditer(match.group(1) if match else "")
        )
        with _sentence_lock:
            _sentence_cache[content] = found
            if len(_sentence_cache) > 128:
                _sentence_cache.popitem(last=False)
        return found
    return ()


def _leading_words(sentence: str, limit: int = 40) -> str:
    """The first one to three words of ``sentence``, exactly as written, at most ``limit``
    characters: what a careful model would copy as an event trigger."""
    words = list(_WORD.finditer(sentence))
    if not words:
        return sentence.strip()[:limit]
    start = words[0].start()
    best = sentence[start : words[0].end()][:limit]
    for w in words[1:3]:
        if w.end() - start > limit:
            break
        best = sentence[start : w.end()]
    return best


# -- building an answer from a JSON schema -------------------------------------------------

_COPIED_FIELDS: Final = ("trigger", "quote")


def _build_answer(
    schema: dict[str, Any],
    sentences: tuple[tuple[int, str], ...],
    variant: str,
    index: int,
) -> Any:
    """The smallest answer ``schema`` accepts, valid for our validators.

    Required fields only (lists as long as ``minItems``), the first enum value; integers whose
    name says "sentence" are ids of the shown sentences, a ``trigger``/``quote`` string copies
    the first words of the sentence its sibling id names, and other strings beside a sentence
    id are that sentence, shortened. Variants: ``ungrounded`` spoils the references,
    ``invalid`` breaks the schema.
    """
    job = _Job(schema, sentences, ungrounded=variant == "ungrounded")
    value = job.value(schema, "", 0, None)
    if variant == "invalid":
        return _break_schema(job.resolve(schema), value, index)
    return value


class _Job:
    def __init__(
        self,
        root: dict[str, Any],
        sentences: tuple[tuple[int, str], ...],
        *,
        ungrounded: bool,
    ) -> None:
        self.defs: dict[str, Any] = {**root.get("definitions", {}), **root.get("$defs", {})}
        self.text = dict(sentences)
        # Sentences with a word in them can hold a trigger; prefer those.
        worded = [i for i, t in sentences if _WORD.search(t)]
        self.ids = worded or [i for i, _t in sentences] or [1]
        self.out_of_range = max(self.text, default=1) + 10
        self.ungrounded = ungrounded

    def resolve(self, schema: Any) -> dict[str, Any]:
        for _ in range(32):
            if not isinstance(schema, dict) or "$ref" not in schema:
                break
            name = str(schema["$ref"]).rsplit("/", 1)[-1]
            schema = {**self.defs.get(name, {}), **{k: v for k, v in schema.items() if k != "$ref"}}
        return schema if isinstance(schema, dict) else {}

    def value(self, schema: Any, name: str, position: int, hint: str | None) -> Any:
        s = self.resolve(schema)
        if "const" in s:
            return s["const"]
        if s.get("enum"):
            return s["enum"][0]
        for key in ("anyOf", "oneOf", "allOf"):
            options = [self.resolve(o) for o in s.get(key) or []]
            real = [o for o in options if o.get("type") != "null"]
            if real:
                return self.value(real[0], name, position, hint)
            if options:
                return None
        kind = s.get("type")
        if isinstance(kind, list):
            kind = next((k for k in kind if k != "null"), "null")
        if kind == "object" or "properties" in s:
            return self.object(s, position)
        if kind == "array":
            count = int(s.get("minItems", 0))
            return [self.value(s.get("items", {}), name, i, hint) for i in range(count)]
        if kind == "integer":
            if "sentence" in name.lower():
                return self.out_of_range if self.ungrounded else self.ids[position % len(self.ids)]
            if "minimum" in s:
                return int(s["minimum"])
            return int(s["exclusiveMinimum"]) + 1 if "exclusiveMinimum" in s else 1
        if kind == "number":
            return float(s.get("minimum", 0.0))
        if kind == "boolean":
            return False
        if kind == "string":
            return self.string(s, name, hint)
        return None

    def string(self, s: dict[str, Any], name: str, hint: str | None) -> str:
        low, high = int(s.get("minLength", 0)), int(s.get("maxLength", 10_000))
        if name in _COPIED_FIELDS:
            text = "xqzv" if self.ungrounded else _leading_words(hint or "", min(high, 40))
        elif hint:
            text = _shorten(hint, min(high, 100))
        else:
            text = "fake"
        if len(text) < low:
            text = (text + " " + "x" * low)[:low]
        return text[: max(high, 1)]

    def object(self, s: dict[str, Any], position: int) -> dict[str, Any]:
        props: dict[str, Any] = s.get("properties") or {}
        required = set(s.get("required") or [])
        refs = [n for n in props if "sentence" in n.lower()]
        copies = any(n in _COPIED_FIELDS for n in props)
        out: dict[str, Any] = {}
        for name in refs:
            # An ungrounded answer also spoils optional references (e.g. cue_sentence).
            if name in required or (self.ungrounded and not copies):
                out[name] = self.value(props[name], name, position, None)
                if copies:  # keep the id valid: the copied words are what will be wrong
                    out[name] = self.ids[position % len(self.ids)]
        first = next((v for v in out.values() if isinstance(v, int)), None)
        if first is None:
            lists = [v for v in out.values() if isinstance(v, list) and v]
            first = lists[0][0] if lists and isinstance(lists[0][0], int) else None
        hint = self.text.get(first) if first is not None else None
        for name, prop in props.items():
            if name in required and name not in out:
                out[name] = self.value(prop, name, position, hint)
        return {n: out[n] for n in props if n in out}


def _shorten(text: str, limit: int) -> str:
    """``text`` cut at a word boundary to at most ``limit`` characters."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0]
    return cut if cut else text[:limit]


def _break_schema(root: dict[str, Any], answer: Any, index: int) -> Any:
    """Drop the first required field (even index) or give it the wrong type (odd index)."""
    required = [n for n in root.get("required") or [] if isinstance(answer, dict) and n in answer]
    if not required:
        return ["not", "an", "object"]
    broken = dict(answer)
    first = required[0]
    if index % 2 == 0:
        del broken[first]
    else:
        broken[first] = _wrong_type(broken[first])
    return broken


def _wrong_type(value: Any) -> Any:
    if isinstance(value, str):
        return 12345
    if isinstance(value, bool | int | float):
        return "not a number"
    if isinstance(value, list):
        return "not a list"
    if isinstance(value, dict):
        return "not an object"
    return ["not", "null"]


# -- wire helpers --------------------------------------------------------------------------


def _dumps(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


def _envelope(
    index: int, model: Any, choices: list[Any], prompt_tokens: int, completion_tokens: int
) -> dict[str, Any]:
    return {
        "id": f"chatcmpl-fake-{index}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": choices,
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
        "system_fingerprint": "fake",
    }


def _head(
    status: int, length: int, *, close: bool = False, extra: Sequence[tuple[str, str]] = ()
) -> bytes:
    lines = [
        f"HTTP/1.1 {status} {_REASONS.get(status, 'Status')}",
        "content-type: application/json",
        f"content-length: {length}",
        f"connection: {'close' if close else 'keep-alive'}",
        *(f"{k}: {v}" for k, v in extra),
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def _response(
    status: int, body: bytes, *, close: bool = False, extra: Sequence[tuple[str, str]] = ()
) -> bytes:
    return _head(status, len(body), close=close, extra=extra) + body


def _error_response(
    status: int, message: str, *, close: bool = False, extra: Sequence[tuple[str, str]] = ()
) -> bytes:
    kind = _ERROR_TYPES.get(status, "server_error" if status >= 500 else "invalid_request_error")
    body = _dumps({"error": {"message": message, "type": kind, "param": None, "code": str(status)}})
    return _response(status, body, close=close, extra=extra)


def _send(writer: asyncio.StreamWriter, data: bytes) -> None:
    if not writer.is_closing():
        writer.write(data)


async def _wait_eof(reader: asyncio.StreamReader) -> None:
    """Return when the peer closes its side (clients do not pipeline, so bytes are dropped)."""
    while await reader.read(65536):
        pass


def _abort(writer: asyncio.StreamWriter) -> None:
    """Close with an RST instead of a FIN."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


# -- command line --------------------------------------------------------------------------


def _parse_fault(text: str) -> tuple[str, float]:
    name, sep, probability = text.partition("=")
    if not sep:
        raise argparse.ArgumentTypeError(f"expected NAME=PROBABILITY, got {text!r}")
    try:
        return name.strip(), float(probability)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a probability: {probability!r}") from None


def main(argv: Sequence[str] | None = None) -> int:
    """Serve until SIGTERM/SIGINT; print ``READY <base_url>`` once listening."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0] if __doc__ else "")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--latency", type=float, default=0.0, help="seconds per request")
    parser.add_argument("--slots", type=int, default=None, help="requests processed at once")
    parser.add_argument(
        "--fault", type=_parse_fault, action="append", default=[], help="NAME=PROBABILITY"
    )
    parser.add_argument("--fault-sequence", default=None, help="NAME,ok,NAME,… then ok")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--retry-after", type=float, default=1.0)
    parser.add_argument("--hang-seconds", type=float, default=30.0)
    parser.add_argument("--drip-seconds", type=float, default=1.0)
    parser.add_argument("--stats-file", default=None)
    args = parser.parse_args(argv)
    if args.fault and args.fault_sequence:
        parser.error("give --fault or --fault-sequence, not both")
    faults: Faults = dict(args.fault) or None
    if args.fault_sequence:
        faults = [
            None if n.strip() in ("", "ok", "-") else n.strip()
            for n in args.fault_sequence.split(",")
        ]
    try:
        fake = FakeOpenAI(
            latency=args.latency,
            slots=args.slots,
            faults=faults,
            seed=args.seed,
            retry_after=args.retry_after,
            hang_seconds=args.hang_seconds,
            drip_seconds=args.drip_seconds,
            host=args.host,
            port=args.port,
        )
    except ValueError as exc:
        parser.error(str(exc))
    stop = threading.Event()

    def on_signal(_signum: int, _frame: object) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    fake.start()
    written = -1
    try:
        if args.stats_file:
            fake.write_stats(args.stats_file)
            written = fake.version
        print(f"READY {fake.base_url}", flush=True)
        while not stop.wait(_STATS_EVERY):
            if args.stats_file and fake.version != written:
                written = fake.version
                fake.write_stats(args.stats_file)
    finally:
        fake.stop()
        if args.stats_file:
            fake.write_stats(args.stats_file)
    return 0


if __name__ == "__main__":
    sys.exit(main())
