"""Which files of a code folder go into an artifact, and a cheap fingerprint of them."""

from __future__ import annotations

import os
from fnmatch import fnmatch
from pathlib import Path

# aws-lambda-builders' PythonPipWorkflow.EXCLUDED_FILES: what `sam build` leaves out,
# matched against every file and folder name at any depth.
EXCLUDED = (
    ".aws-sam",
    ".chalice",
    ".git",
    ".gitignore",
    "*.pyc",
    "__pycache__",
    "*.so",
    ".Python",
    "*.egg-info",
    "*.egg",
    "pip-log.txt",
    "pip-delete-this-directory.txt",
    "htmlcov",
    ".tox",
    ".nox",
    ".coverage",
    ".cache",
    ".pytest_cache",
    ".python-version",
    ".mypy_cache",
    ".dmypy.json",
    ".pyre",
    ".env",
    ".venv",
    "venv",
    "venv.bak",
    "env.bak",
    "ENV",
    "env",
    ".vscode",
    ".idea",
)

Snapshot = dict[str, tuple[int, int]]
"""Relative path (with "/") -> (mtime in ns, size) of each file that is built."""


def is_excluded(name: str) -> bool:
    return any(fnmatch(name, pattern) for pattern in EXCLUDED)


def is_source_path(path: Path, root: Path) -> bool:
    """Whether `path`, inside `root`, is a file that `sam build` copies."""
    try:
        parts = path.relative_to(root).parts
    except ValueError:
        return False
    return bool(parts) and not any(is_excluded(part) for part in parts)


def snapshot(root: Path) -> Snapshot:
    """Every file `sam build` would copy from `root`, with its mtime and size."""
    found: Snapshot = {}
    _scan(root, "", found)
    return found


def _scan(folder: Path, prefix: str, found: Snapshot) -> None:
    with os.scandir(folder) as entries:
        for entry in entries:
            if is_excluded(entry.name):
                continue
            relative = f"{prefix}{entry.name}"
            if entry.is_dir():
                _scan(Path(entry.path), f"{relative}/", found)
            elif entry.is_file():
                status = entry.stat()
                found[relative] = (status.st_mtime_ns, status.st_size)
