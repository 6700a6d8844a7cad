"""Cognito's sign-up, confirmation and sign-in checks as AWS documents them.

moto's SignUp sends no confirmation code and its ConfirmSignUp confirms whatever code it
is given (the code is not even read); ResendConfirmationCode does not exist; passwords are
refused with one message whatever the rule broken; InitiateAuth accepts every flow whatever
the app client allows, and names an unknown user even when the client prevents user
existence errors. Here:

- a sign-up whose pool auto-verifies `email` gets a six-digit code, valid for 24 hours,
  "e-mailed" as Cognito's default message: kept in the pool's sent messages, which the
  emulator serves at `SENT_MESSAGES_PATH` (the local stand-in for the shopper's inbox);
- ConfirmSignUp answers CodeMismatchException for a wrong code, ExpiredCodeException for
  an expired or superseded one, and on success marks the e-mail verified;
- ResendConfirmationCode sends a new code (the previous one no longer matches);
- AdminCreateUser with DesiredDeliveryMediums EMAIL sends the invitation with a
  temporary password, generated when none is given;
- passwords are checked against the pool's policy with Cognito's messages, and against
  Cognito's default policy when the pool has none;
- InitiateAuth refuses a flow the client does not allow, and with
  PreventUserExistenceErrors ENABLED answers an unknown user as a wrong password;
- a pool whose UsernameConfiguration is not CaseSensitive finds "Alice@Example.com" as
  "alice@example.com"; AllowAdminCreateUserOnly refuses SignUp.
"""

from __future__ import annotations

import json
import re
import secrets
import string
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from typing import Any

from moto.cognitoidp.exceptions import (
    CodeMismatchException,
    ExpiredCodeException,
    InvalidParameterException,
    NotAuthorizedError,
    ResourceNotFoundError,
    UsernameExistsException,
    UserNotFoundError,
)
from moto.cognitoidp.models import (
    CognitoIdpBackend,
    CognitoIdpUser,
    CognitoIdpUserPool,
    UserStatus,
    cognitoidp_backends,
)
from moto.cognitoidp.responses import CognitoIdpResponse
from moto.core.exceptions import JsonRESTError
from moto.core.responses import ActionResult

from localcloud.emulator.cognito import EXPIRE_CODES_PATH, SENT_MESSAGES_PATH

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
CODE_VALIDITY_S = 24 * 60 * 60
"""Sign-up confirmation codes are valid for 24 hours (Cognito developer guide)."""
DEFAULT_VERIFICATION_SUBJECT = "Your verification code"
DEFAULT_VERIFICATION_MESSAGE = "Your verification code is {####}. "
DEFAULT_INVITATION_SUBJECT = "Your temporary password"
DEFAULT_INVITATION_MESSAGE = "Your username is {username} and temporary password is {####}. "
CODE_PLACEHOLDER = "{####}"
DEFAULT_PASSWORD_POLICY = {
    "MinimumLength": 8,
    "RequireUppercase": True,
    "RequireLowercase": True,
    "RequireNumbers": True,
    "RequireSymbols": True,
}
SYMBOLS = "^$*.[]{}()?\"!@#%&/\\,><':;|_~`=+- "
DEFAULT_AUTH_FLOWS = ("ALLOW_USER_SRP_AUTH", "ALLOW_CUSTOM_AUTH", "ALLOW_REFRESH_TOKEN_AUTH")
FLOW_PERMISSIONS = {
    "USER_PASSWORD_AUTH": ("ALLOW_USER_PASSWORD_AUTH", "USER_PASSWORD_AUTH"),
    "USER_SRP_AUTH": ("ALLOW_USER_SRP_AUTH",),
    "CUSTOM_AUTH": ("ALLOW_CUSTOM_AUTH", "CUSTOM_AUTH_FLOW_ONLY"),
}
"""The flows a client must allow for InitiateAuth to take them; refresh tokens are always
allowed, and a client with only legacy flow names keeps SRP."""


@dataclass(frozen=True)
class SentMessage:
    user_pool_id: str
    username: str
    destination: str
    kind: str
    """"sign-up" (a confirmation code) or "invitation" (a temporary password)."""
    subject: str
    body: str
    code: str
    sent_at: float
    expires_at: float


@dataclass(frozen=True)
class PendingCode:
    code: str
    expires_at: float


class PasswordPolicyViolation(JsonRESTError):
    def __init__(self, reason: str) -> None:
        super().__init__(
            "InvalidPasswordException", f"Password did not conform with policy: {reason}"
        )


