"""Which artifacts a SAM template's functions and layers build into, read from the
template as written (before the SAM transform, which drops layers' Metadata)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeGuard

from localcloud.lambda_.build.artifacts import ArtifactSpec, Layout
from localcloud.lambda_.build.interpreters import python_version
from localcloud.model import TemplateError

_FUNCTIONS = {"AWS::Serverless::Function": "CodeUri", "AWS::Lambda::Function": "Code"}
_LAYERS = {"AWS::Serverless::LayerVersion": "ContentUri", "AWS::Lambda::LayerVersion": "Content"}
DEFAULT_ARCHITECTURE = "x86_64"


def artifact_specs(template: Mapping[str, Any], template_dir: Path) -> list[ArtifactSpec]:
    """One spec per function or layer whose code is a local folder, in template order."""
    function_globals = (template.get("Globals") or {}).get("Function") or {}
    specs = []
    for logical_id, resource in template["Resources"].items():
        kind = str(resource.get("Type")) if isinstance(resource, dict) else ""
        if kind in _FUNCTIONS:
            spec = _function(logical_id, kind, resource, function_globals, template_dir)
        elif kind in _LAYERS:
            spec = _layer(logical_id, kind, resource, template_dir)
        else:
            continue
        if spec is not None:
            specs.append(spec)
    return specs


def _function(
    logical_id: str,
    kind: str,
    resource: Mapping[str, Any],
    function_globals: Mapping[str, Any],
    template_dir: Path,
) -> ArtifactSpec | None:
    properties = resource.get("Properties") or {}
    label = f"{logical_id} ({kind})"
    code_property = _FUNCTIONS[kind]
    location = properties.get(code_property)
    if location is None and kind == "AWS::Serverless::Function":
        if {"InlineCode", "ImageUri"} & set(properties):
            return None
        location, code_property = function_globals.get("CodeUri"), "Globals.Function.CodeUri"
    if not _is_local(location):
        return None
    runtime = _literal(properties.get("Runtime", function_globals.get("Runtime")), label, "Runtime")
    build_method = _metadata(resource).get("BuildMethod")
    if build_method not in (None, runtime):
        raise TemplateError(
            f"{label}: Metadata.BuildMethod {build_method}: only Python functions built "
            "from a requirements.txt run locally"
        )
    return ArtifactSpec(
        logical_id=logical_id,
        label=label,
        source=_folder(location, template_dir, f"{label}: property {code_property}"),
        layout=_layout(resource, "function"),
        runtime=runtime,
        architecture=_architecture(properties, function_globals, label),
    )


def _layer(
    logical_id: str, kind: str, resource: Mapping[str, Any], template_dir: Path
) -> ArtifactSpec | None:
    properties = resource.get("Properties") or {}
    location = properties.get(_LAYERS[kind])
    label = f"{logical_id} ({kind})"
    if not _is_local(location):
        return None
    source = _folder(location, template_dir, f"{label}: property {_LAYERS[kind]}")
    metadata = _metadata(resource)
    build_method = metadata.get("BuildMethod")
    if build_method is None:
        return ArtifactSpec(logical_id, label, source, "as_is", runtime="")
    if python_version(str(build_method)) is None:
        raise TemplateError(
            f"{label}: Metadata.BuildMethod {build_method}: only pythonX.Y layers build locally"
        )
    compatible = properties.get("CompatibleArchitectures") or [DEFAULT_ARCHITECTURE]
    architecture = metadata.get("BuildArchitecture") or compatible[0]
    return ArtifactSpec(
        logical_id,
        label,
        source,
        _layout(resource, "layer"),
        runtime=str(build_method),
        architecture=_literal(architecture, label, "BuildArchitecture"),
    )


def _layout(resource: Mapping[str, Any], built: Layout) -> Layout:
    """`sam build` marks every resource of the template it writes with SamResourceId:
    those folders are built already and are used as they are."""
    return "as_is" if "SamResourceId" in _metadata(resource) else built


def _metadata(resource: Mapping[str, Any]) -> Mapping[str, Any]:
    metadata = resource.get("Metadata")
    return metadata if isinstance(metadata, dict) else {}


def _architecture(
    properties: Mapping[str, Any], function_globals: Mapping[str, Any], label: str
) -> str:
    architectures = properties.get("Architectures", function_globals.get("Architectures"))
    if not architectures:
        return DEFAULT_ARCHITECTURE
    if not isinstance(architectures, list):
        raise TemplateError(f"{label}: property Architectures must be a list locally")
    return _literal(architectures[0], label, "Architectures")


def _literal(value: Any, label: str, name: str) -> str:
    if not isinstance(value, str) or not value:
        raise TemplateError(f"{label}: property {name} must be a literal string locally")
    return value


def _is_local(location: Any) -> TypeGuard[str]:
    return isinstance(location, str) and not location.startswith("s3://")


def _folder(location: str, template_dir: Path, where: str) -> Path:
    folder = (template_dir / location).resolve()
    if not folder.is_dir():
        raise TemplateError(f"{where}: folder {folder} does not exist")
    return folder
