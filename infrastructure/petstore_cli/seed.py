"""Demo data for `petstore up`: the demo users in the user pool and the demo
pets, added through the API as the admin (the same path a real admin takes)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import requests

from petstore_cli.demo_users import create_demo_users, id_token

DEMO_PETS = Path(__file__).with_name("demo_pets.json")
# The first pets of a fresh cloud start the pets outbox publisher and the orders
# service's pet events consumer cold.
ORDERABLE_WAIT_S = 60.0
POLL_INTERVAL_S = 0.1


class SeedError(Exception):
    pass


def seed_demo_data(api_url: str, cognito: Any, pool_id: str, client_id: str) -> int:
    """Create the demo users and pets; returns how many pets were added."""
    create_demo_users(cognito, pool_id)
    token = id_token(cognito, client_id, "admin")
    pets = json.loads(DEMO_PETS.read_text())
    with requests.Session() as http:
        http.headers["Authorization"] = f"Bearer {token}"
        added = [_add_pet(http, api_url, pet) for pet in pets]
        wait_until_orderable(http, api_url, added)
    return len(pets)


def _add_pet(http: requests.Session, api_url: str, pet: dict[str, Any]) -> str:
    answer = http.post(f"{api_url}/pets", json=pet, timeout=30)
    if answer.status_code != 201:
        raise SeedError(
            f"Adding demo pet {pet['name']!r} failed: {answer.status_code} {answer.text}"
        )
    pet_id: str = answer.json()["id"]
    return pet_id


def wait_until_orderable(
    http: requests.Session, api_url: str, pet_ids: list[str], timeout_s: float = ORDERABLE_WAIT_S
) -> None:
    """Until the orders service sells every pet: it learns of a pet from the pet's
    pet.changed event, a moment after the pet was added."""
    deadline = time.monotonic() + timeout_s
    waiting = list(pet_ids)
    while waiting:
        waiting = [
            pet_id
            for pet_id in waiting
            if http.get(f"{api_url}/orders/offers/{pet_id}", timeout=30).status_code != 200
        ]
        if waiting and time.monotonic() >= deadline:
            raise SeedError(
                f"{len(waiting)} demo pets were not on sale in the orders service "
                f"after {timeout_s:.0f} s"
            )
        if waiting:
            time.sleep(POLL_INTERVAL_S)
