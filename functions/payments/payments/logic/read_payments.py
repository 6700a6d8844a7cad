from __future__ import annotations

from payments.dal.payments_table import PaymentsTable
from payments.errors import OrderPaymentsNotFound, PaymentNotFound
from payments.models import Payment, PaymentList
from petstore_shared.caller_identity import CallerIdentity


def get_payment(caller: CallerIdentity, payment_id: str, *, payments: PaymentsTable) -> Payment:
    """One payment, for the shopper it belongs to or an admin; anyone else is told it
    does not exist."""
    payment = payments.find_payment(payment_id)
    if payment is None or not may_see(caller, payment.user_id):
        raise PaymentNotFound(payment_id)
    return payment


def list_order_payments(
    caller: CallerIdentity, order_id: str, *, payments: PaymentsTable
) -> PaymentList:
    """The order's payment attempts, first to last, for its shopper or an admin."""
    ledger = payments.find_ledger(order_id)
    if ledger is None or not may_see(caller, ledger.user_id):
        raise OrderPaymentsNotFound(order_id)
    return PaymentList(items=payments.list_order_payments(order_id))


def may_see(caller: CallerIdentity, owner_id: str) -> bool:
    return caller.user_id == owner_id or caller.is_admin
