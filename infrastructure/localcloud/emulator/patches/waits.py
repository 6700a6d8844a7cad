"""Waits for the local cloud's pollers: an idle poller asks the emulator once to be
answered when there is something to read, instead of asking AWS's APIs several times a
second (Lambda reads an SQS queue with 20-second long polls and each stream shard four
times a second; signed over HTTP to the emulator, that was most of an idle local
cloud's CPU).

A wait only looks: it receives nothing and moves no iterator, so a poller stopped while
its wait is open changes nothing when the wait ends. A reset (`/moto-api/reset`) ends
every open wait: the queues and tables waited on are gone, and the pollers that asked are
being stopped; left open, each reset's waits would hold a server thread for up to
MAX_WAIT_S.

- POST `SQS_WAIT_PATH` {"QueueArn", "WaitSeconds"} → {"Visible": bool}: answered as soon
  as the queue has a message a ReceiveMessage would return, or after WaitSeconds.
- POST `STREAM_WAIT_PATH` {"StreamArn", "Since", "WaitSeconds"} → {"Changes": n}: n counts
  every record the table's streams have taken since the emulator started; answered as
  soon as it differs from Since (at once when Since is null), or after WaitSeconds.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

from localcloud.emulator.waits import MAX_WAIT_S, SQS_WAIT_PATH, STREAM_WAIT_PATH

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
IN_FLIGHT_RECHECK_S = 0.2
"""How often a queue whose messages are all in flight or delayed is looked at again: a
message becomes visible when its timeout passes, which nothing announces."""
MAX_BODY_BYTES = 4096

_stream_changes: Counter[str] = Counter()
"""Records each table's streams have taken, by table ARN."""
_stream_changed = threading.Condition()
_resets = 0
"""How many times the emulator was reset (changed under `_stream_changed`)."""
_queue_waits: Counter[threading.Condition] = Counter()
"""The locks of the queues with an open wait, and how many waits each has."""
_queue_waits_lock = threading.Lock()


class WaitRefused(Exception):
    def __init__(self, status: str, error_type: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.error_type = error_type


def install() -> None:
    _count_stream_records()
    _wake_waits_on_deleted_queues()
    _end_waits_on_reset()


def _count_stream_records() -> None:
    from moto.dynamodb.models.table import StreamShard

    if getattr(StreamShard, "localcloud_counted", False):
        return
    moto_add = StreamShard.add

    def add(self: StreamShard, old: Any, new: Any) -> None:
        moto_add(self, old, new)
        with _stream_changed:
            _stream_changes[self.table.table_arn] += 1
            _stream_changed.notify_all()

    StreamShard.add = add  # type: ignore[method-assign]
    StreamShard.localcloud_counted = True  # type: ignore[attr-defined]


def _wake_waits_on_deleted_queues() -> None:
    """A wait on a queue that is deleted ends at once with the error a receive gets."""
    from moto.sqs.models import SQSBackend

    if getattr(SQSBackend, "localcloud_wakes_waits", False):
        return
    moto_delete = SQSBackend.delete_queue

    def delete_queue(self: SQSBackend, queue_name: str) -> None:
        queue = self.queues.get(queue_name)
        moto_delete(self, queue_name)
        if queue is not None:
            with queue._messages_lock:
                queue._messages_lock.notify_all()

    SQSBackend.delete_queue = delete_queue  # type: ignore[method-assign]
    SQSBackend.localcloud_wakes_waits = True  # type: ignore[attr-defined]


def _end_waits_on_reset() -> None:
    from moto.core.base_backend import BackendDict

    if getattr(BackendDict, "localcloud_ends_waits", False):
        return
    moto_reset = BackendDict.reset

    def reset(cls: type[BackendDict]) -> None:
        global _resets
        moto_reset()
        with _stream_changed:
            _resets += 1
            _stream_changed.notify_all()
        with _queue_waits_lock:
            locks = list(_queue_waits)
        for lock in locks:
            with lock:
                lock.notify_all()

    BackendDict.reset = classmethod(reset)  # type: ignore[method-assign,assignment]
    BackendDict.localcloud_ends_waits = True  # type: ignore[attr-defined]


class ServeWaits:
    def __init__(self, app: WsgiApp) -> None:
        self._app = app

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        path = environ.get("PATH_INFO")
        wait = {SQS_WAIT_PATH: _wait_for_queue, STREAM_WAIT_PATH: _wait_for_stream}.get(path or "")
        if wait is None or environ.get("REQUEST_METHOD") != "POST":
            return self._app(environ, start_response)
        try:
            answer = wait(_request_of(environ))
            status = "200 OK"
        except WaitRefused as refusal:
            answer = {"__type": refusal.error_type, "message": str(refusal)}
            status = refusal.status
        payload = json.dumps(answer).encode()
        start_response(
            status, [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))]
        )
        return [payload]


