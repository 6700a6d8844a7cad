"""The checks that need only the built folders: wheel tags and service packages."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from .built_stack import BuiltStack
from .runtimes import python_version
from .service_packages import foreign_packages
from .wheel_tags import accepted_tags, foreign_wheels


def wheel_tag_problems(built: BuiltStack) -> Iterator[str]:
    """Each artifact against its runtime and architecture; a layer against those of
    every function that uses it."""
    targets: dict[Path, set[tuple[tuple[int, int], str]]] = {}
    for function in built.functions:
        target = (python_version(function.runtime), function.architecture)
        for folder in (function.artifact_dir, *(layer.artifact_dir for layer in function.layers)):
            targets.setdefault(folder, set()).add(target)
    for folder, folder_targets in targets.items():
        for python, architecture in sorted(folder_targets):
            for wheel in foreign_wheels(folder, accepted_tags(python, architecture)):
                runtime = f"python{python[0]}.{python[1]} {architecture}"
                yield (
                    f"{wheel.dist_info.relative_to(folder.parent)}: tags "
                    f"{', '.join(wheel.tags)} are not installable on {runtime}"
                )


def service_package_problems(built: BuiltStack) -> Iterator[str]:
    for found in foreign_packages(built.functions):
        yield (
            f"{found.function}'s artifact holds package {found.package!r}, the service of "
            f"{_some(found.owners)}"
        )


def _some(names: tuple[str, ...], shown: int = 2) -> str:
    more = len(names) - shown
    return ", ".join(names[:shown]) + (f" and {more} more" if more > 0 else "")
