"""Resolving CloudFormation parameters, conditions and intrinsic functions locally,
and reading templates written with the short `!Tag` forms."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from localcloud.cloudformation.intrinsics import (
    IntrinsicResolver,
    referenced_names,
    resolve_parameters,
)
from localcloud.cloudformation.template import parse_template
from localcloud.model import TemplateError

FUNCTION = "Api (AWS::Lambda::Function)"

TEMPLATE: dict[str, Any] = {
    "Parameters": {
        "Stage": {"Type": "String", "Default": "test", "AllowedValues": ["test", "prod"]},
        "Retries": {"Type": "Number", "Default": 3},
        "Zones": {"Type": "CommaDelimitedList", "Default": "a, b,c"},
    },
    "Mappings": {"Sizes": {"test": {"Memory": 128}, "prod": {"Memory": 1024}}},
    "Conditions": {
        "IsProd": {"Fn::Equals": [{"Ref": "Stage"}, "prod"]},
        "IsTest": {"Fn::Not": [{"Condition": "IsProd"}]},
        "IsTestWithRetries": {
            "Fn::And": [{"Condition": "IsTest"}, {"Fn::Equals": [{"Ref": "Retries"}, "3"]}]
        },
        "IsProdOrRetrying": {
            "Fn::Or": [{"Condition": "IsProd"}, {"Fn::Equals": [{"Ref": "Retries"}, 3]}]
        },
    },
    "Resources": {"Table": {}, "Queue": {}, "Later": {}},
}


def resolver(overrides: dict[str, str] | None = None) -> IntrinsicResolver:
    resolving = IntrinsicResolver(
        TEMPLATE, stack_name="shop", region="eu-west-1", parameter_overrides=overrides
    )
    resolving.register(
        "Table",
        "shop-Table",
        {"Arn": "arn:aws:dynamodb:eu-west-1:123456789012:table/shop-Table"},
    )
    resolving.register("Queue", "http://local/123456789012/shop-Queue", {"QueueName": "shop-Queue"})
    return resolving


def resolve(value: Any, overrides: dict[str, str] | None = None) -> Any:
    return resolver(overrides).resolve(value, FUNCTION, "Environment.Variables.VALUE")


def test_parameters_take_their_default_unless_overridden() -> None:
    assert resolve({"Ref": "Stage"}) == "test"
    assert resolve({"Ref": "Stage"}, {"Stage": "prod"}) == "prod"
    assert resolve({"Ref": "Retries"}) == "3"
    assert resolve({"Ref": "Zones"}) == ["a", "b", "c"]


@pytest.mark.parametrize(
    ("overrides", "complaint"),
    [
        ({"Stage": "staging"}, "Parameter Stage: 'staging' is not one of its AllowedValues"),
        ({"Retries": "many"}, "Parameter Retries (Number): 'many' is not a number"),
        ({"Colour": "red"}, "Parameter overrides name unknown parameters: Colour"),
    ],
)
def test_invalid_parameter_values_are_refused(overrides: dict[str, str], complaint: str) -> None:
    with pytest.raises(TemplateError) as refused:
        resolver(overrides)

    assert str(refused.value) == complaint


def test_a_parameter_without_default_needs_an_override() -> None:
    definitions = {"Secret": {"Type": "String", "NoEcho": True}}

    with pytest.raises(TemplateError, match="Parameter Secret: no Default and no override"):
        resolve_parameters(definitions)
    assert resolve_parameters(definitions, {"Secret": "s3cr3t"}) == {"Secret": "s3cr3t"}


def test_pseudo_parameters_describe_the_local_stack() -> None:
    names = ["AccountId", "Region", "StackName", "Partition", "URLSuffix"]

    values = [resolve({"Ref": f"AWS::{name}"}) for name in names]

    assert values == ["123456789012", "eu-west-1", "shop", "aws", "amazonaws.com"]


def test_ref_and_getatt_give_what_provisioning_registered() -> None:
    assert resolve({"Ref": "Table"}) == "shop-Table"
    assert resolve({"Fn::GetAtt": ["Table", "Arn"]}).endswith(":table/shop-Table")
    assert resolve({"Fn::GetAtt": "Queue.QueueName"}) == "shop-Queue"


@pytest.mark.parametrize(
    ("value", "complaint"),
    [
        (
            {"Fn::GetAtt": ["Table", "StreamArn"]},
            "!GetAtt Table.StreamArn: attribute not available",
        ),
        ({"Fn::GetAtt": ["Later", "Arn"]}, "!GetAtt Later.Arn: Later is not provisioned"),
        ({"Ref": "Missing"}, "!Ref Missing: no such parameter or resource"),
        (
            {"Fn::ImportValue": "shared-vpc"},
            "Fn::ImportValue shared-vpc: No export named shared-vpc found (the stacks started "
            "before this one in this run export: none)",
        ),
        ({"Fn::FindInMap": ["Sizes", "dev", "Memory"]}, "Fn::FindInMap: Sizes.dev is not in"),
        ({"Fn::Select": [5, ["a"]]}, "Fn::Select index 5 is out of range"),
    ],
)
def test_what_cannot_be_resolved_is_refused_naming_resource_and_property(
    value: Any, complaint: str
) -> None:
    with pytest.raises(TemplateError) as refused:
        resolve(value)

    message = str(refused.value)
    assert message.startswith(f"{FUNCTION}: property Environment.Variables.VALUE: ")
    assert complaint in message


def test_import_value_gives_what_an_earlier_stack_of_the_run_exports() -> None:
    importing = IntrinsicResolver(
        TEMPLATE, stack_name="shop", region="eu-west-1", imports={"auth-PoolArn": "arn:pool"}
    )

    resolved = importing.resolve(
        {"Fn::ImportValue": {"Fn::Sub": "auth-PoolArn"}}, FUNCTION, "Environment.Variables.POOL"
    )

    assert resolved == "arn:pool"


def test_errors_inside_nested_values_name_the_full_property_path() -> None:
    properties = {"Environment": {"Variables": {"TABLE": {"Ref": "Table"}, "BAD": {"Ref": "X"}}}}

    with pytest.raises(TemplateError, match=r"property Environment\.Variables\.BAD: !Ref X"):
        resolver().resolve(properties, FUNCTION)


def test_sub_replaces_parameters_attributes_and_pseudo_parameters() -> None:
    text = "${AWS::StackName}/${Stage}/${Table}/${Queue.QueueName} in ${AWS::Region} ${!Literal}"

    assert resolve({"Fn::Sub": text}) == "shop/test/shop-Table/shop-Queue in eu-west-1 ${Literal}"


def test_sub_with_variables_resolves_them_first() -> None:
    value = {"Fn::Sub": ["${Name}-${Stage}", {"Name": {"Fn::GetAtt": ["Queue", "QueueName"]}}]}

    assert resolve(value) == "shop-Queue-test"


def test_conditions_combine_equals_not_and_or() -> None:
    default, prod = resolver(), resolver({"Stage": "prod"})

    assert [default.condition(name) for name in TEMPLATE["Conditions"]] == [False, True, True, True]
    assert [prod.condition(name) for name in TEMPLATE["Conditions"]] == [True, False, False, True]


def test_a_condition_that_refers_to_itself_is_refused() -> None:
    looping = {"Conditions": {"Loop": {"Fn::Not": [{"Condition": "Loop"}]}}, "Resources": {}}

    with pytest.raises(TemplateError, match="Condition Loop refers to itself"):
        IntrinsicResolver(looping, stack_name="shop", region="eu-west-1")


def test_if_picks_the_branch_of_its_condition() -> None:
    value = {"Fn::If": ["IsProd", {"Ref": "Missing"}, "small"]}

    assert resolve(value) == "small"


def test_no_value_removes_the_key_or_list_item() -> None:
    no_value = {"Fn::If": ["IsProd", "yes", {"Ref": "AWS::NoValue"}]}

    resolved = resolve({"KEEP": "1", "DROP": no_value, "LIST": ["a", no_value, "b"]})

    assert resolved == {"KEEP": "1", "LIST": ["a", "b"]}


def test_join_select_split_find_in_map_and_base64() -> None:
    assert resolve({"Fn::Join": ["-", [{"Ref": "Stage"}, "x", 1]]}) == "test-x-1"
    assert resolve({"Fn::Select": ["1", {"Ref": "Zones"}]}) == "b"
    assert resolve({"Fn::Split": [",", "a,b"]}) == ["a", "b"]
    assert resolve({"Fn::FindInMap": ["Sizes", {"Ref": "Stage"}, "Memory"]}) == 128
    assert resolve({"Fn::Base64": {"Ref": "Stage"}}) == base64.b64encode(b"test").decode()


@given(
    delimiter=st.sampled_from([",", "|", "::"]),
    text=st.text(alphabet="ab,|:", max_size=20),
)
def test_join_undoes_split(delimiter: str, text: str) -> None:
    value = {"Fn::Join": [delimiter, {"Fn::Split": [delimiter, text]}]}

    assert resolve(value) == text


def test_referenced_names_cover_ref_getatt_sub_and_both_if_branches() -> None:
    value = {
        "A": {"Ref": "Table"},
        "B": {"Fn::GetAtt": "Queue.Arn"},
        "C": {"Fn::Sub": "${Topic}-${Pool.Arn}-${!Skip}-${Local}"},
        "D": {"Fn::Sub": ["${Local}", {"Local": {"Ref": "Bucket"}}]},
        "E": {"Fn::If": ["IsProd", {"Ref": "Yes"}, {"Ref": "No"}]},
    }

    assert referenced_names(value) == {
        "Table",
        "Queue",
        "Topic",
        "Pool",
        "Local",
        "Bucket",
        "Yes",
        "No",
    }


def test_short_tags_read_as_their_long_forms() -> None:
    template = parse_template(
        """
