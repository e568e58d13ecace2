"""URL inputs: http(s) only, SSRF guard, redirects re-checked, size cap, errors as exit 3.

A local pytest-httpserver (127.0.0.1) serves the pages; ``summarize_text`` is replaced by a stub
so no model runs. Pages of "public" hosts are served by the same local server: the
``public_web`` fixture sends connections to the public address ``PUBLIC`` there.
"""

from __future__ import annotations

import shutil
import socket
import ssl
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from pytest_httpserver import HTTPServer
from typer.testing import CliRunner
from werkzeug import Request, Response

import summarizer._cli._summarize as cli
import summarizer._fetch as fetch
from summarizer import ArticleSummary
from summarizer._cli import app
from summarizer._cli._exits import EXIT_INPUT
from summarizer._fetch import check_url, fetch_url
from summarizer.exceptions import InputError

pytestmark = pytest.mark.block_network(allowed_hosts=["127.0.0.1", "localhost"])

runner = CliRunner()
PAGE = """<!DOCTYPE html><html lang="fr"><head><title>Un titre</title></head><body>
<nav>menu</nav><article><h1>Un titre</h1><p>Le ministre a déclaré que tout va bien.</p>
<p>L'opposition a démenti.</p></article><footer>pied</footer></body></html>"""


def _summary(text: str) -> ArticleSummary:
    return ArticleSummary.model_validate(
        {
            "article": {"language": "fr", "sha256": "0" * 64, "chars": len(text)},
            "summary": [],
            "sources": [],
            "events": [],
            "claims": [],
            "counterclaims": [],
            "inconsistencies": [],
            "provenance": {"model": "m", "backend": "local", "prompt_version": "p@1", "usage": {}},
        }
    )


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Replace the library call; each call's text and keyword arguments are recorded."""
    recorded: list[dict[str, Any]] = []

    def stub(text: str, **kwargs: Any) -> ArticleSummary:
        recorded.append({"text": text, **kwargs})
        return _summary(text)

    monkeypatch.setattr(cli, "summarize_text", stub)
    return recorded


def _cli(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["summarize", *args, "--quiet", "--format", "json"])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


def _one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


PUBLIC, DOWN = "93.184.216.34", "93.184.216.35"


@pytest.fixture
def public_web(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Connections to ``PUBLIC`` reach the local test server (same port), to ``DOWN`` are
    refused; every connection's destination, as the HTTP client asked for it, is recorded."""
    real = socket.create_connection
    destinations: list[Any] = []

    def connect(address: Any, *args: Any, **kwargs: Any) -> socket.socket:
        destinations.append(address)
        if address[0] == DOWN:
            raise ConnectionRefusedError(111, "Connection refused")
        if address[0] == PUBLIC:
            address = ("127.0.0.1", address[1])
        return real(address, *args, **kwargs)

    monkeypatch.setattr(socket, "create_connection", connect)
    return destinations


def _rebinding_dns(monkeypatch: pytest.MonkeyPatch, host: str) -> list[str]:
    """At the system resolver, which both the SSRF check and a plain HTTP client use, ``host``
    answers PUBLIC to its first lookup and 127.0.0.1 to every later one, and news.example is
    always PUBLIC. Returns the answers ``host`` gave."""
    real = socket.getaddrinfo
    answers: list[str] = []

    def resolve(name: Any, port: Any, *args: Any, **kwargs: Any) -> list[Any]:
        if name == "news.example":
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (PUBLIC, port))]
        if name != host:
            return real(name, port, *args, **kwargs)
        answers.append("127.0.0.1" if answers else PUBLIC)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (answers[-1], port))]

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    return answers


def _fake_dns(mapping: dict[str, str]) -> Any:
    def resolve(host: str, port: int) -> list[tuple[Any, ...]]:
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (mapping[host], port))]

    return resolve


def test_a_loopback_url_is_refused_without_allow_private(
    httpserver: HTTPServer, calls: list[dict[str, Any]]
) -> None:
    httpserver.expect_request("/a").respond_with_data(PAGE, content_type="text/html")
    code, _, err = _cli(httpserver.url_for("/a"))
    assert code == EXIT_INPUT
    line = _one_line(err)
    assert "--allow-private" in line and "127.0.0.1" in line
    assert calls == [] and httpserver.log == []  # refused before any request


