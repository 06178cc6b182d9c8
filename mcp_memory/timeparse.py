"""Times: ISO 8601 in UTC on output; ISO 8601 or relative phrases ("yesterday", "3 days ago", "last
week", "in 2 hours") on input. Calendar words ("today", "yesterday") follow the machine's local day."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

from mcp_memory.errors import InvalidInput

__all__ = ["format_time", "parse_time"]

_UNITS = {
    "second": 1.0,
    "minute": 60.0,
    "hour": 3600.0,
    "day": 86400.0,
    "week": 7 * 86400.0,
    "month": 30 * 86400.0,
    "year": 365 * 86400.0,
}
_ALIASES = {
    "sec": "second",
    "secs": "second",
    "s": "second",
    "min": "minute",
    "mins": "minute",
    "m": "minute",
    "h": "hour",
    "hr": "hour",
    "hrs": "hour",
    "d": "day",
    "w": "week",
    "wk": "week",
    "mo": "month",
    "y": "year",
    "yr": "year",
}
_NUMBER_WORDS = {
    "a": 1,
    "an": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "a couple of": 2,
    "a few": 3,
}
_AMOUNT = r"(?P<n>\d+(?:\.\d+)?|a couple of|a few|an|a|one|two|three|four|five|six|seven|eight|nine|ten)"
_UNIT = r"(?P<unit>[a-z]+?)s?"
_AGO = re.compile(rf"^{_AMOUNT}\s*{_UNIT}\s+ago$")
_IN = re.compile(rf"^(?:in\s+)?{_AMOUNT}\s*{_UNIT}(?:\s+from now)?$")
_LAST = re.compile(rf"^(?:last|past|previous)\s+(?:{_AMOUNT}\s+)?{_UNIT}$")


def format_time(epoch: float | None) -> str | None:
    """ISO 8601 UTC with a Z, to the second."""
    if epoch is None:
        return None
    return datetime.fromtimestamp(epoch, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _unit_seconds(unit: str, original: str) -> float:
    name = _ALIASES.get(unit, unit)
    if name not in _UNITS:
        raise InvalidInput(f"cannot read the time {original!r}: unknown unit {unit!r}. {_HELP}")
    return _UNITS[name]


def _amount(text: str | None) -> float:
    if text is None:
        return 1.0
    return float(_NUMBER_WORDS.get(text, text))


_HELP = (
    "Use ISO 8601 (2024-05-01 or 2024-05-01T13:00:00Z) or a phrase such as 'today', 'yesterday', "
    "'3 days ago', 'last week' or 'in 2 hours'."
)


def parse_time(text: str, *, now: datetime | None = None, end: bool = False) -> float:
    """Epoch seconds for an ISO 8601 time or a relative phrase.

    A phrase that names a whole day ('yesterday', a bare date) means its start, or its end when
    `end` is true, so that `until='yesterday'` includes all of yesterday.
    """
    original = text
    value = " ".join(text.strip().lower().split())
    if not value:
        raise InvalidInput(f"empty time. {_HELP}")
    now = now or datetime.now(timezone.utc).astimezone()
    local_midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)

    def day(start: datetime) -> float:
        return (start + timedelta(days=1)).timestamp() if end else start.timestamp()

    if value == "now":
        return now.timestamp()
    if value == "today":
        return now.timestamp() if end else local_midnight.timestamp()
    if value == "yesterday":
        return day(local_midnight - timedelta(days=1))
    if value == "tomorrow":
        return day(local_midnight + timedelta(days=1))
    if value in ("this week", "this month", "this year"):
        if value == "this week":
            start = local_midnight - timedelta(days=local_midnight.weekday())
        elif value == "this month":
            start = local_midnight.replace(day=1)
        else:
            start = local_midnight.replace(month=1, day=1)
        return now.timestamp() if end else start.timestamp()
    for pattern, sign in ((_AGO, -1.0), (_LAST, -1.0), (_IN, 1.0)):
        match = pattern.match(value)
        if match:
            seconds = _amount(match.group("n")) * _unit_seconds(match.group("unit"), original)
            return now.timestamp() + sign * seconds
    return _parse_iso(text.strip(), end=end)


def _parse_iso(text: str, *, end: bool) -> float:
    candidate = text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text
    try:
        parsed = datetime.fromisoformat(candidate)
    except ValueError:
        raise InvalidInput(f"cannot read the time {text!r}. {_HELP}") from None
    date_only = len(text) <= 10 and "T" not in text.upper()
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    if date_only and end:
        parsed = parsed + timedelta(days=1)
    return parsed.timestamp()
