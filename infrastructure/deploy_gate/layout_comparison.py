"""The local cloud's builder against `sam build`: the same template built both ways
must give every function and layer the same files in the same places, so what the
local cloud runs is laid out as what AWS receives."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from localcloud.cloudformation.template import parse_template
from localcloud.lambda_.build.builder import LambdaBuilder
from localcloud.lambda_.build.plan import artifact_specs

from .built_stack import BuiltStack

DIST_INFO = ".dist-info"
"""pip's bookkeeping inside a package's metadata folder (RECORD, INSTALLER, the
installer's own files) differs from one install to the next: only the folder counts."""


def layout_problems(built: BuiltStack, local_build_dir: Path) -> Iterator[str]:
    """Where the local builder's artifacts differ from sam build's, artifact by artifact."""
    source = parse_template(built.template.read_text())
    builder = LambdaBuilder(local_build_dir, report=lambda line: None)
    local = builder.build(artifact_specs(source, built.template.parent))
    sam_built = {function.logical_id: function.artifact_dir for function in built.functions}
    sam_built |= {layer.logical_id: layer.artifact_dir for layer in built.layers}
    for logical_id, sam_folder in sorted(sam_built.items()):
        if logical_id not in local:
            yield f"{logical_id}: sam build built it, the local builder did not"
            continue
        yield from _differences(logical_id, layout(sam_folder), layout(local[logical_id]))


def layout(folder: Path) -> set[str]:
    """The artifact's files, relative to it, without bytecode caches and pip's bookkeeping."""
    files = set()
    for path in folder.rglob("*"):
        relative = path.relative_to(folder)
        if "__pycache__" in relative.parts or path.suffix == ".pyc":
            continue
        in_dist_info = next((p for p in relative.parts if p.endswith(DIST_INFO)), None)
        if in_dist_info is not None:
            files.add(str(Path(*relative.parts[: relative.parts.index(in_dist_info) + 1])))
        elif path.is_file():
            files.add(str(relative))
    return files


def _differences(logical_id: str, sam: set[str], local: set[str], shown: int = 5) -> Iterator[str]:
    for side, missing in (("local builder", sam - local), ("sam build", local - sam)):
        if missing:
            names = sorted(missing)
            listed = ", ".join(names[:shown])
            more = f" and {len(names) - shown} more" if len(names) > shown else ""
            yield f"{logical_id}: missing from the {side}'s artifact: {listed}{more}"
