"""Read an article file for the command line: ``.txt``/``.md``, ``.json`` or ``.html``.

* ``.txt``/``.md`` (and standard input): the whole file is the article; its first line is the
  title, and a second line holding only an ISO date is the publication date.
* ``.json``: an object ``{"text", "title", "url", "published", "language", "outlet",
  "author"}``; only ``text`` is required, ``published`` is an ISO date.
* ``.html``/``.htm``: the article text and its metadata (title, date, author, site name as
  the outlet, canonical URL, language), extracted by trafilatura (:mod:`summarizer._html`).
* ``http://``/``https://`` URLs (:func:`fetch_url`): fetched with a timeout, the same size cap
  and at most :data:`MAX_REDIRECTS` redirects; every host (the first and each redirect target)
  must resolve to public addresses only, unless private ones are explicitly allowed, and the
  connection goes to an address that was checked (:class:`_PinnedTransport`), never to a second
  DNS answer. The Content-Type chooses the reader (HTML, JSON or plain text).

Every failure is an :class:`~summarizer.exceptions.InputError` naming the file and the problem.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
import socket
import ssl
import sys
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from summarizer._html import extract_article
from summarizer._input import (
    MAX_CHARS,
    BodyTooLarge,
    ByteCap,
    decode_bytes,
    find_surrogate,
    load_json,
    read_regular,
)
from summarizer.exceptions import InputError

__all__ = [
    "FETCH_TIMEOUT",
    "MAX_FILE_BYTES",
    "MAX_REDIRECTS",
    "ArticleInput",
    "check_url",
    "fetch_url",
    "is_url",
    "read_input",
]

MAX_FILE_BYTES = 4 * MAX_CHARS
FETCH_TIMEOUT = 20.0
MAX_REDIRECTS = 5
ALLOW_PRIVATE_FLAG = "--allow-private"
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_JSON_KEYS = ("text", "title", "url", "published", "language", "outlet", "author")


@dataclass(frozen=True)
class ArticleInput:
    """One article ready for :meth:`Summarizer.asummarize`, plus notes for the user."""

    text: str
    title: str | None = None
    url: str | None = None
    published: dt.date | None = None
    language: str | None = None
    outlet: str | None = None
    author: str | None = None
    notes: list[str] = field(default_factory=list)


def _read_bytes(path: Path) -> bytes:
    if str(path) == "-":
        data = sys.stdin.buffer.read(MAX_FILE_BYTES + 1)
        if len(data) > MAX_FILE_BYTES:
            raise InputError(f"standard input is over the limit of {MAX_FILE_BYTES:,} bytes")
        return data
    return read_regular(path, MAX_FILE_BYTES)


def parse_failure(where: str, exc: Exception) -> InputError:
    """The InputError for an unexpected exception while parsing the input ``where``."""
    reason = " ".join(f"{type(exc).__name__}: {exc}".split())[:200]
    return InputError(f"{where}: cannot be parsed ({reason})")


def _date(value: str, where: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value.strip()[:10])
    except ValueError as exc:
        raise InputError(f"{where}: published {value!r} is not an ISO date (YYYY-MM-DD)") from exc


def plain_article(text: str) -> ArticleInput:
    """A .txt/.md article: line 1 the title; line 2 the date when it holds only an ISO date."""
    lines = text.strip().splitlines()
    title = lines[0].strip() or None if lines else None
    published = None
    if len(lines) > 1:
        try:
            published = dt.date.fromisoformat(lines[1].strip())
        except ValueError:
            published = None
    return ArticleInput(text=text, title=title, published=published)


def _json(text: str, where: str) -> ArticleInput:
    doc: Any = load_json(text, where)
    if not isinstance(doc, dict):
        raise InputError(
            f'{where}: expected a JSON object with a "text" field, got {type(doc).__name__}'
        )
    if "text" not in doc:
        raise InputError(f'{where}: the JSON object has no "text" field (the article)')
    for key in _JSON_KEYS:
        if doc.get(key) is not None and not isinstance(doc[key], str):
            raise InputError(f'{where}: "{key}" must be a string, not {type(doc[key]).__name__}')
        # JSON can escape half a surrogate pair ("\udcff"): a string no UTF-8 can hold.
        if isinstance(doc.get(key), str) and (at := find_surrogate(doc[key])) is not None:
            raise InputError(
                f'{where}: "{key}" is not valid Unicode (a lone surrogate '
                f"U+{ord(doc[key][at]):04X} at character {at:,})"
            )
    published = doc.get("published")
    return ArticleInput(
        text=doc["text"],
        title=(doc.get("title") or "").strip() or None,
        url=doc.get("url") or None,
        published=_date(published, where) if published else None,
        language=doc.get("language") or None,
        outlet=(doc.get("outlet") or "").strip() or None,
        author=(doc.get("author") or "").strip() or None,
    )


def _html(text: str, where: str, url: str | None = None) -> ArticleInput:
    page = extract_article(text, url=url)
    published = None
    if page.published:
        try:
            published = dt.date.fromisoformat(page.published[:10])
        except ValueError:
            published = None
    if not page.text.strip():
        raise InputError(f"{where}: no article text found in the HTML (is it built by JavaScript?)")
    return ArticleInput(
        text=page.text,
        title=page.title,
        url=page.url,
        published=published,
        language=page.language,
        outlet=page.outlet,
        author=page.author,
    )


def read_input(path: Path) -> ArticleInput:
    """Read and parse one article file (``-`` is standard input, read as plain text).

    Every failure is an InputError, a parser's own exception included: one poison file must
    fail alone, never stop a night or a multi-input command."""
    where = "standard input" if str(path) == "-" else str(path)
    text, encoding = decode_bytes(_read_bytes(path))
    notes = []
    if encoding not in ("utf-8", "utf-8-sig"):
        notes.append(f"{where} is not UTF-8; read it as {encoding}")
    suffix = path.suffix.casefold()
    try:
        if suffix == ".json":
            article = _json(text, where)
        elif suffix in (".html", ".htm"):
            article = _html(text, where)
        else:
            article = plain_article(text)
    except InputError:
        raise
    except Exception as exc:  # a bug or limit of a parser, met by this input only
        raise parse_failure(where, exc) from exc
    return replace(article, notes=notes)


# --- URLs ---------------------------------------------------------------------------------------


def is_url(arg: str) -> bool:
    """Whether a command-line input is a URL (``scheme://…``) rather than a file path."""
    return bool(_SCHEME.match(arg))


def _getaddrinfo(host: str, port: int) -> list[tuple[Any, ...]]:
    """Every address of ``host`` (a seam for tests)."""
    return list(socket.getaddrinfo(host, port, type=socket.SOCK_STREAM))


def _forbidden(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # drop an IPv6 zone id
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_reserved
        or ip.is_multicast
        or ip.is_unspecified
    )


def check_url(url: str, *, allow_private: bool = False) -> list[str]:
    """Refuse a URL that is not http(s), has no host, or whose host resolves to any private,
    loopback, link-local or reserved address (unless ``allow_private``).

    Returns the addresses checked, the only ones a connection may use (none with
    ``allow_private``: the host is then not resolved here)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise InputError(f"{url}: not a valid URL ({exc})") from exc
    if parts.scheme.casefold() not in ("http", "https"):
        raise InputError(f"{url}: only http:// and https:// URLs can be fetched")
    host = parts.hostname
    if not host:
        raise InputError(f"{url}: the URL has no host")
    if allow_private:
        return []
    port = port or (443 if parts.scheme.casefold() == "https" else 80)
    try:
        infos = _getaddrinfo(host, port)
    except (socket.gaierror, UnicodeError) as exc:
        raise InputError(f"{url}: cannot resolve host {host!r} ({exc})") from exc
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    for address in addresses:
        if _forbidden(address):
            raise InputError(
                f"{url}: host {host!r} resolves to {address}, a private, loopback, link-local "
                f"or reserved address; refused (pass {ALLOW_PRIVATE_FLAG} to fetch it anyway)"
            )
    if not addresses:
        raise InputError(f"{url}: host {host!r} has no address")
    return addresses


class _PinnedTransport(httpx.HTTPTransport):
    """Checks each request's host and connects to an address that check approved.

    Checking a host and then letting the HTTP client resolve it again is open to DNS
    rebinding: the check can get a public address and the connection 127.0.0.1. Here the host
    is resolved once per request (each redirect is a request), and the request goes to one of
    those exact addresses; the Host header, TLS SNI and certificate check keep the hostname.
    No keep-alive, so a connection is never reused for another hostname on the same address.
    """

    def __init__(self, *, allow_private: bool, verify: ssl.SSLContext | bool = True) -> None:
        super().__init__(
            verify=verify,  # tests pass a context that trusts their own certificate
            trust_env=False,
            limits=httpx.Limits(max_keepalive_connections=0),
        )
        self._allow_private = allow_private

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        addresses = check_url(str(request.url), allow_private=self._allow_private)
        if not addresses:  # private addresses allowed: nothing to guard
            return super().handle_request(request)
        for address in addresses[:-1]:
            try:
                return super().handle_request(_pinned(request, address))
            except httpx.ConnectError:
                continue  # the host's next checked address, as a resolver-driven client would
        return super().handle_request(_pinned(request, addresses[-1]))


def _pinned(request: httpx.Request, address: str) -> httpx.Request:
    """``request`` sent to ``address``; its Host header and TLS name stay the hostname's."""
    return httpx.Request(
        request.method,
        request.url.copy_with(host=address),
        headers=request.headers,  # holds Host: the hostname, as the client built it
        stream=request.stream,
        extensions={**request.extensions, "sni_hostname": request.url.raw_host.decode("ascii")},
    )


def _body(response: httpx.Response, where: str, deadline: float) -> bytes:
    chunks: list[bytes] = []
    try:
        cap = ByteCap(MAX_FILE_BYTES, response.headers.get("content-length"))
        for chunk in response.iter_bytes():
            chunks.append(cap.add(chunk))
            if time.monotonic() > deadline:
                raise httpx.ReadTimeout(
                    "the whole download took too long", request=response.request
                )
    except BodyTooLarge as exc:
        raise InputError(f"{where}: {exc}") from None
    return b"".join(chunks)


def _parse(data: bytes, content_type: str, where: str, final: str) -> ArticleInput:
    mime, _, params = content_type.partition(";")
    mime = mime.strip().casefold()
    charset = None
    for param in params.split(";"):
        key, _, value = param.partition("=")
        if key.strip().casefold() == "charset" and value.strip():
            charset = value.strip().strip("\"'")
    text = None
    if charset:
        try:
            text = data.decode(charset)
        except (LookupError, UnicodeDecodeError):
            text = None
        if text is not None and find_surrogate(text) is not None:
            text = None  # a charset such as utf-7 decodes to lone surrogates: not this page's
    if text is None:
        try:
            text, _ = decode_bytes(data)
        except InputError as exc:
            raise InputError(f"{where}: {exc.message}") from exc
    if not mime:  # no Content-Type: guess from the path, like a file
        suffix = Path(urlsplit(final).path).suffix.casefold()
        mime = {".json": "application/json", ".html": "text/html", ".htm": "text/html"}.get(
            suffix, "text/plain"
        )
    if mime in ("text/html", "application/xhtml+xml"):
        return _html(text, where, url=final)
    if mime == "application/json" or mime.endswith("+json"):
        return _json(text, where)
    if mime in ("text/plain", "text/markdown"):
        return plain_article(text)
    raise InputError(
        f"{where}: unsupported Content-Type {mime!r} (expected text/html, application/json "
        "or text/plain)"
    )


def fetch_url(
    url: str, *, timeout: float = FETCH_TIMEOUT, allow_private: bool = False
) -> ArticleInput:
    """Fetch and parse one article URL; ``url`` of the result is the final URL read.

    ``timeout`` bounds each network operation and the whole fetch. Every failure (refused
    host, DNS, connection, timeout, HTTP error status, size, content type) is an InputError.
    """
    deadline = time.monotonic() + timeout
    current = url
    try:
        with httpx.Client(
            transport=_PinnedTransport(allow_private=allow_private),  # checks every request
            timeout=timeout,
            follow_redirects=False,
            trust_env=False,  # no proxy: the host checked is the host connected to
            headers={"User-Agent": "summarizer (article fetcher)"},
        ) as client:
            for _ in range(MAX_REDIRECTS + 1):
                if time.monotonic() > deadline:
                    raise httpx.ConnectTimeout("the redirects took too long")
                with client.stream("GET", current) as response:
                    if response.is_redirect:
                        location = response.headers.get("location")
                        if not location:
                            raise InputError(
                                f"{current}: HTTP {response.status_code} redirect without Location"
                            )
                        current = str(response.url.join(location))
                        continue
                    if response.status_code >= 400:
                        raise InputError(
                            f"{current}: HTTP {response.status_code} "
                            f"{response.reason_phrase}".rstrip()
                        )
                    data = _body(response, current, deadline)
                    content_type = response.headers.get("content-type", "")
                    final = str(response.url)
                    break
            else:
                raise InputError(f"{url}: more than {MAX_REDIRECTS} redirects")
    except httpx.TimeoutException as exc:
        raise InputError(
            f"{current}: timed out after {timeout:g} s (raise --fetch-timeout if it is slow)"
        ) from exc
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        reason = " ".join(str(exc).split()) or type(exc).__name__
        raise InputError(f"{current}: cannot fetch ({reason})") from exc
    try:
        article = _parse(data, content_type, url, final)
    except InputError:
        raise
    except Exception as exc:  # as for files: this page fails alone
        raise parse_failure(url, exc) from exc
    # The URL read, not the page's canonical link: that is what the text came from.
    return replace(article, url=final)
