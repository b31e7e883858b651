"""Polling agents are marked seen (the presence check of assignment) in batches: every agent
noted gets written within seconds, without a write per poll (issue 9 load)."""

from __future__ import annotations

import time

from server import models as m
from server.seen import FLUSH_EVERY_S, SeenMarks
from tests.support.world import World


def _seen(world: World, agent_id: str) -> object:
    with world.db.read() as session:
        agent = session.get(m.Agent, agent_id)
        assert agent is not None
        return agent.last_seen_at


def test_every_polling_agent_is_marked_seen_in_one_batch(world: World) -> None:
    company = world.company()
    first, second, third = (world.agent(company) for _ in range(3))
    marks = SeenMarks(world.db)
    assert marks.note(first.id), "the first poll of a process writes at once"
    assert marks.flush() == 1 and _seen(world, first.id) is not None
    assert not marks.note(second.id) and not marks.note(third.id)  # batched for later
    assert _seen(world, second.id) is None
    deadline = time.monotonic() + FLUSH_EVERY_S + 10
    while _seen(world, third.id) is None and time.monotonic() < deadline:
        time.sleep(0.05)  # no other poll comes: the batch's timer writes it
    assert _seen(world, second.id) is not None and _seen(world, third.id) is not None
    before = _seen(world, first.id)
    assert not marks.note(first.id)  # polled again within 20 s: nothing to write
    assert marks.flush() == 0 and _seen(world, first.id) == before
