"""The Kafka template creates on AWS: its topics are made by a Lambda-backed custom
resource (MSK Serverless has no AWS::MSK::Topic), whose function may do exactly that,
everything that reads or writes a topic waits for it, and its Rules use only the
functions CloudFormation accepts in rules."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from localcloud.cloudformation.template import parse_template, transform_template
from support.function_aliases import invoked_function

REPO_ROOT = Path(__file__).resolve().parents[3]
KAFKA_TEMPLATE = REPO_ROOT / "infrastructure" / "kafka" / "template.yaml"
RULE_FUNCTIONS = frozenset(
    {
        "Fn::And",
        "Fn::Contains",
        "Fn::EachMemberEquals",
        "Fn::EachMemberIn",
        "Fn::Equals",
        "Fn::Not",
        "Fn::Or",
        "Fn::RefAll",
        "Fn::ValueOf",
        "Fn::ValueOfAll",
        "Ref",
    }
)
"""The rule functions of CloudFormation's template reference: nothing else is accepted."""
TOPIC_ADMIN_ACTIONS = {
    "kafka-cluster:CreateTopic",
    "kafka-cluster:DescribeTopic",
    "kafka-cluster:AlterTopic",
}

TEMPLATE = parse_template(KAFKA_TEMPLATE.read_text())
RESOURCES: dict[str, Any] = TEMPLATE["Resources"]


def _topics_resource() -> dict[str, Any]:
    [resource] = [r for r in RESOURCES.values() if r["Type"] == "Custom::KafkaTopics"]
    return resource


def _functions_used_in(rules: Any) -> Iterator[str]:
    if isinstance(rules, dict):
        for key, value in rules.items():
            if key == "Ref" or key.startswith("Fn::"):
                yield key
            yield from _functions_used_in(value)
    elif isinstance(rules, list):
        for item in rules:
            yield from _functions_used_in(item)


def test_no_msk_topic_resource_remains_the_topics_are_a_custom_resource() -> None:
    assert not [r for r in RESOURCES.values() if r["Type"] == "AWS::MSK::Topic"]
    assert "AWS::MSK::Topic\n" not in KAFKA_TEMPLATE.read_text()
    properties = _topics_resource()["Properties"]
    assert properties["ServiceToken"] == {"Fn::GetAtt": ["KafkaTopicsFunction", "Arn"]}
    assert properties["ClusterArn"] == {"Ref": "KafkaCluster"}
    assert 1 <= properties["ServiceTimeout"] <= 3600


def test_the_custom_resource_makes_every_topic_the_event_sources_read_or_fail_to() -> None:
    made = {topic["Name"] for topic in _topics_resource()["Properties"]["Topics"]}
    used = set()
    for resource in RESOURCES.values():
        for event in (resource.get("Properties", {}).get("Events") or {}).values():
            if event["Type"] == "MSK":
                source = event["Properties"]
                used.update(source["Topics"])
                destination = source["DestinationConfig"]["OnFailure"]["Destination"]
                used.add(destination.removeprefix("kafka://"))

    assert used <= made
    assert {"orders", "payments", "notifications"} <= made
    assert len(used) == 10 and len(made) == 11  # notifications is written, not read


def test_the_topics_function_is_in_the_clusters_network_with_leave_to_make_topics() -> None:
    function = RESOURCES["KafkaTopicsFunction"]["Properties"]
    [policy] = function["Policies"]
    actions = {
        action: statement["Resource"]
        for statement in policy["Statement"]
        for action in statement["Action"]
    }

    assert function["Environment"]["Variables"]["KAFKA_CLUSTER_ARN"] == {"Ref": "KafkaCluster"}
    assert function["VpcConfig"]["Fn::If"][1] == {
        "SubnetIds": {"Ref": "KafkaSubnetIds"},
        "SecurityGroupIds": {"Ref": "KafkaSecurityGroupIds"},
    }
    assert actions["kafka-cluster:Connect"] == {"Ref": "KafkaCluster"}
    assert actions["kafka:GetBootstrapBrokers"] == {"Ref": "KafkaCluster"}
    topic_arns = [actions[action] for action in TOPIC_ADMIN_ACTIONS]
    assert all(arns == topic_arns[0] for arns in topic_arns)
    named = [arn["Fn::Sub"][0].rsplit("/", 1)[1] for arn in topic_arns[0]]
    assert sorted(named) == sorted(t["Name"] for t in _topics_resource()["Properties"]["Topics"])
    assert "*" not in str(policy)


def _reads_or_writes_a_topic(logical_id: str, resource: dict[str, Any]) -> bool:
    if resource["Type"] != "AWS::Serverless::Function" or logical_id == "KafkaTopicsFunction":
        return False
    properties = resource["Properties"]
    variables = (properties.get("Environment") or {}).get("Variables") or {}
    events = (properties.get("Events") or {}).values()
    return "KAFKA_CLUSTER_ARN" in variables or any(e["Type"] == "MSK" for e in events)


def test_every_function_that_reads_or_writes_a_topic_waits_for_the_topics() -> None:
    kafka_functions = [
        logical_id
        for logical_id, resource in RESOURCES.items()
        if _reads_or_writes_a_topic(logical_id, resource)
    ]

    assert len(kafka_functions) >= 11
    for logical_id in kafka_functions:
        assert "KafkaTopics" in RESOURCES[logical_id]["DependsOn"], logical_id


def test_the_event_source_mappings_depend_on_the_topics_after_the_sam_transform() -> None:
    transformed = transform_template(TEMPLATE, KAFKA_TEMPLATE.parent, region="us-east-1")
    resources = transformed.template["Resources"]
    mappings = [r for r in resources.values() if r["Type"] == "AWS::Lambda::EventSourceMapping"]
    kafka_mappings = [m for m in mappings if "Topics" in m["Properties"]]

    assert len(kafka_mappings) == 8
    for mapping in kafka_mappings:
        function = invoked_function(mapping["Properties"]["FunctionName"], resources)
        assert "KafkaTopics" in resources[function]["DependsOn"], function


def test_the_rules_use_only_rule_functions() -> None:
    for template in (TEMPLATE, parse_template((REPO_ROOT / "template.yaml").read_text())):
        used = set(_functions_used_in(template.get("Rules") or {}))

        assert used, "the template has rules"
        assert used <= RULE_FUNCTIONS, used - RULE_FUNCTIONS


def test_the_kafka_network_rule_refuses_the_parameters_default() -> None:
    assertions = TEMPLATE["Rules"]["KafkaNetworkRequired"]["Assertions"]

    assert [a["Assert"] for a in assertions] == [
        {"Fn::Not": [{"Fn::Contains": [{"Ref": name}, ""]}]}
        for name in ("KafkaSubnetIds", "KafkaSecurityGroupIds")
    ]
    assert all(TEMPLATE["Parameters"][name]["Default"] == "" for name in ("KafkaSubnetIds",))
