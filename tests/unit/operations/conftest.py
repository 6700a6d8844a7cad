"""The saga's unit fixtures (support.saga_fixtures): the template in moto, in-process."""

from support.saga_fixtures import (  # noqa: F401
    add_pet,
    alice,
    order_of,
    place_order,
    saga,
)
