"""An idle poller's wait for something to read, at the local cloud's own emulator
(`localcloud.emulator.patches.waits` answers): one request held open instead of AWS's
reads several times a second. Another emulator (AWS_ENDPOINT_URL) has no such address:
there `Waits.available` turns False and the poller reads as Lambda does."""

from __future__ import annotations

import threading
from typing import Any

import requests
from botocore.exceptions import ClientError, EndpointConnectionError, ReadTimeoutError

from localcloud.emulator.access import EmulatorAccess, this_run

SQS_WAIT_PATH = "/_localcloud/waits/sqs"
STREAM_WAIT_PATH = "/_localcloud/waits/dynamodb-streams"
MAX_WAIT_S = 20.0
"""The longest one wait is held (as an SQS long poll)."""
ANSWER_MARGIN_S = 10.0
"""How much longer than its wait the answer may take before the call gives up."""
UNAVAILABLE = (403, 404, 405)
"""What an emulator without these addresses answers."""


class Waits:
    """One poller thread's waits (a connection of its own, kept between waits)."""

    def __init__(self, endpoint_url: str, access: EmulatorAccess | None = None) -> None:
        self._endpoint_url = endpoint_url.rstrip("/")
        self._headers = (access or this_run()).control_headers()
        self._sessions = threading.local()
        self.available = True

    def for_messages(self, queue_arn: str, wait_s: float) -> bool:
        """True as soon as the queue has a message to receive; False after `wait_s`."""
        answer = self._post(SQS_WAIT_PATH, {"QueueArn": queue_arn, "WaitSeconds": wait_s})
        return answer is None or bool(answer["Visible"])

    def for_stream_changes(self, stream_arn: str, since: int | None, wait_s: float) -> int | None:
        """How many records the table's streams have taken, as soon as that is no
        longer `since` (at once for None), or after `wait_s`; None if not available."""
        answer = self._post(
            STREAM_WAIT_PATH, {"StreamArn": stream_arn, "Since": since, "WaitSeconds": wait_s}
        )
        return None if answer is None else int(answer["Changes"])

    def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any] | None:
        """The answer; None (and `available` False) where the emulator has no waits."""
        if not self.available:
            return None
        session: requests.Session | None = getattr(self._sessions, "session", None)
        if session is None:
            session = self._sessions.session = requests.Session()
        url = f"{self._endpoint_url}{path}"
        try:
            answer = session.post(
                url,
                json=body,
                headers=self._headers,
                timeout=(5, float(body["WaitSeconds"]) + ANSWER_MARGIN_S),
            )
        except requests.Timeout as error:
            raise ReadTimeoutError(endpoint_url=url, error=error) from error
        except requests.ConnectionError as error:
            raise EndpointConnectionError(endpoint_url=url, error=error) from error
        if answer.status_code in UNAVAILABLE:
            self.available = False
            return None
        result: dict[str, Any] = answer.json()
        if answer.status_code != 200:
            # As the AWS call the poller makes next would fail (a queue deleted, say).
            code, message = str(result.get("__type", "")), str(result.get("message", ""))
            raise ClientError(
                {"Error": {"Code": code, "Message": message}}, path.rsplit("/", 1)[-1]
            )
        return result