def test_an_html_page_is_fetched_and_reaches_the_summarizer(
    httpserver: HTTPServer, calls: list[dict[str, Any]]
) -> None:
    httpserver.expect_request("/story").respond_with_data(
        PAGE, content_type="text/html; charset=utf-8"
    )
    url = httpserver.url_for("/story")
    code, out, err = _cli(url, "--allow-private")
    assert code == 0, err
    assert ArticleSummary.model_validate_json(out).article.chars == len(calls[0]["text"])
    (call,) = calls
    assert call["url"] == url and call["title"] == "Un titre" and call["language"] == "fr"
    assert "tout va bien" in call["text"]
    assert "menu" not in call["text"] and "pied" not in call["text"]


@pytest.mark.parametrize(
    ("body", "content_type", "title", "text"),
    [
        ('{"text": "Corps JSON.", "title": "T JSON"}', "application/json", "T JSON", "Corps JSON."),
        ("Titre brut\nLe corps.", "text/plain; charset=utf-8", "Titre brut", "Le corps."),
    ],
)
def test_the_content_type_chooses_the_reader(
    httpserver: HTTPServer,
    calls: list[dict[str, Any]],
    body: str,
    content_type: str,
    title: str,
    text: str,
) -> None:
    httpserver.expect_request("/doc").respond_with_data(body, content_type=content_type)
    code, _, err = _cli(httpserver.url_for("/doc"), "--allow-private")
    assert code == 0, err
    assert calls[0]["title"] == title and text in calls[0]["text"]


def test_an_unsupported_content_type_is_an_input_error(httpserver: HTTPServer) -> None:
    # Bytes that are not a PNG signature: the Content-Type alone must refuse them.
    httpserver.expect_request("/img").respond_with_data(b"pixels", content_type="image/png")
    code, _, err = _cli(httpserver.url_for("/img"), "--allow-private")
    assert code == EXIT_INPUT and "image/png" in _one_line(err)


@pytest.mark.parametrize("url", ["ftp://example.org/a.txt", "file:///etc/passwd"])
def test_other_schemes_are_refused(url: str, calls: list[dict[str, Any]]) -> None:
    code, _, err = _cli(url, "--allow-private")
    assert code == EXIT_INPUT
    assert "only http:// and https://" in _one_line(err)
    assert calls == []


def test_a_body_over_the_cap_is_refused(
    httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch, calls: list[dict[str, Any]]
) -> None:
    monkeypatch.setattr(fetch, "MAX_FILE_BYTES", 100)
    httpserver.expect_request("/big").respond_with_data("x" * 1000, content_type="text/plain")
    code, _, err = _cli(httpserver.url_for("/big"), "--allow-private")
    assert code == EXIT_INPUT and "over the limit of 100 bytes" in _one_line(err)
    assert calls == []


def test_a_streamed_body_without_length_is_cut_at_the_cap(
    httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fetch, "MAX_FILE_BYTES", 100)

    def endless(_: Request) -> Response:
        return Response((b"x" * 50 for _ in range(100)), content_type="text/plain")

    httpserver.expect_request("/stream").respond_with_handler(endless)
    with pytest.raises(InputError, match="over the limit of 100 bytes"):
        fetch_url(httpserver.url_for("/stream"), allow_private=True)


