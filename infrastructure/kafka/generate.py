"""Generate infrastructure/kafka/template.yaml: the pet store over Kafka (Amazon MSK
Serverless with IAM access control) instead of SNS/SQS, from template.yaml, so the two
variants cannot drift apart.

What changes, and nothing else:
- the SNS topics become an MSK Serverless cluster and its topics (three partitions),
  made with the dead-letter topics by the `Custom::KafkaTopics` custom resource: its
  function (infrastructure/kafka/topics/) calls Kafka's admin API, since MSK Serverless
  has no AWS::MSK::Topic (the MSK topic APIs are not available for Serverless clusters);
- each consumer's SQS queue, subscription, queue policy and dead-letter queue become an
  `MSK` event source on its topic: its own consumer group, the subscription's filter
  policy as a filter on the record's `type`, retries split in half on error and bounded
  by `ConsumerMaximumRetryAttempts`, then its own dead-letter topic (a Kafka on-failure
  destination, which needs the event source in provisioned mode);
- each function that publishes gets the names of its topics instead of SNS topic ARNs,
  the cluster's ARN, a place in the cluster's VPC, and leave to write to its topics;
- every function that reads or writes a topic depends on the custom resource;
- every function runs with `EVENT_TRANSPORT=kafka` and the Kafka client layer.

    python -m infrastructure.kafka.generate          # write infrastructure/kafka/template.yaml
    python -m infrastructure.kafka.generate --check  # exit 1 if it is out of date
"""

from __future__ import annotations

import argparse
import copy
import json
import re
import sys
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from localcloud.cloudformation.intrinsics import referenced_names
from localcloud.cloudformation.template import parse_template
from operations.resources import Ref, Sub, log_group, log_group_id

REPO_ROOT = Path(__file__).resolve().parents[2]
SOURCE_PATH = REPO_ROOT / "template.yaml"
TEMPLATE_PATH = REPO_ROOT / "infrastructure" / "kafka" / "template.yaml"
TO_REPO_ROOT = "../../"
"""The generated template's folder, back to the paths template.yaml's code is under."""

TOPIC_NAMES = {"OrdersTopic": "orders", "PaymentsTopic": "payments"}
TOPIC_NAMES["NotificationsTopic"] = "notifications"
PARTITIONS = 3
DEAD_LETTER_PARTITIONS = 1
BATCH_WINDOW_S = 0
"""Lambda waits 500 ms by default to fill a Kafka batch: a saga would wait it at each hop."""
CONSUMER_POLLERS = {"MinimumPollers": 1, "MaximumPollers": PARTITIONS}
HEADER = (
    "# Generated from template.yaml by `python -m infrastructure.kafka.generate`: edit that\n"
    "# (or the generator) and generate again. Deploy with `sam build --config-env kafka`\n"
    "# and `sam deploy --config-env kafka`.\n"
)

