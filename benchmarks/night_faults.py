"""A night under faults, end to end: `summarizer batch` as a subprocess against the fake server.

What issue 16 asks the README to state: articles lost, duplicated, requests paid twice (the
server answered the same body twice), hangs and tracebacks, over

* ``kill9``: ``kill -9`` of the night at random moments, then the same command until it ends;
* ``full_disk``: a file-size limit (``RLIMIT_FSIZE``) the store outgrows mid-night, then a
  rerun without it;
* ``read_only``: the store in a read-only folder, ``--out`` in one, ``report`` on a store in one
  (as root, the children give up ``CAP_DAC_OVERRIDE``, so the folders' modes hold);
* ``symlinked_store``: a second night on the same store through a symlink while the first runs.

Loopback only (the fake server is a child process on 127.0.0.1); every child runs under a
timeout, and one that outlives it counts as a hang. About a minute::

    PYTHONPATH=. python benchmarks/night_faults.py [--json benchmarks/night_faults.json]
"""

from __future__ import annotations

import argparse
import ctypes
import json
import os
import random
import resource
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.append(str(Path(__file__).resolve().parent.parent))

from _common import PY, ROOT, FakeServer, cli_env

from tests.batch_support import article_text

TIMEOUT = 120.0  # a child alive after this is a hang
N = 80
CONCURRENCY = 4


class Tally:
    def __init__(self) -> None:
        self.runs = 0
        self.hangs = 0
        self.tracebacks = 0
        self.exit_codes: dict[str, int] = {}

    def run(
        self,
        argv: list[str],
        base_url: str,
        *,
        kill_after: float | None = None,
        preexec: Any = None,
    ) -> tuple[int | None, str, str]:
        """One child; killed with SIGKILL after ``kill_after`` seconds if given (None: killed)."""
        proc = self._spawn(argv, base_url, preexec)
        try:
            out, err = proc.communicate(timeout=kill_after if kill_after is not None else TIMEOUT)
            code: int | None = proc.returncode
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGKILL)
            out, err = proc.communicate()
            code = None
            if kill_after is None:
                self.hangs += 1
        self.tracebacks += "Traceback" in err
        key = "killed" if code is None else str(code)
        self.exit_codes[key] = self.exit_codes.get(key, 0) + 1
        return code, out, err

    def _spawn(self, argv: list[str], base_url: str, preexec: Any) -> subprocess.Popen[str]:
        self.runs += 1
        return subprocess.Popen(
            [PY, "-m", "summarizer", *argv],
            env=cli_env(base_url),
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            preexec_fn=preexec,
        )

    def run_until(self, argv: list[str], base_url: str, db: Path, done: int) -> int | None:
        """One child, killed with SIGKILL once ``done`` articles are done in ``db``."""
        proc = self._spawn(argv, base_url, None)
        deadline = time.monotonic() + TIMEOUT
        while proc.poll() is None and _done(db) < done and time.monotonic() < deadline:
            time.sleep(0.02)
        code = proc.poll()
        if code is None:
            proc.send_signal(signal.SIGKILL)
        _out, err = proc.communicate()
        self.hangs += time.monotonic() >= deadline
        self.tracebacks += "Traceback" in err
        key = "killed" if code is None else str(code)
        self.exit_codes[key] = self.exit_codes.get(key, 0) + 1
        return code


def _drop_dac() -> None:
    """As root, give up overriding file modes (bounding set, so exec cannot regain it)."""
    if os.geteuid() != 0:
        return
    libc = ctypes.CDLL(None, use_errno=True)
    for cap in (1, 2):  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH
        if libc.prctl(24, cap, 0, 0, 0) != 0:  # PR_CAPBSET_DROP
            raise OSError(ctypes.get_errno(), "prctl")


def _fsize_limit(limit: int) -> Any:
    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return apply


def _ids(path: Path) -> list[str]:
    return [json.loads(line)["id"] for line in path.read_text(encoding="utf-8").splitlines()]


