"""Faults injected into the local cloud from outside the functions, for tests that prove
the system survives them: no service code knows they exist.

- `StoreFaults`: a TCP proxy between the functions and the AWS emulator. The functions'
  AWS_ENDPOINT_URL points at it (`LocalCloudConfig(inject_faults=True)`); it passes bytes
  through until a test makes the store unreachable (connections refused), slow (each
  answer held back) or hung (no request forwarded until cleared). The local
  cloud's own pollers talk to the emulator directly, as Lambda's pollers are not behind a
  function's network.
- `kill_function_workers`: ends a function's worker processes with SIGKILL, as a crash or
  an out-of-memory kill ends an execution environment mid-invocation.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from enum import Enum
from pathlib import Path
from urllib.parse import urlsplit

ACCEPT_POLL_S = 0.1
CHUNK_BYTES = 64 * 1024
PROC = Path("/proc")


class StoreMode(Enum):
    PASS = "pass"
    UNREACHABLE = "unreachable"
    SLOW = "slow"
    HUNG = "hung"


class StoreFaults:
    """The switch the tests flip: a proxy on host:port (a free one by default) in front of
    `upstream_url`, passing everything through until told otherwise."""

    def __init__(self, upstream_url: str, host: str = "127.0.0.1", port: int = 0) -> None:
        upstream = urlsplit(upstream_url)
        self._upstream = (upstream.hostname or host, upstream.port or 80)
        self._host = host
        self._port = port
        self._mode = StoreMode.PASS
        self._latency_s = 0.0
        self._held = 0
        self._changed = threading.Condition()
        self._listener: socket.socket | None = None
        self._links: set[_Link] = set()
        self._stopping = threading.Event()
        self._acceptor: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self._host}:{self._port}"

    @property
    def mode(self) -> StoreMode:
        return self._mode

    @property
    def held_requests(self) -> int:
        """Chunks a function sent to the hung store, waiting to be forwarded."""
        with self._changed:
            return self._held

    def start(self) -> None:
        self._listen()
        self._acceptor = threading.Thread(target=self._accept, name="store-faults", daemon=True)
        self._acceptor.start()

    def stop(self) -> None:
        self._stopping.set()
        self.clear()
        self._close_listener()
        self._close_links()
        if self._acceptor is not None:
            self._acceptor.join(timeout=5)

    def unreachable(self) -> None:
        """Refuse new connections and cut the open ones, as a store that is down."""
        with self._changed:
            self._mode = StoreMode.UNREACHABLE
            self._changed.notify_all()
        self._close_listener()
        self._close_links()

    def slow(self, latency_s: float) -> None:
        """Hold back every chunk the store answers with by `latency_s`: each call takes
        that much longer, and a client's read timeout (which counts from its last byte
        received) fires only if `latency_s` exceeds it."""
        self._switch(StoreMode.SLOW, latency_s)

    def hang(self) -> None:
        """Accept connections and requests, and answer none of them until cleared."""
        self._switch(StoreMode.HUNG)

    def clear(self) -> None:
        """Pass everything through again; requests held by a hang go on to the store."""
        self._switch(StoreMode.PASS)
        if not self._stopping.is_set() and self._listener is None:
            self._listen()

    def _switch(self, mode: StoreMode, latency_s: float = 0.0) -> None:
        with self._changed:
            self._mode, self._latency_s = mode, latency_s
            self._changed.notify_all()

    def _listen(self) -> None:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((self._host, self._port))
        listener.listen(128)
        listener.settimeout(ACCEPT_POLL_S)
        self._port = listener.getsockname()[1]
        self._listener = listener

    def _close_listener(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None:
            listener.close()

    def _close_links(self) -> None:
        with self._changed:
            links = list(self._links)
        for link in links:
            link.close()

    def _accept(self) -> None:
        while not self._stopping.is_set():
            listener = self._listener
            if listener is None:
                self._stopping.wait(ACCEPT_POLL_S)
                continue
            try:
                client, _ = listener.accept()
            except (TimeoutError, OSError):
                continue
            self._open_link(client)

    def _open_link(self, client: socket.socket) -> None:
        try:
            upstream = socket.create_connection(self._upstream, timeout=5)
        except OSError:
            client.close()
            return
        link = _Link(client, upstream, self)
        with self._changed:
            self._links.add(link)
        link.start()

    def forget(self, link: _Link) -> None:
        """A closed link: dropped, and its chunk held by a hang let go."""
        with self._changed:
            self._links.discard(link)
            self._changed.notify_all()

    def gate(self, link: _Link, *, to_store: bool) -> bool:
        """Waits as the current fault says before a chunk goes on; False when the chunk
        must be dropped (the store became unreachable, or the link closed)."""
        with self._changed:
            if to_store and self._mode is StoreMode.HUNG:
                self._held += 1
                try:
                    while self._mode is StoreMode.HUNG and not link.closed:
                        self._changed.wait()
                finally:
                    self._held -= 1
            mode, latency_s = self._mode, self._latency_s
        if not to_store and mode is StoreMode.SLOW:
            time.sleep(latency_s)
        return mode is not StoreMode.UNREACHABLE and not link.closed


class _Link:
    """One function connection and its connection to the store, pumped both ways."""

    def __init__(self, client: socket.socket, upstream: socket.socket, faults: StoreFaults):
        self._client = client
        self._upstream = upstream
        self._faults = faults
        self.closed = False
        for connection in (client, upstream):
            connection.settimeout(None)
            connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def start(self) -> None:
        for target, role in ((self._to_store, "to-store"), (self._to_function, "to-function")):
            threading.Thread(target=target, name=f"store-faults-{role}", daemon=True).start()

    def close(self) -> None:
        self.closed = True
        for connection in (self._client, self._upstream):
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
            connection.close()
        self._faults.forget(self)

    def _to_store(self) -> None:
        self._pump(self._client, self._upstream, to_store=True)

    def _to_function(self) -> None:
        self._pump(self._upstream, self._client, to_store=False)

    def _pump(self, source: socket.socket, target: socket.socket, *, to_store: bool) -> None:
        try:
            while chunk := source.recv(CHUNK_BYTES):
                if not self._faults.gate(self, to_store=to_store):
                    break
                target.sendall(chunk)
        except OSError:
            pass
        finally:
            self.close()
