"""How much more memory this process can take: what decides whether a model too big is fitted.

The least of three limits, each where the system has it: the memory the kernel says is
available (MemAvailable, which counts the page cache it can drop), the room left under the
container's limit (cgroup v2), and the address space left under the process's own limit (as
`ulimit -v` or `prlimit --as` sets it), where an allocation past it fails however much memory
is free.
"""

from __future__ import annotations

import os
import resource
from pathlib import Path


def available_bytes() -> int:
    """Bytes this process can still allocate (as far as the system says)."""
    limits = [_system_available(), _cgroup_room(), _address_space_room()]
    return min(limit for limit in limits if limit is not None)


def _system_available() -> int:
    fields = _fields(Path("/proc/meminfo"))
    if "MemAvailable" in fields:
        return fields["MemAvailable"]
    return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")  # free pages, elsewhere


def _cgroup_room() -> int | None:
    group = Path("/sys/fs/cgroup")
    try:
        limit = (group / "memory.max").read_text().strip()
        used = int((group / "memory.current").read_text())
    except (OSError, ValueError):
        return None
    return None if limit == "max" else max(0, int(limit) - used)


def _address_space_room() -> int | None:
    limit = resource.getrlimit(resource.RLIMIT_AS)[0]
    if limit == resource.RLIM_INFINITY:
        return None
    size = _fields(Path("/proc/self/status")).get("VmSize", 0)
    return max(0, limit - size)


def _fields(path: Path) -> dict[str, int]:
    """The 'Name: 123 kB' lines of a /proc file, in bytes (empty where there is no such file)."""
    try:
        lines = path.read_text().splitlines()
    except OSError:
        return {}
    out = {}
    for line in lines:
        name, _, value = line.partition(":")
        words = value.split()
        if len(words) == 2 and words[1] == "kB" and words[0].isdigit():
            out[name] = int(words[0]) * 1024
    return out