def _outcome(inputs: Path, db: Path, out: Path, out_dir: Path | None) -> dict[str, Any]:
    """Lost, duplicated and restarted articles of a finished night, from its outputs and store."""
    wanted = _ids(inputs)
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    done = [line["id"] for line in lines if line["state"] == "done"]
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as store:
        attempts = [a for (a,) in store.execute("SELECT attempts FROM articles")]
        stored = store.execute("SELECT sum(requests) FROM articles").fetchone()[0] or 0
    result = {
        "inputs": len(wanted),
        "done": len(done),
        "lost": len(set(wanted) - set(done)),
        "duplicated": len(done) - len(set(done)),
        "started_again": sum(a > 1 for a in attempts),  # articles started again after a stop
        "requests_in_store": stored,
    }
    if out_dir is not None:
        names = [p.name for p in out_dir.iterdir()]
        result["out_dir_files"] = sum(not n.startswith(".") for n in names)
        # A kill -9 inside the atomic writer leaves its hidden temporary file (never a partial
        # output file): counted apart.
        result["temporary_files_left"] = sum(n.startswith(".") for n in names)
    return result


def _articles(path: Path, n: int) -> Path:
    """``n`` articles with a claim and a response (~5 requests each), language given: no
    language identifier (which unpacks its model to a temporary file) is involved."""
    with path.open("w", encoding="utf-8") as handle:
        for i in range(n):
            doc = {"id": f"a{i:04d}", "text": article_text(i), "language": "fr"}
            handle.write(json.dumps(doc, ensure_ascii=False) + "\n")
    return path


def _done(db: Path) -> int:
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1) as store:
            return int(
                store.execute("SELECT count(*) FROM articles WHERE state = 'done'").fetchone()[0]
            )
    except sqlite3.Error:
        return 0


def kill9(tally: Tally, work: Path, seed: int, kills: int) -> dict[str, Any]:
    rng = random.Random(seed)
    inputs = _articles(work / "k.jsonl", N)
    db, out, out_dir = work / "k.db", work / "k.out.jsonl", work / "k.out"
    argv = ["batch", str(inputs), "--store", str(db), "--out", str(out), "--out-dir", str(out_dir)]
    argv += ["--concurrency", str(CONCURRENCY), "--quiet"]
    killed = 0
    with FakeServer(latency=0.05) as fake:
        for _ in range(kills):  # each kill once a random few more articles are done
            code = tally.run_until(argv, fake.base_url, db, _done(db) + rng.randint(1, 6))
            killed += code is None
            if code is not None:
                break
        for _ in range(3):  # then the same command until the night is finished
            code, _out, _err = tally.run(argv, fake.base_url)
            if code == 0:
                break
        served = fake.stop()
    return {
        "kills": killed,
        "final_exit": code,
        **_outcome(inputs, db, out, out_dir),
        "requests_served": served["requests"],
        "requests_paid_twice": served["answered_again"],
    }


def full_disk(tally: Tally, work: Path) -> dict[str, Any]:
    inputs = _articles(work / "f.jsonl", N)
    db, out, out_dir = work / "f.db", work / "f.out.jsonl", work / "f.out"
    argv = ["batch", str(inputs), "--store", str(db), "--out", str(out), "--out-dir", str(out_dir)]
    argv += ["--concurrency", str(CONCURRENCY), "--quiet"]
    with FakeServer(latency=0.02) as fake:
        started = time.monotonic()
        code, _o, err = tally.run(argv, fake.base_url, preexec=_fsize_limit(256 * 1024))
        stopped_after = time.monotonic() - started
        errors = [line for line in err.splitlines() if line.startswith("error")]
        rerun, _o, _e = tally.run(argv, fake.base_url)
        served = fake.stop()
    return {
        "limit_bytes": 256 * 1024,
        "exit_with_limit": code,
        "error_lines": len(errors),
        "error": errors[0][:200] if errors else None,
        "stopped_after_s": round(stopped_after, 1),
        "exit_after": rerun,
        **_outcome(inputs, db, out, out_dir),
        "requests_served": served["requests"],
        "requests_paid_twice": served["answered_again"],
    }


