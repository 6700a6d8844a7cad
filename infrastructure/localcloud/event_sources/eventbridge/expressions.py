"""Schedule expressions as EventBridge reads them: `rate(value unit)`, six-field
`cron(minutes hours day-of-month month day-of-week year)` and, for EventBridge Scheduler,
one-time `at(yyyy-mm-ddThh:mm:ss)`; refused, naming the part, where AWS refuses them.

Cron fields take `,` `-` `*` `/`; day-of-month also `?`, `L`, `LW` and `nW`; day-of-week
(1-7 or SUN-SAT, Sunday first) also `?`, `L`, `nL` and `n#k`. One of day-of-month and
day-of-week must be `?`. Times are minutes in the schedule's time zone (UTC by default).
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo

RATE_UNITS = {"minute": 60, "hour": 3600, "day": 86400}
MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
WEEKDAYS = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")
YEARS = (1970, 2199)
_SEARCH_DAYS = 366 * 5
"""How far ahead the next time of a cron expression is looked for (29 February included)."""

_RATE = re.compile(r"rate\((\d+) ([a-z]+)\)")
_CRON = re.compile(r"cron\((.*)\)")
_AT = re.compile(r"at\((\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\)")


class ScheduleExpressionError(ValueError):
    """An expression EventBridge would refuse."""


class Schedule:
    """When an expression fires: `next_after(moment)` is its first time strictly later,
    None when it never fires again."""

    def next_after(self, moment: datetime) -> datetime | None:
        raise NotImplementedError


@dataclass(frozen=True)
class Rate(Schedule):
    period_s: int
    start: datetime
    """A rate fires a period after the schedule is made, then every period."""

    def next_after(self, moment: datetime) -> datetime:
        periods = max(0, int((moment - self.start).total_seconds() // self.period_s)) + 1
        return self.start + timedelta(seconds=periods * self.period_s)


@dataclass(frozen=True)
class At(Schedule):
    when: datetime

    def next_after(self, moment: datetime) -> datetime | None:
        return self.when if self.when > moment else None


DayTest = Callable[[date], bool]


@dataclass(frozen=True)
class Cron(Schedule):
    minutes: frozenset[int]
    hours: frozenset[int]
    months: frozenset[int]
    years: frozenset[int]
    day: DayTest
    zone: tzinfo

    def next_after(self, moment: datetime) -> datetime | None:
        local = moment.astimezone(self.zone).replace(second=0, microsecond=0)
        start = local + timedelta(minutes=1)
        for offset in range(_SEARCH_DAYS):
            day = start.date() + timedelta(days=offset)
            if day.year not in self.years or day.month not in self.months or not self.day(day):
                continue
            earliest = (start.hour, start.minute) if offset == 0 else (0, 0)
            for hour in sorted(self.hours):
                for minute in sorted(self.minutes):
                    if (hour, minute) >= earliest:
                        fire = datetime(day.year, day.month, day.day, hour, minute)
                        return fire.replace(tzinfo=self.zone).astimezone(UTC)
        return None


def parse_schedule(expression: str, *, start: datetime, zone: tzinfo = UTC) -> Schedule:
    """The schedule of an expression, a rate counted from `start`."""
    if rate := _RATE.fullmatch(expression):
        return Rate(_rate_period_s(int(rate.group(1)), rate.group(2)), start)
    if cron := _CRON.fullmatch(expression):
        return _parse_cron(cron.group(1), zone)
    if at := _AT.fullmatch(expression):
        moment = datetime.fromisoformat(at.group(1)).replace(tzinfo=zone)
        return At(moment.astimezone(UTC))
    raise ScheduleExpressionError(
        "is not rate(value unit), cron(minutes hours day-of-month month day-of-week year) "
        "or at(yyyy-mm-ddThh:mm:ss)"
    )


def _rate_period_s(value: int, unit: str) -> int:
    singular = unit.removesuffix("s")
    if singular not in RATE_UNITS or value < 1:
        raise ScheduleExpressionError("a rate is a positive whole number of minutes, hours or days")
    if (value == 1) != (unit == singular):
        raise ScheduleExpressionError(
            f"a rate of {value} takes the unit {'singular' if value == 1 else 'plural'}: "
            f"{value} {singular if value == 1 else singular + 's'}"
        )
    return value * RATE_UNITS[singular]


def _parse_cron(body: str, zone: tzinfo) -> Cron:
    fields = body.split()
    if len(fields) != 6:
        raise ScheduleExpressionError(
            f"a cron expression has six fields (minutes hours day-of-month month day-of-week "
            f"year), not {len(fields)}"
        )
    minutes, hours, day_of_month, month, day_of_week, year = fields
    if (day_of_month == "?") == (day_of_week == "?"):
        raise ScheduleExpressionError("one of day-of-month and day-of-week must be ?, and only one")
    day = _weekday_test(day_of_week) if day_of_month == "?" else _month_day_test(day_of_month)
    return Cron(
        minutes=_values("minutes", minutes, 0, 59),
        hours=_values("hours", hours, 0, 23),
        months=_values("month", month, 1, 12, MONTHS),
        years=_values("year", year, *YEARS),
        day=day,
        zone=zone,
    )


def _values(
    field: str, text: str, low: int, high: int, names: tuple[str, ...] = ()
) -> frozenset[int]:
    """The values a field lists: `*`, numbers or names, ranges, steps, comma-separated."""
    values: set[int] = set()
    for part in text.split(","):
        span, _, step_text = part.partition("/")
        if span == "*":
            first, last = low, high
        elif "-" in span:
            start_text, _, end_text = span.partition("-")
            first = _value(field, start_text, low, high, names)
            last = _value(field, end_text, low, high, names)
        else:
            first = _value(field, span, low, high, names)
            last = high if step_text else first
        step = _value(field, step_text, 1, high - low + 1, ()) if step_text else 1
        if first > last:
            raise ScheduleExpressionError(f"{field}: the range {span} runs backwards")
        values.update(range(first, last + 1, step))
    return frozenset(values)


def _value(field: str, text: str, low: int, high: int, names: tuple[str, ...]) -> int:
    if text.upper() in names:
        return low + names.index(text.upper())
    if not text.isdigit() or not low <= int(text) <= high:
        raise ScheduleExpressionError(f"{field}: {text!r} is not a value from {low} to {high}")
    return int(text)


def _month_day_test(text: str) -> DayTest:
    if text == "L":
        return lambda day: day.day == _month_length(day)
    if text == "LW":
        return lambda day: day == _nearest_weekday(day, _month_length(day))
    if text.endswith("W"):
        target = _value("day-of-month", text[:-1], 1, 31, ())
        return lambda day: day == _nearest_weekday(day, target)
    days = _values("day-of-month", text, 1, 31)
    return lambda day: day.day in days


def _weekday_test(text: str) -> DayTest:
    if text == "L":
        text = "7L"
    if text.endswith("L"):
        weekday = _value("day-of-week", text[:-1], 1, 7, WEEKDAYS)
        return lambda day: _weekday(day) == weekday and day.day + 7 > _month_length(day)
    if "#" in text:
        weekday_text, _, nth_text = text.partition("#")
        weekday = _value("day-of-week", weekday_text, 1, 7, WEEKDAYS)
        nth = _value("day-of-week", nth_text, 1, 5, ())
        return lambda day: _weekday(day) == weekday and (day.day - 1) // 7 + 1 == nth
    weekdays = _values("day-of-week", text, 1, 7, WEEKDAYS)
    return lambda day: _weekday(day) in weekdays


def _weekday(day: date) -> int:
    """1 for Sunday to 7 for Saturday, as cron counts."""
    return day.isoweekday() % 7 + 1


def _month_length(day: date) -> int:
    return calendar.monthrange(day.year, day.month)[1]


def _nearest_weekday(day: date, target: int) -> date | None:
    """The weekday nearest the month's `target` day, never crossing into another month."""
    length = _month_length(day)
    if target > length:
        return None
    wanted = day.replace(day=target)
    if wanted.weekday() == 5:
        return wanted - timedelta(days=1) if target > 1 else wanted + timedelta(days=2)
    if wanted.weekday() == 6:
        return wanted + timedelta(days=1) if target < length else wanted - timedelta(days=2)
    return wanted
