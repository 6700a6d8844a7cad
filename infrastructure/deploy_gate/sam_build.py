"""`sam build` of one template into a folder of its own, from scratch."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

_OUTPUT_TAIL_LINES = 25


@dataclass(frozen=True)
class BuildResult:
    ok: bool
    seconds: float
    output: str

    def failure_text(self) -> str:
        """SAM's own account of the failure: the end of what it printed."""
        lines = [line for line in self.output.splitlines() if line.strip()]
        return "\n".join(lines[-_OUTPUT_TAIL_LINES:])


def sam_build(
    sam: Path, template: Path, build_dir: Path, interpreters: Iterable[Path]
) -> BuildResult:
    """Builds with no cache (SAM's cache would hide a dependency that no longer
    resolves), with the runtimes' interpreters first on PATH as SAM's Python
    builder looks them up by name."""
    shutil.rmtree(build_dir, ignore_errors=True)
    path = os.pathsep.join([*(str(python.parent) for python in interpreters), os.environ["PATH"]])
    started = time.monotonic()
    completed = subprocess.run(
        [
            str(sam),
            "build",
            "--template-file",
            str(template),
            "--build-dir",
            str(build_dir),
        ],
        env={**os.environ, "PATH": path, "SAM_CLI_TELEMETRY": "0"},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        check=False,
    )
    return BuildResult(
        ok=completed.returncode == 0,
        seconds=time.monotonic() - started,
        output=completed.stdout,
    )
