"""Where a running `petstore up` can be found by the other commands."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

from localcloud.emulator.access import EmulatorAccess


class NotRunningError(Exception):
    def __init__(self) -> None:
        super().__init__("The local cloud is not running: start it with `make run` (petstore up).")


class AlreadyRunningError(Exception):
    def __init__(self, cloud: RunningCloud) -> None:
        super().__init__(
            f"The pet store is already running at {cloud.api_url} (AWS emulator "
            f"{cloud.endpoint_url}, process {cloud.pid}): use it, or stop it with Ctrl-C in "
            f"its terminal first. A second one beside it needs other ports and its own "
            f"PETSTORE_STATE_FILE."
        )


@dataclass(frozen=True)
class RunningCloud:
    pid: int
    api_url: str
    endpoint_url: str
    region: str
    outputs: dict[str, str]
    stack_name: str = "petstore"
    transport: str = "sns"
    kafka_bootstrap_servers: str = ""
    kafka_dead_letter_topics: dict[str, list[str]] = field(default_factory=dict)
    """Each consumer's on-failure topic -> where its records come from."""
    rabbitmq_url: str = ""
    """The RabbitMQ broker's AMQP URL, with the local cloud's user."""
    rabbitmq_dead_letter_queues: dict[str, list[str]] = field(default_factory=dict)
    """Each dead-letter queue of the broker's default vhost -> the queues it takes from."""
    log_groups: dict[str, str] = field(default_factory=dict)
    """Each function's (logical id) CloudWatch Logs group."""
    access: dict[str, str] = field(default_factory=dict, repr=False)
    """The run's emulator credentials and control secret (`EmulatorAccess`)."""

    def emulator_access(self) -> EmulatorAccess:
        return EmulatorAccess(**self.access)


def state_file() -> Path:
    return Path(os.environ.get("PETSTORE_STATE_FILE", ".local/petstore-cloud.json"))


def save(cloud: RunningCloud) -> None:
    """Only the owner may read the file: it holds the run's credentials."""
    path = state_file()
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.parent.chmod(0o700)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(descriptor, 0o600)
    with os.fdopen(descriptor, "w") as state:
        state.write(json.dumps(asdict(cloud), indent=2))


def forget() -> None:
    state_file().unlink(missing_ok=True)


def refuse_if_running() -> None:
    """Raises AlreadyRunningError naming the running pet store, if there is one."""
    try:
        running = load()
    except NotRunningError:
        return
    raise AlreadyRunningError(running)


def load() -> RunningCloud:
    path = state_file()
    if not path.exists():
        raise NotRunningError()
    cloud = RunningCloud(**json.loads(path.read_text()))
    if not _process_alive(cloud.pid):
        raise NotRunningError()
    return cloud


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
