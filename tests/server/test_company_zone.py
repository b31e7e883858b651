"""Shift times are the company's wall-clock times (H13.1): the server tells every desk its
zone at login and in /auth/me, and a desk that does not know the zone falls back safely."""

from __future__ import annotations

import tempfile
from pathlib import Path

from app.services.handover import DEFAULT_ZONE
from app.services.workstation import company_zone
from tests.support.api import AgentClient, login
from tests.support.server_proc import ServerProcess
from tests.support.world import PASSWORD, World


def test_the_server_s_zone_reaches_the_desk() -> None:
    url = f"sqlite:///{Path(tempfile.mkdtemp(prefix='kefu-tz-')) / 'server.db'}"
    server = ServerProcess(url, demo=False, env={"KEFU_TIMEZONE": "Europe/Berlin"}).start()
    world = World(url)
    try:
        agent = world.agent(world.company())
        body = login(server.url, agent.account, PASSWORD).json()
        assert body["agent"]["timezone"] == "Europe/Berlin"
        client = AgentClient(server.url, agent.account, PASSWORD)
        assert client.get("/api/v1/auth/me").json()["timezone"] == "Europe/Berlin"
    finally:
        world.close()
        server.stop()


def test_an_unknown_zone_falls_back_to_the_default() -> None:
    assert company_zone("Europe/Berlin") == "Europe/Berlin"
    assert company_zone("Mars/Olympus_Mons") == DEFAULT_ZONE
    assert company_zone("../../etc/passwd") == DEFAULT_ZONE
