"""Expanding a series' rule into instants, wall-clock in its zone (python-dateutil's rrule).

The rule runs on local times in the series' IANA zone, so 18:00 Europe/Berlin stays 18:00
local across DST. A local time the zone skips (spring-forward gap) or passes twice (fall-back)
resolves as RFC 5545 §3.3.5 says, which is what `fold=0` gives: a skipped time is read with
the offset before the gap (02:30 becomes 03:30 local), a doubled one is the first of the two.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from dateutil.rrule import DAILY, MONTHLY, WEEKLY, YEARLY, rrule, rrulestr

from loop_live.platform.errors import ValidationFailed
from loop_live.platform.instants import LATEST

MAX_OCCURRENCES = 500  # in a bounded rule's whole run, and inside any horizon
MAX_RULE_LENGTH = 500
_ALLOWED_FREQUENCIES = (YEARLY, MONTHLY, WEEKLY, DAILY)
_FORBIDDEN_PARTS = (
    "DTSTART",
    "BYHOUR",
    "BYMINUTE",
    "BYSECOND",
    "BYSETPOS",
    "BYYEARDAY",
    "BYWEEKNO",
    "BYEASTER",
    "\n",
    "\r",
)
_MONTH_DAYS = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


@dataclass(frozen=True, slots=True)
class Recurrence:
    rule: rrule
    zone: ZoneInfo
    duration: timedelta

    @property
    def bounded(self) -> bool:
        return any(getattr(self.rule, part, None) is not None for part in ("_count", "_until"))

    def between(self, start: datetime, end: datetime) -> list[datetime]:
        """UTC instants of the rule in [start, end), at most one more than the cap; never
        past the last instant the API accepts."""
        end = min(end, LATEST)
        found: list[datetime] = []
        occurrences = iter(self.rule)
        while len(found) <= MAX_OCCURRENCES:
            try:
                instant = next(occurrences).astimezone(UTC)
            except (StopIteration, ValueError, OverflowError):  # past the year 9999
                break
            if instant >= end:
                break
            if instant >= start:
                found.append(instant)
        return found


def zone(name: str) -> ZoneInfo:
    if name not in _zones():
        raise ValidationFailed(f"timezone: {name!r} is not an IANA time zone", field="timezone")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationFailed(f"timezone: {name!r} is not an IANA time zone") from None


def _zones() -> set[str]:
    global _ZONES
    if _ZONES is None:
        _ZONES = available_timezones()
    return _ZONES


_ZONES: set[str] | None = None


def parse(text: str, first: datetime, tz: str, duration: timedelta) -> Recurrence:
    """The rule `text` from the first occurrence `first` (an instant), local in `tz`."""
    place = zone(tz)
    _check_text(text)
    local = first.astimezone(place).replace(tzinfo=None, fold=0).replace(tzinfo=place)
    try:
        rule = rrulestr(text.removeprefix("RRULE:"), dtstart=local, forceset=False)
    except (ValueError, TypeError, KeyError, IndexError, OverflowError) as exc:
        raise ValidationFailed(f"rrule: {exc}", field="rrule") from None
    if not isinstance(rule, rrule) or getattr(rule, "_freq", None) not in _ALLOWED_FREQUENCIES:
        raise ValidationFailed("rrule: FREQ must be YEARLY, MONTHLY, WEEKLY or DAILY")
    _check_satisfiable(rule)
    return Recurrence(rule, place, duration)


def _check_satisfiable(rule: rrule) -> None:
    """dateutil searches to the year 9999 for a rule no date satisfies (seconds of CPU), so
    the combinations that can be empty are judged here instead."""
    months = getattr(rule, "_bymonth", None) or range(1, 13)
    days = [*(getattr(rule, "_bymonthday", None) or ())]
    days += [-d for d in getattr(rule, "_bynmonthday", None) or ()]
    if days and not any(abs(d) <= _MONTH_DAYS[m - 1] for m in months for d in days):
        raise ValidationFailed("rrule: no month has the days BYMONTHDAY names", field="rrule")
    ordinals = [n for _, n in getattr(rule, "_bynweekday", None) or ()]
    if ordinals and days:
        raise ValidationFailed("rrule: BYDAY with an ordinal (1MO) and BYMONTHDAY together")
    widest = 5 if getattr(rule, "_freq", None) == MONTHLY or getattr(rule, "_bymonth", None) else 53
    if any(abs(n) > widest for n in ordinals):
        raise ValidationFailed(f"rrule: a BYDAY ordinal beyond ±{widest} never happens")


def _check_text(text: str) -> None:
    upper = text.upper()
    if (
        not text
        or len(text) > MAX_RULE_LENGTH
        or not upper.removeprefix("RRULE:").startswith(
            ("FREQ=", "INTERVAL=", "BY", "COUNT=", "UNTIL=", "WKST=")
        )
    ):
        raise ValidationFailed("rrule: an RFC 5545 rule such as FREQ=WEEKLY;BYDAY=TU;COUNT=12")
    for part in _FORBIDDEN_PARTS:
        if part in upper:
            raise ValidationFailed(f"rrule: {part.strip() or 'a line break'} is not supported")


def check(recurrence: Recurrence, first: datetime, horizon_end: datetime) -> list[datetime]:
    """The instants to materialise now; 400 for a rule over the cap or overlapping itself."""
    run_end = datetime.max.replace(tzinfo=UTC) if recurrence.bounded else horizon_end
    instants = recurrence.between(first, run_end)
    if not instants:
        raise ValidationFailed("rrule: the rule yields no occurrence from scheduled_at on")
    if len(instants) > MAX_OCCURRENCES:
        raise ValidationFailed(
            f"rrule: more than {MAX_OCCURRENCES} occurrences"
            + ("" if recurrence.bounded else " inside the horizon")
        )
    for earlier, later in itertools.pairwise(instants):
        if later < earlier + recurrence.duration:
            raise ValidationFailed(
                f"rrule: occurrences overlap ({earlier.isoformat()} runs into {later.isoformat()})"
            )
    return [t for t in instants if t < horizon_end]
