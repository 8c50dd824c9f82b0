"""Importing edgerec, or running a store command, must not pull in torch or Textual."""

from __future__ import annotations

import subprocess
import sys


def test_reading_snapshots_and_serving_do_not_import_torch() -> None:
    code = (
        "import sys, edgerec.recommend, edgerec.runtime, edgerec.training, edgerec.models; "
        "from edgerec.training import load_snapshot, model_dir, read_status; "
        "from edgerec.training.vocabulary import hash_token; "
        "assert 'torch' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_import_edgerec_does_not_import_torch_or_textual() -> None:
    code = (
        "import sys, edgerec, edgerec.cli, edgerec.demo; "
        "heavy = [m for m in ('torch', 'textual') if m in sys.modules]; "
        "assert not heavy, heavy"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
