"""An endpoint that answers 200 and then streams for ever is cut at a byte cap, not buffered
until the timeout (before: 2.3 GB of memory at ``SUMMARIZER_TIMEOUT=5``).

The server is started here on 127.0.0.1 and counts what it sent: the client cannot hold more
than it received, so a bound on the bytes sent is a bound on the memory used. It stops by
itself after :data:`SAFETY` bytes, so the test ends even against a client without a cap.
"""

from __future__ import annotations

import asyncio
import socketserver
import threading
from collections.abc import Iterator

import pytest

import summarizer.client as client
from summarizer import ProviderError, RetryPolicy, Summarizer
from tests.batch_support import article_text, no_sleep

pytestmark = pytest.mark.block_network(allowed_hosts=["127.0.0.1", "localhost"])

CAP = 1 << 20  # the test's response cap (the default is 16 MiB)
SAFETY = 64 << 20  # the server gives up after this much
SLACK = 16 << 20  # loopback socket buffers: sent but never read by the client
CHUNK = b" " * 65536
CHUNKED = b"Transfer-Encoding: chunked\r\n"


class _Endless(socketserver.BaseRequestHandler):
    server: _Server

    def handle(self) -> None:
        self.request.settimeout(10)
        try:
            head = b""
            while b"\r\n\r\n" not in head:
                data = self.request.recv(65536)
                if not data:
                    return
                head += data
            self.server.requests += 1
            length = self.server.declared
            self.request.sendall(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                + (
                    b"Content-Length: %d\r\n" % length
                    if length
                    else b"Transfer-Encoding: chunked\r\n"
                )
                + b"\r\n"
            )
            frame = b"%x\r\n%s\r\n" % (len(CHUNK), CHUNK) if not length else CHUNK
            while self.server.sent < SAFETY:
                self.request.sendall(frame)
                self.server.sent += len(frame)
        except OSError:
            return  # the client hung up: what it should do


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, declared: int = 0) -> None:
        super().__init__(("127.0.0.1", 0), _Endless)
        self.sent = 0
        self.requests = 0
        self.declared = declared


@pytest.fixture(params=[0, 10**9], ids=["chunked-for-ever", "declared-1GB"])
def server(request: pytest.FixtureRequest) -> Iterator[_Server]:
    srv = _Server(declared=request.param)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield srv
    srv.shutdown()
    srv.server_close()


def test_an_endless_response_fails_clearly_with_bounded_memory(
    server: _Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(client, "MAX_RESPONSE_BYTES", CAP)
    host, port = server.server_address[:2]
    summarizer = Summarizer(
        backend="openai",
        base_url=f"http://{host}:{port}/v1",
        api_key="sk-test-not-a-real-key",
        mode="tools",
        timeout=60.0,  # generous: the cap, not the timeout, must end the request
        parallel_requests=1,  # one question at a time: the first failure is the only request
        retry=RetryPolicy(max_attempts=4, sleep=no_sleep),
    )

    async def go() -> None:
        async with summarizer:
            await summarizer.asummarize(article_text(1))

    with pytest.raises(ProviderError, match=r"over the limit of 1,048,576 bytes") as caught:
        asyncio.run(asyncio.wait_for(go(), 120))  # hang guard
    assert "check that the base URL is an OpenAI-compatible API" in caught.value.message
    usage = caught.value.usage
    assert usage is not None and usage.transport_retries == 0
    assert server.requests == usage.requests == 1  # never asked for again
    assert server.sent < CAP + SLACK, f"{server.sent:,} bytes sent before the client hung up"


def test_the_cap_is_on_the_client_a_summarizer_is_given(monkeypatch: pytest.MonkeyPatch) -> None:
    """A caller's own ``httpx2`` client is capped too (the batch passes its own)."""
    import httpx2

    given = httpx2.AsyncClient()
    client.cap_responses(given)
    client.cap_responses(given)  # idempotent
    assert given.event_hooks["response"].count(client._cap_body) == 1
    asyncio.run(given.aclose())
