"""The `Custom::RabbitMQTopology` provider: on Create and Update the exchange, queues and
bindings are declared on the broker; on Delete they are kept, with their messages
(deleting the stack deletes the broker). Every request is answered, so a failure shows in
the stack's events with its reason."""

from __future__ import annotations

import logging
from typing import Any

from petstore_shared.events.rabbitmq_bus import RabbitMQSettings, broker_url
from petstore_shared.settings import load_settings
from rabbitmq_topology.custom_resource import CustomResourceRequest, send_response
from rabbitmq_topology.topology import declare, wanted_topology

logger = logging.getLogger(__name__)
logger.setLevel(logging.INFO)
CONNECT_TIMEOUT_S = 10.0


def handler(event: dict[str, Any], context: Any) -> None:
    request = CustomResourceRequest.model_validate(event)
    send_response(request.response_url, answer(request))


def answer(request: CustomResourceRequest) -> dict[str, Any]:
    physical_id = request.physical_resource_id or _physical_id(request)
    if request.request_type == "Delete":
        logger.info("Delete: the exchange and queues are kept (%s)", physical_id)
        return request.response("SUCCESS", physical_id)
    try:
        declared = _declare(request)
    except Exception as error:
        logger.exception("%s of %s failed", request.request_type, request.logical_resource_id)
        return request.response("FAILED", physical_id, f"{type(error).__name__}: {error}")
    logger.info("Declared: %s", ", ".join(declared))
    return request.response("SUCCESS", _physical_id(request))


def _declare(request: CustomResourceRequest) -> list[str]:
    import pika

    topology = wanted_topology(request.resource_properties)
    parameters = pika.URLParameters(broker_url(load_settings(RabbitMQSettings)))
    parameters.socket_timeout = CONNECT_TIMEOUT_S
    parameters.connection_attempts = 3
    connection = pika.BlockingConnection(parameters)
    try:
        return declare(connection.channel(), topology)
    finally:
        connection.close()


def _physical_id(request: CustomResourceRequest) -> str:
    broker = str(request.resource_properties.get("BrokerArn") or request.stack_id)
    return f"{broker}/topology"
