"""Just enough of a Debug Adapter Protocol client to see a debugger attach: connect,
send a request, read the messages (each framed by a Content-Length header)."""

from __future__ import annotations

import json
import socket
import time
from typing import Any

PORT_OPEN_WITHIN_S = 30.0
ANSWER_WITHIN_S = 30.0


def connect(port: int, within_s: float = PORT_OPEN_WITHIN_S) -> socket.socket:
    deadline = time.monotonic() + within_s
    while True:
        try:
            return socket.create_connection(("127.0.0.1", port), timeout=ANSWER_WITHIN_S)
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def send(connection: socket.socket, message: dict[str, Any]) -> None:
    body = json.dumps(message).encode()
    connection.sendall(f"Content-Length: {len(body)}\r\n\r\n".encode() + body)


def receive(connection: socket.socket, buffer: bytearray) -> dict[str, Any]:
    while b"\r\n\r\n" not in buffer:
        buffer += connection.recv(65536) or b""
    head, _, rest = bytes(buffer).partition(b"\r\n\r\n")
    length = int(head.split(b"Content-Length:")[1].split(b"\r\n")[0])
    while len(rest) < length:
        rest += connection.recv(65536)
    buffer[:] = rest[length:]
    return dict(json.loads(rest[:length]))


def next_of(
    connection: socket.socket, buffer: bytearray, kind: str, event: str | None = None
) -> dict[str, Any]:
    """The next message of a kind (a response, or the event named), skipping the others."""
    while True:
        message = receive(connection, buffer)
        if message.get("type") == kind and event in (None, message.get("event")):
            return message
