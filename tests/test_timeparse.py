"""Reading times: ISO 8601 and relative phrases."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from mcp_memory.errors import InvalidInput
from mcp_memory.timeparse import format_time, parse_time

NOW = datetime(2026, 5, 20, 15, 30, tzinfo=timezone.utc)


def test_iso_dates_and_times_are_utc() -> None:
    """A bare date is its UTC midnight; a Z or offset is honoured."""
    assert parse_time("2024-05-01", now=NOW) == datetime(2024, 5, 1, tzinfo=timezone.utc).timestamp()
    assert (
        parse_time("2024-05-01T13:00:00Z", now=NOW)
        == datetime(2024, 5, 1, 13, tzinfo=timezone.utc).timestamp()
    )
    assert (
        parse_time("2024-05-01T15:00:00+02:00", now=NOW)
        == datetime(2024, 5, 1, 13, tzinfo=timezone.utc).timestamp()
    )


def test_a_bare_date_as_an_end_includes_the_whole_day() -> None:
    """until='2024-05-01' reaches the end of that day."""
    assert (
        parse_time("2024-05-01", now=NOW, end=True) == datetime(2024, 5, 2, tzinfo=timezone.utc).timestamp()
    )


@pytest.mark.parametrize(
    ("phrase", "delta"),
    [
        ("3 days ago", timedelta(days=-3)),
        ("2 hours ago", timedelta(hours=-2)),
        ("a week ago", timedelta(weeks=-1)),
        ("last week", timedelta(weeks=-1)),
        ("past 2 weeks", timedelta(weeks=-2)),
        ("in 7 days", timedelta(days=7)),
        ("10 minutes ago", timedelta(minutes=-10)),
        ("now", timedelta(0)),
    ],
)
def test_relative_phrases_count_from_now(phrase: str, delta: timedelta) -> None:
    """'N units ago', 'last week', 'in N days' are offsets from now."""
    assert parse_time(phrase, now=NOW) == pytest.approx((NOW + delta).timestamp())


def test_yesterday_spans_the_local_day() -> None:
    """'yesterday' starts at the previous midnight and, as an end, stops at today's."""
    local = NOW.astimezone()
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    assert parse_time("yesterday", now=local) == (midnight - timedelta(days=1)).timestamp()
    assert parse_time("yesterday", now=local, end=True) == midnight.timestamp()
    assert parse_time("today", now=local) == midnight.timestamp()


@pytest.mark.parametrize("text", ["blorp", "", "3 fortnights ago", "2024-13-45"])
def test_unreadable_times_say_what_works(text: str) -> None:
    """An unreadable time is refused with examples of what is accepted."""
    with pytest.raises(InvalidInput, match="ISO 8601"):
        parse_time(text, now=NOW)


def test_output_is_iso_utc_with_z() -> None:
    """Times leave as ISO 8601 UTC with a Z."""
    assert format_time(datetime(2024, 5, 1, 13, tzinfo=timezone.utc).timestamp()) == "2024-05-01T13:00:00Z"
    assert format_time(None) is None
