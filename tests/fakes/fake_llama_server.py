"""A stand-in for ``python -m llama_cpp.server`` used by tests/test_local.py.

Takes the same CLI arguments (unknown ones ignored) and serves ``GET /v1/models`` on
the given host and port. Misbehaviour is chosen through the environment:

FAKE_LLAMA_MODE          ok (default) | exit (error then exit 1) | hang (never ready)
                         | sigill (dies of SIGILL, as on a CPU lacking an instruction)
FAKE_LLAMA_DELAY         seconds to wait before binding (model "loading")
FAKE_LLAMA_CRASH_AFTER   seconds after becoming ready to die with exit code 3
FAKE_LLAMA_IGNORE_TERM   1: ignore SIGTERM, so only SIGKILL stops it
FAKE_LLAMA_CHILD_PIDFILE spawn a sleeping child (same process group), write its pid here
FAKE_LLAMA_PIDFILE       write this server's own pid here
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", required=True)
    parser.add_argument("--host", default="localhost")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--n_ctx", type=int, default=2048)
    parser.add_argument("--n_threads", type=int, default=1)
    args, _unknown = parser.parse_known_args()

    mode = os.environ.get("FAKE_LLAMA_MODE", "ok")
    print(f"fake llama server: model={args.model} port={args.port} n_ctx={args.n_ctx}", flush=True)
    if os.environ.get("FAKE_LLAMA_IGNORE_TERM") == "1":
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    if os.environ.get("FAKE_LLAMA_PIDFILE"):
        with open(os.environ["FAKE_LLAMA_PIDFILE"], "w") as fh:
            fh.write(str(os.getpid()))
    pidfile = os.environ.get("FAKE_LLAMA_CHILD_PIDFILE")
    if pidfile:
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
        with open(pidfile, "w") as fh:
            fh.write(str(child.pid))
    if mode == "exit":
        print("llama_model_load: error loading model: failed to load model", file=sys.stderr)
        return 1
    if mode == "sigill":
        os.kill(os.getpid(), signal.SIGILL)
    if mode == "hang":
        print("loading model...", flush=True)
        while True:
            time.sleep(1)
    time.sleep(float(os.environ.get("FAKE_LLAMA_DELAY", "0")))

    model_id = args.model

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path != "/v1/models":
                self.send_error(404)
                return
            body = json.dumps(
                {"object": "list", "data": [{"id": model_id, "object": "model"}]}
            ).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *fmt_args: object) -> None:
            print(format % fmt_args, flush=True)

    try:
        server = HTTPServer((args.host, args.port), Handler)
    except OSError as exc:  # worded like uvicorn, which the real server uses
        print(
            f"ERROR:    [Errno {exc.errno}] error while attempting to bind on address "
            f"('{args.host}', {args.port}): {exc.strerror.lower() if exc.strerror else exc}",
            flush=True,
        )
        return 1
    crash_after = os.environ.get("FAKE_LLAMA_CRASH_AFTER")
    if crash_after:

        def crash() -> None:
            time.sleep(float(crash_after))
            print("fake llama server: crashing", flush=True)
            os._exit(3)

        threading.Thread(target=crash, daemon=True).start()
    print(f"INFO:     Uvicorn running on http://{args.host}:{args.port}", flush=True)
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
