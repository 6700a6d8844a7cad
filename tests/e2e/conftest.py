"""The saga tests share one reset of the local cloud per module (support.saga_http)."""

from __future__ import annotations

from typing import Any

import pytest

from support.saga_http import Shop, shop_for_module


@pytest.fixture(scope="module")
def shop(saga_cloud: Any) -> Shop:
    """The pet store as `petstore` gives it, over each event transport in turn (SNS/SQS,
    then Kafka), reset once for the whole module."""
    return shop_for_module(saga_cloud)
