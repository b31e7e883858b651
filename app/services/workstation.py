"""Everything the agent's main window asks of a signed-in session, built from its runtime."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from app.services.actions import ActionService
from app.services.admin import AdminService
from app.services.chat import ChatService
from app.services.colleagues import ColleagueService
from app.services.customers import CustomerService
from app.services.handover import DEFAULT_ZONE, HandoverService
from app.services.history import FetchOlder, HistoryService, RunDb
from app.services.knowledge import KnowledgeService
from app.services.orders import OrderService
from app.services.phrases import PhraseService
from app.services.problems import ProblemService
from app.services.products import ProductService
from app.services.runtime import Runtime
from app.services.scripts import ScriptService
from app.services.search import RemoteSearchPage, SearchQuery, SearchService
from app.sync.auth import TokenKeeper
from app.sync.client import ApiClient
from kefu_protocol.wire import MessagePage


@dataclass(frozen=True)
class Workstation:
    chat: ChatService
    actions: ActionService
    customers: CustomerService
    colleagues: ColleagueService
    scripts: ScriptService
    search: SearchService
    history: HistoryService
    phrases: PhraseService
    handovers: HandoverService
    problems: ProblemService
    knowledge: KnowledgeService
    """The knowledge base from the cache (H9), indexed in memory."""
    orders: OrderService
    """Orders of the customer in the chat (H5): look up, details, status changes."""
    products: ProductService
    """Products, specs, stock and promotions in force (H6)."""
    admin: AdminService
    """Supervisors' grants (H10.2) and the tag library (H4.3)."""
    agent_id: str
    agent_name: str
    role: str
    team_id: str
    timezone: str
    """The company's zone: shift times are its wall-clock times (H13.1)."""
    keeper: TokenKeeper
    make_client: Callable[[], ApiClient]

    def search_server(self, query: SearchQuery, before: str | None) -> RemoteSearchPage:
        """Older history the cache does not hold (H14.3); HTTP, so on a net worker."""
        client = self.make_client()
        try:
            return self.search.search_remote(
                lambda **kw: self.keeper.call(lambda token: client.search_messages(token, **kw)),
                query, before)
        finally:
            client.close()


def workstation_for(runtime: Runtime) -> Workstation:
    store, agent = runtime.store, runtime.signed_in.agent
    zone = company_zone(agent.timezone)
    return Workstation(
        chat=runtime.chat,
        actions=ActionService(store, agent_id=agent.id, poke=runtime.engine.poke),
        customers=CustomerService(store, keeper=runtime.keeper,
                                  make_client=runtime.engine.make_client),
        colleagues=ColleagueService(store, agent_id=agent.id),
        scripts=ScriptService(store),
        search=SearchService(store),
        history=HistoryService(store, _fetch_older(runtime), run_db=runtime_run_db(runtime)),
        phrases=PhraseService(store, agent_id=agent.id, team_id=agent.team_id, role=agent.role,
                              poke=runtime.engine.poke),
        handovers=HandoverService(store, agent_id=agent.id, team_id=agent.team_id,
                                  poke=runtime.engine.poke, zone=zone),
        problems=ProblemService(store, agent_id=agent.id, team_id=agent.team_id,
                                poke=runtime.engine.poke),
        knowledge=KnowledgeService(store),
        orders=OrderService(store, agent_id=agent.id, poke=runtime.engine.poke),
        products=ProductService(store),
        admin=AdminService(store, keeper=runtime.keeper, make_client=runtime.engine.make_client,
                           poke=runtime.engine.poke),
        agent_id=agent.id, agent_name=agent.name, role=agent.role, team_id=agent.team_id,
        timezone=zone, keeper=runtime.keeper, make_client=runtime.engine.make_client,
    )


def company_zone(name: str) -> str:
    """The server's zone if this computer knows it, else the default (logged once)."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        logging.getLogger(__name__).warning("unknown time zone %r; shifts read in %s",
                                            name, DEFAULT_ZONE)
        return DEFAULT_ZONE
    return name


def _fetch_older(runtime: Runtime) -> FetchOlder:
    """One client per call: it runs on whichever net worker the page was asked on."""

    def fetch(conversation_id: str, before: int | None, limit: int) -> MessagePage:
        client = runtime.engine.make_client()
        try:
            return runtime.keeper.call(
                lambda token: client.messages_before(token, conversation_id, before, limit))
        finally:
            client.close()

    return fetch


def runtime_run_db(runtime: Runtime) -> RunDb:
    return runtime.engine.run_db
