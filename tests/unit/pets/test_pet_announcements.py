"""Every change of a pet by an admin writes its pet.changed event to the pets table's
outbox in the same transaction: what the orders service sells from."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import pytest

from pets.errors import PetKeptChanging, PetNotFound, VersionConflict
from pets.logic.delete_pet import delete_pet
from pets.logic.reserve_stock import reserve_stock
from pets.logic.update_pet import update_pet
from pets.models import Pet, PetDetails
from petstore_shared.aws_clients import dynamodb_client
from petstore_shared.events.registry import parse_event


def announced(pet_id: str) -> list[Any]:
    """The pet's events in the outbox, oldest version first."""
    response = dynamodb_client().query(
        TableName=os.environ["PETS_TABLE_NAME"],
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": f"OUTBOX#{pet_id}"}},
    )
    events = [parse_event(item["event"]["S"]) for item in response["Items"]]
    return sorted(events, key=lambda event: event.data.pet_version)


def details(price: str = "120.00") -> PetDetails:
    return PetDetails.model_validate(
        {"name": "Rex", "species": "dog", "price": {"amount": price, "currency": "EUR"}, "stock": 3}
    )


def test_adding_a_pet_announces_it_on_sale_at_version_1(add_pet: Callable[..., Pet]) -> None:
    pet = add_pet()

    [added] = announced(pet.id)

    assert added.type == "pet.changed"
    assert added.correlation_id == pet.id
    assert added.data.model_dump(mode="json") == {
        "petId": pet.id,
        "name": "Rex",
        "price": {"amount": "100.00", "currency": "EUR"},
        "onSale": True,
        "petVersion": 1,
    }


def test_updating_a_pet_announces_its_new_price_and_version(add_pet: Callable[..., Pet]) -> None:
    pet = add_pet()

    update_pet(pet.id, details("120.00"), expected_version=1)

    latest = announced(pet.id)[-1].data
    assert (str(latest.price.amount), latest.pet_version) == ("120.00", 2)


def test_a_refused_update_announces_nothing(add_pet: Callable[..., Pet]) -> None:
    pet = add_pet()

    with pytest.raises(VersionConflict):
        update_pet(pet.id, details(), expected_version=7)

    assert len(announced(pet.id)) == 1


def test_deleting_a_pet_announces_it_off_sale_after_every_stock_change(
    add_pet: Callable[..., Pet],
) -> None:
    pet = add_pet()
    reserve_stock(pet.id, "order-1", 1)

    delete_pet(pet.id)

    deleted = announced(pet.id)[-1].data
    assert (deleted.on_sale, deleted.pet_version) == (False, 3)
    with pytest.raises(PetNotFound):
        delete_pet(pet.id)
    assert len(announced(pet.id)) == 2


def test_a_delete_that_keeps_losing_to_stock_changes_gives_up_with_a_conflict(
    add_pet: Callable[..., Pet], monkeypatch: pytest.MonkeyPatch
) -> None:
    pet = add_pet()
    monkeypatch.setattr(
        "pets.dal.pets_table.PetsTable.mark_pet_deleted", lambda *_args, **_kwargs: False
    )

    with pytest.raises(PetKeptChanging):
        delete_pet(pet.id)
