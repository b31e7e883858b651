"""Long offline (issue 9): 5,000 replies queued while the server is away flush in order."""

from __future__ import annotations

from pathlib import Path

from tests.support.api import VisitorClient
from tests.support.client_side import Desk, eventually
from tests.support.server_proc import ServerProcess
from tests.support.world import PASSWORD, World

QUEUED = 5000


def _all_agent_texts(visitor: VisitorClient) -> list[str]:
    visitor.after, texts = 0, []
    while messages := visitor.receive()["messages"]:
        texts += [m["text"] for m in messages if m["sender"] == "agent"]
    return texts


def test_five_thousand_queued_replies_flush_in_order_with_progress(
    server: ServerProcess, world: World, tmp_path: Path
) -> None:
    company = world.company()
    agent = world.agent(company)
    desk = Desk(server.url, tmp_path)
    try:
        runtime = desk.sign_in(agent.account, PASSWORD)
        visitor = VisitorClient(server.url, "一直在线的顾客", company=company.domain)
        visitor.send("在吗")
        eventually(lambda: visitor.conversation_id in runtime.chat.conversation_ids())
        texts = [f"第{n}条回复" for n in range(1, QUEUED + 1)]
        server.stop()
        try:
            def queue_all() -> None:  # on the DB worker, one send (transaction) each
                for text in texts:
                    runtime.chat.send(visitor.conversation_id, text)

            desk.workers.run_db(queue_all)
            eventually(lambda: runtime.engine.status.pending == QUEUED, timeout=60)
            shown = len(runtime.chat.messages(visitor.conversation_id))
            assert shown >= QUEUED, "every queued reply is readable while offline"
            seen = len(desk.statuses)
        finally:
            server.start()
        eventually(lambda: runtime.engine.status.pending == 0, timeout=300)
        progress = [s.pending for s in desk.statuses[seen:]]
        between = [p for p in progress if 0 < p < QUEUED]
        assert len(set(between)) >= 3, f"the count went down as batches landed: {progress}"
        assert _all_agent_texts(visitor) == texts, "all of them, once each, in order"
    finally:
        desk.close()
