"""Each function's artifact holds its own service's package only.

A service package is the top-level package a handler lives in, when that package
comes from the handler's own CodeUri folder (a handler taken from a layer, such as a
shared outbox publisher, belongs to the service(s) of its CodeUri instead)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from .built_stack import BuiltFunction


@dataclass(frozen=True)
class ForeignPackage:
    function: str
    package: str
    owners: tuple[str, ...]
    """The functions whose service it is."""


def top_level_packages(folder: Path) -> set[str]:
    """The importable top-level names of a folder: packages and modules."""
    if not folder.is_dir():
        return set()
    return {
        entry.stem if entry.suffix == ".py" else entry.name
        for entry in folder.iterdir()
        if (entry.is_dir() and (entry / "__init__.py").is_file())
        or (entry.is_file() and entry.suffix == ".py")
    }


def foreign_packages(functions: Iterable[BuiltFunction]) -> list[ForeignPackage]:
    functions = list(functions)
    own = {function.logical_id: _own_service(function) for function in functions}
    owners = _owners(functions, own)
    return [
        ForeignPackage(function.logical_id, package, tuple(owners[package]))
        for function in functions
        for package in sorted(top_level_packages(function.artifact_dir) & owners.keys())
        if package not in own[function.logical_id]
    ]


def _owners(functions: list[BuiltFunction], own: dict[str, set[str]]) -> dict[str, list[str]]:
    """Each service package's functions: those whose handler it holds, else (a package
    no handler names) those whose CodeUri holds it."""
    by_handler: dict[str, list[str]] = {}
    by_code_uri: dict[str, list[str]] = {}
    for function in functions:
        for package in own[function.logical_id]:
            by_code_uri.setdefault(package, []).append(function.logical_id)
            if function.handler.split(".", 1)[0] == package:
                by_handler.setdefault(package, []).append(function.logical_id)
    return {package: by_handler.get(package, users) for package, users in by_code_uri.items()}


def _own_service(function: BuiltFunction) -> set[str]:
    in_code_uri = top_level_packages(function.source_dir)
    handler_package = function.handler.split(".", 1)[0]
    return {handler_package} if handler_package in in_code_uri else in_code_uri