MOTO_SIGN_UP = CognitoIdpBackend.sign_up
MOTO_GET_USER = CognitoIdpUserPool._get_user
MOTO_INITIATE_AUTH = CognitoIdpBackend.initiate_auth
MOTO_ADMIN_CREATE_USER = CognitoIdpResponse.admin_create_user


def sent_messages_of(pool: CognitoIdpUserPool) -> list[SentMessage]:
    messages: list[SentMessage] | None = getattr(pool, "localcloud_sent_messages", None)
    if messages is None:
        messages = []
        pool.localcloud_sent_messages = messages  # type: ignore[attr-defined]
    return messages


def sign_up(
    self: CognitoIdpBackend,
    client_id: str,
    username: str,
    password: str,
    attributes: list[dict[str, str]],
) -> tuple[CognitoIdpUser, Any]:
    pool = _pool_of_client(self, client_id)
    if (pool.extended_config.get("AdminCreateUserConfig") or {}).get("AllowAdminCreateUserOnly"):
        raise NotAuthorizedError("SignUp is not permitted for this user pool")
    if pool._get_user(username):
        raise UsernameExistsException(_existing_user_message(pool, username))
    user, delivery = MOTO_SIGN_UP(self, client_id, username, password, attributes)
    if delivery and delivery.get("DeliveryMedium") == "EMAIL":
        _send_confirmation_code(pool, user)
    return user, delivery


def get_user(self: CognitoIdpUserPool, username: str) -> CognitoIdpUser:
    user = MOTO_GET_USER(self, username)
    configuration = self.extended_config.get("UsernameConfiguration") or {}
    if user is not None or not username or configuration.get("CaseSensitive", True):
        return user
    folded = username.casefold()
    attributes = self.extended_config.get("UsernameAttributes") or []
    for candidate in self.users.values():
        names = [candidate.username, *(candidate.attribute_lookup.get(a) for a in attributes)]
        if any(name and name.casefold() == folded for name in names):
            return candidate
    return user


def _existing_user_message(pool: CognitoIdpUserPool, username: str) -> str:
    if "email" in pool.extended_config.get("UsernameAttributes", []) and "@" in username:
        return "An account with the given email already exists."
    return "User already exists"


def _send_confirmation_code(pool: CognitoIdpUserPool, user: CognitoIdpUser) -> None:
    code = f"{secrets.randbelow(10**6):06d}"
    now = time.time()
    user.localcloud_sign_up_code = PendingCode(code, now + CODE_VALIDITY_S)  # type: ignore[attr-defined]
    config = pool.extended_config
    template = config.get("VerificationMessageTemplate") or {}
    subject = (
        template.get("EmailSubject")
        or config.get("EmailVerificationSubject")
        or DEFAULT_VERIFICATION_SUBJECT
    )
    message = (
        template.get("EmailMessage")
        or config.get("EmailVerificationMessage")
        or DEFAULT_VERIFICATION_MESSAGE
    )
    body = message.replace(CODE_PLACEHOLDER, code)
    _record(pool, user, "sign-up", subject, body, code, now + CODE_VALIDITY_S)


def _record(
    pool: CognitoIdpUserPool,
    user: CognitoIdpUser,
    kind: str,
    subject: str,
    body: str,
    code: str,
    expires_at: float,
) -> None:
    sent_messages_of(pool).append(
        SentMessage(
            user_pool_id=pool.id,
            username=user.username,
            destination=user.attribute_lookup.get("email", ""),
            kind=kind,
            subject=subject,
            body=body,
            code=code,
            sent_at=time.time(),
            expires_at=expires_at,
        )
    )


def confirm_sign_up(self: CognitoIdpResponse) -> ActionResult:
    client_id = self._get_param("ClientId")
    username = self._get_param("Username")
    code = str(self._get_param("ConfirmationCode") or "")
    backend = self._get_region_agnostic_backend()._find_backend_for_clientid(client_id)
    pool = _pool_of_client(backend, client_id)
    user = pool._get_user(username)
    if not user:
        raise UserNotFoundError("Username/client id combination not found.")
    if user.status is not UserStatus.UNCONFIRMED:
        raise NotAuthorizedError(
            f"User cannot be confirmed. Current status is {UserStatus(user.status).value}"
        )
    pending: PendingCode | None = getattr(user, "localcloud_sign_up_code", None)
    if pending is None or not secrets.compare_digest(pending.code, code):
        raise CodeMismatchException("Invalid verification code provided, please try again.")
    if time.time() >= pending.expires_at:
        raise ExpiredCodeException("Invalid code provided, please request a code again.")
    user.status = UserStatus.CONFIRMED
    user.localcloud_sign_up_code = None  # type: ignore[attr-defined]
    if "email" in user.attribute_lookup:
        user.update_attributes([{"Name": "email_verified", "Value": "true"}])
    return ActionResult({})