KAFKA_PARAMETERS = {
    "ConsumerMaximumRetryAttempts": {
        "Type": "Number",
        "Default": 4,
        "MinValue": 0,
        "MaxValue": 10000,
        "Description": (
            "Retries of a failing batch (split in half first) before its records go to the "
            "consumer's dead-letter topic."
        ),
    },
    "KafkaSubnetIds": {
        "Type": "CommaDelimitedList",
        "Default": "",
        "Description": (
            "Required on AWS: two or more private subnets (in different AZs) for the MSK "
            "Serverless cluster and the functions that publish to it. They need a route to "
            "DynamoDB, the MSK API and S3 (a NAT gateway or VPC endpoints): the topics' "
            "custom resource answers CloudFormation on a pre-signed S3 URL."
        ),
    },
    "KafkaSecurityGroupIds": {
        "Type": "CommaDelimitedList",
        "Default": "",
        "Description": (
            "Required on AWS: the security groups of the cluster and the publishing "
            "functions; their members must reach each other on TCP 9098 (IAM)."
        ),
    },
}
SQS_PARAMETERS = ("ConsumerVisibilityTimeout", "ConsumerMaxReceiveCount")
SQS_KINDS = frozenset({"AWS::SQS::Queue", "AWS::SQS::QueuePolicy"})
TOPIC_ARN_SUFFIX = "_TOPIC_ARN"
CLUSTER_NAME = "${AWS::StackName}-events"
DEAD_LETTER_METRIC = "MessagesInPerSec"
"""Records written to a dead-letter topic: what an SQS dead-letter queue's depth showed."""
CONSUMER_LAG_METRICS = {
    "ApproximateAgeOfOldestMessage": "EstimatedMaxTimeLag",
    "ApproximateNumberOfMessagesVisible": "SumOffsetLag",
}
DASHBOARD_TITLES = {
    "Age of oldest message (s)": "Consumer lag, estimated time (s)",
    "Messages waiting": "Records not yet read (offset lag)",
    "Dead-letter queue depth": "Records into dead-letter topics (per second)",
}
NETWORK_GIVEN = "KafkaNetworkGiven"
TOPICS_RESOURCE = "KafkaTopics"
TOPICS_FUNCTION = "KafkaTopicsFunction"
TOPICS_TIMEOUT_S = 60
TOPICS_SERVICE_TIMEOUT_S = 300
"""A topics function that never answers fails the stack in 5 minutes, not CloudFormation's hour."""


@dataclass(frozen=True)
class Consumer:
    """One subscription of template.yaml: a queue fed by a topic, read by a function."""

    name: str
    """The queue's logical id without "Queue", e.g. "InventoryOrderEvents"."""
    topic: str
    """The SNS topic's logical id."""
    event_types: tuple[str, ...]

    @property
    def kebab_name(self) -> str:
        return re.sub(r"(?<!^)(?=[A-Z])", "-", self.name).lower()

    @property
    def dead_letter_topic_name(self) -> str:
        return f"{self.kebab_name}-dead-letters"


def kafka_template(source: Mapping[str, Any]) -> dict[str, Any]:
    """The Kafka variant of a parsed template.yaml."""
    template = copy.deepcopy(dict(source))
    resources: dict[str, Any] = template["Resources"]
    consumers = {consumer.name: consumer for consumer in _consumers(resources)}
    template["Description"] = _description(template.get("Description", ""))
    template["Parameters"] = _parameters(template.get("Parameters") or {}, resources, consumers)
    rules = {**template.pop("Rules", {}), **_rules()}
    template = _insert_after(template, "Parameters", "Rules", rules)
    conditions = {**template.pop("Conditions", {}), NETWORK_GIVEN: _network_given()}
    template = _insert_after(template, "Rules", "Conditions", conditions)
    _use_kafka_everywhere(template["Globals"]["Function"])
    runtime = template["Globals"]["Function"]["Runtime"]
    template["Resources"] = dict(_resources(resources, consumers, runtime))
    template["Outputs"] = {
        **_outputs_of_kafka_topics(template.get("Outputs", {})),
        "KafkaClusterArn": {"Value": {"Ref": "KafkaCluster"}},
    }
    return template


def _outputs_of_kafka_topics(outputs: Mapping[str, Any]) -> dict[str, Any]:
    """An output of an SNS topic's ARN gives the ARN of the Kafka topic that replaces it."""
    kafka_outputs = copy.deepcopy(dict(outputs))
    for output in kafka_outputs.values():
        value = output.get("Value")
        if isinstance(value, dict) and value.get("Ref") in TOPIC_NAMES:
            output["Value"] = _cluster_resource("topic", TOPIC_NAMES[value["Ref"]])
    return kafka_outputs


def _insert_after(
    template: Mapping[str, Any], section: str, name: str, value: Any
) -> dict[str, Any]:
    ordered: dict[str, Any] = {}
    for key, content in template.items():
        ordered[key] = content
        if key == section:
            ordered[name] = value
    return ordered


