"""Everything the agent's main window asks of a signed-in session, built from its runtime."""

from __future__ import annotations

from dataclasses import dataclass

from app.services.actions import ActionService
from app.services.chat import ChatService
from app.services.colleagues import ColleagueService
from app.services.customers import CustomerService
from app.services.runtime import Runtime
from app.services.scripts import ScriptService


@dataclass(frozen=True)
class Workstation:
    chat: ChatService
    actions: ActionService
    customers: CustomerService
    colleagues: ColleagueService
    scripts: ScriptService
    agent_id: str
    agent_name: str
    role: str


def workstation_for(runtime: Runtime) -> Workstation:
    store, agent = runtime.store, runtime.signed_in.agent
    return Workstation(
        chat=runtime.chat,
        actions=ActionService(store, agent_id=agent.id, poke=runtime.engine.poke),
        customers=CustomerService(store, keeper=runtime.keeper,
                                  make_client=runtime.engine.make_client),
        colleagues=ColleagueService(store, agent_id=agent.id),
        scripts=ScriptService(store),
        agent_id=agent.id, agent_name=agent.name, role=agent.role,
    )
