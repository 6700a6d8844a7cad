"""One artifact as `sam build` lays it out, refreshed in place and only as far as its
sources changed: a function's code and requirements at the artifact's root, a layer's
under `python/`."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from localcloud.lambda_.build.dependencies import installed_requirements, requirements_key
from localcloud.lambda_.build.sources import Snapshot, snapshot

Layout = Literal["function", "layer", "as_is"]
"""as_is: a layer without BuildMethod, or anything `sam build` already built."""

_MANIFEST_VERSION = 1


@dataclass(frozen=True)
class ArtifactSpec:
    logical_id: str
    label: str
    """How errors name the resource, e.g. "Fn (AWS::Serverless::Function)"."""
    source: Path
    layout: Layout
    runtime: str
    architecture: str = "x86_64"

    @property
    def requirements(self) -> Path:
        return self.source / "requirements.txt"


@dataclass(frozen=True)
class BuildOutcome:
    folder: Path
    copied: int
    """Files written; 0 when the artifact was up to date."""
    full: bool = False
    """Built from scratch (first build, or requirements, runtime or layout changed)."""


def build_artifact(spec: ArtifactSpec, build_dir: Path) -> BuildOutcome:
    if spec.layout == "as_is":
        return BuildOutcome(spec.source, 0)
    folder = build_dir / spec.logical_id
    manifest_path = build_dir / ".manifests" / f"{spec.logical_id}.json"
    files = snapshot(spec.source)
    settings = _settings(spec, files)
    previous = _read_manifest(manifest_path)
    if previous.get("settings") == settings and folder.is_dir():
        copied = _refresh(spec, folder, previous.get("files", {}), files)
        outcome = BuildOutcome(folder, copied)
    else:
        outcome = BuildOutcome(folder, _rebuild(spec, folder, files, build_dir), full=True)
    if outcome.copied or previous.get("files") != _as_json(files):
        _write_manifest(manifest_path, settings, files)
    return outcome


def content_root(spec: ArtifactSpec, folder: Path) -> Path:
    """Where the code folder's files go: Lambda mounts a layer at /opt and reads `python/`."""
    return folder / "python" if spec.layout == "layer" else folder


def _settings(spec: ArtifactSpec, files: Snapshot) -> dict[str, Any]:
    requirements = (
        requirements_key(spec.requirements, spec.runtime, spec.architecture)
        if _has_requirements(spec, files)
        else None
    )
    return {
        "version": _MANIFEST_VERSION,
        "layout": spec.layout,
        "source": str(spec.source),
        "runtime": spec.runtime,
        "architecture": spec.architecture,
        "requirements": requirements,
    }


def _has_requirements(spec: ArtifactSpec, files: Snapshot) -> bool:
    """pip refuses a requirements file that lists nothing; sam then installs nothing."""
    if "requirements.txt" not in files:
        return False
    lines = spec.requirements.read_text().splitlines()
    return any(line.split("#", 1)[0].strip() for line in lines)


def _rebuild(spec: ArtifactSpec, folder: Path, files: Snapshot, build_dir: Path) -> int:
    shutil.rmtree(folder, ignore_errors=True)
    root = content_root(spec, folder)
    root.mkdir(parents=True)
    if _has_requirements(spec, files):
        cache = build_dir / ".requirements"
        packages = installed_requirements(
            spec.requirements, spec.runtime, spec.architecture, cache, spec.label
        )
        shutil.copytree(packages, root, dirs_exist_ok=True, copy_function=_link_or_copy)
    for relative in files:
        _copy_file(spec.source / relative, root / relative)
    return len(files)


def _refresh(spec: ArtifactSpec, folder: Path, before: dict[str, Any], now: Snapshot) -> int:
    root = content_root(spec, folder)
    changed = [path for path, stat in now.items() if before.get(path) != list(stat)]
    for relative in changed:
        _copy_file(spec.source / relative, root / relative)
        _drop_bytecode(root / relative)
    for relative in set(before) - set(now):
        with contextlib.suppress(FileNotFoundError):
            (root / relative).unlink()
        _drop_bytecode(root / relative)
    return len(changed) + len(set(before) - set(now))


def _drop_bytecode(module: Path) -> None:
    """A module's cached bytecode is checked against its source's mtime in whole seconds
    and its size: an edit of the same length within the second would run the old code."""
    if module.suffix != ".py":
        return
    for cached in module.parent.glob(f"__pycache__/{module.stem}.*.pyc"):
        with contextlib.suppress(FileNotFoundError):
            cached.unlink()


def _copy_file(source: Path, target: Path) -> None:
    """Written beside and renamed into place: a worker importing meanwhile reads
    either the old file or the new one, never half of one."""
    target.parent.mkdir(parents=True, exist_ok=True)
    scratch = target.with_name(f".{target.name}.building")
    shutil.copy2(source, scratch)
    os.replace(scratch, target)


def _link_or_copy(source: str, target: str) -> None:
    """Installed packages are never written to in place: artifacts can share their files."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


def _as_json(files: Snapshot) -> dict[str, list[int]]:
    return {path: list(stat) for path, stat in files.items()}


def _read_manifest(path: Path) -> dict[str, Any]:
    try:
        loaded = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return loaded if isinstance(loaded, dict) else {}


def _write_manifest(path: Path, settings: dict[str, Any], files: Snapshot) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    scratch = path.with_suffix(".json.writing")
    scratch.write_text(json.dumps({"settings": settings, "files": _as_json(files)}))
    os.replace(scratch, path)
