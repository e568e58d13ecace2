"""Run llama-cpp-python's OpenAI-compatible server as a child process.

A separate process (rather than ``llama_cpp.Llama`` in-process) keeps the OpenAI client
code path identical for local and remote models, isolates llama.cpp crashes and lets the
server's memory be reclaimed by restarting it.
"""

from __future__ import annotations

import atexit
import contextlib
import errno
import importlib.util
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import IO

import httpx

from summarizer.exceptions import LocalModelError
from summarizer.local._weights import (
    DEFAULT_MODEL,
    INSTALL_COMMAND,
    LocalModelSpec,
    cache_root,
    locate_weights,
)

__all__ = ["SERVER_MODULES", "LocalServer", "get_server", "missing_runtime_modules"]

log = logging.getLogger("summarizer.local")

_GUARD = Path(__file__).with_name("_guard.py")

#: Modules the server needs: llama_cpp itself and its ``[server]`` extra.
SERVER_MODULES = (
    "llama_cpp",
    "uvicorn",
    "fastapi",
    "sse_starlette",
    "starlette_context",
    "pydantic_settings",
)

_LOG_TAIL_LINES = 40
_LOG_MAX_AGE_S = 7 * 24 * 3600


def missing_runtime_modules() -> list[str]:
    """The server modules this interpreter cannot import (empty when all are there)."""
    return [m for m in SERVER_MODULES if importlib.util.find_spec(m) is None]


