"""The event that announces a pet's change to the other services (pet.changed), written
to the pets table's outbox in the same transaction as the change."""

from __future__ import annotations

from pets.models import Pet, PetStatus
from petstore_shared.events.catalog import Money, PetChanged
from petstore_shared.events.envelope import Event, derived_event_id, new_event

EVENT_SOURCE = "petstore.pets"


def pet_changed(pet: Pet, *, deleted: bool = False) -> Event[PetChanged]:
    """The pet as it is at its version, on sale only while its status is `available`; the
    id follows from the pet and its version, so writing the announcement again after a
    crash writes nothing new."""
    data = PetChanged(
        pet_id=pet.id,
        name=pet.name,
        price=Money(amount=pet.price.amount, currency=pet.price.currency),
        on_sale=pet.status is PetStatus.AVAILABLE and not deleted,
        pet_version=pet.version,
    )
    return new_event(
        data,
        source=EVENT_SOURCE,
        event_id=derived_event_id(pet.id, data.event_type, pet.version),
        time=pet.updated_at,
    )
