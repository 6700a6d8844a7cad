"""Each layer's declared dependencies import in Lambda's layout, even those no handler
imports at init (the Kafka client is imported on first publish)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement

from .built_stack import BuiltLayer

PROBE_MODULE = "deploy_gate_probe"
PROBE_HANDLER = f"{PROBE_MODULE}.lambda_handler"
PROBE_SOURCE = """import importlib


def lambda_handler(event, context):
    for name in event["modules"]:
        importlib.import_module(name)
    return {"imported": event["modules"]}
"""
_NOT_MODULES = re.compile(r"(\.dist-info|\.data|\.libs|__pycache__)$")


def write_probe(folder: Path) -> Path:
    """A function folder whose handler imports the modules its event names."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{PROBE_MODULE}.py").write_text(PROBE_SOURCE)
    return folder


def declared_modules(layers: Iterable[BuiltLayer]) -> list[str]:
    """The top-level modules of the distributions the layers' requirements.txt name;
    a distribution the built layer lacks is named as is, so that its import fails."""
    return sorted({module for layer in layers for module in _layer_modules(layer)})


def _layer_modules(layer: BuiltLayer) -> Iterator[str]:
    requirements = layer.source_dir / "requirements.txt"
    if not requirements.is_file():
        return
    for name in _requirement_names(requirements.read_text()):
        dist_info = _dist_info(layer.artifact_dir, name)
        yield from _top_level(dist_info) if dist_info else [_normalized(name)]


def _requirement_names(text: str) -> Iterator[str]:
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line or line.startswith("-"):
            continue
        try:
            yield Requirement(line).name
        except InvalidRequirement:
            continue


def _normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()


def _dist_info(artifact_dir: Path, name: str) -> Path | None:
    wanted = _normalized(name)
    for candidate in artifact_dir.rglob("*.dist-info"):
        if _normalized(candidate.name.split("-", 1)[0]) == wanted:
            return candidate
    return None


def _top_level(dist_info: Path) -> set[str]:
    top_level = dist_info / "top_level.txt"
    if top_level.is_file():
        return {line.strip() for line in top_level.read_text().splitlines() if line.strip()}
    record = dist_info / "RECORD"
    names = set()
    for line in record.read_text().splitlines() if record.is_file() else []:
        first = line.split(",", 1)[0].split("/", 1)[0]
        if first and not _NOT_MODULES.search(first) and not first.startswith(".."):
            names.add(first.removesuffix(".py"))
    return {name for name in names if name.isidentifier()}