def resend_confirmation_code(self: CognitoIdpResponse) -> ActionResult:
    client_id = self._get_param("ClientId")
    username = self._get_param("Username")
    backend = self._get_region_agnostic_backend()._find_backend_for_clientid(client_id)
    pool = _pool_of_client(backend, client_id)
    user = pool._get_user(username)
    if not user:
        raise UserNotFoundError("Username/client id combination not found.")
    if user.status is not UserStatus.UNCONFIRMED:
        raise InvalidParameterException("User is already confirmed.")
    if "email" not in pool.extended_config.get("AutoVerifiedAttributes", []):
        raise InvalidParameterException("Auto verification not turned on.")
    _send_confirmation_code(pool, user)
    recovery = pool.extended_config.get("AccountRecoverySetting")
    delivery = backend._get_code_delivery_details(recovery, user, user.username)
    return ActionResult({"CodeDeliveryDetails": delivery})


def admin_create_user(self: CognitoIdpResponse) -> ActionResult:
    mediums = self._get_param("DesiredDeliveryMediums") or ["SMS"]
    action = self._get_param("MessageAction")
    result = MOTO_ADMIN_CREATE_USER(self)
    if action == "SUPPRESS" or "EMAIL" not in mediums:
        return result
    pool = self.backend.describe_user_pool(self._get_param("UserPoolId"))
    user = pool._get_user(self._get_param("Username"))
    if user is None or "email" not in user.attribute_lookup:
        return result
    if not user.password:
        user.password = temporary_password(_password_policy(pool))
    template = pool.extended_config.get("AdminCreateUserConfig", {}).get(
        "InviteMessageTemplate", {}
    )
    subject = template.get("EmailSubject") or DEFAULT_INVITATION_SUBJECT
    message = template.get("EmailMessage") or DEFAULT_INVITATION_MESSAGE
    body = message.replace("{username}", self._get_param("Username")).replace(
        CODE_PLACEHOLDER, user.password
    )
    policy = _password_policy(pool)
    valid_days = int(policy.get("TemporaryPasswordValidityDays", 7))
    expires_at = time.time() + valid_days * 24 * 60 * 60
    _record(pool, user, "invitation", subject, body, user.password, expires_at)
    return result


def temporary_password(policy: dict[str, Any]) -> str:
    """A password the policy accepts: one character of every class, then random letters."""
    alphabet = string.ascii_letters + string.digits
    required = [
        secrets.choice(string.ascii_uppercase),
        secrets.choice(string.ascii_lowercase),
        secrets.choice(string.digits),
        secrets.choice("!#%&*+-=?@^_"),
    ]
    length = max(int(policy.get("MinimumLength", 8)), 12)
    rest = [secrets.choice(alphabet) for _ in range(length - len(required))]
    return "".join(required + rest)


def _password_policy(pool: CognitoIdpUserPool) -> dict[str, Any]:
    policies = pool.extended_config.get("Policies") or {}
    return dict(policies.get("PasswordPolicy") or DEFAULT_PASSWORD_POLICY)


def validate_password(self: CognitoIdpBackend, user_pool_id: str, password: str) -> None:
    policy = _password_policy(self.describe_user_pool(user_pool_id))
    if len(password) < int(policy.get("MinimumLength", 8)):
        raise PasswordPolicyViolation("Password not long enough")
    rules = (
        ("RequireUppercase", r"[A-Z]", "Password must have uppercase characters"),
        ("RequireLowercase", r"[a-z]", "Password must have lowercase characters"),
        ("RequireNumbers", r"[0-9]", "Password must have numeric characters"),
    )
    for setting, pattern, reason in rules:
        if policy.get(setting) and not re.search(pattern, password):
            raise PasswordPolicyViolation(reason)
    if policy.get("RequireSymbols") and not any(character in SYMBOLS for character in password):
        raise PasswordPolicyViolation("Password must have symbol characters")


