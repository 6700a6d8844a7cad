"""A local cloud of its own for a small sample template, started once per test module."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import boto3

from localcloud.cloud import LocalCloud, LocalCloudConfig
from localcloud.emulator.process import free_port


@contextmanager
def sample_cloud(template: Path, stack_name: str) -> Iterator[LocalCloud]:
    """The template running on free ports, without monitoring, stopped on leaving."""
    started = LocalCloud(
        LocalCloudConfig(
            template=template,
            stack_name=stack_name,
            api_port=free_port(),
            emulator_port=free_port(),
            monitoring=None,
            quiet=True,
        )
    )
    started.start()
    try:
        yield started
    finally:
        started.stop()


def client(cloud: LocalCloud, service: str) -> Any:
    return boto3.client(service, endpoint_url=cloud.endpoint_url, region_name="us-east-1")