def _consumers(resources: Mapping[str, Any]) -> Iterator[Consumer]:
    """The event topics' subscriptions; the alarm topic's (e-mail) stays as it is."""
    for resource in resources.values():
        if resource.get("Type") != "AWS::SNS::Subscription":
            continue
        properties = resource["Properties"]
        if properties["TopicArn"].get("Ref") not in TOPIC_NAMES:
            continue
        queue = properties["Endpoint"]["Fn::GetAtt"][0]
        yield Consumer(
            name=queue.removesuffix("Queue"),
            topic=properties["TopicArn"]["Ref"],
            event_types=tuple(properties["FilterPolicy"]["type"]),
        )


def _description(description: str) -> str:
    kafka = description.strip().replace("SNS/SQS", "Kafka (Amazon MSK Serverless, IAM auth)")
    return kafka.replace("template runs locally", "template runs locally, on a local Kafka broker,")


def _parameters(
    parameters: Mapping[str, Any], resources: Mapping[str, Any], consumers: Mapping[str, Consumer]
) -> dict[str, Any]:
    """The parameters, less the event queues' settings when no queue that stays SQS (one
    SES publishes to, say) reads them."""
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
    return {**kept, **KAFKA_PARAMETERS}


def _rules() -> dict[str, Any]:
    """A deployment without the network the cluster needs fails before creating anything.
    Rules take only the rule functions (no Fn::Join): a list parameter left at its
    default ("") holds one empty member."""
    assertions = [
        {
            "Assert": {"Fn::Not": [{"Fn::Contains": [{"Ref": name}, ""]}]},
            "AssertDescription": f"{name} must name the cluster's {what}.",
        }
        for name, what in (
            ("KafkaSubnetIds", "private subnets"),
            ("KafkaSecurityGroupIds", "security groups"),
        )
    ]
    return {"KafkaNetworkRequired": {"Assertions": assertions}}


def _network_given() -> dict[str, Any]:
    """True on AWS (the rules above see to it); false locally, where there is no VPC."""
    return {"Fn::And": [_given("KafkaSubnetIds"), _given("KafkaSecurityGroupIds")]}


def _given(list_parameter: str) -> dict[str, Any]:
    return {"Fn::Not": [{"Fn::Equals": [{"Fn::Join": ["", {"Ref": list_parameter}]}, ""]}]}


def _in_network(network_settings: dict[str, Any]) -> dict[str, Any]:
    return {"Fn::If": [NETWORK_GIVEN, network_settings, {"Ref": "AWS::NoValue"}]}


def _use_kafka_everywhere(function_globals: dict[str, Any]) -> None:
    function_globals["Layers"] = [*function_globals["Layers"], {"Ref": "KafkaClientLayer"}]
    function_globals["Environment"]["Variables"]["EVENT_TRANSPORT"] = "kafka"


def _resources(
    resources: Mapping[str, Any], consumers: Mapping[str, Consumer], runtime: str
) -> Iterator[tuple[str, Any]]:
    """template.yaml's resources in their order, the SNS/SQS ones of the saga replaced."""
    queues = _queue_roles(consumers.values())
    cluster_written = False
    for logical_id, resource in resources.items():
        kind = resource.get("Type")
        if kind == "AWS::SNS::Topic" and logical_id in TOPIC_NAMES:
            if not cluster_written:
                yield from _cluster_and_topics(consumers.values())
                cluster_written = True
        elif kind in SQS_KINDS or kind == "AWS::SNS::Subscription":
            yield from _replace_queue(logical_id, resource, queues)
        elif kind == "AWS::SNS::TopicPolicy":
            yield from _policy_without_event_topics(logical_id, resource)
        elif kind == "AWS::Serverless::LayerVersion":
            yield logical_id, _with_code_from_repo(resource, "ContentUri")
            yield from _kafka_client_layer(runtime)
        elif kind == "AWS::Serverless::Function":
            yield logical_id, _kafka_function(resource, consumers)
        elif kind == "AWS::CloudWatch::Alarm":
            yield logical_id, _kafka_alarm(resource, queues)
        elif kind == "AWS::CloudWatch::Dashboard":
            yield logical_id, _kafka_dashboard(resource, queues)
        else:
            yield logical_id, resource


