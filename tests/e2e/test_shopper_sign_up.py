"""A new shopper signs up with an e-mail address, confirms with the code Cognito e-mailed
(read with `petstore signup-code`), signs in with USER_PASSWORD_AUTH as a web or
command-line client does, and orders with the ID token; every refusal on the way comes back
under Cognito's own error name, printed by the `petstore` commands without a traceback."""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import jwt
import pytest

from localcloud.emulator.access import this_run
from localcloud.emulator.cognito import expire_confirmation_code
from petstore_cli import running_cloud
from petstore_cli.main import main
from support.api_client import ApiClient
from support.saga_http import Shop, add_pet, aws, order_of, place_order

pytestmark = pytest.mark.e2e

PASSWORD = "Shopper-Password-2026"


@dataclass(frozen=True)
class Printed:
    status: int
    out: str
    err: str


Petstore = Callable[..., Printed]


@pytest.fixture
def petstore_command(
    petstore: Shop,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> Petstore:
    """`petstore …` as a developer types it, against the test session's local cloud."""
    cloud = petstore.cloud
    assert cloud.stack is not None
    monkeypatch.setenv("PETSTORE_STATE_FILE", str(tmp_path / "petstore-cloud.json"))
    running_cloud.save(
        running_cloud.RunningCloud(
            pid=os.getpid(),
            api_url=cloud.api_url,
            endpoint_url=cloud.endpoint_url,
            region=cloud.stack.region,
            outputs=cloud.stack.outputs,
            access=asdict(this_run()),
        )
    )

    def run(*argv: str) -> Printed:
        capsys.readouterr()
        status = main(list(argv))
        printed = capsys.readouterr()
        return Printed(status, printed.out, printed.err)

    return run


def new_email() -> str:
    return f"shopper-{uuid.uuid4().hex[:10]}@example.com"


def sign_in(shop: Shop, email: str, password: str = PASSWORD) -> dict[str, str]:
    """InitiateAuth as a browser's or a CLI's Cognito SDK calls it: no secret, no admin."""
    cognito = aws(shop, "cognito-idp")
    answer = cognito.initiate_auth(
        ClientId=shop.outputs("UserPoolClientId"),
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": email, "PASSWORD": password},
    )
    return dict(answer["AuthenticationResult"])


def refused(printed: Printed, error_name: str) -> bool:
    return (
        printed.status == 1
        and printed.err.startswith(f"petstore: {error_name}: ")
        and "Traceback" not in printed.err
    )


def test_a_new_shopper_signs_up_confirms_signs_in_and_orders(
    petstore: Shop, petstore_command: Petstore
) -> None:
    email = new_email()
    pet_id = add_pet(petstore, stock=2, price="15.00")

    signed_up = petstore_command("signup", email, "--password", PASSWORD)
    code = petstore_command("signup-code", email)
    confirmed = petstore_command("confirm-signup", email, code.out.strip())
    tokens = sign_in(petstore, email)
    shopper = ApiClient(petstore.cloud.api_url, petstore.cloud.config.region, tokens["IdToken"])
    placed = place_order(shopper, pet_id)
    read_back = order_of(shopper, placed["orderId"])

    assert signed_up.status == 0, signed_up.err
    assert re.fullmatch(r"\d{6}\n", code.out)
    assert confirmed.status == 0, confirmed.err
    claims = jwt.decode(tokens["IdToken"], options={"verify_signature": False})
    assert claims["token_use"] == "id"
    assert claims["aud"] == petstore.outputs("UserPoolClientId")
    assert claims["iss"].endswith(f"/{petstore.outputs('UserPoolId')}")
    assert claims["email"] == email
    assert claims["email_verified"] == "true"
    assert read_back["orderId"] == placed["orderId"]
    assert read_back["userId"] == claims["sub"]
    assert set(tokens) >= {"IdToken", "AccessToken", "RefreshToken"}


def test_the_code_arrives_as_cognitos_verification_email(petstore: Shop) -> None:
    from localcloud.emulator.cognito import sent_messages

    email = new_email()
    cognito = aws(petstore, "cognito-idp")
    answer = cognito.sign_up(
        ClientId=petstore.outputs("UserPoolClientId"), Username=email, Password=PASSWORD
    )

    [message] = sent_messages(petstore.cloud.endpoint_url, petstore.outputs("UserPoolId"), email)
    assert answer["UserConfirmed"] is False
    assert answer["CodeDeliveryDetails"]["DeliveryMedium"] == "EMAIL"
    assert message["subject"] == "Your verification code"
    assert message["body"] == f"Your verification code is {message['code']}. "
    assert message["expires_at"] - message["sent_at"] == pytest.approx(24 * 3600)


def test_the_demo_users_still_get_tokens_and_sign_in_with_their_email(
    petstore: Shop, petstore_command: Petstore
) -> None:
    printed = petstore_command("token", "alice")
    claims = jwt.decode(printed.out.strip(), options={"verify_signature": False})

    assert printed.status == 0
    assert claims["email"] == "alice@example.com"
    assert petstore.alice.get(f"/orders/user/{claims['sub']}").status_code == 200


def test_token_tells_the_user_id_that_user_paths_take(
    petstore: Shop, petstore_command: Petstore
) -> None:
    printed = petstore_command("token", "alice")
    user_id = petstore_command("token", "alice", "--user-id").out.strip()
    claims = jwt.decode(printed.out.strip(), options={"verify_signature": False})

    assert user_id == claims["sub"]
    assert f"alice's user id: {user_id}" in printed.err
    assert petstore.alice.get("/orders/user/me").status_code == 200
    assert petstore.alice.get("/notifications/user/me").status_code == 200
    refused = petstore.alice.get("/orders/user/alice")
    assert refused.status_code == 403
    assert user_id in refused.json()["error"]["message"]


def test_a_weak_password_is_refused_naming_the_rule(petstore_command: Petstore) -> None:
    email = new_email()

    too_short = petstore_command("signup", email, "--password", "Short-1")
    no_digit = petstore_command("signup", email, "--password", "No-Digits-At-All")

    assert refused(too_short, "InvalidPasswordException")
    assert "Password not long enough" in too_short.err
    assert refused(no_digit, "InvalidPasswordException")
    assert "Password must have numeric characters" in no_digit.err


def test_an_email_already_signed_up_is_refused(petstore_command: Petstore) -> None:
    email = new_email()
    petstore_command("signup", email, "--password", PASSWORD)

    again = petstore_command("signup", email.upper(), "--password", PASSWORD)
    demo_user = petstore_command("signup", "alice@example.com", "--password", PASSWORD)

    assert refused(again, "UsernameExistsException")
    assert "An account with the given email already exists." in again.err
    assert refused(demo_user, "UsernameExistsException")


def test_a_wrong_code_is_refused_and_the_shopper_stays_unconfirmed(
    petstore: Shop, petstore_command: Petstore
) -> None:
    email = new_email()
    petstore_command("signup", email, "--password", PASSWORD)
    code = petstore_command("signup-code", email).out.strip()
    wrong = f"{(int(code) + 1) % 10**6:06d}"

    answer = petstore_command("confirm-signup", email, wrong)
    signing_in = petstore_command("signin", email, "--password", PASSWORD)

    assert refused(answer, "CodeMismatchException")
    assert refused(signing_in, "UserNotConfirmedException")


def test_an_expired_code_is_refused_and_a_new_one_confirms(
    petstore: Shop, petstore_command: Petstore
) -> None:
    email = new_email()
    petstore_command("signup", email, "--password", PASSWORD)
    first = petstore_command("signup-code", email).out.strip()
    expire_confirmation_code(petstore.cloud.endpoint_url, petstore.outputs("UserPoolId"), email)

    expired = petstore_command("confirm-signup", email, first)
    resent = petstore_command("resend-code", email)
    second = petstore_command("signup-code", email).out.strip()
    superseded = petstore_command("confirm-signup", email, first)
    confirmed = petstore_command("confirm-signup", email, second)
    signed_in = petstore_command("signin", email, "--password", PASSWORD)

    assert refused(expired, "ExpiredCodeException")
    assert resent.status == 0, resent.err
    assert refused(superseded, "CodeMismatchException")
    assert confirmed.status == 0, confirmed.err
    assert signed_in.out.count(".") == 2


def test_a_wrong_password_and_an_unknown_email_get_the_same_answer(
    petstore_command: Petstore,
) -> None:
    wrong_password = petstore_command("signin", "alice@example.com", "--password", "Nope-12345678")
    unknown = petstore_command("signin", new_email(), "--password", PASSWORD)

    assert refused(wrong_password, "NotAuthorizedException")
    assert refused(unknown, "NotAuthorizedException")
    assert wrong_password.err == unknown.err


def test_signup_code_for_an_address_that_never_signed_up_says_what_to_do(
    petstore_command: Petstore,
) -> None:
    email = new_email()

    printed = petstore_command("signup-code", email)

    assert printed.status == 1
    assert f"petstore signup {email}" in printed.err
    assert "Traceback" not in printed.err


def test_the_sign_up_code_arrives_in_the_shoppers_local_mailbox(
    petstore_command: Petstore,
) -> None:
    email = new_email()
    petstore_command("signup", email, "--password", PASSWORD)
    code = petstore_command("signup-code", email).out.strip()

    mailbox = petstore_command("mailbox", email)
    others = petstore_command("mailbox", new_email())

    assert mailbox.status == 0, mailbox.err
    assert mailbox.out.startswith("--- ") and code in mailbox.out
    assert "from no-reply@verificationemail.com" in mailbox.out
    assert others.out.startswith("No e-mail for ") and code not in others.out
