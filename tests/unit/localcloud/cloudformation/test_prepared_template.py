"""A template prepared before the emulator is up: what its functions run on."""

from __future__ import annotations

from pathlib import Path

from localcloud.cloudformation.provision import prepare_template
from localcloud.lambda_.build.builder import LambdaBuilder

TEMPLATE = """
Transform: AWS::Serverless-2016-10-31
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
  Bare:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src/
      Handler: app.handler
      Runtime: python3.12
  ElsewhereLayer:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src/
      Handler: app.handler
      Runtime: python3.11
      Layers: [arn:aws:lambda:eu-west-1:123456789012:layer:theirs:1]
"""


def test_the_runtimes_and_layer_folders_of_functions_whose_layers_are_the_templates(
    tmp_path: Path,
) -> None:
    (tmp_path / "template.yaml").write_text(TEMPLATE)
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "app.py").write_text("def handler(event, context):\n    return event\n")
    (tmp_path / "layer" / "python").mkdir(parents=True)
    builder = LambdaBuilder(tmp_path / "build")

    prepared = prepare_template(tmp_path / "template.yaml", builder=builder)

    assert prepared.runtimes_and_layers() == {
        ("python3.13", (tmp_path / "layer",)),
        ("python3.12", ()),
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
