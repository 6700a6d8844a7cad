"""Load a SAM template and transform it into plain CloudFormation, offline.

The SAM translator only accepts code in S3, so every local CodeUri/ContentUri is
swapped for a placeholder S3 location before translation; the placeholder's key
leads back to the local folder afterwards.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import yaml

from localcloud.cloudformation.translations import translated
from localcloud.model import TemplateError

SAM_TRANSFORM = "AWS::Serverless-2016-10-31"
PLACEHOLDER_BUCKET = "localcloud-local-code"

_GLOBALS_CODE_KEY = "Globals.Function.CodeUri"
_SHORT_FUNCTIONS = frozenset(
    {"And", "Base64", "Cidr", "Equals", "FindInMap", "GetAZs", "If", "ImportValue"}
    | {"Join", "Not", "Or", "Select", "Split", "Sub", "Transform"}
    | {"Contains", "EachMemberEquals", "EachMemberIn", "RefAll", "ValueOf", "ValueOfAll"}
)
"""Short forms of the intrinsic functions, and of the rule functions (the Rules section's)."""
_LOCAL_CODE_PROPERTIES = {
    "AWS::Serverless::Function": "CodeUri",
    "AWS::Serverless::LayerVersion": "ContentUri",
    "AWS::Lambda::Function": "Code",
    "AWS::Lambda::LayerVersion": "Content",
}


@dataclass(frozen=True)
class LoadedTemplate:
    """A template in plain CloudFormation, and where its code lives on disk."""

    template: dict[str, Any]
    local_code: Mapping[str, Path]
    """Placeholder S3 key -> local folder."""

    def code_dir(self, location: Any) -> Path | None:
        """The local folder behind a translated `Code`/`Content` S3 location, if it is one."""
        if not isinstance(location, dict) or location.get("S3Bucket") != PLACEHOLDER_BUCKET:
            return None
        return self.local_code.get(str(location.get("S3Key")))

    def with_artifacts(self, artifacts: Mapping[str, Path]) -> LoadedTemplate:
        """The same template with each local folder swapped for its built artifact
        (artifacts are keyed by logical id, as the placeholders are)."""
        built = {key: artifacts.get(key, folder) for key, folder in self.local_code.items()}
        return replace(self, local_code=built)


# libyaml's parser reads a template ~20x faster than the pure-Python one.
_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _CloudFormationLoader(_SafeLoader):  # type: ignore[misc, valid-type]
    """YAML with CloudFormation's short tags; dates stay strings, as CloudFormation reads them."""


def _construct_short_tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
    value = _construct_plain(loader, node)
    if suffix == "Ref":
        return {"Ref": value}
    if suffix == "Condition":
        return {"Condition": value}
    if suffix == "GetAtt" and isinstance(value, str):
        return {"Fn::GetAtt": value.split(".", 1)}
    if suffix in _SHORT_FUNCTIONS or suffix == "GetAtt":
        return {f"Fn::{suffix}": value}
    raise yaml.constructor.ConstructorError(None, None, f"unknown tag !{suffix}", node.start_mark)


def _construct_plain(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        return loader.construct_scalar(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node, deep=True)
    if isinstance(node, yaml.MappingNode):
        return loader.construct_mapping(node, deep=True)
    raise yaml.constructor.ConstructorError(None, None, "unexpected node", node.start_mark)


_CloudFormationLoader.add_multi_constructor("!", _construct_short_tag)


def _construct_timestamp_as_text(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> str:
    return str(loader.construct_scalar(node))


_CloudFormationLoader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp_as_text)


def parse_template(text: str) -> dict[str, Any]:
    """A template's YAML (or JSON) with short tags turned into their `Fn::` forms."""
    try:
        document = yaml.load(text, Loader=_CloudFormationLoader)
    except yaml.YAMLError as error:
        raise TemplateError(f"The template is not valid YAML: {error}") from None
    if not isinstance(document, dict) or not isinstance(document.get("Resources"), dict):
        raise TemplateError("The template has no Resources section")
    return document


def transform_template(
    template: Mapping[str, Any],
    template_dir: Path,
    *,
    region: str,
    parameter_values: Mapping[str, Any] | None = None,
) -> LoadedTemplate:
    """Swap local code folders for placeholders, run the SAM transform if the template asks
    for it, and return the plain CloudFormation with the placeholders' local folders."""
    document = copy.deepcopy(dict(template))
    local_code = _replace_local_code(document, template_dir)
    transforms = _transforms(document)
    if transforms:
        parameters = dict(parameter_values or {})
        document = translated(
            document, region, parameters, lambda: _translate(document, region, parameters)
        )
    return LoadedTemplate(template=document, local_code=local_code)


def _transforms(document: Mapping[str, Any]) -> list[str]:
    declared = document.get("Transform") or []
    transforms = [declared] if isinstance(declared, str) else list(declared)
    unsupported = [name for name in transforms if name != SAM_TRANSFORM]
    if unsupported:
        raise TemplateError(
            f"Transform {', '.join(map(str, unsupported))} is not supported locally"
        )
    return transforms


def _replace_local_code(document: dict[str, Any], template_dir: Path) -> dict[str, Path]:
    local_code: dict[str, Path] = {}
    function_globals = document.get("Globals", {}).get("Function", {})
    globals_code = function_globals.get("CodeUri")
    for logical_id, resource in document["Resources"].items():
        kind = str(resource.get("Type")) if isinstance(resource, dict) else ""
        if kind not in _LOCAL_CODE_PROPERTIES:
            continue
        properties = resource.setdefault("Properties", {})
        code_property = _LOCAL_CODE_PROPERTIES[kind]
        location = properties.get(code_property)
        if location is None and _takes_globals_code(kind, properties):
            location, code_property = globals_code, _GLOBALS_CODE_KEY
        if _is_local(location):
            where = f"{logical_id} ({kind}): property {code_property}"
            local_code[logical_id] = _local_folder(location, template_dir, where)
            properties[_LOCAL_CODE_PROPERTIES[kind]] = _placeholder(logical_id, kind)
    if _is_local(globals_code):
        del function_globals["CodeUri"]
    return local_code


def _takes_globals_code(kind: str, properties: Mapping[str, Any]) -> bool:
    return kind == "AWS::Serverless::Function" and not {"InlineCode", "ImageUri"} & set(properties)


def _is_local(location: Any) -> bool:
    return isinstance(location, str) and not location.startswith("s3://")


def _local_folder(location: str, template_dir: Path, where: str) -> Path:
    folder = (template_dir / location).resolve()
    if not folder.is_dir():
        raise TemplateError(f"{where}: folder {folder} does not exist")
    return folder


def _placeholder(key: str, kind: str) -> Any:
    if kind.startswith("AWS::Serverless::"):
        return f"s3://{PLACEHOLDER_BUCKET}/{key}"
    return {"S3Bucket": PLACEHOLDER_BUCKET, "S3Key": key}


class OfflineManagedPolicyLoader:
    """Managed-policy names from the map bundled with the translator: no IAM calls."""

    def load(self) -> dict[str, str]:
        from samtranslator.internal.managed_policies import get_bundled_managed_policy_map

        return dict(get_bundled_managed_policy_map("aws") or {})


def _translate(
    document: dict[str, Any], region: str, parameter_values: dict[str, Any]
) -> dict[str, Any]:
    """The SAM translator is imported here, when a translation is not kept (translations.py)."""
    import boto3
    from samtranslator.metrics.metrics import DummyMetricsPublisher, Metrics
    from samtranslator.model.exceptions import ExceptionWithMessage, InvalidDocumentException
    from samtranslator.parser.parser import Parser
    from samtranslator.translator.translator import Translator
    from samtranslator.utils.py27hash_fix import (
        to_py27_compatible_template,
        undo_mark_unicode_str_in_template,
    )

    session = boto3.session.Session(region_name=region)
    metrics = Metrics("ServerlessTransform", DummyMetricsPublisher())
    translator = Translator(None, Parser(), boto_session=session, metrics=metrics)
    policies = OfflineManagedPolicyLoader()
    to_py27_compatible_template(document, parameter_values)
    try:
        translated = translator.translate(
            document, parameter_values=parameter_values, get_managed_policy_map=policies.load
        )
    except InvalidDocumentException as error:
        reasons = "; ".join(cause.message for cause in error.causes)
        raise TemplateError(f"The SAM transform failed: {reasons}") from None
    except ExceptionWithMessage as error:
        raise TemplateError(f"The SAM transform failed: {error.message}") from None
    finally:
        metrics.publish()  # an unpublished Metrics warns on stdout when collected
    return dict(undo_mark_unicode_str_in_template(translated))
