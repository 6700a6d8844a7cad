from __future__ import annotations

from orders.dal.pet_offers_table import PetOffersTable
from orders.models import PetOffer
from petstore_shared.events.catalog import PetChanged
from petstore_shared.events.envelope import Event


def keep_pet_offer(event: Event[PetChanged], *, offers: PetOffersTable) -> bool:
    """Take the pet as announced into the offers, unless a newer version of it is there
    already; True when the offer changed."""
    data = event.data
    offer = PetOffer(
        pet_id=data.pet_id,
        name=data.name,
        price=data.price,
        on_sale=data.on_sale,
        pet_version=data.pet_version,
    )
    return offers.keep_if_newer(offer)
