"""A long-poll skips its first read only when nothing it listens to was woken since an empty
read from the same cursor (server/notify.py: Notifier.marker, QuietReads)."""

from __future__ import annotations

import asyncio

import pytest

from server import notify
from server.notify import Notifier, QuietReads

SCOPES = ["team:a", "agent:1", "company:c"]


def _woken(notifier: Notifier, loop: asyncio.AbstractEventLoop, keys: list[str]) -> None:
    notifier.notify(keys)  # from a writer thread in the server: queued onto the loop
    loop.run_until_complete(asyncio.sleep(0))


@pytest.fixture
def loop_and_notifier() -> tuple[asyncio.AbstractEventLoop, Notifier]:
    loop = asyncio.new_event_loop()
    notifier = Notifier()
    notifier.bind_loop(loop)
    yield loop, notifier
    loop.close()


def test_marker_moves_only_for_woken_keys(
    loop_and_notifier: tuple[asyncio.AbstractEventLoop, Notifier]
) -> None:
    loop, notifier = loop_and_notifier
    before = notifier.marker(SCOPES)
    _woken(notifier, loop, ["team:b", "conv:9"])
    assert notifier.marker(SCOPES) == before, "another team's message must not cost a read"
    _woken(notifier, loop, ["team:a"])
    after_team = notifier.marker(SCOPES)
    assert after_team != before
    _woken(notifier, loop, ["*"])  # e.g. LISTEN reconnected: anything may have been missed
    assert notifier.marker(SCOPES) != after_team


def test_a_wake_with_nobody_waiting_still_moves_the_marker(
    loop_and_notifier: tuple[asyncio.AbstractEventLoop, Notifier]
) -> None:
    """The customer's message can land between two long-polls of the same agent."""
    loop, notifier = loop_and_notifier
    quiet = QuietReads(ttl=60)
    quiet.found_nothing(SCOPES, "sq:e:1:5", notifier.marker(SCOPES))
    assert quiet.still_nothing(SCOPES, "sq:e:1:5", notifier.marker(SCOPES))
    _woken(notifier, loop, ["agent:1"])
    assert not quiet.still_nothing(SCOPES, "sq:e:1:5", notifier.marker(SCOPES))


def test_forgetting_old_keys_changes_every_marker(
    loop_and_notifier: tuple[asyncio.AbstractEventLoop, Notifier],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    loop, notifier = loop_and_notifier
    monkeypatch.setattr(notify, "_MAX_MARKED", 3)
    never_woken = notifier.marker(["team:z"])
    _woken(notifier, loop, ["team:z"])
    for i in range(5):  # team:z's tick is forgotten on the way
        _woken(notifier, loop, [f"conv:{i}"])
    assert notifier.marker(["team:z"]) != never_woken


def test_quiet_reads_are_per_cursor_and_agent_and_expire() -> None:
    quiet = QuietReads(ttl=60)
    marker = (0, 0, 0, 0)
    quiet.found_nothing(SCOPES, "sq:e:1:5", marker)
    assert not quiet.still_nothing(SCOPES, "sq:e:1:6", marker)
    assert not quiet.still_nothing(["team:a", "agent:2", "company:c"], "sq:e:1:5", marker)
    expired = QuietReads(ttl=0)
    expired.found_nothing(SCOPES, "sq:e:1:5", marker)
    assert not expired.still_nothing(SCOPES, "sq:e:1:5", marker)


def test_quiet_reads_keep_only_the_newest() -> None:
    quiet = QuietReads(ttl=60, size=2)
    for cursor in ("a", "b", "c"):
        quiet.found_nothing(SCOPES, cursor, (0,))
    assert not quiet.still_nothing(SCOPES, "a", (0,))
    assert quiet.still_nothing(SCOPES, "c", (0,))