def _request_of(environ: dict[str, Any]) -> dict[str, Any]:
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = -1
    if not 0 < length <= MAX_BODY_BYTES:
        raise WaitRefused("400 Bad Request", "ValidationException", "a JSON body is required")
    try:
        request = json.loads(environ["wsgi.input"].read(length))
    except ValueError as error:
        raise WaitRefused("400 Bad Request", "ValidationException", str(error)) from None
    if not isinstance(request, dict):
        raise WaitRefused("400 Bad Request", "ValidationException", "the body is a JSON object")
    return request


def _seconds(request: dict[str, Any]) -> float:
    seconds = request.get("WaitSeconds")
    if isinstance(seconds, bool) or not isinstance(seconds, int | float):
        raise WaitRefused("400 Bad Request", "ValidationException", "WaitSeconds is a number")
    return min(max(float(seconds), 0.0), MAX_WAIT_S)


def _arn_parts(arn: Any, service: str) -> list[str]:
    parts = arn.split(":", 5) if isinstance(arn, str) else []
    if len(parts) != 6 or parts[0] != "arn" or parts[2] != service:
        raise WaitRefused("400 Bad Request", "ValidationException", f"not an {service} ARN: {arn}")
    return parts


def _wait_for_queue(request: dict[str, Any]) -> dict[str, Any]:
    from moto.sqs.models import sqs_backends

    _, _, _, region, account, name = _arn_parts(request.get("QueueArn"), "sqs")
    began = _resets
    deadline = time.monotonic() + _seconds(request)
    queues = sqs_backends[account][region].queues
    queue = queues.get(name)
    if queue is None:
        raise _no_such_queue(request)
    lock = queue._messages_lock
    with _queue_waits_lock:
        _queue_waits[lock] += 1
    try:
        with lock:
            while not queue.messages:
                if queues.get(name) is not queue or _resets != began:
                    raise _no_such_queue(request)
                left = deadline - time.monotonic()
                if left <= 0:
                    return {"Visible": False}
                # An empty queue changes only by a send, which notifies; a queue with
                # messages in flight is looked at again when one may have become visible.
                lock.wait(min(left, IN_FLIGHT_RECHECK_S) if queue._messages else left)
    finally:
        with _queue_waits_lock:
            _queue_waits[lock] -= 1
            if not _queue_waits[lock]:
                del _queue_waits[lock]
    return {"Visible": True}


def _no_such_queue(request: dict[str, Any]) -> WaitRefused:
    return WaitRefused(
        "400 Bad Request",
        "AWS.SimpleQueueService.NonExistentQueue",
        f"The specified queue does not exist: {request['QueueArn']}",
    )


def _wait_for_stream(request: dict[str, Any]) -> dict[str, Any]:
    stream_arn = request.get("StreamArn")
    _arn_parts(stream_arn, "dynamodb")
    table_arn = str(stream_arn).split("/stream/", 1)[0]
    since = request.get("Since")
    if since is not None and (isinstance(since, bool) or not isinstance(since, int)):
        raise WaitRefused("400 Bad Request", "ValidationException", "Since is null or a count")
    seconds = _seconds(request)
    with _stream_changed:
        began = _resets
        if since is not None:
            _stream_changed.wait_for(
                lambda: _stream_changes[table_arn] != since or _resets != began, timeout=seconds
            )
        return {"Changes": _stream_changes[table_arn]}
