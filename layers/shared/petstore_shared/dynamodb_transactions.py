"""TransactWriteItems with the two things every caller needs: a retry when DynamoDB
cancelled the transaction only because another one touched the same items at that
moment, and the per-item cancellation reasons when a condition failed."""

from __future__ import annotations

import random
import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

import petstore_shared.snapstart  # noqa: F401  (reseeds the retry jitter after a restore)

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import TransactWriteItemTypeDef

TRANSACTION_ATTEMPTS = 5


class TransactionCancelled(Exception):
    """A condition of the transaction failed; nothing was written."""

    def __init__(self, reasons: Sequence[Mapping[str, Any]]) -> None:
        super().__init__("The transaction was cancelled: " + ", ".join(self._codes(reasons)))
        self.reasons = list(reasons)

    def failed_condition(self, index: int) -> bool:
        return index < len(self.reasons) and (
            self.reasons[index].get("Code") == "ConditionalCheckFailed"
        )

    def old_item(self, index: int) -> dict[str, Any] | None:
        """The item as it was, for an item that asked for ALL_OLD on a failed condition."""
        if not self.failed_condition(index):
            return None
        item = self.reasons[index].get("Item")
        return dict(item) if item else None

    @staticmethod
    def _codes(reasons: Sequence[Mapping[str, Any]]) -> list[str]:
        return [str(reason.get("Code", "None")) for reason in reasons]


def transact_write(client: DynamoDBClient, items: Sequence[TransactWriteItemTypeDef]) -> None:
    for attempt in range(1, TRANSACTION_ATTEMPTS + 1):
        try:
            client.transact_write_items(TransactItems=list(items))
            return
        except ClientError as error:
            if error.response["Error"]["Code"] != "TransactionCanceledException":
                raise
            reasons = error.response.get("CancellationReasons") or []
            if _lost_to_concurrent_transaction(reasons) and attempt < TRANSACTION_ATTEMPTS:
                time.sleep(random.uniform(0, 0.01 * 2**attempt))
                continue
            raise TransactionCancelled(reasons) from error


def transact_write_if_first_holds(
    client: DynamoDBClient, items: Sequence[TransactWriteItemTypeDef]
) -> bool:
    """Write all the items if the first one's condition holds; False, and nothing
    written, if it does not."""
    try:
        transact_write(client, items)
    except TransactionCancelled as cancelled:
        if cancelled.failed_condition(0):
            return False
        raise
    return True


def _lost_to_concurrent_transaction(reasons: Sequence[Mapping[str, Any]]) -> bool:
    codes = {reason.get("Code") for reason in reasons}
    return "TransactionConflict" in codes and "ConditionalCheckFailed" not in codes
