"""A template prepared before the emulator is up: what its functions run on."""

from __future__ import annotations

from pathlib import Path

from localcloud.cloudformation.provision import prepare_template
from localcloud.lambda_.build.builder import LambdaBuilder

TEMPLATE = """
Transform: AWS::Serverless-2016-10-31
Conditions:
  Debugging: !Equals [a, b]
Resources:
  Shared:
    Type: AWS::Serverless::LayerVersion
    Properties:
      ContentUri: layer/
  WithLayer:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src/
      Handler: app.handler
      Runtime: python3.13
      Layers: [!Ref Shared]
      Environment:
        Variables: {TABLE_NAME: pets}
  SameLayer:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src/
      Handler: app.handler
      Runtime: python3.13
      Layers: [!Ref Shared]
      Environment:
        Variables: {SERVICE: pets}
  Bare:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src/
      Handler: app.handler
      Runtime: python3.12
      Environment:
        Variables: !If [Debugging, {LOG_LEVEL: DEBUG}, {LOG_LEVEL: INFO}]
  ElsewhereLayer:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src/
      Handler: app.handler
      Runtime: python3.11
      Layers: [arn:aws:lambda:eu-west-1:123456789012:layer:theirs:1]
"""


def test_functions_whose_layers_are_the_templates_by_runtime_and_layers_with_their_variables(
    tmp_path: Path,
) -> None:
    (tmp_path / "template.yaml").write_text(TEMPLATE)
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "app.py").write_text("def handler(event, context):\n    return event\n")
    (tmp_path / "layer" / "python").mkdir(parents=True)
    builder = LambdaBuilder(tmp_path / "build")

    prepared = prepare_template(tmp_path / "template.yaml", builder=builder)

    assert prepared.runtimes_and_layers() == {
        ("python3.13", (tmp_path / "layer",)): frozenset({"TABLE_NAME", "SERVICE"}),
        ("python3.12", ()): None,
    }


def test_the_emulators_services_are_those_the_resource_types_call(tmp_path: Path) -> None:
    (tmp_path / "template.yaml").write_text(
        """
Resources:
  Orders:
    Type: AWS::DynamoDB::Table
    Properties:
      AttributeDefinitions: [{AttributeName: pk, AttributeType: S}]
      KeySchema: [{AttributeName: pk, KeyType: HASH}]
      BillingMode: PAY_PER_REQUEST
  Events:
    Type: AWS::SNS::Topic
  EventsPolicy:
    Type: AWS::SNS::TopicPolicy
    Properties:
      Topics: [!Ref Events]
      PolicyDocument: {}
  Mail:
    Type: AWS::SES::ConfigurationSet
"""
    )

    prepared = prepare_template(tmp_path / "template.yaml", builder=LambdaBuilder(tmp_path / "b"))

    assert prepared.emulator_services() == {"dynamodb", "sns", "ses", "sesv2"}
