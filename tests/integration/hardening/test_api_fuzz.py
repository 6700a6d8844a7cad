"""Property-based fuzzing of the whole API with schemathesis, from the OpenAPI document
the local cloud serves (docs/openapi.json), against the running local cloud with real
credentials: the admin's token on the admin routes, a shopper's elsewhere, SigV4 on the
internal routes. Every operation gets schema-valid (positive) and schema-breaking
(negative) requests, derandomized so each run sends the same ones; every response must
be no 5xx, a documented status, the documented content type and the documented schema."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from localcloud.apigateway.authorizers.sigv4 import sign_request
from localcloud.emulator.process import LOCAL_CREDENTIALS
from support.saga_http import (
    Shop,
    add_pet,
    payments_of,
    place_order,
    user_id_of,
    wait_for_status,
)

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]

OPENAPI_DOCUMENT = Path(__file__).resolve().parents[3] / "docs" / "openapi.json"
EXAMPLES_PER_OPERATION = 25
"""Hypothesis examples per operation and generation mode (fewer where the schema allows
fewer distinct requests); the run's size is printed at the end of the module."""
ADMIN_ROUTES = frozenset({("POST", "/pets"), ("PUT", "/pets/{petId}"), ("DELETE", "/pets/{petId}")})
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]

statuses_seen: Counter[tuple[str, int]] = Counter()


class SigV4(requests.auth.AuthBase):
    """Signs the request exactly as it goes out, as an internal caller signs it."""

    def __init__(self, region: str) -> None:
        self.region = region

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        assert request.method is not None and request.url is not None
        signed = sign_request(
            request.method,
            request.url,
            request.body,
            {name: str(value) for name, value in request.headers.items()},
            access_key=LOCAL_CREDENTIALS["AWS_ACCESS_KEY_ID"],
            secret_key=LOCAL_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
            region=self.region,
        )
        request.headers.update(signed)
        return request


def _operations() -> list[Any]:
    document = schemathesis.openapi.from_path(OPENAPI_DOCUMENT)
    document.config.generation.update(with_security_parameters=False)
    operations: list[Any] = [result.ok() for result in document.get_all_operations()]  # type: ignore[union-attr]
    return operations


OPERATIONS = _operations()


@pytest.fixture(scope="module", autouse=True)
def report_run_size() -> Any:
    yield
    total = sum(statuses_seen.values())
    print(f"\nAPI fuzz: {len(OPERATIONS)} operations, {total} requests")
    for label in sorted({label for label, _ in statuses_seen}):
        answers = {
            status: n for (seen, status), n in sorted(statuses_seen.items()) if seen == label
        }
        print(f"  {sum(answers.values()):4d}  {label}: {answers}")


@pytest.fixture(scope="module")
def existing_ids(shop: Shop) -> dict[str, str]:
    """Ids of things that exist, so that valid requests also reach found data: a pet, an
    order of the shopper the fuzzer signs in as, its payment, and the shopper."""
    order = place_order(shop.alice, add_pet(shop, stock=1000))
    wait_for_status(shop.alice, order["orderId"])
    [payment] = payments_of(shop.alice, order["orderId"])
    return {
        "petId": order["petId"],
        "orderId": order["orderId"],
        "paymentId": payment["paymentId"],
        "userId": user_id_of(shop.alice),
    }


def cases_of(operation: Any, mode: GenerationMode, shop: Shop, ids: dict[str, str]) -> Any:
    """The operation's generated requests; valid ones half the time with ids that exist
    (a pet of its own for DELETE, so the other routes keep theirs)."""
    generated = operation.as_strategy(generation_mode=mode)
    names = [parameter.name for parameter in operation.path_parameters]
    if mode is not GenerationMode.POSITIVE or not names:
        return generated
    existing = {name: ids[name] for name in names}
    if operation.method.upper() == "DELETE":
        existing["petId"] = add_pet(shop, stock=1)
    return st.one_of(
        generated, operation.as_strategy(generation_mode=mode, path_parameters=existing)
    )


def credentials(case: Any, shop: Shop) -> dict[str, Any]:
    """The requests arguments that authenticate the case as its route expects."""
    security = case.operation.definition.raw.get("security") or []
    if any("sigv4" in requirement for requirement in security):
        return {"auth": SigV4(shop.cloud.config.region)}
    if not security:
        return {}
    caller = shop.admin if (case.method.upper(), case.path) in ADMIN_ROUTES else shop.alice
    return {"headers": {"Authorization": caller._session.headers["Authorization"]}}


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=str)
@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda operation: operation.label)
def test_every_operation_answers_documented_statuses_and_shapes_and_never_5xx(
    operation: Any, mode: GenerationMode, shop: Shop, existing_ids: dict[str, str]
) -> None:
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=cases_of(operation, mode, shop, existing_ids))
    def send(case: Any) -> None:
        response = case.call(base_url=shop.cloud.api_url, timeout=30, **credentials(case, shop))
        statuses_seen[(f"{operation.label} ({mode.value})", response.status_code)] += 1
        case.validate_response(response, checks=CHECKS)

    send()