def initiate_auth(
    self: CognitoIdpBackend, client_id: str, auth_flow: str, auth_parameters: dict[str, str]
) -> dict[str, Any]:
    pool = _pool_of_client(self, client_id)
    client = pool.clients[client_id]
    allowed = client.extended_config.get("ExplicitAuthFlows") or DEFAULT_AUTH_FLOWS
    needed = FLOW_PERMISSIONS.get(auth_flow)
    legacy_srp = auth_flow == "USER_SRP_AUTH" and not any(
        flow.startswith("ALLOW_") for flow in allowed
    )
    if needed is not None and not legacy_srp and not set(needed) & set(allowed):
        raise InvalidParameterException(f"{auth_flow} flow not enabled for this client")
    try:
        return MOTO_INITIATE_AUTH(self, client_id, auth_flow, auth_parameters)
    except UserNotFoundError:
        if client.extended_config.get("PreventUserExistenceErrors") == "ENABLED":
            raise NotAuthorizedError("Incorrect username or password.") from None
        raise


def _pool_of_client(backend: CognitoIdpBackend, client_id: str) -> CognitoIdpUserPool:
    for pool in backend.user_pools.values():
        if client_id in pool.clients:
            return pool
    raise ResourceNotFoundError(client_id)


class ServeSentMessages:
    """The emulator's own addresses for what Cognito sent: GET `SENT_MESSAGES_PATH`
    (?UserPoolId=&Destination=) lists the messages; POST `EXPIRE_CODES_PATH` with
    {"UserPoolId", "Username"} makes that user's codes expire now, as if 24 hours had
    passed (for tests)."""

    def __init__(self, app: WsgiApp) -> None:
        self._app = app

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == SENT_MESSAGES_PATH and environ.get("REQUEST_METHOD") == "GET":
            return _answer(start_response, "200 OK", {"Messages": _listed(environ)})
        if path == EXPIRE_CODES_PATH and environ.get("REQUEST_METHOD") == "POST":
            return _expire(environ, start_response)
        return self._app(environ, start_response)


def _listed(environ: dict[str, Any]) -> list[dict[str, Any]]:
    from urllib.parse import parse_qs

    query = {key: values[-1] for key, values in parse_qs(environ.get("QUERY_STRING", "")).items()}
    wanted_pool, wanted_to = query.get("UserPoolId"), query.get("Destination", "").lower()
    listed = []
    for pool in _pools():
        if wanted_pool and pool.id != wanted_pool:
            continue
        for message in sent_messages_of(pool):
            if not wanted_to or message.destination.lower() == wanted_to:
                listed.append(asdict(message))
    return sorted(listed, key=lambda message: message["sent_at"])


def _expire(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    length = int(environ.get("CONTENT_LENGTH") or 0)
    request = json.loads(environ["wsgi.input"].read(length) or b"{}")
    for pool in _pools():
        if pool.id != request.get("UserPoolId"):
            continue
        user = pool._get_user(str(request.get("Username", "")))
        pending: PendingCode | None = getattr(user, "localcloud_sign_up_code", None)
        if user is None or pending is None:
            return _answer(start_response, "404 Not Found", {"Expired": 0})
        user.localcloud_sign_up_code = PendingCode(pending.code, time.time())  # type: ignore[attr-defined]
        return _answer(start_response, "200 OK", {"Expired": 1})
    return _answer(start_response, "404 Not Found", {"Expired": 0})


def _pools() -> Iterable[CognitoIdpUserPool]:
    for regions in list(cognitoidp_backends.values()):
        for region, backend in list(regions.items()):
            if region != "global":
                yield from list(backend.user_pools.values())


def _answer(
    start_response: Callable[..., Any], status: str, body: dict[str, Any]
) -> Iterable[bytes]:
    payload = json.dumps(body).encode()
    start_response(
        status, [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))]
    )
    return [payload]


def install() -> None:
    CognitoIdpBackend.sign_up = sign_up  # type: ignore[method-assign]
    CognitoIdpUserPool._get_user = get_user  # type: ignore[method-assign]
    CognitoIdpBackend.initiate_auth = initiate_auth  # type: ignore[method-assign]
    CognitoIdpBackend._validate_password = validate_password  # type: ignore[method-assign]
    CognitoIdpResponse.confirm_sign_up = confirm_sign_up  # type: ignore[method-assign]
    CognitoIdpResponse.admin_create_user = admin_create_user  # type: ignore[method-assign]
    CognitoIdpResponse.resend_confirmation_code = resend_confirmation_code  # type: ignore[attr-defined]
