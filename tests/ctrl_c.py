"""Stopping an `edgerec` command with Ctrl+C while it waits, as a person at a terminal does."""

from __future__ import annotations

import contextlib
import fcntl
import os
import pty
import select
import signal
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path


def said_when_stopped(arguments: list[str], first_line: str) -> str:
    """What `python -m edgerec ARGUMENTS`, sent SIGINT once its first line on standard error
    starts with `first_line`, says after it; it must exit with status 1."""
    command = [sys.executable, "-m", "edgerec", *arguments]
    with subprocess.Popen(command, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True) as waiting:
        assert waiting.stderr is not None
        assert waiting.stderr.readline().startswith(first_line)
        waiting.send_signal(signal.SIGINT)
        said = waiting.stderr.read()
        assert waiting.wait(timeout=60) == 1
    return said


def in_a_terminal(arguments: list[str], log: Path) -> tuple[int, int]:
    """`python -m edgerec ARGUMENTS` in a pseudo-terminal of its own, 100 columns by 32 rows,
    as at a shell in a window (the hang-up not ignored, as under `nohup`, the test run's), its
    console log in `log`: its process id and the terminal's end to read and write."""
    pid, terminal = pty.fork()
    if pid == 0:
        signal.signal(signal.SIGHUP, signal.SIG_DFL)
        fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", 32, 100, 0, 0))
        os.environ.update(TERM="xterm-256color", EDGEREC_UI_LOG=str(log))
        os.execv(sys.executable, [sys.executable, "-m", "edgerec", *arguments])
    return pid, terminal


class TerminalOutput:
    """What a program writes to its terminal (`in_a_terminal`), read as it comes."""

    def __init__(self, terminal: int) -> None:
        self.terminal = terminal
        self.said = b""

    def read_until(self, text: bytes, timeout: float = 60) -> None:
        """Reads until `text` has been written, or the program has exited; fails after `timeout`."""
        deadline = time.monotonic() + timeout
        while text not in self.said:
            assert time.monotonic() < deadline, self.said[-2000:]
            if select.select([self.terminal], [], [], 0.1)[0]:
                try:
                    self.said += os.read(self.terminal, 65536)
                except OSError:  # the program has exited
                    break

    def text(self) -> str:
        """All it said, its runs of white space as one space."""
        return " ".join(self.said.decode(errors="replace").split())


def end(pid: int, terminal: int) -> None:
    """Closes the terminal, and kills the program if it still runs."""
    os.close(terminal)
    with contextlib.suppress(ChildProcessError):
        if os.waitpid(pid, os.WNOHANG) == (0, 0):
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
