"""The `Custom::KafkaTopics` provider: on Create and Update the declared topics exist on
the cluster (made if missing, grown if short); on Delete they are kept, with their
records, and SUCCESS is answered at once (the stack's deletion then removes the
cluster and its topics with it; a topic left out of an update stays). Every request is
answered, so a failure shows in the stack's events with its reason instead of holding
the stack until its ServiceTimeout."""

from __future__ import annotations

import logging
from typing import Any

from kafka_topics.confluent_admin import ConfluentTopicAdmin
from kafka_topics.custom_resource import CustomResourceRequest, send_response
from kafka_topics.topics import TopicAdmin, ensure_topics, wanted_topics

logger = logging.getLogger(__name__)
logger.setLevel(logging.INFO)
SPARE_MS = 5000
"""Kept back from the invocation's time to answer CloudFormation after a slow broker."""
MAX_ADMIN_TIMEOUT_S = 30.0


def handler(event: dict[str, Any], context: Any) -> None:
    request = CustomResourceRequest.model_validate(event)
    timeout_s = min(MAX_ADMIN_TIMEOUT_S, (context.get_remaining_time_in_millis() - SPARE_MS) / 1000)
    body = answer(request, lambda: ConfluentTopicAdmin.from_environment(max(1.0, timeout_s)))
    send_response(request.response_url, body)


def answer(request: CustomResourceRequest, admin: Any) -> dict[str, Any]:
    """The response to `request`; `admin()` gives the TopicAdmin, only when one is needed."""
    physical_id = request.physical_resource_id or _physical_id(request)
    if request.request_type == "Delete":
        logger.info("Delete: the topics are kept (%s)", physical_id)
        return request.response("SUCCESS", physical_id)
    try:
        topic_admin: TopicAdmin = admin()
        changes = ensure_topics(topic_admin, wanted_topics(request.resource_properties))
    except Exception as error:
        logger.exception("%s of %s failed", request.request_type, request.logical_resource_id)
        return request.response("FAILED", physical_id, f"{type(error).__name__}: {error}")
    logger.info("Topics created: %s; grown: %s", changes.created, changes.grown)
    return request.response("SUCCESS", _physical_id(request))


def _physical_id(request: CustomResourceRequest) -> str:
    """One per cluster: a new cluster is a replacement (the old resource's Delete keeps)."""
    cluster = str(request.resource_properties.get("ClusterArn") or request.stack_id)
    return f"{cluster}/topics"
