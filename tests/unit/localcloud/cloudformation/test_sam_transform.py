"""Transforming SAM templates offline: local code folders survive the transform, managed
policies need no IAM, and API auth comes out in the swagger shapes provisioning reads."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from localcloud.cloudformation.template import LoadedTemplate, transform_template
from localcloud.model import TemplateError

SAM = "AWS::Serverless-2016-10-31"
INVOKE_ORDERS = {
    "Fn::Sub": (
        "arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/"
        "${OrdersFunction.Arn}/invocations"
    )
}


def transform(resources: dict[str, Any], folder: Path, **sections: Any) -> LoadedTemplate:
    template = {"Transform": SAM, "Resources": resources, **sections}
    return transform_template(template, folder, region="us-east-1")


def function(**properties: Any) -> dict[str, Any]:
    return {
        "Type": "AWS::Serverless::Function",
        "Properties": {"Handler": "app.handler", "Runtime": "python3.13", **properties},
    }


@pytest.fixture
def code(tmp_path: Path) -> Path:
    for folder in ("shared_code", "own_code", "layer"):
        (tmp_path / folder).mkdir()
    return tmp_path


def test_local_code_and_layer_folders_map_back_after_the_transform(code: Path) -> None:
    loaded = transform(
        {
            "SharedCode": function(),
            "OwnCode": function(CodeUri="own_code"),
            "Shared": {
                "Type": "AWS::Serverless::LayerVersion",
                "Properties": {"ContentUri": "layer"},
            },
        },
        code,
        Globals={"Function": {"CodeUri": "shared_code/"}},
    )
    resources = loaded.template["Resources"]
    [layer] = [
        resource
        for resource in resources.values()
        if resource["Type"] == "AWS::Lambda::LayerVersion"
    ]

    assert loaded.code_dir(resources["SharedCode"]["Properties"]["Code"]) == code / "shared_code"
    assert loaded.code_dir(resources["OwnCode"]["Properties"]["Code"]) == code / "own_code"
    assert loaded.code_dir(layer["Properties"]["Content"]) == code / "layer"


def test_a_missing_code_folder_is_refused_by_resource_and_property(code: Path) -> None:
    with pytest.raises(TemplateError) as refused:
        transform({"Orders": function(CodeUri="nowhere")}, code)

    assert str(refused.value).startswith(
        "Orders (AWS::Serverless::Function): property CodeUri: folder "
    )


def test_transform_errors_name_the_resource_and_property(code: Path) -> None:
    consumer = function(CodeUri="own_code", Events={"Jobs": {"Type": "SQS", "Properties": {}}})

    with pytest.raises(TemplateError) as refused:
        transform({"Consumer": consumer}, code)

    assert str(refused.value) == (
        "The SAM transform failed: Resource with id [ConsumerJobs] is invalid. "
        "Missing required property 'Queue'."
    )


def test_managed_policy_names_resolve_without_calling_iam(code: Path) -> None:
    policies = ["AmazonDynamoDBReadOnlyAccess", "arn:aws:iam::123456789012:policy/Custom"]

    loaded = transform({"Reader": function(CodeUri="own_code", Policies=policies)}, code)

    arns = loaded.template["Resources"]["ReaderRole"]["Properties"]["ManagedPolicyArns"]
    assert arns == [
        "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
        "arn:aws:iam::aws:policy/AmazonDynamoDBReadOnlyAccess",
        "arn:aws:iam::123456789012:policy/Custom",
    ]


def test_api_auth_comes_out_as_security_requirements_and_definitions(code: Path) -> None:
    def api_event(path: str, method: str, **auth: str) -> dict[str, Any]:
        properties: dict[str, Any] = {"RestApiId": {"Ref": "Api"}, "Path": path, "Method": method}
        if auth:
            properties["Auth"] = auth
        return {"Type": "Api", "Properties": properties}

    loaded = transform(
        {
            "Pool": {"Type": "AWS::Cognito::UserPool"},
            "Api": {
                "Type": "AWS::Serverless::Api",
                "Properties": {
                    "StageName": "v1",
                    "Auth": {
                        "DefaultAuthorizer": "Shoppers",
                        "Authorizers": {
                            "Shoppers": {"UserPoolArn": {"Fn::GetAtt": ["Pool", "Arn"]}}
                        },
                    },
                },
            },
            "OrdersFunction": function(
                CodeUri="own_code",
                Events={
                    "Place": api_event("/orders", "post"),
                    "List": api_event("/pets", "get", Authorizer="NONE"),
                    "Internal": api_event("/internal", "post", Authorizer="AWS_IAM"),
                },
            ),
        },
        code,
    )
    body = loaded.template["Resources"]["Api"]["Properties"]["Body"]

    assert body["paths"] == {
        "/orders": {"post": _operation([{"Shoppers": []}])},
        "/pets": {"get": _operation([{"NONE": []}])},
        "/internal": {"post": _operation([{"AWS_IAM": []}], credentials="arn:aws:iam::*:user/*")},
    }
    assert body["securityDefinitions"] == {
        "Shoppers": {
            "type": "apiKey",
            "name": "Authorization",
            "in": "header",
            "x-amazon-apigateway-authtype": "cognito_user_pools",
            "x-amazon-apigateway-authorizer": {
                "type": "cognito_user_pools",
                "providerARNs": [{"Fn::GetAtt": ["Pool", "Arn"]}],
            },
        },
        "AWS_IAM": {
            "type": "apiKey",
            "name": "Authorization",
            "in": "header",
            "x-amazon-apigateway-authtype": "awsSigv4",
        },
    }


def _operation(security: list[dict[str, list[str]]], **integration: str) -> dict[str, Any]:
    return {
        "x-amazon-apigateway-integration": {
            "type": "aws_proxy",
            "httpMethod": "POST",
            "uri": INVOKE_ORDERS,
            **integration,
        },
        "security": security,
        "responses": {},
    }
