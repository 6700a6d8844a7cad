"""`petstore up --state DIR`: the pet store's data, users and their ids outlive a restart."""

from __future__ import annotations

import stat
import subprocess
from pathlib import Path

import pytest
import requests

from support.petstore_process import (
    PETSTORE,
    PROJECT,
    NotReadyError,
    RunningUp,
    start_petstore_up,
)
from support.waiting import wait_until

pytestmark = pytest.mark.integration

SAGA_WITHIN_S = 60.0
NEW_PET = {
    "name": "Pebble",
    "species": "rabbit",
    "price": {"amount": "20.00", "currency": "USD"},
    "stock": 3,
}


def _petstore(running: RunningUp, *argv: str) -> str:
    return subprocess.run(
        [*PETSTORE, *argv],
        cwd=PROJECT,
        env=running.env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout.strip()


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _place_confirmed_order(running: RunningUp, alice: str) -> tuple[str, str]:
    """As the admin, a new pet; as alice, an order of it, once it is CONFIRMED."""
    admin = _petstore(running, "token", "admin")
    added = requests.post(
        f"{running.api_url}/pets", json=NEW_PET, headers=_bearer(admin), timeout=30
    )
    assert added.status_code == 201, added.text
    pet_id = added.json()["id"]
    wait_until(
        lambda: requests.get(f"{running.api_url}/orders/offers/{pet_id}", timeout=30).ok,
        timeout_s=SAGA_WITHIN_S,
        what="the new pet on sale",
    )
    placed = requests.post(
        f"{running.api_url}/orders",
        json={"petId": pet_id, "quantity": 1, "paymentToken": "tok_visa"},
        headers=_bearer(alice),
        timeout=30,
    )
    assert placed.status_code == 201, placed.text
    order_id = placed.json()["orderId"]
    wait_until(
        lambda: _order(running, alice, order_id).get("status") == "CONFIRMED",
        timeout_s=SAGA_WITHIN_S,
        what="the order CONFIRMED",
    )
    return pet_id, order_id


def _order(running: RunningUp, token: str, order_id: str) -> dict[str, object]:
    answer = requests.get(
        f"{running.api_url}/orders/{order_id}", headers=_bearer(token), timeout=30
    )
    return dict(answer.json()) if answer.ok else {}


def test_state_is_kept_across_a_restart_with_the_same_user_ids_and_data(tmp_path: Path) -> None:
    state = tmp_path / "kept"
    first = start_petstore_up(tmp_path, "--state", str(state))
    try:
        alice = _petstore(first, "token", "alice")
        alice_id = _petstore(first, "token", "alice", "--user-id")
        pet_id, order_id = _place_confirmed_order(first, alice)
    finally:
        first.stop()
    saved = state / "emulator.pickle"

    second = start_petstore_up(tmp_path, "--state", str(state))
    try:
        pet = requests.get(f"{second.api_url}/pets/{pet_id}", timeout=30)
        order = _order(second, alice, order_id)  # with the token issued before the restart
        alice_id_after = _petstore(second, "token", "alice", "--user-id")
        pets = requests.get(f"{second.api_url}/pets?limit=100", timeout=30).json()["items"]
    finally:
        second.stop()

    assert first.process.returncode == 0
    assert stat.S_IMODE(saved.stat().st_mode) == 0o600
    assert stat.S_IMODE(state.stat().st_mode) == 0o700
    assert "Kept the saved pets" in "".join(second.output)
    assert "Seeded" not in "".join(second.output)
    assert pet.status_code == 200 and pet.json()["name"] == "Pebble"
    assert order["status"] == "CONFIRMED"
    assert order["userId"] == alice_id == alice_id_after
    assert sorted(p["name"] for p in pets).count("Pebble") == 1


def test_a_corrupt_state_file_stops_the_start_naming_it_and_is_left_as_it_was(
    tmp_path: Path,
) -> None:
    state = tmp_path / "kept"
    state.mkdir(mode=0o700)
    corrupt = state / "emulator.pickle"
    corrupt.write_bytes(b"not a saved state")

    with pytest.raises(NotReadyError) as refused:
        start_petstore_up(tmp_path, "--state", str(state))

    assert f"State file {corrupt} cannot be read" in str(refused.value)
    assert "Traceback" not in str(refused.value)
    assert corrupt.read_bytes() == b"not a saved state"


def test_a_state_folder_other_users_can_read_is_refused(tmp_path: Path) -> None:
    state = tmp_path / "open"
    state.mkdir()
    state.chmod(0o755)

    with pytest.raises(NotReadyError) as refused:
        start_petstore_up(tmp_path, "--state", str(state))

    assert f"State folder {state.resolve()} is readable by other users" in str(refused.value)
    assert not (state / "emulator.pickle").exists()
