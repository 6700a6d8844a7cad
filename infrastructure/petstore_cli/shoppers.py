"""A shopper's account in the running local cloud's user pool, driven as a web or
command-line client drives Cognito on AWS: sign up with an e-mail address and a password,
read the code Cognito e-mails (locally: the emulator keeps it), confirm, sign in with
USER_PASSWORD_AUTH. Cognito's refusals come back under their own names."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from botocore.exceptions import ClientError

from localcloud.emulator.access import EmulatorAccess
from localcloud.emulator.cognito import sent_messages


class CognitoRefusal(Exception):
    """Cognito said no: its error name (InvalidPasswordException, UsernameExistsException,
    CodeMismatchException, ExpiredCodeException, …) and its message."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(f"{name}: {message}")
        self.name = name


class NoCodeSentError(Exception):
    def __init__(self, email: str) -> None:
        super().__init__(
            f"No confirmation code was sent to {email}: sign up first "
            f"(petstore signup {email}), or ask for a new code (petstore resend-code {email})."
        )


@contextmanager
def cognito_refusals() -> Iterator[None]:
    try:
        yield
    except ClientError as error:
        details = error.response.get("Error", {})
        raise CognitoRefusal(
            str(details.get("Code", "Error")), str(details.get("Message", ""))
        ) from None


def sign_up(cognito: Any, client_id: str, email: str, password: str) -> dict[str, Any]:
    """SignUp; returns where Cognito sent the code (CodeDeliveryDetails)."""
    with cognito_refusals():
        answer = cognito.sign_up(ClientId=client_id, Username=email, Password=password)
    return dict(answer.get("CodeDeliveryDetails") or {})


def confirmation_code(
    endpoint_url: str, pool_id: str, email: str, access: EmulatorAccess | None = None
) -> str:
    """The newest sign-up code the pool e-mailed to this address."""
    codes = [
        message["code"]
        for message in sent_messages(endpoint_url, pool_id, email, access)
        if message["kind"] == "sign-up"
    ]
    if not codes:
        raise NoCodeSentError(email)
    return str(codes[-1])


def confirm_sign_up(cognito: Any, client_id: str, email: str, code: str) -> None:
    with cognito_refusals():
        cognito.confirm_sign_up(ClientId=client_id, Username=email, ConfirmationCode=code)


def resend_code(cognito: Any, client_id: str, email: str) -> dict[str, Any]:
    with cognito_refusals():
        answer = cognito.resend_confirmation_code(ClientId=client_id, Username=email)
    return dict(answer.get("CodeDeliveryDetails") or {})


def sign_in(cognito: Any, client_id: str, email: str, password: str) -> dict[str, Any]:
    """InitiateAuth with USER_PASSWORD_AUTH; returns the AuthenticationResult (IdToken,
    AccessToken, RefreshToken, ExpiresIn)."""
    with cognito_refusals():
        answer = cognito.initiate_auth(
            ClientId=client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": email, "PASSWORD": password},
        )
    if "AuthenticationResult" not in answer:
        challenge = answer.get("ChallengeName", "a challenge")
        raise CognitoRefusal(
            str(challenge), "Cognito asks for more before signing this user in (a new password?)"
        )
    return dict(answer["AuthenticationResult"])
