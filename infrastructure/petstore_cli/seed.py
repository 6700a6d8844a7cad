"""Demo data for `petstore up`: the demo users in the user pool and the demo
pets, added through the API as the admin (the same path a real admin takes)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import requests

from petstore_cli.demo_users import create_demo_users, id_token

DEMO_PETS = Path(__file__).with_name("demo_pets.json")


class SeedError(Exception):
    pass


def seed_demo_data(api_url: str, cognito: Any, pool_id: str, client_id: str) -> int:
    """Create the demo users and pets; returns how many pets were added."""
    create_demo_users(cognito, pool_id)
    token = id_token(cognito, pool_id, client_id, "admin")
    pets = json.loads(DEMO_PETS.read_text())
    with requests.Session() as http:
        http.headers["Authorization"] = f"Bearer {token}"
        for pet in pets:
            answer = http.post(f"{api_url}/pets", json=pet, timeout=30)
            if answer.status_code != 201:
                raise SeedError(
                    f"Adding demo pet {pet['name']!r} failed: {answer.status_code} {answer.text}"
                )
    return len(pets)