@dataclass(frozen=True)
class QueueRole:
    """What a queue of template.yaml was to a consumer, and what replaces it."""

    consumer: Consumer
    dead_letters: bool

    @property
    def kafka_name(self) -> str:
        if self.dead_letters:
            return f"dead-letter topic {self.consumer.dead_letter_topic_name}"
        return f"consumer group {self.consumer.kebab_name}"


def _queue_roles(consumers: Iterable[Consumer]) -> dict[str, QueueRole]:
    roles = {}
    for consumer in consumers:
        roles[f"{consumer.name}Queue"] = QueueRole(consumer, dead_letters=False)
        roles[f"{consumer.name}DeadLetterQueue"] = QueueRole(consumer, dead_letters=True)
    return roles


def _replace_queue(
    logical_id: str, resource: Mapping[str, Any], queues: Mapping[str, QueueRole]
) -> Iterator[tuple[str, Any]]:
    """A consumer's queues, queue policy and subscription go; queues and subscriptions of
    anything else stay."""
    properties = resource.get("Properties") or {}
    if resource["Type"] == "AWS::SNS::Subscription":
        endpoint = properties.get("Endpoint")
        if not (isinstance(endpoint, dict) and endpoint.get("Fn::GetAtt", [""])[0] in queues):
            yield logical_id, resource
        return
    if resource["Type"] == "AWS::SQS::QueuePolicy":
        if not any(queue.get("Ref") in queues for queue in properties.get("Queues", [])):
            yield logical_id, resource
        return
    role = queues.get(logical_id)
    if role is None:
        yield logical_id, resource
    # A consumer's queue and dead-letter queue go: its dead-letter topic is one of the
    # topics the custom resource makes.


def _policy_without_event_topics(
    logical_id: str, resource: Mapping[str, Any]
) -> Iterator[tuple[str, Any]]:
    """An SNS topic policy keeps only the topics that stay SNS topics (the alarms')."""
    policy = copy.deepcopy(dict(resource))
    properties = policy["Properties"]
    properties["Topics"] = [t for t in properties["Topics"] if t.get("Ref") not in TOPIC_NAMES]
    if not properties["Topics"]:
        return
    for statement in properties["PolicyDocument"].get("Statement", []):
        if isinstance(statement.get("Resource"), list):
            statement["Resource"] = [
                r for r in statement["Resource"] if r.get("Ref") not in TOPIC_NAMES
            ]
    yield logical_id, policy


def _kafka_metric(sqs_metric: str, role: QueueRole) -> tuple[str, list[tuple[str, Any]]]:
    """The MSK metric that watches what an SQS metric of a replaced queue watched."""
    cluster = ("Cluster Name", CLUSTER_NAME)
    consumer = role.consumer
    if role.dead_letters:
        return DEAD_LETTER_METRIC, [cluster, ("Topic", consumer.dead_letter_topic_name)]
    group = [
        cluster,
        ("Consumer Group", consumer.kebab_name),
        ("Topic", TOPIC_NAMES[consumer.topic]),
    ]
    return CONSUMER_LAG_METRICS.get(sqs_metric, "SumOffsetLag"), group


def _kafka_alarm(resource: Mapping[str, Any], queues: Mapping[str, QueueRole]) -> Any:
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
    metric, dimensions = _kafka_metric(properties["MetricName"], role)
    properties["Namespace"] = "AWS/Kafka"
    properties["MetricName"] = metric
    properties["Dimensions"] = [
        {"Name": name, "Value": {"Fn::Sub": value} if "${" in value else value}
        for name, value in dimensions
    ]
    for text_property in ("AlarmName", "AlarmDescription"):
        properties[text_property] = _renamed(properties.get(text_property), watched[0], role)
    return alarm


