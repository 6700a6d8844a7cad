"""The interpreters of the templates' Python runtimes, which `sam build` looks up by
name on PATH (`python3.13` for runtime python3.13)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
FIND_PYTHON = REPO_ROOT / "infrastructure" / "tools" / "find-python"
_PYTHON_RUNTIME = re.compile(r"^python(\d+)\.(\d+)$")


class RuntimeUnavailableError(Exception):
    pass


def python_version(runtime: str) -> tuple[int, int]:
    match = _PYTHON_RUNTIME.match(runtime)
    if match is None:
        raise RuntimeUnavailableError(f"{runtime}: the gate knows Python runtimes only")
    return int(match.group(1)), int(match.group(2))


def runtime_interpreter(runtime: str) -> Path:
    major, minor = python_version(runtime)
    found = subprocess.run(
        [str(FIND_PYTHON), f"{major}.{minor}"], capture_output=True, text=True, check=False
    )
    if found.returncode != 0:
        raise RuntimeUnavailableError(found.stderr.strip())
    return _real_executable(found.stdout.strip())


def _real_executable(candidate: str) -> Path:
    """The interpreter itself rather than a launcher: a pyenv shim's folder put first on
    sam's PATH would shadow the other versions' commands with its own shims."""
    printed = subprocess.run(
        [candidate, "-c", "import sys; print(sys.executable)"],
        capture_output=True,
        text=True,
        check=True,
    )
    return Path(printed.stdout.strip())
