"""How the pets the orders service sells are laid out in the orders table, kept from the
pets service's pet.changed events:

    offer  pk=PET#<petId>  sk=OFFER  name, price, onSale, petVersion

A deleted pet keeps its offer, off sale, so that an older event arriving late cannot
put it back on sale.
"""

from __future__ import annotations

from decimal import Decimal

from orders.dal.order_items import Item, RawItem
from orders.models import PetOffer
from petstore_shared.events.catalog import Money

OFFER_SORT_KEY = "OFFER"


def offer_key(pet_id: str) -> Item:
    return {"pk": {"S": f"PET#{pet_id}"}, "sk": {"S": OFFER_SORT_KEY}}


def offer_to_item(offer: PetOffer) -> Item:
    return {
        **offer_key(offer.pet_id),
        "entity": {"S": "PetOffer"},
        "petId": {"S": offer.pet_id},
        "name": {"S": offer.name},
        "priceAmount": {"N": str(offer.price.amount)},
        "priceCurrency": {"S": offer.price.currency},
        "onSale": {"BOOL": offer.on_sale},
        "petVersion": {"N": str(offer.pet_version)},
    }


def offer_from_item(item: RawItem) -> PetOffer:
    return PetOffer(
        pet_id=item["petId"]["S"],
        name=item["name"]["S"],
        price=Money(amount=Decimal(item["priceAmount"]["N"]), currency=item["priceCurrency"]["S"]),
        on_sale=item["onSale"]["BOOL"],
        pet_version=int(item["petVersion"]["N"]),
    )