def test_a_404_is_an_input_error_with_the_status(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/missing").respond_with_data("nope", status=404)
    code, _, err = _cli(httpserver.url_for("/missing"), "--allow-private")
    assert code == EXIT_INPUT and "HTTP 404" in _one_line(err)


def test_a_refused_connection_is_an_input_error() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    code, _, err = _cli(f"http://127.0.0.1:{port}/x", "--allow-private")
    assert code == EXIT_INPUT and "cannot fetch" in _one_line(err)


def test_an_unresolvable_host_is_an_input_error(monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(host: str, port: int) -> list[tuple[Any, ...]]:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(fetch, "_getaddrinfo", fail)
    code, _, err = _cli("https://no-such-host.invalid/a")
    assert code == EXIT_INPUT and "cannot resolve host" in _one_line(err)


def test_a_slow_server_times_out_within_the_bound(httpserver: HTTPServer) -> None:
    release = threading.Event()

    def slow(_: Request) -> Response:
        release.wait(10)
        return Response("late", content_type="text/plain")

    httpserver.expect_request("/slow").respond_with_handler(slow)
    started = time.monotonic()
    try:
        code, _, err = _cli(
            httpserver.url_for("/slow"), "--allow-private", "--fetch-timeout", "0.5"
        )
    finally:
        release.set()
    assert time.monotonic() - started < 5
    assert code == EXIT_INPUT and "timed out after 0.5 s" in _one_line(err)
    # Let the released request finish here, or its log entry lands in the next test's log.
    deadline = time.monotonic() + 5
    while not httpserver.log and time.monotonic() < deadline:
        time.sleep(0.02)


# --- the checker, and redirects ---------------------------------------------------------------


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "192.168.0.1",
        "169.254.169.254",
        "::1",
        "fe80::1",
        "::ffff:10.0.0.1",
    ],
)
def test_the_checker_refuses_non_public_addresses(
    monkeypatch: pytest.MonkeyPatch, address: str
) -> None:
    monkeypatch.setattr(fetch, "_getaddrinfo", _fake_dns({"inside.example": address}))
    with pytest.raises(InputError, match="--allow-private"):
        check_url("http://inside.example/a")
    check_url("http://inside.example/a", allow_private=True)


def test_the_checker_refuses_a_host_with_any_private_address(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def resolve(host: str, port: int) -> list[tuple[Any, ...]]:
        return [
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", port)),
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port)),
        ]

    monkeypatch.setattr(fetch, "_getaddrinfo", resolve)
    with pytest.raises(InputError, match=r"127\.0\.0\.1"):
        check_url("https://mixed.example/")


def test_the_checker_accepts_a_public_address(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fetch, "_getaddrinfo", _fake_dns({"news.example": "93.184.216.34"}))
    check_url("https://news.example/story")


def test_a_redirect_to_a_private_host_is_refused(
    httpserver: HTTPServer,
    monkeypatch: pytest.MonkeyPatch,
    calls: list[dict[str, Any]],
    public_web: list[Any],
) -> None:
    monkeypatch.setattr(
        fetch, "_getaddrinfo", _fake_dns({"news.example": PUBLIC, "localhost": "127.0.0.1"})
    )
    port = httpserver.port
    httpserver.expect_request("/out").respond_with_response(
        Response(status=302, headers={"Location": f"http://localhost:{port}/inside"})
    )
    httpserver.expect_request("/inside").respond_with_data("secret", content_type="text/plain")
    code, _, err = _cli(f"http://news.example:{port}/out")
    assert code == EXIT_INPUT
    line = _one_line(err)
    assert "localhost" in line and "--allow-private" in line
    assert [request.path for request, _ in httpserver.log] == ["/out"]
    assert calls == []


def test_redirects_are_followed_up_to_the_limit(
    httpserver: HTTPServer, calls: list[dict[str, Any]]
) -> None:
    for n in range(1, 6):
        httpserver.expect_request(f"/r{n}").respond_with_response(
            Response(status=301, headers={"Location": f"/r{n + 1}"})
        )
    httpserver.expect_request("/r6").respond_with_data("Titre\nCorps.", content_type="text/plain")
    code, _, err = _cli(httpserver.url_for("/r1"), "--allow-private")
    assert code == 0, err
    assert calls[0]["url"] == httpserver.url_for("/r6")

    httpserver.expect_request("/r0").respond_with_response(
        Response(status=302, headers={"Location": "/r1"})
    )
    code, _, err = _cli(httpserver.url_for("/r0"), "--allow-private")
    assert code == EXIT_INPUT and "more than 5 redirects" in _one_line(err)


# --- DNS rebinding: the connection goes to the address that was checked ----------------------


