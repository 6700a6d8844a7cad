"""The short version of `make load`, in `make test`: a few shoppers browse, order, read,
cancel and pay for ten seconds; no request gets a 5xx or no answer, and once the backlog
drained every accepted order is terminal with invariants 1, 2 and 4 intact."""

from __future__ import annotations

import time
from typing import Any

import pytest
from load.load_traffic import format_report, run_traffic, warm_up
from load.saga_invariants import saga_violations

from support.saga_http import add_pet, shop_for_module, shopper

pytestmark = [pytest.mark.integration, pytest.mark.timeout(240)]

SECONDS = 10.0
ORDERS_PER_SHOPPER = 5
DRAIN_S = 120.0


def test_mixed_traffic_from_four_shoppers_loses_nothing(local_cloud: Any) -> None:
    shop = shop_for_module(local_cloud)
    shoppers = [shop.alice, shop.bob, shopper(shop, "load-1"), shopper(shop, "load-2")]
    pets = {add_pet(shop, stock=100): 100, add_pet(shop, stock=3): 3}
    warm_up(shop.alice, next(iter(pets)))

    report = run_traffic(
        shoppers, list(pets), SECONDS, think_s=0.05, max_orders_per_shopper=ORDERS_PER_SHOPPER
    )
    settling = time.monotonic()
    violations = saga_violations(shop.anonymous, pets, report.orders, DRAIN_S, shoppers)

    print("\n" + format_report(report, violations, time.monotonic() - settling))
    assert report.errors() == {}
    assert report.orders
    assert violations == []
