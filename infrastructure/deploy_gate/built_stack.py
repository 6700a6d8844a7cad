"""What `sam build` produced for a template: each function's and layer's artifact
folder beside the source folder it was built from."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from localcloud.cloudformation.template import parse_template

FUNCTION = "AWS::Serverless::Function"
LAYER = "AWS::Serverless::LayerVersion"
DEFAULT_ARCHITECTURE = "x86_64"


@dataclass(frozen=True)
class BuiltLayer:
    logical_id: str
    artifact_dir: Path
    source_dir: Path


@dataclass(frozen=True)
class BuiltFunction:
    logical_id: str
    handler: str
    runtime: str
    architecture: str
    artifact_dir: Path
    source_dir: Path
    layers: tuple[BuiltLayer, ...]
    """The template's own layers the function uses, in the template's order."""


@dataclass(frozen=True)
class BuiltStack:
    template: Path
    built_template: Path
    functions: tuple[BuiltFunction, ...]
    layers: tuple[BuiltLayer, ...]


def built_stack(template: Path, build_dir: Path) -> BuiltStack:
    built_template = build_dir / "template.yaml"
    source = parse_template(template.read_text())
    built = parse_template(built_template.read_text())
    layers = {
        logical_id: BuiltLayer(
            logical_id,
            artifact_dir=_folder(build_dir, resource["Properties"]["ContentUri"]),
            source_dir=_folder(template.parent, _source_property(source, logical_id, "ContentUri")),
        )
        for logical_id, resource in _resources(built, LAYER)
    }
    functions = tuple(
        _built_function(logical_id, resource, source, template.parent, build_dir, layers)
        for logical_id, resource in _resources(built, FUNCTION)
    )
    return BuiltStack(template, built_template, functions, tuple(layers.values()))


def _built_function(
    logical_id: str,
    resource: Mapping[str, Any],
    source: Mapping[str, Any],
    source_root: Path,
    build_dir: Path,
    layers: Mapping[str, BuiltLayer],
) -> BuiltFunction:
    def setting(name: str, default: Any = None) -> Any:
        return _function_setting(source, resource, name, default)

    references = [
        str(layer.get("Ref")) for layer in setting("Layers", []) if isinstance(layer, dict)
    ]
    return BuiltFunction(
        logical_id=logical_id,
        handler=str(setting("Handler")),
        runtime=str(setting("Runtime")),
        architecture=str(setting("Architectures", [DEFAULT_ARCHITECTURE])[0]),
        artifact_dir=_folder(build_dir, resource["Properties"]["CodeUri"]),
        source_dir=_folder(source_root, _source_property(source, logical_id, "CodeUri")),
        layers=tuple(layers[name] for name in references if name in layers),
    )


def _function_setting(
    source: Mapping[str, Any], resource: Mapping[str, Any], name: str, default: Any
) -> Any:
    """A function's property, or the template's Globals' when the function has none."""
    properties = resource.get("Properties") or {}
    if name in properties:
        return properties[name]
    return ((source.get("Globals") or {}).get("Function") or {}).get(name, default)


def _source_property(source: Mapping[str, Any], logical_id: str, name: str) -> Any:
    resource = source["Resources"][logical_id]
    return _function_setting(source, resource, name, None)


def _resources(template: Mapping[str, Any], kind: str) -> list[tuple[str, Mapping[str, Any]]]:
    return [
        (logical_id, resource)
        for logical_id, resource in template["Resources"].items()
        if resource.get("Type") == kind
    ]


def _folder(root: Path, location: Any) -> Path:
    if not isinstance(location, str):
        raise ValueError(f"{location!r}: the gate checks code in local folders only")
    return (root / location).resolve()