def _default_threads() -> int:
    """CPUs this process may use: affinity-aware, unlike os.cpu_count() in containers."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def _client_host(host: str) -> str:
    """The address a client on this machine should dial for a server bound to ``host``."""
    if host in ("", "0.0.0.0"):
        return "127.0.0.1"
    if host == "::":
        return "[::1]"
    return f"[{host}]" if ":" in host else host


def _family(host: str) -> socket.AddressFamily:
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def _free_port(host: str) -> int:
    """A port free right now; another program may still take it before the server binds."""
    with socket.socket(_family(host), socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def _port_free(host: str, port: int) -> bool:
    """Whether the server could bind ``port`` now (SO_REUSEADDR, as uvicorn does)."""
    with socket.socket(_family(host), socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            if exc.errno in (errno.EADDRINUSE, errno.EACCES):
                return False
            raise
    return True


def _read_tail(path: Path, offset: int, lines: int = _LOG_TAIL_LINES) -> str:
    """The last ``lines`` lines written to ``path`` after ``offset``."""
    try:
        with path.open("rb") as fh:
            size = fh.seek(0, os.SEEK_END)
            start = max(offset, size - 64 * 1024)
            fh.seek(start)
            data = fh.read()
    except OSError:
        return ""
    text = data.decode("utf-8", errors="replace")
    return "\n".join(text.splitlines()[-lines:])


def _hint(tail: str, returncode: int | None, port: int) -> str:
    """One line saying what most likely went wrong and what to do about it."""
    low = tail.lower()
    if "address already in use" in low:
        return f"port {port} is taken by another program; pass another port or port=None."
    if "no module named" in low:
        return f"the server's Python packages are incomplete; install them with: {INSTALL_COMMAND}"
    if returncode == -signal.SIGILL or "illegal instruction" in low:
        return (
            "llama.cpp was built for CPU features this machine lacks; rebuild it here with "
            "CMAKE_ARGS=-DGGML_NATIVE=ON pip install --force-reinstall --no-cache-dir "
            "'llama-cpp-python[server]==0.3.36'."
        )
    if (
        returncode == -signal.SIGKILL
        or "out of memory" in low
        or "cannot allocate memory" in low
        or "bad_alloc" in low
    ):
        return "the server ran out of memory; close other programs or lower n_ctx."
    if "failed to load model" in low or "error loading model" in low:
        return (
            "llama.cpp could not load the model file; it may be damaged or too new for this "
            "llama-cpp-python. Delete it to re-assemble, or upgrade llama-cpp-python."
        )
    return "see the log tail below."


class LocalServer:
    """One llama-cpp-python server process serving one GGUF model on localhost.

    ``command`` replaces ``python -m summarizer.local._llama_server`` (llama-cpp-python's
    server with cheap log-probabilities; tests pass a fake server).
    Call :meth:`ensure_alive` before each batch of requests: it restarts a server that
    died, keeping the same port when it can so existing clients keep working.
    """

    def __init__(
        self,
        model_path: str | os.PathLike[str],
        *,
        n_ctx: int = 4096,
        n_threads: int | None = None,
        host: str = "127.0.0.1",
        port: int | None = None,
        startup_timeout: float = 120.0,
        command: Sequence[str] | None = None,
        chat_format: str | None = None,
        extra_args: Sequence[str] = (),
        cache_dir: str | os.PathLike[str] | None = None,
        stop_timeout: float = 10.0,
    ) -> None:
        self.model_path = Path(model_path)
        self.n_ctx = n_ctx
        self.n_threads = n_threads or _default_threads()
        self.host = host
        self.startup_timeout = startup_timeout
        self.stop_timeout = stop_timeout
        self.chat_format = chat_format
        self.extra_args = tuple(extra_args)
        self._default_command = command is None
        self.command: tuple[str, ...] = (
            (sys.executable, "-m", "summarizer.local._llama_server")
            if command is None
            else tuple(command)
        )
        self._explicit_port = port
        self._port: int | None = port
        self._proc: subprocess.Popen[bytes] | None = None
        self._owner_pid = os.getpid()
        self._log_fh: IO[bytes] | None = None
        self._lock = threading.RLock()
        self.model_id: str | None = None
        logs = cache_root(cache_dir) / "logs"
        self.log_path = logs / f"local-server-{os.getpid()}-{id(self):x}.log"

    def __repr__(self) -> str:
        state = f"running at {self.base_url}" if self.alive() else "stopped"
        return f"LocalServer({self.model_path.name!r}, {state})"

    @property
    def port(self) -> int | None:
        """The port of the running (or last) server; None before the first start."""
        return self._port

    @property
    def pid(self) -> int | None:
        """Process id of the server's guard, which is the server's process-group id, or None
        when stopped. The guard kills the group if this process dies without stopping it."""
        return self._proc.pid if self._proc is not None else None

    @property
    def base_url(self) -> str:
        """The OpenAI ``base_url`` of the server, e.g. ``http://127.0.0.1:PORT/v1``."""
        if self._port is None:
            raise LocalModelError("The local model server has not been started; call start().")
        return f"http://{_client_host(self.host)}:{self._port}/v1"

    def alive(self) -> bool:
        """Whether the server process is running (not whether it answers)."""
        proc = self._proc
        if proc is None:
            return False
        if os.getpid() != self._owner_pid:  # forked child: not our child process to poll
            try:
                os.kill(proc.pid, 0)
            except ProcessLookupError:
                return False
            return True
        return proc.poll() is None

    def log_tail(self) -> str:
        """The last lines the server wrote to its log (for error messages)."""
        return _read_tail(self.log_path, 0)

    def argv(self, port: int) -> list[str]:
        """The full command line for a server on ``port``."""
        args = [
            *self.command,
            "--model", str(self.model_path),
            "--host", self.host,
            "--port", str(port),
            "--n_ctx", str(self.n_ctx),
            "--n_threads", str(self.n_threads),
        ]  # fmt: skip
        if self.chat_format:
            args += ["--chat_format", self.chat_format]
        return args + list(self.extra_args)

    def _check_runtime(self) -> None:
        if not self._default_command:
            return
        missing = missing_runtime_modules()
        if missing:
            raise LocalModelError(
                f"The local model runtime is not installed in {sys.executable} "
                f"(missing: {', '.join(missing)}). Install it with: {INSTALL_COMMAND}"
            )

    def start(self) -> None:
        """Start the server and wait until it answers ``GET /v1/models``.

        Retries once on a fresh port if an automatically chosen one was taken meanwhile.
        Raises :class:`LocalModelError` (with ``log_tail``) when it exits or stays unready.
        """
        with self._lock:
            if self.alive():
                return
            self._check_runtime()
            if not self.model_path.is_file():
                raise LocalModelError(
                    f"Model file {self.model_path} does not exist; locate_weights() "
                    "assembles the bundled one."
                )
            explicit = self._explicit_port
            if explicit is not None and not _port_free(self.host, explicit):
                raise LocalModelError(
                    f"Port {explicit} on {self.host} is already in use; pass another port "
                    "or port=None to pick a free one."
                )
            self.log_path.parent.mkdir(parents=True, exist_ok=True)
            self._prune_logs()
            for attempt in (1, 2):
                port = self._port
                if port is None or (explicit is None and not _port_free(self.host, port)):
                    port = _free_port(self.host)
                error = self._launch(port)
                if error is None:
                    return
                in_use = "address already in use" in error.log_tail.lower()
                if in_use and explicit is None and attempt == 1:
                    log.info("port %d was taken before the server bound it; retrying", port)
                    self._port = None
                    continue
                raise error

    def _launch(self, port: int) -> LocalModelError | None:
        """Spawn one server on ``port``; None when ready, else the error to raise."""
        self._port = port
        log_fh = self.log_path.open("ab")
        offset = log_fh.tell()
        log_fh.write(f"--- {time.strftime('%Y-%m-%d %H:%M:%S')} port {port} ---\n".encode())
        log_fh.flush()
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        argv = self.argv(port)
        log.info("starting local model server: %s", " ".join(argv))
        try:
            proc = subprocess.Popen(
                [sys.executable, "-I", str(_GUARD), str(os.getpid()), *argv],
                stdin=subprocess.DEVNULL,
                stdout=log_fh,
                stderr=subprocess.STDOUT,
                env=env,
                start_new_session=True,
            )
        except OSError as exc:
            log_fh.close()
            return LocalModelError(
                f"Could not run the local model server ({argv[0]}): {exc.strerror}."
            )
        self._proc = proc
        self._log_fh = log_fh
        self._owner_pid = os.getpid()
        _LIVE.add(self)
        ready, returncode = self._wait_ready(proc, port)
        if ready:
            log.info("local model server ready at %s (pid %d)", self.base_url, proc.pid)
            return None
        self._stop_locked()
        tail = _read_tail(self.log_path, offset)
        if returncode is None:
            what = f"did not answer within {self.startup_timeout:g} s"
            hint = (
                "loading reads the whole model from disk; raise startup_timeout if the "
                "machine is slow, else " + _hint(tail, None, port)
            )
        else:
            what = f"exited with code {returncode} during startup"
            hint = _hint(tail, returncode, port)
        return LocalModelError(
            f"The local model server {what}: {hint} Full log: {self.log_path}",
            log_tail=tail,
        )

    def _wait_ready(self, proc: subprocess.Popen[bytes], port: int) -> tuple[bool, int | None]:
        """Poll /v1/models until 200 (True), process exit or timeout (False, exit code)."""
        url = f"http://{_client_host(self.host)}:{port}/v1/models"
        deadline = time.monotonic() + self.startup_timeout
        delay = 0.05
        # trust_env=False: an HTTP(S)_PROXY from the environment must not capture localhost.
        with httpx.Client(trust_env=False, timeout=1.0) as client:
            while True:
                returncode = proc.poll()
                if returncode is not None:
                    return False, returncode
                try:
                    response = client.get(url)
                except httpx.HTTPError:
                    pass
                else:
                    if response.status_code == 200:
                        self.model_id = _first_model_id(response)
                        return True, None
                if time.monotonic() >= deadline:
                    return False, None
                time.sleep(delay)
                delay = min(delay * 1.5, 0.5)

    def stop(self) -> None:
        """Stop the server's whole process group: SIGTERM, then SIGKILL. Idempotent."""
        with self._lock:
            self._stop_locked()

    def _stop_locked(self) -> None:
        proc, self._proc = self._proc, None
        _LIVE.discard(self)
        if proc is not None and os.getpid() == self._owner_pid:
            _terminate_group(proc, self.stop_timeout)
        if self._log_fh is not None:
            self._log_fh.close()
            self._log_fh = None

    def ensure_alive(self) -> str:
        """Restart the server if it died; return the (possibly new) ``base_url``."""
        with self._lock:
            if self._proc is not None and not self.alive():
                returncode = self._proc.poll()
                log.warning(
                    "local model server died (exit %s); restarting. Log: %s",
                    returncode,
                    self.log_path,
                )
                self._stop_locked()
            if not self.alive():
                self.start()
            return self.base_url

    def __enter__(self) -> LocalServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _prune_logs(self) -> None:
        """Drop week-old server logs so the cache does not grow forever."""
        cutoff = time.time() - _LOG_MAX_AGE_S
        for old in self.log_path.parent.glob("local-server-*.log"):
            with contextlib.suppress(OSError):
                if old.stat().st_mtime < cutoff:
                    old.unlink()