def _renamed(text: Any, queue: str, role: QueueRole) -> Any:
    if isinstance(text, dict) and "Fn::Sub" in text:
        return {"Fn::Sub": _renamed(text["Fn::Sub"], queue, role)}
    if not isinstance(text, str):
        return text
    consumer = role.consumer
    name = consumer.dead_letter_topic_name if role.dead_letters else consumer.kebab_name
    described = text.replace(f"{queue}-", f"{name}-").replace(queue, role.kafka_name)
    for queue_text, kafka_text in (
        (f"{consumer.name}Queue's consumer", f"Consumer group {consumer.kebab_name}"),
        (f"{consumer.name}Queue", f"consumer group {consumer.kebab_name}"),
    ):
        described = described.replace(queue_text, kafka_text)
    return described.replace("the DLQ", "its dead-letter topic").replace("a message", "a record")


_SQS_METRIC_LINE = re.compile(r'\["AWS/SQS", "(\w+)", "QueueName", "\$\{(\w+)\.QueueName\}"\]')


def _kafka_dashboard(resource: Mapping[str, Any], queues: Mapping[str, QueueRole]) -> Any:
    """The dashboard's queue graphs, drawn from the MSK metrics that replace them."""
    dashboard = copy.deepcopy(dict(resource))
    properties = dashboard["Properties"]
    body = properties.get("DashboardBody")
    if not (isinstance(body, dict) and isinstance(body.get("Fn::Sub"), str)):
        return dashboard

    def kafka_line(match: re.Match[str]) -> str:
        role = queues.get(match.group(2))
        if role is None:
            return match.group(0)
        metric, dimensions = _kafka_metric(match.group(1), role)
        parts = ["AWS/Kafka", metric, *(part for dimension in dimensions for part in dimension)]
        return json.dumps(parts)

    text = _SQS_METRIC_LINE.sub(kafka_line, body["Fn::Sub"])
    for sqs_title, kafka_title in DASHBOARD_TITLES.items():
        text = text.replace(f'"title": "{sqs_title}"', f'"title": "{kafka_title}"')
    properties["DashboardBody"] = {"Fn::Sub": text}
    return dashboard


def _cluster_and_topics(consumers: Iterable[Consumer]) -> Iterator[tuple[str, Any]]:
    yield (
        "KafkaCluster",
        {
            "Type": "AWS::MSK::ServerlessCluster",
            "Properties": {
                "ClusterName": {"Fn::Sub": CLUSTER_NAME},
                "ClientAuthentication": {"Sasl": {"Iam": {"Enabled": True}}},
                "VpcConfigs": [
                    _in_network(
                        {
                            "SubnetIds": {"Ref": "KafkaSubnetIds"},
                            "SecurityGroups": {"Ref": "KafkaSecurityGroupIds"},
                        }
                    )
                ],
            },
        },
    )
    topics = {name: PARTITIONS for name in TOPIC_NAMES.values()}
    for consumer in consumers:
        topics[consumer.dead_letter_topic_name] = DEAD_LETTER_PARTITIONS
    yield TOPICS_FUNCTION, _topics_function(list(topics))
    yield log_group_id(TOPICS_FUNCTION), _written_out(log_group(TOPICS_FUNCTION))
    yield (
        TOPICS_RESOURCE,
        {
            "Type": "Custom::KafkaTopics",
            "Properties": {
                "ServiceToken": {"Fn::GetAtt": [TOPICS_FUNCTION, "Arn"]},
                "ServiceTimeout": TOPICS_SERVICE_TIMEOUT_S,
                "ClusterArn": {"Ref": "KafkaCluster"},
                "Topics": [
                    {"Name": name, "Partitions": partitions} for name, partitions in topics.items()
                ],
            },
        },
    )


def _written_out(value: Any) -> Any:
    """The operations generator's intrinsics as the parsed template writes them."""
    if isinstance(value, Ref):
        return {"Ref": value.name}
    if isinstance(value, Sub):
        return {"Fn::Sub": value.text}
    if isinstance(value, dict):
        return {name: _written_out(item) for name, item in value.items()}
    return value


