"""Builds a template's artifacts into a build folder of the local cloud's, and
refreshes those a changed source file belongs to."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from localcloud.lambda_.build.artifacts import ArtifactSpec, BuildOutcome, build_artifact
from localcloud.lambda_.build.interpreters import interpreter_for
from localcloud.lambda_.build.sources import is_source_path

Report = Callable[[str], None]


def default_build_dir(template: Path) -> Path:
    return template.resolve().parent / ".local" / "build"


class LambdaBuilder:
    """Thread-safe: a refresh on a file save and a build on a reset may overlap."""

    def __init__(self, build_dir: Path, report: Report | None = None) -> None:
        self.build_dir = build_dir
        self._report = report or (lambda line: print(line, flush=True))
        self._specs: dict[str, ArtifactSpec] = {}
        self._lock = threading.Lock()

    @property
    def specs(self) -> list[ArtifactSpec]:
        with self._lock:
            return list(self._specs.values())

    def build(self, specs: Iterable[ArtifactSpec]) -> dict[str, Path]:
        """Every artifact up to date; logical id -> its folder (a layer used as is: its source)."""
        planned = list(specs)
        for spec in planned:
            if spec.runtime:
                interpreter_for(spec.runtime, spec.label)
        with self._lock:
            self._specs = {spec.logical_id: spec for spec in planned}
            built = {spec.logical_id: self._build_one(spec, announce=True) for spec in planned}
        return {logical_id: outcome.folder for logical_id, outcome in built.items()}

    def refresh(self, changed: Iterable[Path]) -> list[str]:
        """Brings the artifacts that contain a changed file up to date; the logical
        ids of those that changed."""
        paths = [path.resolve() for path in changed]
        with self._lock:
            affected = [
                spec
                for spec in self._specs.values()
                if spec.layout != "as_is" and any(is_source_path(p, spec.source) for p in paths)
            ]
            outcome = {spec.logical_id: self._build_one(spec, announce=False) for spec in affected}
            return [logical_id for logical_id, built in outcome.items() if built.copied]

    def _build_one(self, spec: ArtifactSpec, *, announce: bool) -> BuildOutcome:
        started = time.monotonic()
        outcome = build_artifact(spec, self.build_dir)
        if outcome.full or (announce and outcome.copied):
            elapsed = time.monotonic() - started
            self._report(
                f"Built {spec.label} from {spec.source} into {outcome.folder} "
                f"({outcome.copied} files, {elapsed:.1f} s)"
            )
        return outcome