def _first_model_id(response: httpx.Response) -> str | None:
    try:
        data = response.json()["data"]
        model_id = data[0]["id"]
    except (ValueError, KeyError, IndexError, TypeError):
        return None
    return model_id if isinstance(model_id, str) else None


def _terminate_group(proc: subprocess.Popen[bytes], timeout: float) -> None:
    """SIGTERM the process group, SIGKILL it after ``timeout``, and reap the leader."""
    pgid = proc.pid  # start_new_session=True made the server its own group leader
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, signal.SIGTERM)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        log.warning("local model server ignored SIGTERM for %g s; killing it", timeout)
    # Also catches children that outlived the leader; the group id stays reserved while
    # any member exists, so this cannot hit an unrelated process.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, signal.SIGKILL)
    proc.wait()


_LIVE: set[LocalServer] = set()


@atexit.register
def _stop_all() -> None:
    """Leave no orphan server behind when Python exits normally."""
    for server in list(_LIVE):
        with contextlib.suppress(Exception):
            server.stop()


_shared: LocalServer | None = None
_shared_lock = threading.Lock()


def get_server(
    spec: LocalModelSpec = DEFAULT_MODEL,
    *,
    cache_dir: str | os.PathLike[str] | None = None,
    n_ctx: int = 4096,
    n_threads: int | None = None,
    startup_timeout: float = 120.0,
) -> LocalServer:
    """The process-wide server, started on first call and restarted if it died.

    Loading the model costs seconds and gigabytes, so one server is shared by every
    caller; the first call's settings win. It is stopped when Python exits.
    """
    global _shared
    with _shared_lock:
        if _shared is None:
            path = locate_weights(spec, cache_dir=cache_dir)
            server = LocalServer(
                path,
                n_ctx=n_ctx,
                n_threads=n_threads,
                startup_timeout=startup_timeout,
                chat_format=spec.chat_format,
                cache_dir=cache_dir,
            )
            server.start()
            _shared = server
        else:
            _shared.ensure_alive()
        return _shared