def _topics_function(topic_names: list[str]) -> dict[str, Any]:
    """The custom resource's provider: on Create and Update it makes the topics that are
    missing and grows those with too few partitions; on Delete it keeps them."""
    return {
        "Type": "AWS::Serverless::Function",
        "Properties": {
            "Description": (
                "Makes the Kafka topics (the KafkaTopics custom resource): MSK Serverless "
                "has no AWS::MSK::Topic."
            ),
            "CodeUri": "topics/",
            "Handler": "kafka_topics.handlers.handle_kafka_topics.handler",
            "Timeout": TOPICS_TIMEOUT_S,
            "LoggingConfig": {"LogGroup": {"Ref": log_group_id(TOPICS_FUNCTION)}},
            "Environment": {"Variables": {"KAFKA_CLUSTER_ARN": {"Ref": "KafkaCluster"}}},
            "Policies": [{"Statement": _topic_admin_statements(topic_names)}],
            "VpcConfig": _in_network(
                {
                    "SubnetIds": {"Ref": "KafkaSubnetIds"},
                    "SecurityGroupIds": {"Ref": "KafkaSecurityGroupIds"},
                }
            ),
        },
    }


def _topic_admin_statements(topic_names: list[str]) -> list[dict[str, Any]]:
    return [
        {
            "Effect": "Allow",
            "Action": ["kafka:GetBootstrapBrokers", "kafka-cluster:Connect"],
            "Resource": {"Ref": "KafkaCluster"},
        },
        {
            "Effect": "Allow",
            "Action": [
                "kafka-cluster:CreateTopic",
                "kafka-cluster:DescribeTopic",
                "kafka-cluster:AlterTopic",
            ],
            "Resource": [_cluster_resource("topic", name) for name in topic_names],
        },
    ]


def _with_code_from_repo(resource: Mapping[str, Any], code_property: str) -> dict[str, Any]:
    moved = copy.deepcopy(dict(resource))
    properties = moved["Properties"]
    properties[code_property] = TO_REPO_ROOT + properties[code_property]
    return moved


def _kafka_client_layer(runtime: str) -> Iterator[tuple[str, Any]]:
    """On the functions' runtime: confluent-kafka's wheels need its glibc."""
    yield (
        "KafkaClientLayer",
        {
            "Type": "AWS::Serverless::LayerVersion",
            "Properties": {
                "Description": "The Kafka client (confluent-kafka) and the MSK IAM token signer.",
                "LayerName": {"Fn::Sub": "${AWS::StackName}-kafka-client"},
                "ContentUri": "layer/",
                "CompatibleRuntimes": [runtime],
            },
            "Metadata": {"BuildMethod": runtime},
        },
    )


def _kafka_function(resource: Mapping[str, Any], consumers: Mapping[str, Consumer]) -> Any:
    function = _with_code_from_repo(resource, "CodeUri")
    properties = function["Properties"]
    events = properties.get("Events") or {}
    for name, event in list(events.items()):
        if event["Type"] == "SQS":
            queue = event["Properties"]["Queue"]["Fn::GetAtt"][0]
            consumer = consumers.get(queue.removesuffix("Queue"))
            if consumer is None:
                continue  # a queue of the function's own (not the saga's): it stays SQS
            del events[name]
            events["Kafka"] = _kafka_event(event["Properties"], consumer)
            # Its consumer skips records redriven for another group (petstore_shared.events).
            environment = properties.setdefault("Environment", {}).setdefault("Variables", {})
            environment["KAFKA_CONSUMER_GROUP"] = consumer.kebab_name
            _allow(properties, _consumer_statements(consumer))
    variables = (properties.get("Environment") or {}).get("Variables") or {}
    published = [
        variables.pop(name)["Ref"] for name in list(variables) if name.endswith(TOPIC_ARN_SUFFIX)
    ]
    if published:
        for topic in published:
            variables[f"{topic.removesuffix('Topic').upper()}_TOPIC_NAME"] = TOPIC_NAMES[topic]
        variables["KAFKA_CLUSTER_ARN"] = {"Ref": "KafkaCluster"}
        properties["Policies"] = [
            policy for policy in properties["Policies"] if "SNSPublishMessagePolicy" not in policy
        ]
        _allow(properties, _publisher_statements([TOPIC_NAMES[t] for t in published]))
        properties["VpcConfig"] = _in_network(
            {
                "SubnetIds": {"Ref": "KafkaSubnetIds"},
                "SecurityGroupIds": {"Ref": "KafkaSecurityGroupIds"},
            }
        )
    if published or "Kafka" in events:
        function["DependsOn"] = _with_dependency(function.get("DependsOn"), TOPICS_RESOURCE)
    return function


