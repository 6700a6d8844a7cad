"""Generate infrastructure/rabbitmq/template.yaml: the pet store over RabbitMQ (Amazon MQ
for RabbitMQ, the system the first specification names) instead of SNS/SQS, from
template.yaml, so the variants cannot drift apart.

What changes, and nothing else:
- the SNS topics become one Amazon MQ broker (RabbitMQ engine) with its user's
  credentials in a Secrets Manager secret, and one durable topic exchange
  (`petstore-events`) where every event is routed by its type;
- each consumer's SQS queue, subscription, queue policy and dead-letter queue become a
  durable quorum queue bound to the exchange by the subscription's filter (its event
  types), with a delivery limit (`ConsumerDeliveryLimit`) and a dead-letter exchange and
  queue of its own, declared by the `Custom::RabbitMQTopology` custom resource (its
  function, infrastructure/rabbitmq/topology/, speaks AMQP: CloudFormation has no
  resource for what lives inside a broker); and an `MQ` event source on the queue
  (BASIC_AUTH with the secret, VIRTUAL_HOST);
- each function that publishes gets the broker's AMQPS endpoint and the secret instead
  of SNS topic ARNs, and leave to read the secret;
- the queues' alarms and dashboard graphs watch the broker's queue metrics (AWS/AmazonMQ);
- every function runs with `EVENT_TRANSPORT=rabbitmq` and the RabbitMQ client layer.

    python -m infrastructure.rabbitmq.generate          # write the template
    python -m infrastructure.rabbitmq.generate --check  # exit 1 if it is out of date
"""

from __future__ import annotations

import argparse
import copy
import json
import re
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from kafka.generate import HEADER as KAFKA_HEADER
from kafka.generate import (
    SQS_KINDS,
    SQS_PARAMETERS,
    TOPIC_ARN_SUFFIX,
    TOPIC_NAMES,
    Consumer,
    _allow,
    _consumers,
    _policy_without_event_topics,
    _queue_roles,
    _replace_queue,
    _with_code_from_repo,
    _with_dependency,
    _written_out,
    render_template,
)

from localcloud.cloudformation.intrinsics import referenced_names
from localcloud.cloudformation.template import parse_template
from operations.resources import log_group, log_group_id

REPO_ROOT = Path(__file__).resolve().parents[2]
SOURCE_PATH = REPO_ROOT / "template.yaml"
TEMPLATE_PATH = REPO_ROOT / "infrastructure" / "rabbitmq" / "template.yaml"
HEADER = (
    "# Generated from template.yaml by `python -m infrastructure.rabbitmq.generate`: edit\n"
    "# that (or the generator) and generate again. Deploy with `sam build --config-env\n"
    "# rabbitmq` and `sam deploy --config-env rabbitmq`.\n"
)
EXCHANGE = "petstore-events"
VIRTUAL_HOST = "/"
BROKER = "RabbitMQBroker"
SECRET = "RabbitMQBrokerSecret"
TOPOLOGY_RESOURCE = "RabbitMQTopology"
TOPOLOGY_FUNCTION = "RabbitMQTopologyFunction"
TOPOLOGY_TIMEOUT_S = 60
TOPOLOGY_SERVICE_TIMEOUT_S = 300
BATCH_WINDOW_S = 0
"""Lambda waits 500 ms by default to fill an MQ batch: a saga would wait it at each hop."""
BROKER_NAME = "${AWS::StackName}-events"
DEAD_LETTER_SUFFIX = ".dead-letters"

RABBITMQ_PARAMETERS = {
    "ConsumerDeliveryLimit": {
        "Type": "Number",
        "Default": 4,
        "MinValue": 1,
        "MaxValue": 1000,
        "Description": (
            "Deliveries of a message after the first (the quorum queue's x-delivery-limit) "
            "before it goes to its queue's dead-letter queue. A failed batch comes back whole."
        ),
    },
    "RabbitMQInstanceType": {
        "Type": "String",
        "Default": "mq.m7g.medium",
        "Description": "The Amazon MQ broker's host instance type.",
    },
    "ConsumerQueueDepthThreshold": {
        "Type": "Number",
        "Default": 1000,
        "MinValue": 1,
        "Description": "Messages ready in a consumer's queue above which its alarm goes off.",
    },
}
DEAD_LETTER_METRIC = "MessageCount"
QUEUE_DEPTH_METRIC = "MessageReadyCount"
DASHBOARD_TITLES = {
    "Age of oldest message (s)": "Messages ready in each consumer queue",
    "Messages waiting": "Messages ready (not yet delivered)",
    "Dead-letter queue depth": "Messages in dead-letter queues",
}


