"""What the emulator's SES sent (which SES would deliver: locally the emulator keeps it),
read at the emulator's own address."""

from __future__ import annotations

from typing import Any

import requests

from localcloud.emulator.access import EmulatorAccess, this_run

SENT_EMAIL_PATH = "/_localcloud/ses/sent-email"
"""GET (?Destination=): the e-mail SES sent, oldest first, each with its send time."""
TIMEOUT_S = 10


def sent_email(
    endpoint_url: str, destination: str = "", access: EmulatorAccess | None = None
) -> list[dict[str, Any]]:
    """Every e-mail SES sent (to one address when `destination` is given), oldest first:
    each with `message_id`, `source`, `to` (the To, Cc and Bcc addresses), `subject`,
    `body` (the HTML part when there is one, else the text) and `sent_at` (epoch seconds).
    `access` is the emulator's run (by default this process's)."""
    answer = requests.get(
        f"{endpoint_url.rstrip('/')}{SENT_EMAIL_PATH}",
        params={"Destination": destination} if destination else {},
        headers=(access or this_run()).control_headers(),
        timeout=TIMEOUT_S,
    )
    answer.raise_for_status()
    return list(answer.json()["Messages"])


SES_FAULTS_PATH = "/_localcloud/ses/faults"
"""POST {"TooManyRequests": N}: the next N SendEmail calls are throttled (for tests);
GET: how many are still to be."""


def throttle_sends(endpoint_url: str, count: int, access: EmulatorAccess | None = None) -> None:
    """The emulator's SES answers the next `count` SendEmail calls with
    TooManyRequestsException (HTTP 429), as SES does over a sending rate; 0 ends it."""
    answer = requests.post(
        f"{endpoint_url.rstrip('/')}{SES_FAULTS_PATH}",
        json={"TooManyRequests": count},
        headers=(access or this_run()).control_headers(),
        timeout=TIMEOUT_S,
    )
    answer.raise_for_status()


def throttled_sends_left(endpoint_url: str, access: EmulatorAccess | None = None) -> int:
    """How many of the SendEmail calls `throttle_sends` asked for are still to be throttled."""
    answer = requests.get(
        f"{endpoint_url.rstrip('/')}{SES_FAULTS_PATH}",
        headers=(access or this_run()).control_headers(),
        timeout=TIMEOUT_S,
    )
    answer.raise_for_status()
    return int(answer.json()["TooManyRequests"])
