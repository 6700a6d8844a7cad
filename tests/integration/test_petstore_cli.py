"""The README's commands, run as a developer runs them: `petstore up`,
`petstore token`, `petstore invoke`."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from localcloud.emulator.process import free_port
from support.dap_client import connect, next_of, send
from support.petstore_process import PETSTORE, PROJECT, RunningUp, start_petstore_up
from support.waiting import wait_until

pytestmark = pytest.mark.integration

LOGS_SHIPPED_WITHIN_S = 15.0


@pytest.fixture(scope="module")
def petstore_up(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningUp]:
    running = start_petstore_up(tmp_path_factory.mktemp("state"))
    yield running
    if running.process.poll() is None:
        running.process.kill()
        running.process.wait()


def test_up_prints_the_urls_and_serves_the_demo_pets(petstore_up: RunningUp) -> None:
    printed = "".join(petstore_up.output)
    pets = requests.get(f"{petstore_up.api_url}/pets?limit=100", timeout=30).json()

    assert petstore_up.api_url in printed
    assert "Seeded 8 demo pets" in printed
    try_line = next(line for line in petstore_up.output if line.strip().startswith("Try:"))
    assert requests.get(try_line.split()[-1], timeout=30).status_code == 200
    assert {"Biscuit", "Mochi", "Kiwi"} <= {pet["name"] for pet in pets["items"]}


def test_up_sums_the_ignored_template_settings_up_in_one_line(petstore_up: RunningUp) -> None:
    ignored = [line for line in petstore_up.output if "ignored locally" in line]

    assert len(ignored) == 1
    assert ignored[0].strip().endswith("template settings ignored locally; --verbose lists them")


def test_token_prints_an_id_token_the_api_accepts(petstore_up: RunningUp) -> None:
    token = subprocess.run(
        [*PETSTORE, "token", "alice"],
        cwd=PROJECT,
        env=petstore_up.env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout.strip()
    pet = {"name": "Rex", "species": "dog", "price": {"amount": "1.00", "currency": "USD"}}

    as_alice = requests.post(
        f"{petstore_up.api_url}/pets",
        json={**pet, "stock": 1},
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )

    assert token.count(".") == 2
    assert as_alice.status_code == 403  # signed in, but not an admin


def test_token_for_an_unknown_user_names_the_demo_users(petstore_up: RunningUp) -> None:
    answer = subprocess.run(
        [*PETSTORE, "token", "mallory"],
        cwd=PROJECT,
        env=petstore_up.env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert answer.returncode == 1
    assert "alice, bob, admin" in answer.stderr


def petstore_command(running: RunningUp, *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*PETSTORE, *argv],
        cwd=PROJECT,
        env=running.env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_confirmed_order_puts_one_e_mail_in_its_shoppers_mailbox_and_none_in_others(
    petstore_up: RunningUp,
) -> None:
    token = petstore_command(petstore_up, "token", "alice").stdout.strip()
    alice = {"Authorization": f"Bearer {token}"}
    pet = requests.get(f"{petstore_up.api_url}/pets?limit=1", timeout=30).json()["items"][0]
    order = requests.post(
        f"{petstore_up.api_url}/orders",
        json={"petId": pet["id"], "quantity": 1, "paymentToken": "tok_visa"},
        headers=alice,
        timeout=30,
    ).json()["orderId"]

    def confirmation_mailed() -> str | None:
        mailbox = petstore_command(petstore_up, "mailbox", "alice").stdout
        return mailbox if f"Order confirmed  (order {order}" in mailbox else None

    mailbox = wait_until(confirmation_mailed, timeout_s=60, interval_s=0.5, what="the e-mail")
    bobs = petstore_command(petstore_up, "mailbox", "bob")

    page = requests.get(f"{petstore_up.api_url}/_mailbox", timeout=30)

    assert mailbox.count(f"--- Order confirmed  (order {order}") == 1
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC  from petstore@example.com", mailbox)
    assert "charged" in mailbox and pet["price"]["amount"] in mailbox
    assert bobs.returncode == 0 and order not in bobs.stdout
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    assert page.text.count(order) >= 1 and "alice@example.com" in page.text


def test_invoke_as_a_user_sends_the_route_event_with_that_users_verified_claims(
    petstore_up: RunningUp,
) -> None:
    pets = requests.get(f"{petstore_up.api_url}/pets?limit=1", timeout=30).json()["items"]
    body = json.dumps({"petId": pets[0]["id"], "quantity": 1, "paymentToken": "tok_visa"})
    alice = petstore_command(petstore_up, "token", "alice", "--user-id").stdout.strip()

    answer = petstore_command(
        petstore_up, "invoke", "PlaceOrderFunction", "--as", "alice", "--path", "/orders",
        "--body", body,
    )  # fmt: skip

    assert answer.returncode == 0, answer.stderr
    response = json.loads(answer.stdout)
    assert response["statusCode"] == 201
    assert json.loads(response["body"])["userId"] == alice


def test_invoke_without_a_user_reaches_the_function_unsigned(petstore_up: RunningUp) -> None:
    answer = petstore_command(
        petstore_up, "invoke", "ListUserOrdersFunction", "--path", "/orders/user/me"
    )

    assert answer.returncode == 0, answer.stderr
    assert json.loads(answer.stdout)["statusCode"] == 401


def test_invoke_of_an_unknown_function_lists_the_functions(petstore_up: RunningUp) -> None:
    answer = petstore_command(petstore_up, "invoke", "PlaceOrder", "--path", "/orders")

    assert answer.returncode == 1
    assert "has no function 'PlaceOrder'; it has:" in answer.stderr
    assert "  PlaceOrderFunction\n" in answer.stderr
    assert "Traceback" not in answer.stderr


def test_invoke_of_a_path_the_function_does_not_serve_names_its_routes(
    petstore_up: RunningUp,
) -> None:
    answer = petstore_command(petstore_up, "invoke", "ListUserOrdersFunction", "--path", "/pets")

    assert answer.returncode == 1
    assert "it serves GET /orders/user/{userId}" in answer.stderr
    assert len([line for line in answer.stderr.splitlines() if "ignored locally" in line]) == 1


def test_dlq_of_another_transport_names_the_running_one(petstore_up: RunningUp) -> None:
    answer = petstore_command(petstore_up, "dlq", "--transport", "kafka", "list")

    assert answer.returncode == 1
    assert "carries its events over sns, not kafka" in answer.stderr


def test_a_second_up_says_where_the_running_pet_store_is(petstore_up: RunningUp) -> None:
    second = petstore_command(
        petstore_up, "up", "--port", str(free_port()), "--emulator-port", str(free_port())
    )

    assert second.returncode == 1
    assert f"already running at {petstore_up.api_url}" in second.stderr
    assert requests.get(f"{petstore_up.api_url}/pets", timeout=30).status_code == 200


def test_up_logs_each_api_request_on_one_line(petstore_up: RunningUp) -> None:
    seeded = [line for line in petstore_up.output if re.search(r"^API\s+\| POST /pets 201 ", line)]

    assert len(seeded) == 8
    assert all(line.rstrip().endswith(" ms") for line in seeded)


def test_logs_prints_a_functions_lines_from_cloudwatch_logs(petstore_up: RunningUp) -> None:
    requests.get(f"{petstore_up.api_url}/pets", timeout=30).raise_for_status()
    deadline = time.monotonic() + LOGS_SHIPPED_WITHIN_S
    while True:  # the local cloud ships a function's lines to CloudWatch Logs each second
        answer = petstore_command(petstore_up, "logs", "ListPetsFunction", "--filter", "START")
        if "START RequestId" in answer.stdout or time.monotonic() > deadline:
            break
        time.sleep(0.5)

    assert answer.returncode == 0, answer.stderr
    assert all(" ListPetsFunction | START RequestId" in line for line in answer.stdout.splitlines())
    assert answer.stdout


def test_logs_of_an_unknown_function_lists_the_functions(petstore_up: RunningUp) -> None:
    answer = petstore_command(petstore_up, "logs", "NoSuchFunction")

    assert answer.returncode == 1
    assert "No function NoSuchFunction" in answer.stderr
    assert "ListPetsFunction" in answer.stderr


def test_ctrl_c_stops_everything_and_frees_the_port(petstore_up: RunningUp) -> None:
    petstore_up.process.send_signal(signal.SIGINT)
    # Read what it prints while it stops, as a terminal does: a full pipe would block it.
    petstore_up.process.communicate(timeout=30)

    assert petstore_up.process.returncode == 0
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{petstore_up.api_url}/pets", timeout=5)


def test_invoke_runs_one_function_with_a_sample_event(tmp_path: Path) -> None:
    env = {**os.environ, "PETSTORE_STATE_FILE": str(tmp_path / "none.json")}
    env.pop("AWS_ENDPOINT_URL", None)

    answer = subprocess.run(
        [*PETSTORE, "invoke", "ListPetsFunction", "--event", "events/api/list_pets.json"],
        cwd=PROJECT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert answer.returncode == 0, answer.stderr
    response = json.loads(answer.stdout)
    assert response["statusCode"] == 200
    assert json.loads(response["body"])["items"] == []


def test_invoke_with_debug_waits_for_a_debugger_on_the_port_then_answers(tmp_path: Path) -> None:
    env = {**os.environ, "PETSTORE_STATE_FILE": str(tmp_path / "none.json")}
    env.pop("AWS_ENDPOINT_URL", None)
    port = free_port()
    command = [*PETSTORE, "invoke", "ListPetsFunction", "--event", "events/api/list_pets.json"]
    invoke = subprocess.Popen(
        [*command, "--debug", "--debug-port", str(port)],
        cwd=PROJECT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        with connect(port, within_s=120) as client:
            buffer = bytearray()
            initialize = {"adapterID": "test", "clientID": "test"}
            send(
                client,
                {"seq": 1, "type": "request", "command": "initialize", "arguments": initialize},
            )
            assert next_of(client, buffer, "response")["success"] is True
            attach = {"justMyCode": True}
            send(client, {"seq": 2, "type": "request", "command": "attach", "arguments": attach})
            next_of(client, buffer, "event", "initialized")
            send(client, {"seq": 3, "type": "request", "command": "configurationDone"})
            out, err = invoke.communicate(timeout=120)
    finally:
        if invoke.poll() is None:
            invoke.kill()
            invoke.communicate()

    assert invoke.returncode == 0, err
    assert json.loads(out)["statusCode"] == 200
    assert f"waits for a debugger on 127.0.0.1:{port}" in err
