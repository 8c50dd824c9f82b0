"""Stopping an `edgerec` command with Ctrl+C while it waits, as a person at a terminal does."""

from __future__ import annotations

import signal
import subprocess
import sys


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
