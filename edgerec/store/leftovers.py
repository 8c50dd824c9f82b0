"""Files a killed writer left behind: a temporary beside its target, named after its process.

A file is written as `.<name>.<pid>.<suffix>` and renamed over `<name>` once complete, so a
reader never sees half of it. A writer killed before the rename (SIGKILL, a power cut) leaves
the temporary, which may hold data a customer asked to have forgotten, so it is removed once
its process is gone.
"""

from __future__ import annotations

import os
from pathlib import Path


def temporary_name(target: Path, suffix: str) -> Path:
    """Where this process writes `target` before renaming it into place."""
    return target.with_name(f".{target.name}.{os.getpid()}.{suffix}")


def remove_leftovers(folder: Path, suffix: str, target: str = "*") -> list[Path]:
    """Deletes the temporaries in `folder` (of `target`, or of any file) whose writer is no
    longer running; returns them."""
    removed = []
    for path in folder.glob(f".{target}.*.{suffix}"):
        pid = path.name.rsplit(".", 2)[1]
        if pid.isdigit() and not _running(int(pid)):
            path.unlink(missing_ok=True)
            removed.append(path)
    return removed


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True
