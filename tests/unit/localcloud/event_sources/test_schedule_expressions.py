"""Schedule expressions as EventBridge documents them: when rate, cron (with ?, L, W, #,
names, ranges and steps, in a time zone) and at expressions fire next, and the expressions
EventBridge refuses, refused naming the part."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from localcloud.event_sources.eventbridge.expressions import (
    ScheduleExpressionError,
    parse_schedule,
)

SATURDAY = datetime(2026, 12, 5, 11, 50, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("expression", "next_time"),
    [
        ("rate(1 minute)", datetime(2026, 12, 5, 11, 51, 30, tzinfo=UTC)),
        ("rate(5 minutes)", datetime(2026, 12, 5, 11, 55, 30, tzinfo=UTC)),
        ("rate(2 hours)", datetime(2026, 12, 5, 13, 50, 30, tzinfo=UTC)),
        ("cron(0 12 * * ? *)", datetime(2026, 12, 5, 12, 0, tzinfo=UTC)),
        ("cron(0/15 * ? * MON-FRI *)", datetime(2026, 12, 7, 0, 0, tzinfo=UTC)),
        ("cron(15 10 ? * 6L 2026-2027)", datetime(2026, 12, 25, 10, 15, tzinfo=UTC)),
        ("cron(0 8 ? * 2#1 *)", datetime(2026, 12, 7, 8, 0, tzinfo=UTC)),
        ("cron(0 8 1W * ? *)", datetime(2027, 1, 1, 8, 0, tzinfo=UTC)),
        ("cron(0 8 L * ? *)", datetime(2026, 12, 31, 8, 0, tzinfo=UTC)),
        ("cron(0 0 29 FEB ? *)", datetime(2028, 2, 29, 0, 0, tzinfo=UTC)),
        ("cron(5,55 11 5 12 ? 2026)", datetime(2026, 12, 5, 11, 55, tzinfo=UTC)),
        ("at(2027-01-01T00:00:00)", datetime(2027, 1, 1, tzinfo=UTC)),
    ],
)
def test_the_next_time_an_expression_fires(expression: str, next_time: datetime) -> None:
    assert parse_schedule(expression, start=SATURDAY).next_after(SATURDAY) == next_time


def test_a_cron_in_a_time_zone_fires_at_that_zones_hour() -> None:
    schedule = parse_schedule("cron(30 2 * * ? *)", start=SATURDAY, zone=ZoneInfo("Europe/Paris"))

    assert schedule.next_after(SATURDAY) == datetime(2026, 12, 6, 1, 30, tzinfo=UTC)


def test_a_rate_keeps_its_step_from_its_start_and_an_at_fires_once() -> None:
    rate = parse_schedule("rate(10 minutes)", start=SATURDAY)
    at = parse_schedule("at(2026-12-05T12:00:00)", start=SATURDAY)
    later = datetime(2026, 12, 5, 12, 13, tzinfo=UTC)

    assert rate.next_after(later) == datetime(2026, 12, 5, 12, 20, 30, tzinfo=UTC)
    assert at.next_after(later) is None


@pytest.mark.parametrize(
    ("expression", "reason"),
    [
        ("rate(1 minutes)", "singular"),
        ("rate(3 hour)", "plural"),
        ("rate(0 minutes)", "positive whole number"),
        ("rate(1 second)", "positive whole number"),
        ("rate(1.5 hours)", "is not rate"),
        ("cron(0 12 * * *)", "six fields"),
        ("cron(0 12 * * MON *)", "must be ?"),
        ("cron(0 12 ? * ? *)", "must be ?"),
        ("cron(60 * * * ? *)", "minutes: '60'"),
        ("cron(0 24 * * ? *)", "hours: '24'"),
        ("cron(0 0 32 * ? *)", "day-of-month: '32'"),
        ("cron(0 0 ? 13 * *)", "month: '13'"),
        ("cron(0 0 ? * 8 *)", "day-of-week: '8'"),
        ("cron(0 0 ? * 2#6 *)", "day-of-week: '6'"),
        ("cron(0 0 * * ? 1969)", "year: '1969'"),
        ("cron(0 10-2 * * ? *)", "runs backwards"),
        ("every day", "is not rate"),
    ],
)
def test_an_expression_eventbridge_refuses_is_refused_naming_the_part(
    expression: str, reason: str
) -> None:
    with pytest.raises(ScheduleExpressionError, match=reason):
        parse_schedule(expression, start=SATURDAY)
