"""What the local cloud says at start about the template settings it ignores: one line,
or with --verbose one line per reason naming the resources."""

from __future__ import annotations

import io

from localcloud.cloud import print_ignored_summary

IGNORED = [
    "OrdersTable (AWS::DynamoDB::Table): property SSESpecification: ignored locally — "
    "the emulator does not encrypt",
    "EventsQueue (AWS::SQS::Queue): property KmsMasterKeyId: ignored locally — "
    "the emulator does not encrypt",
    "OrdersFunctionRole (AWS::IAM::Role): ignored locally — IAM is not enforced locally",
]


def printed(ignored: list[str], *, verbose: bool) -> list[str]:
    stream = io.StringIO()
    print_ignored_summary(ignored, stream, verbose=verbose)
    return stream.getvalue().splitlines()


def test_by_default_one_line_counts_the_ignored_settings() -> None:
    assert printed(IGNORED, verbose=False) == [
        "  3 template settings ignored locally; --verbose lists them"
    ]


def test_verbose_lists_each_reason_with_its_resources() -> None:
    assert printed(IGNORED, verbose=True) == [
        "  ignored locally: IAM is not enforced locally (OrdersFunctionRole)",
        "  ignored locally: the emulator does not encrypt (EventsQueue, OrdersTable)",
    ]


def test_nothing_ignored_prints_nothing() -> None:
    assert printed([], verbose=False) == []
