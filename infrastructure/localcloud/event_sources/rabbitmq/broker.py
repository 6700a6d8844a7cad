"""The local cloud's RabbitMQ broker: Debian's `rabbitmq-server` (what Amazon MQ for
RabbitMQ runs), started unprivileged on a free port with a data directory, an Erlang
port mapper (epmd) and a user of its own, so two local clouds never share a node; or
any broker that `RABBITMQ_URL` names.

The server takes seconds to boot (an Erlang VM and its database); one broker serves a
local cloud's whole run, and a reset only empties its queues.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any
from urllib.parse import quote, unquote, urlsplit

from localcloud.emulator.process import ensure_port_free, free_port, output_tail
from localcloud.event_sources.rabbitmq.server_plugins import core_plugins_folder

READY_TIMEOUT_S = 60.0
"""Booting takes ~7 s on a busy two-core machine; a broker not up in a minute is broken."""
CONNECT_TIMEOUT_S = 3.0
STOP_TIMEOUT_S = 15.0
SERVER_PATHS = ("/usr/lib/rabbitmq/bin/rabbitmq-server", "/usr/lib/rabbitmq/sbin/rabbitmq-server")
"""Debian's server script; /usr/sbin/rabbitmq-server would switch to the system's
`rabbitmq` user and its data directory."""
USER = "localcloud"
INSTALL_HINT = (
    "Install it with `make rabbitmq` (as root: apt-get install rabbitmq-server; elsewhere "
    "your system's RabbitMQ 3.10+ package), or set RABBITMQ_URL to a broker to use."
)


class RabbitMQBrokerUnreachable(Exception):
    def __init__(self, address: str, reason: str) -> None:
        super().__init__(
            f"The RabbitMQ broker at {address} does not answer ({reason}). Start it, or "
            "unset RABBITMQ_URL to let the local cloud run its own broker."
        )


class RabbitMQBrokerFailed(Exception):
    """The local broker would not start; the message says why (its output's end)."""


def server_script() -> Path:
    for candidate in (*SERVER_PATHS, shutil.which("rabbitmq-server") or ""):
        if candidate and os.access(candidate, os.X_OK):
            return Path(candidate)
    raise RabbitMQBrokerFailed(f"rabbitmq-server is not installed. {INSTALL_HINT}")


def address_of(url: str) -> str:
    """Host, port and virtual host of an AMQP URL, without its credentials."""
    parts = urlsplit(url)
    default_port = 5671 if parts.scheme == "amqps" else 5672
    vhost = unquote(parts.path.removeprefix("/")) or "/"
    return f"{parts.hostname}:{parts.port or default_port} (vhost {vhost})"


@dataclass
class RabbitMQBroker:
    url: str
    """amqp://user:password@host:port/ — what clients connect with."""
    process: subprocess.Popen[bytes] | None = None
    epmd: subprocess.Popen[bytes] | None = None
    home: Path | None = None
    output: IO[bytes] | None = None
    node: str = ""
    environment: dict[str, str] = field(default_factory=dict, repr=False)

    @property
    def is_embedded(self) -> bool:
        return self.process is not None

    @property
    def address(self) -> str:
        return address_of(self.url)

    def said(self, limit: int = 4000) -> str:
        """The end of what the embedded broker printed (its warnings and errors)."""
        return output_tail(self.output, limit)

    def connect(self, timeout_s: float = CONNECT_TIMEOUT_S) -> Any:
        """A new blocking pika connection to the broker."""
        return connect(self.url, timeout_s)

    def purge(self, queues: list[tuple[str, str]]) -> None:
        """Empty each (queue, vhost) that exists; missing ones are skipped."""
        import pika.exceptions

        for vhost in sorted({vhost for _, vhost in queues}):
            connection = connect(with_vhost(self.url, vhost), CONNECT_TIMEOUT_S)
            try:
                for name in sorted({name for name, of in queues if of == vhost}):
                    channel = connection.channel()
                    try:
                        channel.queue_purge(name)
                        channel.close()
                    except pika.exceptions.ChannelClosedByBroker:
                        continue
            finally:
                connection.close()

    def queue_names(self, vhost: str) -> list[str]:
        """Every queue of a vhost; only the embedded broker can list them (AMQP cannot)."""
        return [queue["name"] for queue in self.control("list_queues", vhost, "name")]

    def dead_letter_queues(self, vhost: str) -> dict[str, list[str]]:
        """Each queue a queue's dead-letter exchange routes to -> those source queues, as
        the embedded broker knows them (an external one answers nothing)."""
        exchanges: dict[str, list[str]] = {}
        for queue in self.control("list_queues", vhost, "name", "arguments"):
            for name, _kind, value in queue.get("arguments") or []:
                if name == "x-dead-letter-exchange":
                    exchanges.setdefault(str(value), []).append(queue["name"])
        targets: dict[str, list[str]] = {}
        bindings = self.control(
            "list_bindings", vhost, "source_name", "destination_name", "destination_kind"
        )
        for binding in bindings:
            sources = exchanges.get(binding["source_name"])
            if sources and binding["source_name"] and binding["destination_kind"] == "queue":
                targets.setdefault(binding["destination_name"], []).extend(sorted(sources))
        return targets

    def control(self, command: str, vhost: str, *columns: str) -> list[dict[str, Any]]:
        """rabbitmqctl's JSON answer about the embedded broker; nothing for an external one."""
        if self.process is None:
            return []
        result = subprocess.run(
            [
                str(server_script().with_name("rabbitmqctl")),
                *("-n", self.node, "-q", command, "-p", vhost, *columns, "--formatter", "json"),
            ],
            env=self.environment,
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        if result.returncode != 0:
            raise RabbitMQBrokerFailed(f"rabbitmqctl {command} failed: {result.stderr.strip()}")
        rows: list[dict[str, Any]] = json.loads(result.stdout or "[]")
        return rows

    def restart(self) -> None:
        """The embedded broker's server stopped and started again on its port and data
        directory, as a broker reboot: durable queues keep their persistent messages, and
        every client's connection is closed."""
        if self.process is None:
            raise RabbitMQBrokerFailed("only the local cloud's own broker can be restarted")
        self._stop_server()
        self.process = _start_server(self.environment, self.home, self.output)
        _wait_until_ready(self, READY_TIMEOUT_S)

    def stop(self) -> None:
        self._stop_server()
        _end(self.epmd)
        if self.output is not None:
            self.output.close()
            self.output = None
        if self.home is not None:
            shutil.rmtree(self.home, ignore_errors=True)
            self.home = None

    def _stop_server(self) -> None:
        if self.process is not None and self.process.poll() is None:
            # The server script and its Erlang VM share the session it was started in.
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


def _start_server(
    environment: dict[str, str], home: Path | None, output: IO[bytes] | None
) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [str(server_script())],
        env=environment,
        cwd=home,
        stdout=output,
        stderr=subprocess.STDOUT,
        # Its own session: stopped as a group, and Ctrl-C stops the pollers first.
        start_new_session=True,
    )


def connect(url: str, timeout_s: float) -> Any:
    import pika

    parameters = pika.URLParameters(url)
    parameters.socket_timeout = timeout_s
    parameters.connection_attempts = 1
    parameters.blocked_connection_timeout = timeout_s
    parameters.stack_timeout = timeout_s
    return pika.BlockingConnection(parameters)


def with_vhost(url: str, vhost: str) -> str:
    parts = urlsplit(url)
    return parts._replace(path="/" + quote(vhost, safe="")).geturl()


def start_rabbitmq_broker(host: str = "127.0.0.1", port: int = 5672) -> RabbitMQBroker:
    """The broker `RABBITMQ_URL` names, once it answers; otherwise rabbitmq-server started
    on host:port. Raises RabbitMQBrokerUnreachable naming the address of one that does not."""
    external = os.environ.get("RABBITMQ_URL")
    if external:
        check_broker(external)
        return RabbitMQBroker(url=external)
    return start_local_broker(host, port)


def check_external_broker() -> None:
    """Fails within seconds, naming the address, when RABBITMQ_URL names a broker that does
    not answer (before anything else of the local cloud is started)."""
    external = os.environ.get("RABBITMQ_URL")
    if external:
        check_broker(external)


def check_broker(url: str, timeout_s: float = CONNECT_TIMEOUT_S) -> None:
    try:
        connect(url, timeout_s).close()
    except Exception as error:
        reason = str(error) or type(error).__name__
        raise RabbitMQBrokerUnreachable(address_of(url), reason) from None


def start_local_broker(host: str, port: int) -> RabbitMQBroker:
    ensure_port_free(host, port, "The RabbitMQ broker")
    server_script()
    home = Path(tempfile.mkdtemp(prefix="localcloud-rabbitmq-"))
    password = secrets.token_urlsafe(18)
    node = f"localcloud-{port}-{os.getpid()}@localhost"
    epmd_port = free_port()
    environment = _server_environment(home, host, port, node, epmd_port, password)
    # Kept open while the broker runs: its output explains a broker that will not start.
    output = tempfile.TemporaryFile()  # noqa: SIM115
    broker = RabbitMQBroker(
        url=f"amqp://{USER}:{password}@{host}:{port}/%2F",
        home=home,
        output=output,
        node=node,
        environment=environment,
    )
    try:
        broker.epmd = _start_epmd(epmd_port, output)
        broker.process = _start_server(environment, home, output)
        _wait_until_ready(broker, READY_TIMEOUT_S)
    except BaseException:
        broker.stop()
        raise
    return broker


def _server_environment(
    home: Path, host: str, port: int, node: str, epmd_port: int, password: str
) -> dict[str, str]:
    for folder in ("mnesia", "log"):
        (home / folder).mkdir()
    (home / "rabbitmq.conf").write_text(
        f"listeners.tcp.1 = {host}:{port}\n"
        f"default_user = {USER}\n"
        f"default_pass = {password}\n"
        "log.console = true\n"
        "log.console.level = warning\n"
        "log.file = false\n"
    )
    (home / "enabled_plugins").write_text("[].\n")
    (home / "rabbitmq-env.conf").write_text("")
    plugins = core_plugins_folder(server_script(), home / "plugins")
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "C.UTF-8",
        # Erlang keeps its distribution cookie in HOME.
        "HOME": str(home),
        "RABBITMQ_NODENAME": node,
        "RABBITMQ_NODE_IP_ADDRESS": host,
        "RABBITMQ_NODE_PORT": str(port),
        "RABBITMQ_DIST_PORT": str(free_port()),
        "ERL_EPMD_PORT": str(epmd_port),
        "ERL_EPMD_ADDRESS": "127.0.0.1",
        "RABBITMQ_MNESIA_BASE": str(home / "mnesia"),
        "RABBITMQ_LOG_BASE": str(home / "log"),
        "RABBITMQ_CONFIG_FILE": str(home / "rabbitmq.conf"),
        "RABBITMQ_ENABLED_PLUGINS_FILE": str(home / "enabled_plugins"),
        "RABBITMQ_CONF_ENV_FILE": str(home / "rabbitmq-env.conf"),
        **({"RABBITMQ_PLUGINS_DIR": str(plugins)} if plugins is not None else {}),
    }


