"""Run a command and kill its process group when the process that started it dies.

    python -m summarizer.local._guard OWNER_PID COMMAND [ARG ...]

``atexit`` stops the local model server when Python exits normally, but a SIGTERM from
systemd or a CI timeout, a SIGKILL or the OOM killer skip it, and the server then keeps
both cores busy for nobody. This guard sits between the owner and the server, in the
server's process group, and notices within ``POLL_S`` that its parent is no longer
``OWNER_PID`` (it was re-parented). It then kills the group. Otherwise it is transparent:
it ignores the SIGTERM that ``LocalServer.stop`` sends to the whole group (the server gets
it too, and may shut down gracefully), and exits as the server did, with the same code or
the same signal, so crash diagnosis (SIGILL, the OOM killer's SIGKILL) still works.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys

POLL_S = 0.5


def _exit_like(returncode: int) -> None:
    if returncode < 0:
        signal.signal(-returncode, signal.SIG_DFL)
        os.kill(os.getpid(), -returncode)
    sys.exit(returncode)


def main(argv: list[str]) -> None:
    owner, command = int(argv[0]), argv[1:]
    # A Python handler, not SIG_IGN: ignored signals would be inherited by the server.
    signal.signal(signal.SIGTERM, lambda _signum, _frame: None)
    proc = subprocess.Popen(command)
    while True:
        try:
            _exit_like(proc.wait(timeout=POLL_S))
        except subprocess.TimeoutExpired:
            if os.getppid() != owner:
                os.killpg(0, signal.SIGKILL)


if __name__ == "__main__":
    main(sys.argv[1:])
