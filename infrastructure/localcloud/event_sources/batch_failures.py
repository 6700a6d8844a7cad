"""Lambda's partial batch response (`ReportBatchItemFailures`): which items of a batch the
function reports as failed. An invalid response counts as the whole batch failing."""

from __future__ import annotations

from collections.abc import Hashable, Sequence

from localcloud.model import InvocationResult


def batch_item_failures(payload: object) -> list[object] | None:
    """The items of a ReportBatchItemFailures response; None when the response is
    invalid, which Lambda counts as the whole batch failing. No response, or one without
    `batchItemFailures`, means every item succeeded."""
    if payload is None:
        return []
    if not isinstance(payload, dict):
        return None
    items = payload.get("batchItemFailures")
    if items is None:
        return []
    return items if isinstance(items, list) else None


def reported_failures[K: Hashable](payload: object, identifiers: Sequence[K]) -> set[K] | None:
    """The item identifiers a ReportBatchItemFailures response lists as failed; None when
    the response is invalid (an identifier missing, not a string, or not of the batch)."""
    items = batch_item_failures(payload)
    if items is None:
        return None
    known = set(identifiers)
    failed = set()
    for item in items:
        identifier = item.get("itemIdentifier") if isinstance(item, dict) else None
        if identifier is None or not isinstance(identifier, Hashable) or identifier not in known:
            return None
        failed.add(identifier)
    return failed


def failed_items[K: Hashable](
    result: InvocationResult, identifiers: Sequence[K], report_batch_item_failures: bool
) -> set[K]:
    """The identifiers of the items to deliver again after an invocation."""
    return set(failure_reasons(result, identifiers, report_batch_item_failures))


REPORTED = "reported in batchItemFailures"
INVALID_RESPONSE = "an invalid batchItemFailures response fails the whole batch"


def failure_reasons[K: Hashable](
    result: InvocationResult, identifiers: Sequence[K], report_batch_item_failures: bool
) -> dict[K, str]:
    """Each item to deliver again after an invocation, with why: the function's error,
    or its partial batch response."""
    if not result.ok:
        error = f"{result.error_type}: {result.error_message}" if result.error_message else ""
        return dict.fromkeys(identifiers, error or str(result.error_type))
    if not report_batch_item_failures:
        return {}
    failed = reported_failures(result.payload, identifiers)
    if failed is None:
        return dict.fromkeys(identifiers, INVALID_RESPONSE)
    return {identifier: REPORTED for identifier in identifiers if identifier in failed}
