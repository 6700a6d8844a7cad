"""SES's mailbox simulator and configuration-set event publishing, and SES outages on
demand, in the emulator's SES (v2).

On AWS, e-mail to the mailbox simulator's addresses comes back as a bounce
(`bounce@simulator.amazonses.com`) or a complaint (`complaint@simulator.amazonses.com`),
and a configuration set's SNS event destination receives each such event in SES's event
publishing format. moto delivers everything and keeps configuration-set event
destinations without acting on them. Here a SendEmail through a configuration set (given
in the request, or the sender identity's default) publishes the simulator's bounces and
complaints to the set's enabled SNS destinations whose matching event types include them.

POST `SES_FAULTS_PATH` with {"TooManyRequests": N} makes the next N SendEmail calls
answer `TooManyRequestsException` (HTTP 429), as SES does when a sending rate is exceeded
(for tests of what a caller does then); GET tells how many are left.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from moto.core.exceptions import JsonRESTError

from localcloud.emulator.ses import SES_FAULTS_PATH

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
SIMULATED = {
    "bounce@simulator.amazonses.com": "Bounce",
    "complaint@simulator.amazonses.com": "Complaint",
}
"""The mailbox simulator's addresses whose e-mail comes back, and as what."""

_faults_lock = threading.Lock()
_throttled_sends = 0


class TooManyRequests(JsonRESTError):
    code = 429

    def __init__(self) -> None:
        super().__init__("TooManyRequestsException", "Maximum sending rate exceeded.")


def install() -> None:
    from moto.sesv2.responses import SESV2Response

    if getattr(SESV2Response, "localcloud_simulated", False):
        return
    send_email = SESV2Response.send_email

    def simulated_send_email(self: SESV2Response) -> str:
        _raise_if_throttled()
        answer = send_email(self)
        request = json.loads(self.body)
        _publish_feedback(self, request, json.loads(answer)["MessageId"])
        return answer

    SESV2Response.send_email = simulated_send_email  # type: ignore[method-assign]
    SESV2Response.localcloud_simulated = True  # type: ignore[attr-defined]


def _raise_if_throttled() -> None:
    global _throttled_sends
    with _faults_lock:
        if _throttled_sends > 0:
            _throttled_sends -= 1
            raise TooManyRequests()


def _publish_feedback(response: Any, request: dict[str, Any], message_id: str) -> None:
    from moto.ses.models import ses_backends
    from moto.sns.models import sns_backends

    backend = ses_backends[response.current_account][response.region]
    source = str(request.get("FromEmailAddress", ""))
    configuration_set = str(
        request.get("ConfigurationSetName") or _default_set(backend, source) or ""
    )
    destination = backend.config_set_event_destination.get(configuration_set)
    if not destination or not _enabled(destination):
        return
    recipients = _recipients(request.get("Destination") or {})
    matching = {str(kind).lower() for kind in _list(destination.get("MatchingEventTypes"))}
    topic_arn = (destination.get("SNSDestination") or {}).get("TopicARN")
    if not topic_arn:
        return
    for recipient in recipients:
        kind = SIMULATED.get(recipient.lower())
        if kind is None or kind.lower() not in matching:
            continue
        event = _event(kind, recipient, source, recipients, message_id, configuration_set)
        sns = sns_backends[response.current_account][response.region]
        sns.publish(json.dumps(event), arn=topic_arn)


def _default_set(backend: Any, source: str) -> str | None:
    for identity in (source, source.partition("@")[2]):
        found = backend.email_identities.get(identity)
        if found is not None and getattr(found, "configuration_set_name", None):
            return str(found.configuration_set_name)
    return None


def _enabled(destination: dict[str, Any]) -> bool:
    return str(destination.get("Enabled", "true")).lower() == "true"


def _list(value: Any) -> list[Any]:
    """moto keeps query-protocol lists either as lists or as {"member": [...]}."""
    if isinstance(value, dict):
        value = value.get("member", [])
    return list(value) if isinstance(value, list) else [value] if value else []


def _recipients(destination: dict[str, Any]) -> list[str]:
    return [
        str(address)
        for part in ("ToAddresses", "CcAddresses", "BccAddresses")
        for address in destination.get(part, [])
    ]


def _event(
    kind: str,
    recipient: str,
    source: str,
    recipients: list[str],
    message_id: str,
    configuration_set: str,
) -> dict[str, Any]:
    """One event in SES's event publishing format (the SNS message's body)."""
    now = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    mail = {
        "timestamp": now,
        "source": source,
        "messageId": message_id,
        "destination": recipients,
        "headersTruncated": False,
        "tags": {"ses:configuration-set": [configuration_set]},
    }
    feedback_id = f"{uuid.uuid4()}-000000"
    if kind == "Bounce":
        return {
            "eventType": "Bounce",
            "mail": mail,
            "bounce": {
                "bounceType": "Permanent",
                "bounceSubType": "General",
                "bouncedRecipients": [
                    {
                        "emailAddress": recipient,
                        "action": "failed",
                        "status": "5.1.1",
                        "diagnosticCode": "smtp; 550 5.1.1 user unknown",
                    }
                ],
                "timestamp": now,
                "feedbackId": feedback_id,
                "reportingMTA": "dns; simulator.amazonses.com",
            },
        }
    return {
        "eventType": "Complaint",
        "mail": mail,
        "complaint": {
            "complainedRecipients": [{"emailAddress": recipient}],
            "timestamp": now,
            "feedbackId": feedback_id,
            "complaintFeedbackType": "abuse",
            "userAgent": "Amazon SES Mailbox Simulator",
        },
    }


class ServeSesFaults:
    def __init__(self, app: WsgiApp) -> None:
        self._app = app

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        global _throttled_sends
        method = environ.get("REQUEST_METHOD")
        if environ.get("PATH_INFO") != SES_FAULTS_PATH or method not in ("GET", "POST"):
            return self._app(environ, start_response)
        if method == "POST":
            length = int(environ.get("CONTENT_LENGTH") or 0)
            request = json.loads(environ["wsgi.input"].read(length) or b"{}")
            with _faults_lock:
                _throttled_sends = max(0, int(request.get("TooManyRequests", 0)))
        payload = json.dumps({"TooManyRequests": _throttled_sends}).encode()
        start_response(
            "200 OK",
            [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))],
        )
        return [payload]
