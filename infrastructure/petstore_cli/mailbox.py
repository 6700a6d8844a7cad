"""The local mailbox: the e-mail the local cloud sent a shopper, read back.

Nothing leaves the machine: the emulator keeps what SES sent (order and payment e-mail)
and what Cognito sent (sign-up codes, invitations). `petstore mailbox USER` (a demo user's
name or an address) prints one address's messages, oldest first; the local API serves
every address's at /_mailbox."""

from __future__ import annotations

import html
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from localcloud.emulator.access import EmulatorAccess
from localcloud.emulator.cognito import sent_messages
from localcloud.emulator.ses import sent_email
from petstore_cli.demo_users import DEMO_USERS

LOCAL_SENDER = "petstore@example.com"
"""The sender identity `petstore up` gives the template (its SenderEmail)."""
COGNITO_SENDER = "no-reply@verificationemail.com"
"""Cognito's default sender (a pool without an SES configuration sends as this)."""
ORDER_ID = re.compile(r"order (?:<strong>)?([0-9A-Za-z-]{8,})")
BLOCK_TAGS = re.compile(r"</?(?:p|h[1-6]|br|div|li|ul|ol|tr|table)\b[^>]*>", re.IGNORECASE)
"""Tags that start a new line of text; every other tag (strong, em, a…) runs on in its line."""
TAGS = re.compile(r"<[^>]+>")

Page = tuple[int, dict[str, str], bytes]


@dataclass(frozen=True)
class MailboxMessage:
    message_id: str
    sender: str
    to: str
    subject: str
    body: str
    order_id: str | None
    sent_at: float

    def sent_time(self) -> str:
        return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(self.sent_at))


def address_of(user: str) -> str:
    """A demo user's address, or the address given."""
    for demo in DEMO_USERS:
        if demo.username == user:
            return demo.email
    return user


def read_mailbox(
    endpoint_url: str, access: EmulatorAccess, pool_id: str, user: str = ""
) -> list[MailboxMessage]:
    """The e-mail SES and the user pool sent to `user` (every address when empty), oldest
    first."""
    address = address_of(user).lower() if user else ""
    messages = [_message(item) for item in sent_email(endpoint_url, address, access)]
    messages += [
        _cognito_message(item) for item in sent_messages(endpoint_url, pool_id, address, access)
    ]
    return sorted(messages, key=lambda message: message.sent_at)


def _message(item: dict[str, Any]) -> MailboxMessage:
    body = str(item.get("body", ""))
    match = ORDER_ID.search(body)
    text = html.unescape(TAGS.sub("", BLOCK_TAGS.sub("\n", body)))
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return MailboxMessage(
        message_id=str(item.get("message_id", "")),
        sender=str(item.get("source", "")),
        to=", ".join(item.get("to", [])),
        subject=str(item.get("subject", "")),
        body="\n".join(lines),
        order_id=match.group(1) if match else None,
        sent_at=float(item.get("sent_at", 0.0)),
    )


def _cognito_message(item: dict[str, Any]) -> MailboxMessage:
    return MailboxMessage(
        message_id=f"cognito-{item['kind']}-{item['sent_at']}",
        sender=COGNITO_SENDER,
        to=str(item["destination"]),
        subject=str(item["subject"]),
        body=str(item["body"]),
        order_id=None,
        sent_at=float(item["sent_at"]),
    )


def printed(message: MailboxMessage) -> str:
    heading = f"--- {message.subject}  (order {message.order_id or '-'}, id {message.message_id})"
    return f"{heading}\n{message.sent_time()}  from {message.sender}\n{message.body}\n"


def mailbox_page(read: Callable[[], list[MailboxMessage]]) -> Callable[[], Page]:
    """/_mailbox: every message the local cloud sent, newest first, as a page."""

    def page() -> Page:
        rows = "\n".join(_page_row(message) for message in reversed(read()))
        body = MAILBOX_PAGE.format(rows=rows or EMPTY_ROW)
        return 200, {"Content-Type": "text/html; charset=utf-8"}, body.encode()

    return page


def _page_row(message: MailboxMessage) -> str:
    cells = (
        message.sent_time(),
        message.to,
        message.subject,
        message.order_id or "",
    )
    text = "".join(f"<td>{html.escape(cell)}</td>" for cell in cells)
    return f"<tr>{text}<td><pre>{html.escape(message.body)}</pre></td></tr>"


EMPTY_ROW = '<tr><td colspan="5">Nothing sent yet.</td></tr>'
MAILBOX_PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Local mailbox</title>
  <style>
    body {{ font-family: sans-serif; margin: 1.5rem; }}
    table {{ border-collapse: collapse; width: 100%; }}
    th, td {{ border-bottom: 1px solid #ddd; padding: .4rem; text-align: left;
              vertical-align: top; }}
    pre {{ margin: 0; white-space: pre-wrap; font-family: inherit; }}
  </style>
</head>
<body>
  <h1>Local mailbox</h1>
  <p>What SES and Cognito sent, newest first. Nothing leaves this machine.
     <a href="/_dashboard">Dashboard</a></p>
  <table>
    <tr><th>Sent</th><th>To</th><th>Subject</th><th>Order</th><th>Text</th></tr>
{rows}
  </table>
</body>
</html>
"""
