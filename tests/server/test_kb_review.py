"""Knowledge-base editing by permission, suggestions and their review (H9.2, H10.2)."""

from __future__ import annotations

import uuid
from typing import Any

from tests.support.api import AgentClient
from tests.support.server_proc import ServerProcess
from tests.support.world import PASSWORD, CompanyRef, World

ENTRY = {"category": "物流", "title": "多久发货", "body": "付款后48小时内发货。",
         "keywords": ["发货", "多久"]}


def _agent(server: ServerProcess, world: World, company: CompanyRef, **kw: Any) -> AgentClient:
    return AgentClient(server.url, world.agent(company, **kw).account, PASSWORD)


def _rows(agent: AgentClient, entity: str) -> dict[str, dict[str, Any] | None]:
    """What a desk holds after a full pull: each row's latest state (None once deleted)."""
    agent.cursor = ""
    held: dict[str, dict[str, Any] | None] = {}
    for change in agent.pull_all():
        if change["entity"] == entity:
            held[change["id"]] = change["data"] if change["op"] == "upsert" else None
    return held


def _employee(agent: AgentClient) -> str:
    return str(agent.agent["account"]).split("@")[0]


def test_an_agent_without_kb_edit_suggests_instead_h9_2_h10_2(
    server: ServerProcess, world: World
) -> None:
    company = world.company()
    agent = _agent(server, world, company, name="张敏")
    refused = agent.do("kb.upsert", id=str(uuid.uuid4()), **ENTRY)
    assert refused["code"] == "permission_required"
    assert "编辑知识库" in refused["message"]
    assert agent.do("kb.delete", id=str(uuid.uuid4()))["code"] == "permission_required"

    suggestion_id = str(uuid.uuid4())
    assert agent.do("kb.suggest", id=suggestion_id, reason="客户常问", **ENTRY)[
        "status"] == "applied"
    # A replay under a new client id does not suggest it twice.
    agent.client_id, agent._ids = str(uuid.uuid4()), iter(range(1, 100))
    assert agent.do("kb.suggest", id=suggestion_id, reason="客户常问", **ENTRY)[
        "status"] == "applied"
    colleague = _agent(server, world, company)
    suggestions = _rows(colleague, "kb_suggestion")
    assert list(suggestions) == [suggestion_id]
    row = suggestions[suggestion_id]
    assert row is not None and row["status"] == "待审核"
    assert row["author_id"] == agent.agent["id"] and row["author_name"] == "张敏"
    assert row["title"] == "多久发货" and row["reason"] == "客户常问"
    assert _rows(colleague, "kb_entry") == {}, "nothing enters the knowledge base unreviewed"
    assert agent.do("kb.review", id=suggestion_id, approve=True)["code"] == "permission_required"
    unknown = agent.do("kb.suggest", id=str(uuid.uuid4()), entry_id=str(uuid.uuid4()), **ENTRY)
    assert unknown["code"] == "kb_not_found"


def test_a_lead_approves_and_colleagues_get_the_signed_entry_h9_2(
    server: ServerProcess, world: World
) -> None:
    company = world.company()
    agent = _agent(server, world, company)
    lead = _agent(server, world, company, role="lead")
    colleague = _agent(server, world, company)
    new_id, change_id, rejected_id = (str(uuid.uuid4()) for _ in range(3))
    assert agent.do("kb.suggest", id=new_id, **ENTRY)["status"] == "applied"
    assert lead.do("kb.review", id=new_id, approve=True, comment="很好")["status"] == "applied"

    entries = _rows(colleague, "kb_entry")
    assert len(entries) == 1
    entry_id, entry = next(iter(entries.items()))
    assert entry is not None and entry["title"] == "多久发货"
    assert entry["body"] == ENTRY["body"] and entry["keywords"] == ENTRY["keywords"]
    assert entry["updated_by"] == _employee(lead) and entry["updated_at"]
    suggestion = _rows(colleague, "kb_suggestion")[new_id]
    assert suggestion is not None and suggestion["status"] == "已采纳"
    assert suggestion["reviewed_by"] == _employee(lead) and suggestion["reviewed_at"]
    assert suggestion["comment"] == "很好" and suggestion["entry_id"] == entry_id
    again = lead.do("kb.review", id=new_id, approve=False)
    assert again["code"] == "suggestion_reviewed" and "已采纳" in again["message"]

    # A suggested change to the entry, approved: the entry changes and its version rises.
    changed = {**ENTRY, "body": "付款后24小时内发货，节假日顺延。"}
    assert agent.do("kb.suggest", id=change_id, entry_id=entry_id, **changed)[
        "status"] == "applied"
    assert lead.do("kb.review", id=change_id, approve=True)["status"] == "applied"
    updated = _rows(colleague, "kb_entry")[entry_id]
    assert updated is not None and updated["body"] == changed["body"]
    assert updated["version"] == entry["version"] + 1

    # A rejected one leaves the entry as it was, with the reason for the author.
    assert agent.do("kb.suggest", id=rejected_id, entry_id=entry_id,
                    **{**ENTRY, "body": "随便什么时候发。"})["status"] == "applied"
    assert lead.do("kb.review", id=rejected_id, approve=False, comment="不准确")[
        "status"] == "applied"
    assert _rows(colleague, "kb_entry")[entry_id] == updated
    rejected = _rows(agent, "kb_suggestion")[rejected_id]
    assert rejected is not None and rejected["status"] == "已驳回"
    assert rejected["comment"] == "不准确"
    assert lead.do("kb.review", id=str(uuid.uuid4()), approve=True)[
        "code"] == "suggestion_not_found"


