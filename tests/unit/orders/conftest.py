"""The saga's unit fixtures (support.saga_fixtures): the template in moto, in-process."""

from support.saga_fixtures import add_pet, admin, alice, bob, saga, stock_of  # noqa: F401