def _with_dependency(depends_on: Any, logical_id: str) -> list[str]:
    named = [depends_on] if isinstance(depends_on, str) else list(depends_on or [])
    return [*named, logical_id]


def _kafka_event(sqs: Mapping[str, Any], consumer: Consumer) -> dict[str, Any]:
    pattern = {"value": {"type": list(consumer.event_types)}}
    return {
        "Type": "MSK",
        "Properties": {
            "Stream": {"Ref": "KafkaCluster"},
            "Topics": [TOPIC_NAMES[consumer.topic]],
            "ConsumerGroupId": consumer.kebab_name,
            "StartingPosition": "TRIM_HORIZON",
            "BatchSize": sqs["BatchSize"],
            "MaximumBatchingWindowInSeconds": BATCH_WINDOW_S,
            "FilterCriteria": {"Filters": [{"Pattern": json.dumps(pattern)}]},
            "FunctionResponseTypes": sqs["FunctionResponseTypes"],
            "BisectBatchOnFunctionError": True,
            "MaximumRetryAttempts": {"Ref": "ConsumerMaximumRetryAttempts"},
            "DestinationConfig": {
                "OnFailure": {"Destination": f"kafka://{consumer.dead_letter_topic_name}"}
            },
            "ProvisionedPollerConfig": dict(CONSUMER_POLLERS),
        },
    }


def _allow(properties: dict[str, Any], statements: list[dict[str, Any]]) -> None:
    properties["Policies"] = [*properties.get("Policies", []), {"Statement": statements}]


def _cluster_resource(kind: str, name: str) -> dict[str, Any]:
    """The ARN of a topic or group of the cluster (its ARN's `cluster/<name>/<uuid>` part)."""
    return {
        "Fn::Sub": [
            f"arn:${{AWS::Partition}}:kafka:${{AWS::Region}}:${{AWS::AccountId}}:{kind}/${{Cluster}}/{name}",
            {"Cluster": {"Fn::Select": [1, {"Fn::Split": [":cluster/", {"Ref": "KafkaCluster"}]}]}},
        ]
    }


def _consumer_statements(consumer: Consumer) -> list[dict[str, Any]]:
    """What the event source mapping reads with (the function's role), IAM-authenticated."""
    return [
        {
            "Effect": "Allow",
            "Action": [
                "kafka-cluster:Connect",
                "kafka-cluster:DescribeClusterDynamicConfiguration",
            ],
            "Resource": {"Ref": "KafkaCluster"},
        },
        {
            "Effect": "Allow",
            "Action": ["kafka-cluster:DescribeTopic", "kafka-cluster:ReadData"],
            "Resource": _cluster_resource("topic", TOPIC_NAMES[consumer.topic]),
        },
        {
            "Effect": "Allow",
            "Action": ["kafka-cluster:DescribeTopic", "kafka-cluster:WriteData"],
            "Resource": _cluster_resource("topic", consumer.dead_letter_topic_name),
        },
        {
            "Effect": "Allow",
            "Action": ["kafka-cluster:AlterGroup", "kafka-cluster:DescribeGroup"],
            "Resource": _cluster_resource("group", consumer.kebab_name),
        },
    ]


def _publisher_statements(topics: list[str]) -> list[dict[str, Any]]:
    return [
        {
            "Effect": "Allow",
            "Action": ["kafka:GetBootstrapBrokers", "kafka-cluster:Connect"],
            "Resource": {"Ref": "KafkaCluster"},
        },
        {
            "Effect": "Allow",
            "Action": ["kafka-cluster:DescribeTopic", "kafka-cluster:WriteData"],
            "Resource": [_cluster_resource("topic", topic) for topic in topics],
        },
    ]