def test_a_stale_edit_is_refused_never_lost_silently_h9_2(
    server: ServerProcess, world: World
) -> None:
    company = world.company()
    lead = _agent(server, world, company, role="lead")
    supervisor = _agent(server, world, company, role="supervisor")
    entry_id = str(uuid.uuid4())
    assert lead.do("kb.upsert", id=entry_id, **ENTRY)["status"] == "applied"
    seen = _rows(supervisor, "kb_entry")[entry_id]
    assert seen is not None and seen["version"] == 1 and seen["updated_by"] == _employee(lead)

    mine = {**ENTRY, "body": "付款后24小时内发货。"}
    assert supervisor.do("kb.upsert", id=entry_id, base_version=1, **mine)["status"] == "applied"
    theirs = {**ENTRY, "body": "付款后72小时内发货。"}
    stale = lead.do("kb.upsert", id=entry_id, base_version=1, **theirs)
    assert stale["code"] == "kb_stale_version" and "2" in stale["message"]
    row = _rows(lead, "kb_entry")[entry_id]
    assert row is not None and row["body"] == mine["body"]
    assert row["updated_by"] == _employee(supervisor)
    assert lead.do("kb.upsert", id=entry_id, base_version=2, **theirs)["status"] == "applied"
    assert _rows(supervisor, "kb_entry")[entry_id]["body"] == theirs["body"]  # type: ignore[index]


def test_use_raises_the_count_without_making_edits_stale_h9_1(
    server: ServerProcess, world: World
) -> None:
    company = world.company()
    agent = _agent(server, world, company)
    lead = _agent(server, world, company, role="lead")
    entry_id = str(uuid.uuid4())
    assert lead.do("kb.upsert", id=entry_id, **ENTRY)["status"] == "applied"
    for _ in range(3):
        assert agent.do("kb.used", id=entry_id)["status"] == "applied"
    row = _rows(lead, "kb_entry")[entry_id]
    assert row is not None and row["use_count"] == 3
    # The lead opened version 1 before the uses; the edit still goes through.
    edit = {**ENTRY, "title": "下单后多久发货"}
    assert lead.do("kb.upsert", id=entry_id, base_version=1, **edit)["status"] == "applied"
    row = _rows(agent, "kb_entry")[entry_id]
    assert row is not None and row["title"] == "下单后多久发货" and row["use_count"] == 3
    assert agent.do("kb.used", id=str(uuid.uuid4()))["code"] == "kb_not_found"


def test_delete_removes_the_entry_from_every_desk_h9_2(
    server: ServerProcess, world: World
) -> None:
    company = world.company()
    agent = _agent(server, world, company)
    supervisor = _agent(server, world, company, role="supervisor")
    granted = world.agent(company)
    grant = supervisor.http.put(f"{server.url}/api/v1/admin/agents/{granted.id}/grants",
                                json={"grants": ["kb.edit"]}, timeout=10)
    assert grant.status_code == 200, grant.text
    editor = AgentClient(server.url, granted.account, PASSWORD)
    entry_id = str(uuid.uuid4())
    assert editor.do("kb.upsert", id=entry_id, **ENTRY)["status"] == "applied"
    assert entry_id in _rows(agent, "kb_entry")
    assert editor.do("kb.delete", id=entry_id)["status"] == "applied"
    assert _rows(agent, "kb_entry")[entry_id] is None
    assert editor.do("kb.delete", id=entry_id)["status"] == "applied", "a replay is harmless"
    assert agent.do("kb.used", id=entry_id)["code"] == "kb_not_found"
    gone = editor.do("kb.upsert", id=entry_id, base_version=1, **ENTRY)
    assert gone["code"] == "kb_not_found"

    # Another company's desks never see this company's knowledge base.
    stranger = _agent(server, world, world.company(), role="lead")
    assert stranger.do("kb.upsert", id=str(uuid.uuid4()), **ENTRY)["status"] == "applied"
    assert len(_rows(agent, "kb_entry")) == 1  # only the deleted entry's tombstone
