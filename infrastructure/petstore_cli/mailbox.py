"""`petstore mailbox USER`: the e-mail the local cloud's SES kept for a shopper (a demo
user's name or an address). Nothing leaves the machine: the emulator keeps every sent
message, and its model data (behind the run's control secret) lists them in order."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Any

import requests

from petstore_cli.demo_users import DEMO_USERS

LOCAL_SENDER = "petstore@example.com"
"""The sender identity `petstore up` gives the template (its SenderEmail)."""
ORDER_ID = re.compile(r"order (?:<strong>)?([0-9A-Za-z-]{8,})")
BLOCK_TAGS = re.compile(r"</?(?:p|h[1-6]|br|div|li|ul|ol|tr|table)\b[^>]*>", re.IGNORECASE)
"""Tags that start a new line of text; every other tag (strong, em, a…) runs on in its line."""
TAGS = re.compile(r"<[^>]+>")


@dataclass(frozen=True)
class MailboxMessage:
    message_id: str
    subject: str
    body: str
    order_id: str | None


def address_of(user: str) -> str:
    """A demo user's address, or the address given."""
    for demo in DEMO_USERS:
        if demo.username == user:
            return demo.email
    return user


def read_mailbox(
    endpoint_url: str, control_headers: dict[str, str], user: str
) -> list[MailboxMessage]:
    address = address_of(user).lower()
    answer = requests.get(f"{endpoint_url}/moto-api/data.json", headers=control_headers, timeout=10)
    answer.raise_for_status()
    sent: list[dict[str, Any]] = answer.json().get("ses", {}).get("Message", [])
    return [
        _message(item)
        for item in sent
        if address in (to.lower() for to in item.get("destinations", {}).get("ToAddresses", []))
    ]


def _message(item: dict[str, Any]) -> MailboxMessage:
    body = str(item.get("body", ""))
    match = ORDER_ID.search(body)
    text = html.unescape(TAGS.sub("", BLOCK_TAGS.sub("\n", body)))
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return MailboxMessage(
        message_id=str(item.get("id", "")),
        subject=str(item.get("subject", "")),
        body="\n".join(lines),
        order_id=match.group(1) if match else None,
    )
