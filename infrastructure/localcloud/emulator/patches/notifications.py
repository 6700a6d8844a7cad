"""SNS notifications as AWS sends them: signed with the topic's signature version.

A topic signs with SHA1 (`SignatureVersion` "1") unless its `SignatureVersion`
attribute says "2". moto always signs with SHA256 and says "2", because the
cryptography library no longer signs certificates with SHA1; the message itself
can still be signed with SHA1, with the same key.
"""

from __future__ import annotations

import base64
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from moto.sns.models import Subscription, Topic

MOTO_GET_POST_DATA = Subscription.get_post_data
DEFAULT_SIGNATURE_VERSION = "1"


def get_post_data(self: Subscription, *args: Any, **kwargs: Any) -> dict[str, Any]:
    envelope: dict[str, Any] = MOTO_GET_POST_DATA(self, *args, **kwargs)
    version = topic_signature_version(self.topic)
    if version == "1":
        signature = self.private_key().sign(
            string_to_sign(envelope).encode(), padding.PKCS1v15(), hashes.SHA1()
        )
        envelope["Signature"] = base64.b64encode(signature).decode()
        envelope["SignatureVersion"] = version
    return envelope


def topic_signature_version(topic: Topic) -> str:
    # moto keeps CreateTopic's attributes under snake_case names and
    # SetTopicAttributes' under the names given; the later setting wins.
    set_later = getattr(topic, "SignatureVersion", None)
    created_with = getattr(topic, "signature_version", None)
    return str(set_later or created_with or DEFAULT_SIGNATURE_VERSION)


def string_to_sign(envelope: dict[str, Any]) -> str:
    """The text SNS signs for a notification: these fields' names and values, one a
    line, in this order, Subject only when there is one."""
    names = ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type")
    return "".join(f"{name}\n{envelope[name]}\n" for name in names if name in envelope)


def install() -> None:
    Subscription.get_post_data = get_post_data  # type: ignore[method-assign]
