"""SnapStart on AWS: one parameter turns it on for every function (prod's deployment
config does, dev's does not); each function publishes versions behind a `live` alias,
and API routes and event sources invoke that alias, so they run the snapshotted version."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import pytest

from localcloud.cloudformation.template import parse_template, transform_template

PROJECT_ROOT = Path(__file__).resolve().parents[3]
TEMPLATES = [PROJECT_ROOT / "template.yaml", PROJECT_ROOT / "infrastructure/kafka/template.yaml"]
SAMCONFIG = tomllib.loads((PROJECT_ROOT / "samconfig.toml").read_text())


@pytest.fixture(params=TEMPLATES, ids=lambda path: path.parent.name)
def translated(request: pytest.FixtureRequest) -> dict[str, Any]:
    path: Path = request.param
    template = parse_template(path.read_text())
    loaded = transform_template(template, path.parent, region="us-east-1")
    return loaded.template


def of_type(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == kind}


def deploy_overrides(config_env: str) -> dict[str, str]:
    overrides = SAMCONFIG[config_env]["deploy"]["parameters"]["parameter_overrides"]
    return dict(pair.split("=", 1) for pair in overrides.split())


def test_every_function_applies_snapstart_to_published_versions_when_the_parameter_is_on(
    translated: dict[str, Any],
) -> None:
    functions = of_type(translated, "AWS::Lambda::Function")

    assert translated["Parameters"]["SnapStart"]["AllowedValues"] == ["on", "off"]
    assert translated["Conditions"]["SnapStartOn"] == {"Fn::Equals": [{"Ref": "SnapStart"}, "on"]}
    for function in functions.values():
        assert function["Properties"]["SnapStart"] == {
            "Fn::If": ["SnapStartOn", {"ApplyOn": "PublishedVersions"}, {"Ref": "AWS::NoValue"}]
        }


def test_every_function_has_a_live_alias_on_a_published_version(
    translated: dict[str, Any],
) -> None:
    functions = of_type(translated, "AWS::Lambda::Function")
    aliases = of_type(translated, "AWS::Lambda::Alias")

    assert {alias["Properties"]["FunctionName"]["Ref"] for alias in aliases.values()} == set(
        functions
    )
    assert {alias["Properties"]["Name"] for alias in aliases.values()} == {"live"}


def test_event_sources_and_api_routes_invoke_the_alias(translated: dict[str, Any]) -> None:
    aliases = set(of_type(translated, "AWS::Lambda::Alias"))
    mappings = of_type(translated, "AWS::Lambda::EventSourceMapping")
    integration_uris = re.findall(r"functions/\$\{(\w+)\}/invocations", str(translated))

    assert mappings and integration_uris
    for mapping in mappings.values():
        assert mapping["Properties"]["FunctionName"]["Ref"] in aliases
    assert set(integration_uris) <= aliases


def test_prod_deploys_with_snapstart_and_dev_without() -> None:
    assert deploy_overrides("prod")["SnapStart"] == "on"
    assert deploy_overrides("default")["SnapStart"] == "off"