def test_a_rebinding_host_is_fetched_from_the_checked_address_only(
    httpserver: HTTPServer,
    monkeypatch: pytest.MonkeyPatch,
    calls: list[dict[str, Any]],
    public_web: list[Any],
) -> None:
    answers = _rebinding_dns(monkeypatch, "rebind.example")
    httpserver.expect_request("/story").respond_with_data(
        "Titre\nCorps.", content_type="text/plain"
    )
    port = httpserver.port
    code, _, err = _cli(f"http://rebind.example:{port}/story")
    assert code == 0, err
    assert answers == [PUBLIC]  # resolved once, for the check; never asked again
    assert public_web == [(PUBLIC, port)]  # and connected to that very address
    ((request, _),) = httpserver.log
    assert request.headers["Host"] == f"rebind.example:{port}"
    assert calls[0]["url"] == f"http://rebind.example:{port}/story"


def test_a_redirect_to_a_rebinding_host_connects_to_its_checked_address(
    httpserver: HTTPServer,
    monkeypatch: pytest.MonkeyPatch,
    calls: list[dict[str, Any]],
    public_web: list[Any],
) -> None:
    answers = _rebinding_dns(monkeypatch, "rebind.example")
    port = httpserver.port
    httpserver.expect_request("/out").respond_with_response(
        Response(status=302, headers={"Location": f"http://rebind.example:{port}/in"})
    )
    httpserver.expect_request("/in").respond_with_data("Titre\nCorps.", content_type="text/plain")
    code, _, err = _cli(f"http://news.example:{port}/out")
    assert code == 0, err
    assert answers == [PUBLIC]
    assert public_web == [(PUBLIC, port), (PUBLIC, port)]
    hosts = [request.headers["Host"] for request, _ in httpserver.log]
    assert hosts == [f"news.example:{port}", f"rebind.example:{port}"]


def test_a_host_whose_first_address_is_down_is_fetched_from_its_next_checked_one(
    httpserver: HTTPServer,
    monkeypatch: pytest.MonkeyPatch,
    calls: list[dict[str, Any]],
    public_web: list[Any],
) -> None:
    def resolve(host: str, port: int) -> list[tuple[Any, ...]]:
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port)) for a in (DOWN, PUBLIC)]

    monkeypatch.setattr(fetch, "_getaddrinfo", resolve)
    httpserver.expect_request("/a").respond_with_data("Titre\nCorps.", content_type="text/plain")
    code, _, err = _cli(f"http://news.example:{httpserver.port}/a")
    assert code == 0, err
    assert public_web == [(DOWN, httpserver.port), (PUBLIC, httpserver.port)]


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate and key for news.example (made with the openssl command)."""
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command is not installed")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    request = "req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=news.example"
    san = "subjectAltName=DNS:news.example"
    subprocess.run(
        ["openssl", *request.split(), "-addext", san, "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )
    return cert, key


@pytest.mark.parametrize("host", ["news.example", "other.example"])
def test_https_to_a_pinned_address_checks_the_certificate_of_the_hostname(
    monkeypatch: pytest.MonkeyPatch,
    public_web: list[Any],
    certificate: tuple[Path, Path],
    host: str,
) -> None:
    """The connection goes to the IP, but SNI and the certificate check use the hostname."""
    cert, key = certificate
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(cert, key)
    names: list[str | None] = []
    server_tls.sni_callback = lambda _sock, name, _ctx: names.append(name)
    server = HTTPServer(host="127.0.0.1", port=0, ssl_context=server_tls)
    server.expect_request("/a").respond_with_data("ok", content_type="text/plain")
    server.start()
    monkeypatch.setattr(fetch, "_getaddrinfo", _fake_dns({host: PUBLIC}))
    transport = fetch._PinnedTransport(
        allow_private=False, verify=ssl.create_default_context(cafile=cert)
    )
    try:
        with httpx.Client(transport=transport) as client:
            if host == "news.example":
                assert client.get(f"https://{host}:{server.port}/a").text == "ok"
            else:  # the certificate is for news.example: refused, though the IP is the same
                with pytest.raises(httpx.ConnectError, match="certificate"):
                    client.get(f"https://{host}:{server.port}/a")
    finally:
        server.clear()
        server.stop()
    assert names == [host] and public_web == [(PUBLIC, server.port)]
