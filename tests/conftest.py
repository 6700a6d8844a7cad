"""Fixtures shared by every test tier."""

from __future__ import annotations

import os
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from localcloud.emulator.process import LOCAL_CREDENTIALS, Emulator, free_port, start_emulator
from petstore_cli.mailbox import LOCAL_SENDER

if TYPE_CHECKING:
    from localcloud.cloud import LocalCloud
    from support.saga_http import Shop

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SUITE_CHARGE_RETRY_DELAYS = "1,1,1,1,1"
"""`local_cloud`'s ChargeRetryDelays: a charge the provider never answers gives up after
about 11 s (six 1 s calls, 1 s apart) instead of the template's 37 s. The Kafka and
RabbitMQ clouds keep the template's schedule: with this one, another shopper's order
beside six unanswered ones took 2.2-3.0 s to confirm on Kafka (1.8-2.0 s with the
template's), past test_payment_isolation's margin: they use BROKER_CHARGE_RETRY_DELAYS."""
BROKER_CHARGE_RETRY_DELAYS = "1,2,4,4,4"
"""The Kafka and RabbitMQ clouds' ChargeRetryDelays: the template's first three retries (all
that come while test_payment_isolation measures another shopper's order), then 4 s each
instead of 8 and 16: an unanswered charge gives up after about 21 s instead of 37 s."""

_STARTED_CLOUDS: list[LocalCloud] = []
"""The session's local clouds: a failed test's report ends with what their emulator and
broker printed, which is where an emulator's 500 or a broker's nack is explained."""

os.environ.update(LOCAL_CREDENTIALS)
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
os.environ.setdefault("AWS_REGION", "us-east-1")


@pytest.fixture(autouse=True)
def _environment_kept() -> Iterator[None]:
    """Each test ends with the environment it started with: a `petstore` command run
    in-process points the AWS SDK at the running cloud it finds (its endpoint and its
    run's credentials), which must not leak into the next test's default clients."""
    saved = dict(os.environ)
    yield
    os.environ.clear()
    os.environ.update(saved)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if report.failed:
        for cloud in _STARTED_CLOUDS:
            for name, said in cloud_output(cloud):
                if said.strip():
                    where = cloud.config.template.relative_to(PROJECT_ROOT)
                    report.sections.append((f"{where}: {name}", said))
    return report


def cloud_output(cloud: LocalCloud) -> list[tuple[str, str]]:
    from localcloud.event_sources.rabbitmq.runtime import LocalRabbitMQ

    output = []
    if cloud.emulator is not None:
        output.append(("emulator stderr", cloud.emulator.said()))
    rabbitmq = cloud.runtime_of(LocalRabbitMQ)
    if rabbitmq is not None and rabbitmq.broker is not None:
        output.append(("RabbitMQ broker output", rabbitmq.broker.said()))
    return output


@pytest.fixture(scope="session")
def emulator() -> Iterator[Emulator]:
    """moto's server on a free port, shared by the whole test session."""
    started = start_emulator(port=free_port())
    yield started
    started.stop()


@pytest.fixture(scope="session")
def local_cloud() -> Iterator[LocalCloud]:
    """The whole system from template.yaml on free ports, started once per test
    session. Consumer queues hide a message for 2 s and dead-letter it after 3
    receives, and an unanswered charge is tried again after 1 s each time (5 s in all,
    not 31), so redelivery, DLQ and provider-unavailable paths finish within a test."""
    from localcloud.cloud import LocalCloud, LocalCloudConfig

    cloud = LocalCloud(
        LocalCloudConfig(
            template=PROJECT_ROOT / "template.yaml",
            stack_name="petstore",
            api_port=free_port(),
            emulator_port=free_port(),
            parameter_overrides={
                "ConsumerVisibilityTimeout": "2",
                "ConsumerMaxReceiveCount": "3",
                "ChargeRetryDelays": SUITE_CHARGE_RETRY_DELAYS,
                "SenderEmail": LOCAL_SENDER,
            },
            quiet=True,
        )
    )
    _STARTED_CLOUDS.append(cloud)
    cloud.start()
    yield cloud
    _STARTED_CLOUDS.remove(cloud)
    cloud.stop()


@pytest.fixture(scope="session", params=["sns", "kafka", "rabbitmq"])
def saga_cloud(request: pytest.FixtureRequest) -> Iterator[LocalCloud]:
    """The whole system over each event transport in turn, for the saga's integration and
    end to end tests: `local_cloud` (SNS/SQS), then the Kafka variant from
    infrastructure/kafka/template.yaml on its own emulator and a local Kafka broker. A
    Kafka consumer retries a failing batch three times (1, 2 and 4 s later) before its
    records go to its dead-letter topic, as the SQS consumers' three receives do. Then the
    RabbitMQ variant from infrastructure/rabbitmq/template.yaml on its own emulator and a
    local RabbitMQ broker, whose queues dead-letter a message after its third delivery."""
    if request.param == "sns":
        yield request.getfixturevalue("local_cloud")
        return
    from localcloud.cloud import LocalCloud, LocalCloudConfig

    overrides = {
        "kafka": {"ConsumerMaximumRetryAttempts": "3"},
        "rabbitmq": {"ConsumerDeliveryLimit": "2"},
    }
    shared = {"SenderEmail": LOCAL_SENDER, "ChargeRetryDelays": BROKER_CHARGE_RETRY_DELAYS}
    cloud = LocalCloud(
        LocalCloudConfig(
            template=PROJECT_ROOT / "infrastructure" / request.param / "template.yaml",
            stack_name="petstore",
            api_port=free_port(),
            emulator_port=free_port(),
            kafka_port=free_port(),
            rabbitmq_port=free_port(),
            parameter_overrides={**overrides[request.param], **shared},
            quiet=True,
        )
    )
    _STARTED_CLOUDS.append(cloud)
    cloud.start()
    yield cloud
    _STARTED_CLOUDS.remove(cloud)
    cloud.stop()


@pytest.fixture
def petstore(local_cloud: LocalCloud) -> Shop:
    """The running system, reset for this test, with a client per demo user."""
    from support.saga_http import shop_for_module

    return shop_for_module(local_cloud)
