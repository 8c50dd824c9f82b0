"""The README's two commands work from a clean clone (set-up included)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def test_readme_starts_with_the_two_commands() -> None:
    text = (REPO / "README.md").read_text()
    first_block = re.search(r"```(?:sh|bash|console)?\n(.*?)```", text, re.S)
    assert first_block is not None
    commands = [line.strip() for line in first_block.group(1).splitlines() if line.strip()]
    assert commands[:2] == ["scripts/run", "scripts/test"]
    ci = (REPO / ".ci" / "run").read_text()
    assert "exec scripts/test" in ci


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("git") is None, reason="needs git to clone the repository")
def test_two_commands_from_a_clean_clone(tmp_path: Path) -> None:
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "--quiet", str(REPO), str(clone)], check=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VIRTUAL_ENV", "PYTEST"))}
    env["PATH"] = os.pathsep.join(
        p for p in env.get("PATH", "").split(os.pathsep) if not p.startswith(str(REPO / ".venv"))
    )
    env["EDGEREC_DB"] = str(tmp_path / "store" / "edgerec.db")

    def sh(*args: str, timeout: int = 900) -> str:
        done = subprocess.run(
            args,
            cwd=clone,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
        )
        assert done.returncode == 0, f"{args} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
        return done.stdout

    # scripts/run sets up .venv, then runs edgerec; arguments select a subcommand instead of the console.
    assert "tui" in sh("scripts/run", "--help")
    assert (clone / ".venv" / "bin" / "edgerec").exists()
    sh("scripts/run", "demo")
    stats = json.loads(sh("scripts/run", "stats", "--json"))
    assert stats["events"] > 10_000 and stats["projections"]["items"] == 2_000
    # The second run is quick: set-up is skipped when nothing changed.
    sh("scripts/setup", timeout=20)
    # scripts/test runs lint, the layer contracts and pytest; here on one small file.
    output = sh("scripts/test", "tests/store/test_events.py", "-q", "-p", "no:cacheprovider")
    assert re.search(r"\d+ passed", output)
    # A clone moved to another folder (or renamed) after its set-up still runs: the set-up is
    # made again there, since the scripts in .venv name the folder they were installed in.
    clone = clone.rename(tmp_path / "moved")
    assert "tui" in sh("scripts/run", "--help")
    output = sh("scripts/test", "tests/store/test_events.py", "-q", "-p", "no:cacheprovider")
    assert re.search(r"\d+ passed", output)


def _older_python() -> str | None:
    """A Python older than 3.11 that runs here, if there is one on the PATH."""
    for name in ("python3.10", "python3.9", "python3.8", "python3.7", "python3.6", "python2.7"):
        found = shutil.which(name)
        older = "import sys; sys.exit(0 if sys.version_info < (3, 11) else 1)"
        if found and subprocess.run([found, "-c", older], capture_output=True).returncode == 0:
            return found
    return None


@pytest.mark.skipif(_older_python() is None, reason="needs a Python older than 3.11 on the PATH")
def test_set_up_with_an_older_python_says_which_in_one_line() -> None:
    """scripts/setup with a Python 3.10 (the system's python3 where python3.11 is not installed)
    printed a traceback ending in AssertionError."""
    older = _older_python()
    assert older is not None
    done = subprocess.run(
        [str(REPO / "scripts" / "setup")],
        env={**os.environ, "PYTHON": older},
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 1
    assert len(done.stderr.strip().splitlines()) == 1  # naming the interpreter and its version
    assert "edgerec needs Python 3.11 or newer" in done.stderr and older in done.stderr
    assert "Traceback" not in done.stderr
