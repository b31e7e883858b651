"""Shift clock arithmetic (H13.1): "HH:MM" wall times in the company's zone to UTC windows."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo


def zone(name: str) -> ZoneInfo:
    """The company's zone (Settings.timezone), e.g. "Asia/Shanghai"."""
    return ZoneInfo(name)


def _at(day: dt.date, hhmm: str, tz: ZoneInfo) -> dt.datetime:
    hours, minutes = (int(part) for part in hhmm.split(":"))
    return dt.datetime(day.year, day.month, day.day, hours, minutes, tzinfo=tz)


def shift_window(
    starts: str, ends: str, day: dt.date, tz: ZoneInfo
) -> tuple[dt.datetime, dt.datetime]:
    """The UTC [start, end) of the shift that starts on local `day`; an end at or before the
    start (night 17:00–01:00) falls on the next day."""
    start = _at(day, starts, tz)
    end = _at(day, ends, tz)
    if end <= start:
        end = _at(day + dt.timedelta(days=1), ends, tz)
    return start.astimezone(dt.UTC), end.astimezone(dt.UTC)


def instance_at(
    starts: str, ends: str, now: dt.datetime, tz: ZoneInfo
) -> tuple[dt.datetime, dt.datetime] | None:
    """The instance of the shift running at `now` (it may have started yesterday), or None."""
    today = now.astimezone(tz).date()
    for day in (today, today - dt.timedelta(days=1)):
        start, end = shift_window(starts, ends, day, tz)
        if start <= now < end:
            return start, end
    return None


def latest_instance(
    starts: str, ends: str, now: dt.datetime, tz: ZoneInfo
) -> tuple[dt.datetime, dt.datetime]:
    """The running instance, else the most recent one that has ended (for "this shift" reports)."""
    running = instance_at(starts, ends, now, tz)
    if running is not None:
        return running
    today = now.astimezone(tz).date()
    for day in (today, today - dt.timedelta(days=1), today - dt.timedelta(days=2)):
        start, end = shift_window(starts, ends, day, tz)
        if end <= now:
            return start, end
    raise AssertionError("a shift ends within two days of starting")