def queue_name(consumer: Consumer) -> str:
    return consumer.kebab_name


def dead_letter_queue_name(consumer: Consumer) -> str:
    return consumer.kebab_name + DEAD_LETTER_SUFFIX


def rabbitmq_template(source: Mapping[str, Any]) -> dict[str, Any]:
    """The RabbitMQ variant of a parsed template.yaml."""
    template = copy.deepcopy(dict(source))
    resources: dict[str, Any] = template["Resources"]
    consumers = {consumer.name: consumer for consumer in _consumers(resources)}
    template["Description"] = _description(template.get("Description", ""))
    template["Parameters"] = _parameters(template.get("Parameters") or {}, resources, consumers)
    function_globals = template["Globals"]["Function"]
    function_globals["Layers"] = [*function_globals["Layers"], {"Ref": "RabbitMQClientLayer"}]
    variables = function_globals["Environment"]["Variables"]
    variables["EVENT_TRANSPORT"] = "rabbitmq"
    variables["EVENTS_EXCHANGE_NAME"] = EXCHANGE
    runtime = function_globals["Runtime"]
    template["Resources"] = dict(_resources(resources, consumers, runtime))
    template["Outputs"] = {
        **_outputs_without_topics(template.get("Outputs", {})),
        "RabbitMQBrokerArn": {"Value": {"Fn::GetAtt": [BROKER, "Arn"]}},
        "RabbitMQAmqpEndpoint": {"Value": _amqp_endpoint()},
        "RabbitMQBrokerSecretArn": {"Value": {"Ref": SECRET}},
    }
    return template


def _description(description: str) -> str:
    rabbitmq = description.strip().replace("SNS/SQS", "RabbitMQ (Amazon MQ)")
    return rabbitmq.replace(
        "template runs locally", "template runs locally, on a local RabbitMQ broker,"
    )


def _parameters(
    parameters: Mapping[str, Any], resources: Mapping[str, Any], consumers: Mapping[str, Consumer]
) -> dict[str, Any]:
    staying = [
        resource
        for logical_id, resource in resources.items()
        if resource.get("Type", "").startswith("AWS::SQS::")
        and not any(logical_id.startswith(name) for name in consumers)
    ]
    still_read = referenced_names(staying) & set(SQS_PARAMETERS)
    kept = {
        name: value
        for name, value in parameters.items()
        if name not in SQS_PARAMETERS or name in still_read
    }
    return {**kept, **RABBITMQ_PARAMETERS}


def _outputs_without_topics(outputs: Mapping[str, Any]) -> dict[str, Any]:
    """An output of an SNS event topic's ARN goes: the exchange has no ARN."""
    return {
        name: output
        for name, output in outputs.items()
        if not (isinstance(output.get("Value"), dict) and output["Value"].get("Ref") in TOPIC_NAMES)
    }


def _amqp_endpoint() -> dict[str, Any]:
    return {"Fn::Select": [0, {"Fn::GetAtt": [BROKER, "AmqpEndpoints"]}]}


