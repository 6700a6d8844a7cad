"""Where the emulator's Cognito keeps what Cognito serves at its own addresses, and what
it sends to users (which Cognito e-mails: locally the emulator keeps it)."""

from __future__ import annotations

from typing import Any

import requests

from localcloud.emulator.access import EmulatorAccess, this_run

SENT_MESSAGES_PATH = "/_localcloud/cognito-idp/sent-messages"
"""GET: the messages the emulated user pools sent (confirmation codes, invitations)."""
EXPIRE_CODES_PATH = "/_localcloud/cognito-idp/expire-codes"
"""POST: a user's pending confirmation code expires now (for tests)."""
TIMEOUT_S = 10


class NoSentMessagesError(Exception):
    """The endpoint is not the local cloud's emulator, which alone keeps sent messages."""


def jwks_url(endpoint_url: str, pool_id: str) -> str:
    """A user pool's token signing keys. Cognito serves them at
    `https://cognito-idp.<region>.amazonaws.com/<pool_id>/.well-known/jwks.json`; the
    emulator at the same path under its own endpoint, each pool with the key pair it made
    for this run (`localcloud.emulator.patches.signing_keys`)."""
    return f"{endpoint_url.rstrip('/')}/{pool_id}/.well-known/jwks.json"


def sent_messages(
    endpoint_url: str, pool_id: str, destination: str, access: EmulatorAccess | None = None
) -> list[dict[str, Any]]:
    """What the pool sent to an e-mail address, oldest first: each with `kind` ("sign-up"
    or "invitation"), `subject`, `body`, `code`, `sent_at` and `expires_at`. `access` is
    the emulator's run (by default this process's)."""
    answer = requests.get(
        f"{endpoint_url.rstrip('/')}{SENT_MESSAGES_PATH}",
        params={"UserPoolId": pool_id, "Destination": destination},
        headers=(access or this_run()).control_headers(),
        timeout=TIMEOUT_S,
    )
    if answer.status_code != 200:
        raise NoSentMessagesError(
            f"{endpoint_url} keeps no sent Cognito messages (HTTP {answer.status_code}): "
            "only the local cloud's own emulator does."
        )
    return list(answer.json()["Messages"])


def expire_confirmation_code(endpoint_url: str, pool_id: str, username: str) -> None:
    """The user's pending sign-up code expires now, as 24 hours later on AWS."""
    answer = requests.post(
        f"{endpoint_url.rstrip('/')}{EXPIRE_CODES_PATH}",
        json={"UserPoolId": pool_id, "Username": username},
        headers=this_run().control_headers(),
        timeout=TIMEOUT_S,
    )
    answer.raise_for_status()
