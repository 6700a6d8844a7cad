"""Fixtures of the hardening tests: the session's local cloud reset once per module, and
for fault injection a local cloud of its own with the fault switch between its functions
and the emulator."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from localcloud.cloud import LocalCloud, LocalCloudConfig
from localcloud.emulator.process import free_port
from support.saga_http import Shop, shop_for_module

PROJECT_ROOT = Path(__file__).resolve().parents[3]
FAULTY_VISIBILITY_TIMEOUT_S = 11
"""Above the functions' 10 s timeout, as AWS asks of a queue feeding a function: a batch
that crashed or timed out is delivered again only once its idempotency records, held in
progress until the invocation's deadline, have expired."""


@pytest.fixture(scope="module")
def shop(local_cloud: Any) -> Shop:
    """The pet store as `petstore` gives it, reset once for the whole module."""
    return shop_for_module(local_cloud)


@pytest.fixture(scope="module")
def faulty_cloud() -> Iterator[LocalCloud]:
    cloud = LocalCloud(
        LocalCloudConfig(
            template=PROJECT_ROOT / "template.yaml",
            stack_name="petstore",
            api_port=free_port(),
            emulator_port=free_port(),
            parameter_overrides={
                "ConsumerVisibilityTimeout": str(FAULTY_VISIBILITY_TIMEOUT_S),
                "ConsumerMaxReceiveCount": "3",
            },
            quiet=True,
            inject_faults=True,
        )
    )
    cloud.start()
    yield cloud
    cloud.stop()


@pytest.fixture(scope="module")
def faulty_shop(faulty_cloud: LocalCloud) -> Shop:
    """The pet store on the cloud with the fault switch, reset once for the module."""
    return shop_for_module(faulty_cloud)