def _resources(
    resources: Mapping[str, Any], consumers: Mapping[str, Consumer], runtime: str
) -> Iterator[tuple[str, Any]]:
    """template.yaml's resources in their order, the SNS/SQS ones of the saga replaced."""
    queues = _queue_roles(consumers.values())
    broker_written = False
    for logical_id, resource in resources.items():
        kind = resource.get("Type")
        if kind == "AWS::SNS::Topic" and logical_id in TOPIC_NAMES:
            if not broker_written:
                yield from _broker_and_topology(list(consumers.values()))
                broker_written = True
        elif kind in SQS_KINDS or kind == "AWS::SNS::Subscription":
            yield from _replace_queue(logical_id, resource, queues)
        elif kind == "AWS::SNS::TopicPolicy":
            yield from _policy_without_event_topics(logical_id, resource)
        elif kind == "AWS::Serverless::LayerVersion":
            yield logical_id, _with_code_from_repo(resource, "ContentUri")
            yield from _client_layer(runtime)
        elif kind == "AWS::Serverless::Function":
            yield logical_id, _rabbitmq_function(resource, consumers)
        elif kind == "AWS::CloudWatch::Alarm":
            yield logical_id, _rabbitmq_alarm(resource, queues)
        elif kind == "AWS::CloudWatch::Dashboard":
            yield logical_id, _rabbitmq_dashboard(resource, queues)
        else:
            yield logical_id, resource


def _broker_and_topology(consumers: list[Consumer]) -> Iterator[tuple[str, Any]]:
    yield (
        SECRET,
        {
            "Type": "AWS::SecretsManager::Secret",
            "Properties": {
                "Description": "The Amazon MQ broker's user (username, password): the "
                "functions and the MQ event sources sign in with it.",
                "GenerateSecretString": {
                    "SecretStringTemplate": json.dumps({"username": "petstore"}),
                    "GenerateStringKey": "password",
                    "PasswordLength": 32,
                    # Amazon MQ refuses commas, colons and equals signs in a password; the
                    # rest of the punctuation would need escaping in an AMQP URL.
                    "ExcludePunctuation": True,
                },
            },
        },
    )
    user = "{{resolve:secretsmanager:${%s}:SecretString:%s}}"
    yield (
        BROKER,
        {
            "Type": "AWS::AmazonMQ::Broker",
            "Properties": {
                "BrokerName": {"Fn::Sub": BROKER_NAME},
                "EngineType": "RABBITMQ",
                "EngineVersion": "3.13",
                "HostInstanceType": {"Ref": "RabbitMQInstanceType"},
                "DeploymentMode": "SINGLE_INSTANCE",
                # Reached over AMQPS with the secret's user; no VPC to give the functions.
                "PubliclyAccessible": True,
                "AutoMinorVersionUpgrade": True,
                "Users": [
                    {
                        "Username": {"Fn::Sub": user % (SECRET, "username")},
                        "Password": {"Fn::Sub": user % (SECRET, "password")},
                    }
                ],
                "Logs": {"General": True},
            },
        },
    )
    yield TOPOLOGY_FUNCTION, _topology_function()
    yield log_group_id(TOPOLOGY_FUNCTION), _written_out(log_group(TOPOLOGY_FUNCTION))
    yield (
        TOPOLOGY_RESOURCE,
        {
            "Type": "Custom::RabbitMQTopology",
            "Properties": {
                "ServiceToken": {"Fn::GetAtt": [TOPOLOGY_FUNCTION, "Arn"]},
                "ServiceTimeout": TOPOLOGY_SERVICE_TIMEOUT_S,
                "BrokerArn": {"Fn::GetAtt": [BROKER, "Arn"]},
                "Exchange": EXCHANGE,
                "Queues": [
                    {
                        "Name": queue_name(consumer),
                        "EventTypes": list(consumer.event_types),
                        "DeadLetterQueue": dead_letter_queue_name(consumer),
                        "DeliveryLimit": {"Ref": "ConsumerDeliveryLimit"},
                    }
                    for consumer in consumers
                ],
            },
        },
    )


def _topology_function() -> dict[str, Any]:
    """The custom resource's provider: on Create and Update it declares the exchange, each
    queue with its bindings, dead-letter exchange and queue; on Delete it keeps them."""
    return {
        "Type": "AWS::Serverless::Function",
        "Properties": {
            "Description": (
                "Declares the RabbitMQ exchange, queues and bindings (the RabbitMQTopology "
                "custom resource)."
            ),
            "CodeUri": "topology/",
            "Handler": "rabbitmq_topology.handlers.handle_rabbitmq_topology.handler",
            "Timeout": TOPOLOGY_TIMEOUT_S,
            "LoggingConfig": {"LogGroup": {"Ref": log_group_id(TOPOLOGY_FUNCTION)}},
            "Environment": {"Variables": _broker_variables()},
            "Policies": [{"Statement": _secret_statements()}],
        },
    }


