"""AWS/AmazonMQ queue metrics of the local broker, as Amazon MQ publishes them for a
RabbitMQ broker: for every queue of the mappings' virtual hosts (the dead-letter queues
among them), MessageCount (ready and unacknowledged), MessageReadyCount and
ConsumerCount; dimensions Broker (the broker's name), VirtualHost and Queue. Sampled on
the local cloud's monitoring cycle, as Amazon MQ samples them every minute."""

from __future__ import annotations

from datetime import datetime

from localcloud.cloudwatch.metrics import MetricPoint, dimensions_of
from localcloud.event_sources.rabbitmq.mapping import RabbitMQStack

NAMESPACE = "AWS/AmazonMQ"
COLUMNS = {"messages": "MessageCount", "messages_ready": "MessageReadyCount"}
COLUMNS["consumers"] = "ConsumerCount"


def broker_name(arn: str) -> str:
    """The broker's name, from its ARN (arn:...:broker:<name>:<id>)."""
    return arn.split(":")[6] if arn.count(":") >= 7 else ""


class RabbitMQMetricsSampler:
    def __init__(self, rabbitmq: RabbitMQStack) -> None:
        self._rabbitmq = rabbitmq

    def sample(self, at: datetime) -> list[MetricPoint]:
        """Nothing before the local broker runs, or without exactly one broker to name the
        metrics by (an external broker cannot be asked: AMQP lists no queues)."""
        broker = self._rabbitmq.broker
        names = {broker_name(arn) for arn in self._rabbitmq.brokers} - {""}
        if broker is None or len(names) != 1:
            return []
        name = names.pop()
        points = []
        for vhost in self._rabbitmq.virtual_hosts():
            for row in broker.control("list_queues", vhost, "name", *COLUMNS):
                dimensions = dimensions_of(
                    {"Broker": name, "VirtualHost": vhost, "Queue": row["name"]}
                )
                points += [
                    MetricPoint(NAMESPACE, metric, dimensions, (float(row[column]),), "Count", at)
                    for column, metric in COLUMNS.items()
                ]
        return points
