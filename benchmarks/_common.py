"""Shared pieces of the benchmarks: the fake model server as a process, articles, clocks.

The fake server always runs in a *separate process* (``tests/fakes/fake_openai.py``) so that it
never shares the GIL, nor the CPU time we measure, with the client under test.
"""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
FAKE = ROOT / "tests" / "fakes" / "fake_openai.py"
API_KEY = "sk-bench-not-a-real-key"
_CLK_TCK = os.sysconf("SC_CLK_TCK")


def one_request_article(i: int) -> str:
    """A short, distinct French article with no statement sentence (no quote, no reporting
    verb), so the pipeline asks the model exactly one question: the overview."""
    return (
        f"Budget numéro {i} : le vote est reporté\n\n"
        f"Le Parlement se réunira le {1 + i % 28} février pour le vote du budget numéro {i}. "
        f"La séance commencera à {8 + i % 5} heures dans l'hémicycle."
    )


def write_articles(path: Path, n: int, kind: str = "one", *, start: int = 0) -> Path:
    """``n`` distinct articles as JSONL: ``one`` = one request each (overview only), ``claims`` =
    ``tests/batch_support.article_text`` (a claim and a response: ~6 requests each)."""
    if kind == "claims":
        sys.path.insert(0, str(ROOT))
        from tests.batch_support import write_jsonl

        write_jsonl(path, n, start=start)
        return path
    with path.open("w", encoding="utf-8") as handle:
        for i in range(start, start + n):
            doc = {"id": f"b{i:06d}", "title": f"Budget {i}", "text": one_request_article(i)}
            handle.write(json.dumps(doc, ensure_ascii=False) + "\n")
    return path


def process_cpu(pid: int) -> float:
    """User + system CPU seconds of a live process (all its threads)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _CLK_TCK


def self_cpu() -> float:
    """User + system CPU seconds of this process, every thread included."""
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class FakeServer:
    """``tests/fakes/fake_openai.py`` as a child process; ``stats()`` after ``stop()``."""

    def __init__(
        self,
        *,
        latency: float = 0.0,
        slots: int | None = None,
        faults: dict[str, float] | None = None,
        seed: int = 0,
        retry_after: float = 1.0,
    ) -> None:
        self.args = [PY, str(FAKE), "--port", "0", "--latency", str(latency), "--seed", str(seed)]
        self.args += ["--retry-after", str(retry_after)]
        if slots is not None:
            self.args += ["--slots", str(slots)]
        for name, p in (faults or {}).items():
            self.args += ["--fault", f"{name}={p}"]
        handle, name = tempfile.mkstemp(prefix="fake-stats-", suffix=".json")
        os.close(handle)
        self.stats_file = Path(name)
        self.args += ["--stats-file", str(self.stats_file)]
        self.proc: subprocess.Popen[str] | None = None
        self.base_url = ""
        self.cpu_seconds = 0.0
        self._stats: dict[str, Any] | None = None

    def __enter__(self) -> FakeServer:
        self.proc = subprocess.Popen(
            self.args, stdout=subprocess.PIPE, text=True, cwd=ROOT, start_new_session=True
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline().strip()
        if not line.startswith("READY "):
            self.proc.kill()
            raise RuntimeError(f"the fake server did not start: {line!r}")
        self.base_url = line.split(" ", 1)[1]
        return self

    def stop(self) -> dict[str, Any]:
        if self._stats is not None:
            return self._stats
        proc = self.proc
        assert proc is not None
        try:
            self.cpu_seconds = process_cpu(proc.pid)
        except (OSError, IndexError, ValueError):
            self.cpu_seconds = float("nan")
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        data: dict[str, Any] = json.loads(self.stats_file.read_text(encoding="utf-8"))
        self.stats_file.unlink(missing_ok=True)
        # Requests answered again with a body answered before: paid twice (a retry after a
        # fault is not one, the fault was not an answer).
        answered = [r["body_sha256"] for r in data.get("log", []) if r["fault"] is None]
        data["answered_again"] = len(answered) - len(set(answered))
        data.pop("log", None)  # one record per request: not wanted in results.json
        self._stats = data
        return data

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.stop()


def cli_env(base_url: str, root: Path = ROOT) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "SUMMARIZER_"))}
    env.update(
        OPENAI_BASE_URL=base_url,
        OPENAI_API_KEY=API_KEY,
        SUMMARIZER_MODE="tools",
        PYTHONPATH=str(root),
        CI="1",  # plain progress lines, no Rich bar
    )
    return env


def run_cli_batch(
    base_url: str, source: Path, store: Path, out: Path, concurrency: int, root: Path = ROOT
) -> dict[str, Any]:
    """``summarizer batch`` as a subprocess; wall time from spawn to exit (start included).
    ``root``: the source tree to run (another commit's, for a comparison)."""
    args = [PY, "-m", "summarizer", "batch", str(source), "--store", str(store)]
    args += ["--out", str(out), "--concurrency", str(concurrency), "--quiet"]
    before = _children_cpu()
    started = time.perf_counter()
    proc = subprocess.run(
        args, env=cli_env(base_url, root), cwd=root, capture_output=True, text=True, check=False
    )
    wall = time.perf_counter() - started
    cpu = _children_cpu() - before
    if proc.returncode != 0:
        raise RuntimeError(f"summarizer batch exited {proc.returncode}: {proc.stderr[-2000:]}")
    return {"wall_s": wall, "cpu_s": cpu, **run_times(store)}


def _children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def run_times(store: Path) -> dict[str, Any]:
    """What the last run of ``store`` recorded: its in-process duration and article counts."""
    import sqlite3

    db = sqlite3.connect(f"file:{store}?mode=ro", uri=True)
    try:
        started, finished, counts = db.execute(
            "SELECT started_at, finished_at, counts FROM runs ORDER BY id DESC LIMIT 1"
        ).fetchone()
        done, failed = db.execute(
            "SELECT sum(state = 'done'), sum(state = 'failed') FROM articles"
        ).fetchone()
    finally:
        db.close()
    c = json.loads(counts or "{}")
    return {
        "run_s": finished - started,
        "run_usage": c.get("usage", {}),
        "store_done": int(done or 0),
        "store_failed": int(failed or 0),
    }


def worker(command: str, **options: object) -> dict[str, Any]:
    """Run ``benchmarks/_worker.py COMMAND --option value …`` in a fresh process (``base_url=``
    becomes ``--base-url``); its last stdout line is JSON."""
    args = [command]
    for name, value in options.items():
        args += [f"--{name.replace('_', '-')}", str(value)]
    started = time.perf_counter()
    proc = subprocess.run(
        [PY, str(ROOT / "benchmarks" / "_worker.py"), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    if proc.returncode != 0:
        raise RuntimeError(f"worker {command} exited {proc.returncode}: {proc.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    result["process_wall_s"] = time.perf_counter() - started
    return result