def _broker_variables() -> dict[str, Any]:
    return {"RABBITMQ_AMQP_ENDPOINT": _amqp_endpoint(), "RABBITMQ_SECRET_ARN": {"Ref": SECRET}}


def _secret_statements() -> list[dict[str, Any]]:
    return [
        {
            "Effect": "Allow",
            "Action": ["secretsmanager:GetSecretValue"],
            "Resource": {"Ref": SECRET},
        }
    ]


def _client_layer(runtime: str) -> Iterator[tuple[str, Any]]:
    yield (
        "RabbitMQClientLayer",
        {
            "Type": "AWS::Serverless::LayerVersion",
            "Properties": {
                "Description": "The RabbitMQ client (pika).",
                "LayerName": {"Fn::Sub": "${AWS::StackName}-rabbitmq-client"},
                "ContentUri": "layer/",
                "CompatibleRuntimes": [runtime],
            },
            "Metadata": {"BuildMethod": runtime},
        },
    )


def _rabbitmq_function(resource: Mapping[str, Any], consumers: Mapping[str, Consumer]) -> Any:
    function = _with_code_from_repo(resource, "CodeUri")
    properties = function["Properties"]
    events = properties.get("Events") or {}
    for name, event in list(events.items()):
        if event["Type"] != "SQS":
            continue
        queue = event["Properties"]["Queue"]["Fn::GetAtt"][0]
        consumer = consumers.get(queue.removesuffix("Queue"))
        if consumer is None:
            continue  # a queue of the function's own (not the saga's): it stays SQS
        del events[name]
        events[name.replace("Queue", "") + "RabbitMQ"] = _mq_event(event["Properties"], consumer)
    variables = (properties.get("Environment") or {}).get("Variables") or {}
    published = [name for name in list(variables) if name.endswith(TOPIC_ARN_SUFFIX)]
    for name in published:
        del variables[name]
    properties["Policies"] = [
        policy
        for policy in properties.get("Policies", [])
        if "SNSPublishMessagePolicy" not in policy
        and not referenced_names(policy) & TOPIC_NAMES.keys()
    ]
    if published:
        variables.update(_broker_variables())
        _allow(properties, _secret_statements())
    consumes = any(event["Type"] == "MQ" for event in events.values())
    if consumes:
        properties["Policies"] = [_unconditional(policy) for policy in properties["Policies"]]
    if published or consumes:
        function["DependsOn"] = _with_dependency(function.get("DependsOn"), TOPOLOGY_RESOURCE)
    return function


def _unconditional(policy: Any) -> Any:
    """`!If [C, {Statement: [...]}, !Ref AWS::NoValue]` as a policy whose statements are
    each conditional: SAM's MQ event source reads every policy of its function's role as a
    policy document, and fails on a conditional one."""
    condition = policy.get("Fn::If") if isinstance(policy, dict) else None
    if not (isinstance(condition, list) and condition[2] == {"Ref": "AWS::NoValue"}):
        return policy
    name, statements = condition[0], condition[1]["Statement"]
    return {
        "Statement": [
            {"Fn::If": [name, statement, {"Ref": "AWS::NoValue"}]} for statement in statements
        ]
    }


def _mq_event(sqs: Mapping[str, Any], consumer: Consumer) -> dict[str, Any]:
    return {
        "Type": "MQ",
        "Properties": {
            "Broker": {"Fn::GetAtt": [BROKER, "Arn"]},
            "Queues": [queue_name(consumer)],
            "BatchSize": sqs["BatchSize"],
            "MaximumBatchingWindowInSeconds": BATCH_WINDOW_S,
            "SourceAccessConfigurations": [
                {"Type": "BASIC_AUTH", "URI": {"Ref": SECRET}},
                {"Type": "VIRTUAL_HOST", "URI": VIRTUAL_HOST},
            ],
        },
    }


