from __future__ import annotations

from orders.dal.pet_offers_table import PetOffersTable
from orders.errors import PetNotOnSale
from orders.models import PetOffer


def offer_on_sale(pet_id: str, *, offers: PetOffersTable) -> PetOffer:
    """The pet's offer, if it takes orders; PetNotOnSale when the orders service never
    heard of the pet (or not yet) or heard that it is off sale (sold, pending, deleted)."""
    offer = offers.find_offer(pet_id)
    if offer is None or not offer.on_sale:
        raise PetNotOnSale(pet_id)
    return offer
