"""SES's sent e-mail with the time it was sent, at the emulator's own address.

moto keeps each message SES accepted (v1 and v2 share the store) without a send time, and
lists them only inside its whole model dump. Here each message records when it was sent,
and GET `SENT_EMAIL_PATH` (?Destination=) lists them, oldest first: the local stand-in for
the recipients' inboxes.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs

from localcloud.emulator.ses import SENT_EMAIL_PATH

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def install() -> None:
    from moto.ses.models import Message, RawMessage, TemplateMessage

    kind: Any
    for kind in (Message, RawMessage, TemplateMessage):
        if getattr(kind, "localcloud_timed", False):
            continue
        kind.__init__ = _timed(kind.__init__)
        kind.localcloud_timed = True


def _timed(init: Callable[..., None]) -> Callable[..., None]:
    def timed_init(self: Any, *args: Any, **kwargs: Any) -> None:
        init(self, *args, **kwargs)
        self.sent_at = time.time()

    return timed_init


class ServeSentEmail:
    def __init__(self, app: WsgiApp) -> None:
        self._app = app

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        if environ.get("PATH_INFO") != SENT_EMAIL_PATH or environ.get("REQUEST_METHOD") != "GET":
            return self._app(environ, start_response)
        query = parse_qs(environ.get("QUERY_STRING", ""))
        wanted = (query.get("Destination") or [""])[-1].lower()
        listed = [
            message
            for message in _every_message()
            if not wanted or wanted in (address.lower() for address in message["to"])
        ]
        payload = json.dumps({"Messages": sorted(listed, key=lambda m: m["sent_at"])}).encode()
        start_response(
            "200 OK",
            [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))],
        )
        return [payload]


def _every_message() -> Iterable[dict[str, Any]]:
    from moto.ses.models import ses_backends

    for regions in list(ses_backends.values()):
        for backend in list(regions.values()):
            for message in list(backend.sent_messages):
                yield _listed(message)


def _listed(message: Any) -> dict[str, Any]:
    destinations = getattr(message, "destinations", {})
    if isinstance(destinations, dict):
        to = [address for addresses in destinations.values() for address in addresses]
    else:  # a raw message's destinations are one list
        to = list(destinations or [])
    return {
        "message_id": message.id,
        "source": message.source,
        "to": to,
        "subject": getattr(message, "subject", ""),
        "body": getattr(message, "body", None)
        or getattr(message, "raw_data", None)
        or f"(template {getattr(message, 'template', '')})",
        "sent_at": getattr(message, "sent_at", 0.0),
    }
