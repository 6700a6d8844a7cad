"""Fixtures of the saga's unit tests (orders, payments, notifications, events): the whole
template in moto's in-process mock, shoppers, pets, and REST API (v1) events. Each unit
test folder's conftest imports the fixtures it uses from here."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import pytest
from moto import mock_aws

from support.in_process_saga import InProcessSaga, create_in_process_saga
from support.rest_api_invocation import call_api, rest_api_event

# Set before any handler module is imported: Powertools reads them when the handlers'
# Logger and Metrics are created, as Lambda's Globals set them before the code loads.
os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "PetStore")
os.environ.setdefault("POWERTOOLS_SERVICE_NAME", "unit")

SHOPPER_CLAIMS = {
    "alice": {"sub": "user-alice", "cognito:username": "alice"},
    "bob": {"sub": "user-bob", "cognito:username": "bob"},
    "admin": {"sub": "user-admin", "cognito:username": "admin", "cognito:groups": "admin"},
}


def forget_cold_start_state() -> None:
    """Each test starts as a fresh execution environment would: settings, tables, the
    event bus and the providers are built again from the environment."""
    from notifications.channels.email_channel import email_channel_from_environment
    from notifications.channels.every_channel import every_channel_from_environment
    from notifications.channels.topic_channel import topic_channel_from_environment
    from notifications.dal.email_deliveries import email_deliveries_from_environment
    from notifications.dal.notifications_table import notifications_table_from_environment
    from orders.dal.orders_table import orders_table_from_environment
    from orders.dal.pet_offers_table import pet_offers_table_from_environment
    from payments.dal.charge_retry_queue import charge_retry_queue_from_environment
    from payments.dal.payments_table import payments_table_from_environment
    from payments.providers import payment_provider_from_environment
    from pets.dal.pets_table import pets_table_from_environment
    from pets.dal.stock_reservations import stock_reservations_from_environment
    from petstore_shared.events.sns_bus import sns_event_bus_from_environment
    from petstore_shared.settings import load_settings

    for cached in (
        load_settings,
        sns_event_bus_from_environment,
        orders_table_from_environment,
        pet_offers_table_from_environment,
        payments_table_from_environment,
        payment_provider_from_environment,
        charge_retry_queue_from_environment,
        notifications_table_from_environment,
        topic_channel_from_environment,
        email_channel_from_environment,
        every_channel_from_environment,
        email_deliveries_from_environment,
        pets_table_from_environment,
        stock_reservations_from_environment,
    ):
        cached.cache_clear()


@pytest.fixture
def saga(monkeypatch: pytest.MonkeyPatch) -> Iterator[InProcessSaga]:
    """Every resource of template.yaml in moto, the functions' environment set, and the
    pumps that run the real handlers between them."""
    with mock_aws():
        created = create_in_process_saga()
        for name, value in created.environment.items():
            monkeypatch.setenv(name, value)
        monkeypatch.setenv(
            "CHARGE_RETRIES_QUEUE_URL", created.queue_urls["PaymentChargeRetriesQueue"]
        )
        monkeypatch.setenv("CHARGE_RETRY_DELAYS_S", "0,0,0,0,0")
        forget_cold_start_state()
        yield created
        forget_cold_start_state()


def caller(name: str) -> Any:
    from petstore_shared.caller_identity import caller_from_claims

    return caller_from_claims(SHOPPER_CLAIMS[name])


@pytest.fixture
def alice() -> Any:
    return caller("alice")


@pytest.fixture
def bob() -> Any:
    return caller("bob")


@pytest.fixture
def admin() -> Any:
    return caller("admin")


@pytest.fixture
def add_pet(saga: InProcessSaga) -> Callable[..., str]:
    """Adds a pet (through the pets service's own use case) and delivers its pet.changed,
    so that the orders service sells it; returns its id."""
    from pets.logic.create_pet import create_pet
    from pets.models import PetDetails

    def add(stock: int = 10, price: str = "100.00") -> str:
        details = {
            "name": "Rex",
            "species": "dog",
            "price": {"amount": Decimal(price), "currency": "EUR"},
            "stock": stock,
        }
        pet_id = create_pet(PetDetails.model_validate(details)).id
        saga.deliver("pet.changed")
        return pet_id

    return add


@pytest.fixture
def stock_of(saga: InProcessSaga) -> Callable[[str], int]:
    from pets.dal.pets_table import pets_table_from_environment

    def read(pet_id: str) -> int:
        pet = pets_table_from_environment().find_pet(pet_id)
        assert pet is not None
        return pet.stock

    return read


def rest_event(
    method: str,
    path: str,
    *,
    caller: str | None = None,
    body: Any = None,
    query: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    """A REST API (v1) proxy event as API Gateway sends it, for a shopper (or none). A
    string `body` is sent as is, anything else as JSON."""
    return rest_api_event(
        method,
        path,
        claims=SHOPPER_CLAIMS[caller] if caller else None,
        query=query,
        body=body if isinstance(body, str) or body is None else json.dumps(body),
        headers=headers,
    )


@pytest.fixture
def place_order(saga: InProcessSaga, add_pet: Callable[..., str]) -> Callable[..., str]:
    """Places an order through POST /orders; returns its id."""
    from orders.handlers import handle_place_order

    def place(
        pet_id: str | None = None, token: str = "tok_visa", quantity: int = 1, caller: str = "alice"
    ) -> str:
        body = {"petId": pet_id or add_pet(), "quantity": quantity, "paymentToken": token}
        answer = call_api(
            handle_place_order, rest_event("POST", "/orders", caller=caller, body=body)
        )
        assert answer.status == 201, answer.body
        order_id: str = answer.body["orderId"]
        return order_id

    return place


@pytest.fixture
def order_of(saga: InProcessSaga) -> Callable[[str], Any]:
    """The order as the orders service has it now (with its history)."""
    from orders.dal.orders_table import orders_table_from_environment

    def read(order_id: str) -> Any:
        order = orders_table_from_environment().find_order_with_history(order_id)
        assert order is not None
        return order

    return read


@pytest.fixture
def payments_of(saga: InProcessSaga) -> Callable[[str], list[Any]]:
    """The order's payment attempts as the payments service has them now."""
    from payments.dal.payments_table import payments_table_from_environment

    def read(order_id: str) -> list[Any]:
        return payments_table_from_environment().list_order_payments(order_id)

    return read


def events_of(saga: InProcessSaga, order_id: str, event_type: str | None = None) -> list[Any]:
    """What was published about the order (of one type, if given)."""
    return [
        event
        for event in saga.published()
        if event.correlation_id == order_id and event_type in (None, event.type)
    ]
