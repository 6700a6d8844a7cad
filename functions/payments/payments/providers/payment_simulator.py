"""The default payment provider: a deterministic simulator, so that every path of the
saga can be driven on purpose with a test card token.

    tok_visa, tok_mastercard, tok_amex   approved
    tok_decline                          declined (card_declined)
    tok_insufficient_funds               declined (insufficient_funds)
    tok_transient_<N>                    unavailable for the first N attempts, then approved
    tok_timeout_<N>                      answers nothing for the first N attempts (the call
                                         fails once the simulator's timeout has passed),
                                         then approved
    anything else                        declined (invalid_token)

Ids derive from the idempotency key: the same request gives the same charge or refund.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Callable

from payments.logic.payment_provider import (
    ChargeApproved,
    ChargeDeclined,
    ChargeRequest,
    ProviderUnavailable,
    RefundRequest,
)

APPROVED_TOKENS = frozenset({"tok_visa", "tok_mastercard", "tok_amex"})
DECLINE_REASON_BY_TOKEN = {
    "tok_decline": "card_declined",
    "tok_insufficient_funds": "insufficient_funds",
}
_TRANSIENT = re.compile(r"^tok_transient_(\d{1,3})$")
_TIMEOUT = re.compile(r"^tok_timeout_(\d{1,3})$")
TIMEOUT_S = 1.0
"""The timeout a simulator is built with unless told otherwise."""


class PaymentSimulator:
    """Not a provider for real money: the template refuses it on the prod stage."""

    def __init__(
        self, timeout_s: float = TIMEOUT_S, sleep: Callable[[float], None] = time.sleep
    ) -> None:
        self._timeout_s = timeout_s
        self._sleep = sleep

    def charge(self, request: ChargeRequest) -> ChargeApproved | ChargeDeclined:
        token = request.payment_token
        transient = _TRANSIENT.match(token)
        timeout = _TIMEOUT.match(token)
        if transient and request.attempt_number <= int(transient.group(1)):
            raise ProviderUnavailable(
                f"Simulated outage, attempt {request.attempt_number} of {token}"
            )
        if timeout and request.attempt_number <= int(timeout.group(1)):
            self._sleep(self._timeout_s)
            raise ProviderUnavailable(
                f"Simulated timeout, attempt {request.attempt_number} of {token}"
            )
        if token in APPROVED_TOKENS or transient or timeout:
            return ChargeApproved(charge_id=_derived_id("ch", request.idempotency_key))
        return ChargeDeclined(reason=DECLINE_REASON_BY_TOKEN.get(token, "invalid_token"))

    def refund(self, request: RefundRequest) -> str:
        return _derived_id("re", request.idempotency_key)


def _derived_id(prefix: str, idempotency_key: str) -> str:
    return f"{prefix}_{hashlib.sha256(idempotency_key.encode()).hexdigest()[:24]}"