def _start_epmd(port: int, output: IO[bytes]) -> subprocess.Popen[bytes]:
    """A port mapper of the broker's own, in the foreground (a child, stopped with the
    broker), where the server would otherwise start a shared daemon that outlives it."""
    epmd = shutil.which("epmd")
    if epmd is None:
        raise RabbitMQBrokerFailed(f"epmd (Erlang) is not installed. {INSTALL_HINT}")
    process = subprocess.Popen(
        [epmd, "-port", str(port), "-address", "127.0.0.1"],
        stdout=output,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + CONNECT_TIMEOUT_S
    while time.monotonic() < deadline and process.poll() is None:
        if _accepts("127.0.0.1", port):
            return process
        time.sleep(0.02)
    _end(process)
    raise RabbitMQBrokerFailed(f"epmd would not listen on 127.0.0.1:{port}")


def _wait_until_ready(broker: RabbitMQBroker, timeout_s: float) -> None:
    """Until the broker takes an AMQP connection with its user."""
    assert broker.process is not None
    parts = urlsplit(broker.url)
    deadline = time.monotonic() + timeout_s
    reason = "no connection"
    while time.monotonic() < deadline:
        if broker.process.poll() is not None:
            reason = f"the broker exited with code {broker.process.returncode}"
            break
        if _accepts(parts.hostname or "127.0.0.1", parts.port or 5672):
            try:
                connect(broker.url, CONNECT_TIMEOUT_S).close()
                return
            except Exception as error:
                reason = str(error) or type(error).__name__
        time.sleep(0.05)
    raise RabbitMQBrokerFailed(
        f"{RabbitMQBrokerUnreachable(broker.address, reason)}\nThe broker said:\n"
        f"{output_tail(broker.output, 2000)}"
    )


def _accepts(host: str, port: int) -> bool:
    import socket

    try:
        with socket.create_connection((host, port), timeout=0.2):
            return True
    except OSError:
        return False


def _end(process: subprocess.Popen[bytes] | None) -> None:
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