def _queue_metric(role: Any) -> tuple[str, list[tuple[str, Any]]]:
    consumer = role.consumer
    name = dead_letter_queue_name(consumer) if role.dead_letters else queue_name(consumer)
    dimensions = [("Broker", BROKER_NAME), ("VirtualHost", VIRTUAL_HOST), ("Queue", name)]
    return (DEAD_LETTER_METRIC if role.dead_letters else QUEUE_DEPTH_METRIC), dimensions


def _rabbitmq_alarm(resource: Mapping[str, Any], queues: Mapping[str, Any]) -> Any:
    alarm = copy.deepcopy(dict(resource))
    properties = alarm["Properties"]
    watched = [
        dimension["Value"]["Fn::GetAtt"][0]
        for dimension in properties.get("Dimensions", [])
        if dimension.get("Name") == "QueueName" and isinstance(dimension.get("Value"), dict)
    ]
    role = queues.get(watched[0]) if watched else None
    if role is None:
        return alarm
    metric, dimensions = _queue_metric(role)
    name = dimensions[-1][1]
    properties["Namespace"] = "AWS/AmazonMQ"
    properties["MetricName"] = metric
    properties["Dimensions"] = [
        {"Name": key, "Value": {"Fn::Sub": value} if "${" in value else value}
        for key, value in dimensions
    ]
    if role.dead_letters:
        properties["AlarmName"] = {"Fn::Sub": f"${{AWS::StackName}}-{name}-not-empty"}
        properties["AlarmDescription"] = (
            f"Queue {queue_name(role.consumer)}'s consumer kept failing a message past the "
            f"delivery limit: it is in {name}. "
            "Runbook: docs/runbooks.md#dead-letter-queue-not-empty"
        )
    else:
        properties["AlarmName"] = {"Fn::Sub": f"${{AWS::StackName}}-{name}-depth"}
        properties["AlarmDescription"] = (
            f"Messages pile up in queue {name}: its consumer does not keep up. "
            "Runbook: docs/runbooks.md#oldest-message-too-old"
        )
        properties["Threshold"] = {"Ref": "ConsumerQueueDepthThreshold"}
    return alarm


_SQS_METRIC_LINE = re.compile(r'\["AWS/SQS", "(\w+)", "QueueName", "\$\{(\w+)\.QueueName\}"\]')


def _rabbitmq_dashboard(resource: Mapping[str, Any], queues: Mapping[str, Any]) -> Any:
    dashboard = copy.deepcopy(dict(resource))
    properties = dashboard["Properties"]
    body = properties.get("DashboardBody")
    if not (isinstance(body, dict) and isinstance(body.get("Fn::Sub"), str)):
        return dashboard

    def broker_line(match: re.Match[str]) -> str:
        role = queues.get(match.group(2))
        if role is None:
            return match.group(0)
        metric, dimensions = _queue_metric(role)
        parts = ["AWS/AmazonMQ", metric, *(part for dimension in dimensions for part in dimension)]
        return json.dumps(parts)

    text = _SQS_METRIC_LINE.sub(broker_line, body["Fn::Sub"])
    for sqs_title, broker_title in DASHBOARD_TITLES.items():
        text = text.replace(f'"title": "{sqs_title}"', f'"title": "{broker_title}"')
    properties["DashboardBody"] = {"Fn::Sub": text}
    return dashboard


def generated_text() -> str:
    template = rabbitmq_template(parse_template(SOURCE_PATH.read_text()))
    return HEADER + render_template(template).removeprefix(KAFKA_HEADER)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the file is out of date")
    args = parser.parse_args(argv)
    text = generated_text()
    if args.check:
        current = TEMPLATE_PATH.read_text() if TEMPLATE_PATH.exists() else ""
        if current != text:
            print(
                f"{TEMPLATE_PATH} is out of date: "
                "run `python -m infrastructure.rabbitmq.generate`.",
                file=sys.stderr,
            )
            return 1
        return 0
    TEMPLATE_PATH.write_text(text)
    print(f"Wrote {TEMPLATE_PATH.relative_to(REPO_ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