# ---------------------------------------------------------------- YAML with short tags
class _TemplateDumper(yaml.SafeDumper):
    """CloudFormation YAML: intrinsic functions in their short form (`!Ref`, `!GetAtt`),
    unquoted where YAML allows, and lists indented under their key."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)

    def choose_scalar_style(self) -> str:
        event = self.event
        if isinstance(event, yaml.ScalarEvent) and (event.tag or "").startswith("!"):
            if self.analysis is None:
                self.analysis = self.analyze_scalar(event.value)
            if self.analysis.allow_block_plain and not self.analysis.multiline:
                return ""
        return str(super().choose_scalar_style())


_SCALAR_TAGS = {"Ref": "!Ref", "Condition": "!Condition"}


def _represent_mapping(dumper: yaml.SafeDumper, data: Mapping[str, Any]) -> yaml.Node:
    if len(data) == 1:
        key, argument = next(iter(data.items()))
        if key in _SCALAR_TAGS and isinstance(argument, str):
            return dumper.represent_scalar(_SCALAR_TAGS[key], argument)
        if key == "Fn::GetAtt" and isinstance(argument, list):
            return dumper.represent_scalar("!GetAtt", ".".join(argument))
        if key.startswith("Fn::"):
            tag = "!" + key.removeprefix("Fn::")
            if isinstance(argument, list):
                return dumper.represent_sequence(tag, argument, flow_style=_is_flat(argument))
            if isinstance(argument, dict):
                return dumper.represent_mapping(tag, argument)
            style = "|" if "\n" in str(argument) else None
            return dumper.represent_scalar(tag, str(argument), style=style)
    return dumper.represent_mapping("tag:yaml.org,2002:map", data)


def _represent_text(dumper: yaml.SafeDumper, data: str) -> yaml.Node:
    """Text of several lines (a dashboard's body) as a literal block, as template.yaml has it."""
    style = "|" if "\n" in data else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


def _represent_list(dumper: yaml.SafeDumper, data: list[Any]) -> yaml.Node:
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=_is_flat(data))


def _is_flat(items: list[Any]) -> bool:
    return all(isinstance(item, str | int | float) for item in items) and len(str(items)) < 70


_TemplateDumper.add_representer(dict, _represent_mapping)
_TemplateDumper.add_representer(list, _represent_list)
_TemplateDumper.add_representer(str, _represent_text)


def render_template(template: Mapping[str, Any]) -> str:
    body = yaml.dump(
        dict(template),
        Dumper=_TemplateDumper,
        sort_keys=False,
        allow_unicode=True,
        width=100,
        default_flow_style=False,
    )
    return HEADER + "\n".join(_spaced(body.splitlines())) + "\n"


def _spaced(lines: list[str]) -> Iterator[str]:
    """A blank line between top-level sections and between their entries, as in
    template.yaml."""
    for index, line in enumerate(lines):
        section_entry = re.match(r"  [A-Z][A-Za-z0-9]*:$", line)
        after_section_head = index > 0 and not lines[index - 1].startswith(" ")
        if index > 0 and (not line.startswith(" ") or (section_entry and not after_section_head)):
            yield ""
        yield line


def generated_text() -> str:
    return render_template(kafka_template(parse_template(SOURCE_PATH.read_text())))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the file is out of date")
    args = parser.parse_args(argv)
    text = generated_text()
    if args.check:
        current = TEMPLATE_PATH.read_text() if TEMPLATE_PATH.exists() else ""
        if current != text:
            print(
                f"{TEMPLATE_PATH} is out of date: run `python -m infrastructure.kafka.generate`.",
                file=sys.stderr,
            )
            return 1
        return 0
    TEMPLATE_PATH.write_text(text)
    print(f"Wrote {TEMPLATE_PATH.relative_to(REPO_ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