def read_only(tally: Tally, work: Path) -> dict[str, Any]:
    shared = work / "shared"
    shared.mkdir()
    inputs = _articles(shared / "r.jsonl", 10)
    db = shared / "r.db"
    results: dict[str, Any] = {}
    with FakeServer(latency=0.0) as fake:
        code, _o, _e = tally.run(
            ["batch", str(inputs), "--store", str(db), "--quiet"], fake.base_url
        )
        results["first_night_exit"] = code
        for made in shared.iterdir():
            made.chmod(0o644)
        shared.chmod(0o555)
        try:
            before = json.loads(Path(fake.stats_file).read_text() or "{}").get("requests", 0)
            code, _o, err = tally.run(
                ["batch", str(inputs), "--store", str(db), "--quiet"],
                fake.base_url,
                preexec=_drop_dac,
            )
            results["store_in_read_only_folder"] = {"exit": code, "error": _first_error(err)}
            argv = ["batch", str(inputs), "--store", str(work / "w.db")]
            code, _o, err = tally.run(
                [*argv, "--out", str(shared / "out.jsonl"), "--quiet"],
                fake.base_url,
                preexec=_drop_dac,
            )
            results["out_in_read_only_folder"] = {"exit": code, "error": _first_error(err)}
            code, out, err = tally.run(
                ["report", str(db), "--format", "json"], fake.base_url, preexec=_drop_dac
            )
            done = json.loads(out)["counts"]["done"] if code == 0 else None
            results["report_of_read_only_store"] = {"exit": code, "done": done}
        finally:
            shared.chmod(0o755)
        served = fake.stop()
    results["requests_after_first_night"] = served["requests"] - before
    return results


def _first_error(err: str) -> str | None:
    lines = [line for line in err.splitlines() if line.startswith("error")]
    return lines[0][:200] if lines else None


def symlinked_store(tally: Tally, work: Path) -> dict[str, Any]:
    inputs = _articles(work / "s.jsonl", 40)
    db, link, out = work / "s.db", work / "s-link.db", work / "s.out.jsonl"
    link.symlink_to(db)
    argv = ["batch", str(inputs), "--out", str(out), "--concurrency", "2", "--quiet"]
    with FakeServer(latency=0.1) as fake:
        first = subprocess.Popen(
            [PY, "-m", "summarizer", *argv, "--store", str(db)],
            env=cli_env(fake.base_url),
            cwd=ROOT,
            stderr=subprocess.PIPE,
            text=True,
        )
        tally.runs += 1
        while not db.exists():
            time.sleep(0.05)
        time.sleep(1.0)
        code, _o, err = tally.run([*argv, "--store", str(link)], fake.base_url)
        try:
            _stdout, first_err = first.communicate(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            first.kill()
            _stdout, first_err = first.communicate()
            tally.hangs += 1
        tally.tracebacks += "Traceback" in first_err
        served = fake.stop()
    return {
        "second_night_exit": code,
        "second_night_error": _first_error(err),
        "first_night_exit": first.returncode,
        **_outcome(inputs, db, out, None),
        "requests_served": served["requests"],
        "requests_paid_twice": served["answered_again"],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, default=ROOT / "benchmarks" / "night_faults.json")
    parser.add_argument("--seed", type=int, default=16)
    parser.add_argument("--kills", type=int, default=8)
    args = parser.parse_args()
    tally = Tally()
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="night-faults-") as tmp:
        work = Path(tmp)
        work.chmod(0o755)
        scenarios = {
            "kill9": kill9(tally, work, args.seed, args.kills),
            "full_disk": full_disk(tally, work),
            "read_only": read_only(tally, work),
            "symlinked_store": symlinked_store(tally, work),
        }
    nights = [scenarios[k] for k in ("kill9", "full_disk", "symlinked_store")]
    totals = {
        "articles_lost": sum(s["lost"] for s in nights),
        "articles_duplicated": sum(s["duplicated"] for s in nights),
        "articles_started_again": sum(s["started_again"] for s in nights),
        # requests the server answered twice with the same body (an answer received before a
        # kill or a stop and asked again by the rerun), over every night
        "requests_paid_twice": sum(
            scenarios[k]["requests_paid_twice"] for k in ("kill9", "full_disk", "symlinked_store")
        ),
        # requests answered for an attempt that was then killed or stopped: paid once, but not
        # in the store's usage of the articles' final attempts
        "requests_not_in_store": sum(
            scenarios[k]["requests_served"] - scenarios[k]["requests_in_store"]
            for k in ("kill9", "full_disk")
        ),
        "hangs": tally.hangs,
        "tracebacks": tally.tracebacks,
        "child_runs": tally.runs,
        "exit_codes": tally.exit_codes,
    }
    report = {
        "commit": subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT
        ).stdout.strip(),
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "seconds": round(time.monotonic() - started, 1),
        "totals": totals,
        "scenarios": scenarios,
    }
    args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(totals, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
