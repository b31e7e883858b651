"""The server's clock as seen from here: the offset learned from each answer's Date header."""

from __future__ import annotations

import datetime as dt
import email.utils
import threading
import time

SKEW_WARNING_S = 300.0
"""Beyond five minutes the agent is told: waiting times and alerts would be visibly wrong."""

_JITTER_S = 2.0
"""The Date header has whole seconds; smaller moves are rounding, not a changed clock."""


class ServerClock:
    """Thread-safe: HTTP worker threads observe, the Qt thread reads `now()` and `skew`.

    Waiting times and response-time alerts compare the server's timestamps with "now"; a desk
    whose clock is a day off would show every customer as waiting a day (or never late), so
    they use this corrected time instead of the local one.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._offset: float | None = None  # server time minus local time, seconds

    def observe(self, date_header: str | None, sent_at: float, received_at: float) -> None:
        """Learns from one answer (`sent_at`/`received_at` are local `time.time()` values)."""
        if not date_header:
            return
        try:
            server = email.utils.parsedate_to_datetime(date_header)
        except (TypeError, ValueError, IndexError):
            return  # a malformed Date header teaches nothing; the request itself went fine
        if server.tzinfo is None:
            return
        # The server stamped the answer somewhere between sending and receiving, and its
        # header drops the fraction of a second: +0.5 s is the expected middle.
        offset = server.timestamp() + 0.5 - (sent_at + received_at) / 2
        with self._lock:
            if self._offset is None or abs(offset - self._offset) > _JITTER_S:
                self._offset = offset

    @property
    def skew(self) -> float:
        """Server minus local, seconds (0 until an answer has been seen)."""
        with self._lock:
            return self._offset or 0.0

    @property
    def known(self) -> bool:
        with self._lock:
            return self._offset is not None

    def now(self) -> dt.datetime:
        """The server's current time (UTC), or the local time until the offset is known."""
        return dt.datetime.fromtimestamp(time.time() + self.skew, dt.UTC)

    def off_by(self) -> float | None:
        """The skew worth telling the agent about (|skew| ≥ 5 min), else None."""
        skew = self.skew
        return skew if abs(skew) >= SKEW_WARNING_S else None
