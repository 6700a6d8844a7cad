"""The ways a payments use case can refuse a request."""

from __future__ import annotations

from petstore_shared.domain_errors import Conflict, NotFound


class PaymentNotFound(NotFound):
    """Also what a shopper gets for someone else's payment."""

    default_code = "PaymentNotFound"

    def __init__(self, payment_id: str):
        super().__init__(f"There is no payment with id '{payment_id}'.", field="paymentId")


class OrderPaymentsNotFound(NotFound):
    """No payment was ever started for the order (or it is someone else's order)."""

    default_code = "OrderNotAwaitingPayment"

    def __init__(self, order_id: str):
        super().__init__(
            f"Order '{order_id}' has no payment: it does not exist, is not yours, or its "
            "stock was never reserved.",
            field="orderId",
        )


class OrderNotPayable(Conflict):
    """The order is final: CONFIRMED (paid), REJECTED or CANCELLED."""

    default_code = "OrderNotPayable"

    def __init__(self, order_id: str, status: str):
        super().__init__(f"Order '{order_id}' is {status}; there is nothing to pay.")
        self.status = status


class ChargeInProgress(Conflict):
    default_code = "ChargeInProgress"

    def __init__(self, order_id: str, payment_id: str):
        super().__init__(
            f"A charge is in progress for order '{order_id}' (payment '{payment_id}'); "
            "the payment token was not used. Pay again only if that charge fails."
        )


class PaymentFailureNotFinal(Conflict):
    default_code = "PaymentFailureNotFinal"

    def __init__(self, order_id: str):
        super().__init__(
            f"The failed payment of order '{order_id}' is still being recorded on the "
            "order; retry in a moment."
        )
