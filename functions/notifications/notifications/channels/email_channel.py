"""The e-mail channel: each notification as one e-mail through Amazon SES (v2), from the
store's sender identity to the shopper's verified address in the user pool.

One e-mail per notification however often it is delivered: the send is claimed on the
notification's item first (`EmailDeliveries`). SES throttling or an outage gives the claim
back and raises, so the retry sends it; an e-mail that cannot go (SES rejects the address,
a template lacks a field) is recorded FAILED with the reason and raises every time, so
its record ends in the dead-letter queue rather than being tried forever.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from typing import Any

from botocore.exceptions import ClientError

from notifications.dal.email_deliveries import (
    EmailDeliveries,
    EmailRecord,
    EmailStatus,
    email_deliveries_from_environment,
)
from notifications.dal.shopper_addresses import ShopperAddresses
from notifications.logic.render_email import EmailNotRenderable, render_email
from notifications.models import Notification
from notifications.settings import EmailSettings
from petstore_shared.aws_clients import cognito_client, sesv2_client
from petstore_shared.observability import logger
from petstore_shared.settings import load_settings

REFUSALS = frozenset(
    {
        "MessageRejected",
        "BadRequestException",
        "NotFoundException",
        "MailFromDomainNotVerifiedException",
    }
)
"""SES errors that a retry of the same e-mail meets again."""


class EmailNotSent(Exception):
    """The notification's e-mail cannot go; retrying will not change that."""


class EmailBeingSent(Exception):
    """Another delivery of the notification is sending its e-mail right now."""


class EmailChannel:
    def __init__(
        self,
        *,
        ses: Any,
        addresses: ShopperAddresses,
        deliveries: EmailDeliveries,
        sender: str,
        configuration_set: str = "",
    ) -> None:
        self._ses = ses
        self._addresses = addresses
        self._deliveries = deliveries
        self._sender = sender
        self._configuration_set = configuration_set

    def deliver(self, notification: Notification) -> None:
        notification_id = notification.notification_id
        recorded = self._deliveries.claim(notification_id, datetime.now(UTC))
        if recorded is not None:
            _repeat(notification_id, recorded)
            return
        address = self._addresses.verified_email(notification.user_id)
        reason = self._why_not_to(address)
        if address is None or reason is not None:
            self._skip(notification, reason or "the shopper has no verified e-mail address")
            return
        try:
            message_id = self._send(notification, address)
        except (EmailNotRenderable, EmailNotSent) as error:
            self._deliveries.record_outcome(notification_id, EmailStatus.FAILED, str(error))
            logger.error("E-mail not sent", extra=_about(notification, str(error)))
            raise EmailNotSent(str(error)) from error
        except Exception:
            self._deliveries.release(notification_id)
            raise
        self._deliveries.record_sent(notification_id, message_id)
        logger.info("E-mail sent", extra={**_about(notification), "ses_message_id": message_id})

    def _why_not_to(self, address: str | None) -> str | None:
        if address is None:
            return None
        reason = self._deliveries.undeliverable_reason(address)
        return f"the shopper's address is not deliverable ({reason})" if reason else None

    def _skip(self, notification: Notification, reason: str) -> None:
        self._deliveries.record_outcome(notification.notification_id, EmailStatus.SKIPPED, reason)
        logger.info("No e-mail sent", extra=_about(notification, reason))

    def _send(self, notification: Notification, address: str) -> str:
        email = render_email(notification)
        request: dict[str, Any] = {
            "FromEmailAddress": self._sender,
            "Destination": {"ToAddresses": [address]},
            "Content": {
                "Simple": {
                    "Subject": {"Data": email.subject, "Charset": "UTF-8"},
                    "Body": {
                        "Text": {"Data": email.text, "Charset": "UTF-8"},
                        "Html": {"Data": email.html, "Charset": "UTF-8"},
                    },
                }
            },
            "EmailTags": [{"Name": "notification", "Value": notification.notification_id}],
        }
        if self._configuration_set:
            request["ConfigurationSetName"] = self._configuration_set
        try:
            return str(self._ses.send_email(**request)["MessageId"])
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "")
            if code in REFUSALS:
                message = error.response.get("Error", {}).get("Message", "")
                raise EmailNotSent(f"SES refused the e-mail: {code} {message}".strip()) from error
            raise


def _repeat(notification_id: str, recorded: EmailRecord) -> None:
    """A notification whose e-mail was handled before: nothing to send again."""
    if recorded.status is EmailStatus.FAILED:
        raise EmailNotSent(recorded.reason or "the e-mail failed before")
    if recorded.status is EmailStatus.SENDING:
        raise EmailBeingSent(f"the e-mail of notification {notification_id} is being sent")


def _about(notification: Notification, reason: str | None = None) -> dict[str, Any]:
    about: dict[str, Any] = {
        "notification_id": notification.notification_id,
        "user_id": notification.user_id,
        "order_id": notification.order_id,
    }
    if reason is not None:
        about["reason"] = reason
    return about


@cache
def email_channel_from_environment() -> EmailChannel | None:
    """The e-mail channel, or None when no sender identity is configured."""
    settings = load_settings(EmailSettings)
    if not settings.sender_email:
        return None
    return EmailChannel(
        ses=sesv2_client(),
        addresses=ShopperAddresses(cognito_client(), settings.user_pool_id),
        deliveries=email_deliveries_from_environment(),
        sender=settings.sender_email,
        configuration_set=settings.configuration_set,
    )
