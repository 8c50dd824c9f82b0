"""Importing edgerec, or running a store command, must not pull in torch or Textual."""

from __future__ import annotations

import subprocess
import sys


def test_import_edgerec_does_not_import_torch_or_textual() -> None:
    code = (
        "import sys, edgerec, edgerec.cli, edgerec.demo; "
        "heavy = [m for m in ('torch', 'textual') if m in sys.modules]; "
        "assert not heavy, heavy"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
