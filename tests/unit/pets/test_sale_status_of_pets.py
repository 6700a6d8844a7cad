"""Only a pet whose status is `available` is announced on sale (pet.changed onSale),
which is what the orders service takes orders from."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from pets.logic.pet_announcements import pet_changed
from pets.models import Pet, PetDetails


def pet_with(status: str) -> Pet:
    details = PetDetails.model_validate(
        {
            "name": "Rex",
            "species": "dog",
            "price": {"amount": "10", "currency": "EUR"},
            "stock": 1,
            "status": status,
        }
    )
    now = datetime.now(UTC)
    return Pet.from_details(details, pet_id="pet-1", version=1, created_at=now, updated_at=now)


@pytest.mark.parametrize(
    ("status", "on_sale"), [("available", True), ("sold", False), ("pending", False)]
)
def test_a_pet_is_announced_on_sale_only_while_available(status: str, on_sale: bool) -> None:
    assert pet_changed(pet_with(status)).data.on_sale is on_sale


def test_a_deleted_pet_is_announced_off_sale() -> None:
    assert pet_changed(pet_with("available"), deleted=True).data.on_sale is False
