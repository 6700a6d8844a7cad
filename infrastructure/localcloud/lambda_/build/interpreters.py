"""The interpreter a Lambda runtime names (python3.13 → a Python 3.13 on this
machine), found where infrastructure/tools/find-python looks: PATH, pyenv's and
uv's installs, then the usual system places."""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
from pathlib import Path

from localcloud.model import TemplateError

_PYTHON_RUNTIME = re.compile(r"^python(\d+)\.(\d+)$")


class InterpreterNotFoundError(TemplateError):
    """No interpreter for a function's runtime; the message says how to install one."""


def python_version(runtime: str) -> str | None:
    """ "3.13" for "python3.13"; None for a runtime that is not Python."""
    match = _PYTHON_RUNTIME.match(runtime)
    return f"{match.group(1)}.{match.group(2)}" if match else None


def interpreter_for(runtime: str, user: str) -> Path:
    """The interpreter that runs `runtime`; `user` (a function, a layer) names who needs it."""
    version = python_version(runtime)
    if version is None:
        raise TemplateError(f"{user}: runtime {runtime}: only Python runtimes run locally")
    found = find_interpreter(version)
    if found is None:
        raise InterpreterNotFoundError(
            f"{user}: runtime {runtime} needs a Python {version} interpreter and none was "
            "found (looked on PATH, in pyenv's and uv's installs, /usr/local/bin, /usr/bin). "
            f"Install one with: pyenv install {version} | uv python install {version} | "
            f"apt-get install python{version}"
        )
    return found


@functools.cache
def find_interpreter(version: str) -> Path | None:
    for candidate in _candidates(version):
        found = _real_interpreter(candidate, version)
        if found is not None:
            return found
    return None


def _candidates(version: str) -> list[Path]:
    name = f"python{version}"
    on_path = shutil.which(name)
    pyenv_root = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv")
    uv_root = Path.home() / ".local" / "share" / "uv" / "python"
    return [
        *([Path(on_path)] if on_path else []),
        *sorted(pyenv_root.glob(f"versions/{version}*/bin/{name}"), reverse=True),
        *sorted(uv_root.glob(f"cpython-{version}*/bin/{name}"), reverse=True),
        Path("/usr/local/bin", name),
        Path("/usr/bin", name),
    ]


def _real_interpreter(candidate: Path, version: str) -> Path | None:
    """The interpreter behind `candidate` if it runs `version`. A pyenv shim is on PATH
    even when its version is not installed, and starting one costs a shell script per
    worker: the interpreter itself says which it is and where it lives."""
    if not os.access(candidate, os.X_OK):
        return None
    probe = "import sys; print('%d.%d' % sys.version_info[:2]); print(sys.executable)"
    try:
        answer = subprocess.run(
            [str(candidate), "-I", "-c", probe], capture_output=True, text=True, timeout=10
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    lines = answer.stdout.split()
    if answer.returncode != 0 or len(lines) != 2 or lines[0] != version:
        return None
    return Path(lines[1])