AWSTemplateFormatVersion: 2010-09-09
Resources:
  Fn:
    Type: AWS::Lambda::Function
    Properties:
      A: !Ref Table
      B: !GetAtt Table.StreamArn
      C: !Sub "${Table}-x"
      D: !If [IsProd, !Join [",", [a, b]], !Select [0, !Split [",", "x,y"]]]
      E: !FindInMap [Sizes, !Ref Stage, Memory]
      F: !Not [!Equals [!Ref Stage, prod]]
      G: !And [!Condition IsProd, !Or [!Condition A, !Condition B]]
      H: !Base64 text
      I: !ImportValue shared
"""
    )

    assert template["AWSTemplateFormatVersion"] == "2010-09-09"
    assert template["Resources"]["Fn"]["Properties"] == {
        "A": {"Ref": "Table"},
        "B": {"Fn::GetAtt": ["Table", "StreamArn"]},
        "C": {"Fn::Sub": "${Table}-x"},
        "D": {
            "Fn::If": [
                "IsProd",
                {"Fn::Join": [",", ["a", "b"]]},
                {"Fn::Select": [0, {"Fn::Split": [",", "x,y"]}]},
            ]
        },
        "E": {"Fn::FindInMap": ["Sizes", {"Ref": "Stage"}, "Memory"]},
        "F": {"Fn::Not": [{"Fn::Equals": [{"Ref": "Stage"}, "prod"]}]},
        "G": {
            "Fn::And": [
                {"Condition": "IsProd"},
                {"Fn::Or": [{"Condition": "A"}, {"Condition": "B"}]},
            ]
        },
        "H": {"Fn::Base64": "text"},
        "I": {"Fn::ImportValue": "shared"},
    }
