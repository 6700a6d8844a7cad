"""CPU time and resident memory of a process and its descendants, read from /proc (Linux),
and a name for each that says what it is in the local cloud."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROC = Path("/proc")
TICKS_PER_S = os.sysconf("SC_CLK_TCK")
PAGE_BYTES = os.sysconf("SC_PAGE_SIZE")


@dataclass(frozen=True)
class Usage:
    pid: int
    name: str
    cpu_s: float
    """User + system CPU time since the process started."""
    rss_bytes: int


def process_tree(root: int) -> list[int]:
    """`root` and every process under it that is alive now."""
    children: dict[int, list[int]] = {}
    for entry in PROC.iterdir():
        if entry.name.isdigit():
            stat = _stat_fields(int(entry.name))
            if stat is not None:
                children.setdefault(int(stat[1]), []).append(int(entry.name))
    tree, pending = [], [root]
    while pending:
        pid = pending.pop()
        tree.append(pid)
        pending += children.get(pid, [])
    return tree


def usage_of(pids: list[int]) -> dict[int, Usage]:
    """The usage of each process still alive."""
    found = {}
    for pid in pids:
        stat = _stat_fields(pid)
        if stat is None:
            continue
        cpu_s = (int(stat[11]) + int(stat[12])) / TICKS_PER_S
        found[pid] = Usage(pid, name_of(pid), cpu_s, int(stat[21]) * PAGE_BYTES)
    return found


def name_of(pid: int) -> str:
    """What the process is: the emulator, a function's worker (by its handler), the
    petstore command (gateway and pollers), or its command line."""
    try:
        argv = (PROC / str(pid) / "cmdline").read_bytes().decode(errors="replace").split("\0")
    except OSError:
        return "?"
    line = " ".join(argv).strip()
    if "localcloud.emulator.server" in line:
        return "emulator"
    if "lambda_/worker.py" in line:
        if "preload" in argv[:6] and not _forked_by_a_worker(pid):
            return "preload"
        return f"worker {_worker_label(pid, argv)}"
    if "petstore" in line or "soak" in line:
        return "local cloud (gateway, pollers)"
    return line[:60]


def _forked_by_a_worker(pid: int) -> bool:
    """A snapshot forked from a preload, or a worker restored from it, keeps the preload's
    command line: its parent is a worker.py process too."""
    stat = _stat_fields(pid)
    if stat is None:
        return False
    try:
        parent = (PROC / stat[1] / "cmdline").read_bytes()
    except OSError:
        return False
    return b"lambda_/worker.py" in parent


def _worker_label(pid: int, argv: list[str]) -> str:
    try:
        environ = (PROC / str(pid) / "environ").read_bytes().split(b"\0")
    except OSError:
        return str(pid)
    for entry in environ:
        if entry.startswith(b"AWS_LAMBDA_FUNCTION_NAME="):
            return entry.split(b"=", 1)[1].decode()
    # Forked from a preload, /proc shows the environment the preload started with; the
    # working directory is the function's artifact, named after its logical id.
    try:
        return Path(os.readlink(PROC / str(pid) / "cwd")).name
    except OSError:
        return str(pid)


def _stat_fields(pid: int) -> list[str] | None:
    """/proc/PID/stat from the field after the command's name (state is [0], ppid [1])."""
    try:
        text = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    return text[text.rindex(")") + 2 :].split()
