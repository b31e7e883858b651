"""The customer's side (H14): start a chat, send, read replies, rate; blacklist and routing."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from kefu_protocol.wire import VisitorMessage, VisitorSessionRequest
from server import models as m
from server.changes import ChangeWriter
from server.chat import append_message, publish, queue_position, route_new_conversation, touch
from server.errors import ApiError
from server.security import new_token, token_hash
from server.state import Settings
from server.surge import check_surge


@dataclass(frozen=True)
class VisitorView:
    """What the customer's page polls for: new messages and the conversation's state."""

    messages: list[VisitorMessage]
    state: str
    queue_position: int
    rating_requested: bool  # H14.4: show the rating form (asked for, or the chat has ended)
    rated: bool


@dataclass(frozen=True)
class VisitorIdentity:
    visitor_id: str
    conversation_id: str
    company_id: str


def start_session(
    session: Session,
    changes: ChangeWriter,
    settings: Settings,
    request: VisitorSessionRequest,
    *,
    address: str,
) -> tuple[str, str]:
    """Creates customer + conversation, routes it (H14.1/H14.2); returns (token, conversation)."""
    now = m.utcnow()
    company = _company(session, request.company)
    if _blocked(session, company.id, request.visitor_key or "", address):
        raise ApiError("visitor_blocked")
    team = session.scalars(
        select(m.Team)
        .where(m.Team.company_id == company.id, m.Team.receives_visitors.is_(True))
        .order_by(m.Team.name)
    ).first()
    if team is None:
        raise ApiError("no_service_team")
    customer = _customer_for(session, company.id, team.id, request)
    session.flush()  # the customer row must exist before the conversation refers to it
    conv = m.Conversation(
        id=str(uuid.uuid4()), team_id=team.id, customer_id=customer.id, state="queued",
        order_no=(request.order_no or "").strip(), created_at=now,
    )
    session.add(conv)
    token = new_token()
    session.add(
        m.Visitor(
            id=str(uuid.uuid4()), company_id=company.id, customer_id=customer.id,
            conversation_id=conv.id, token_hash=token_hash(token),
            visitor_key=request.visitor_key or "", address=address,
        )
    )
    publish(session, changes, customer, team.id)
    publish(session, changes, conv, team.id)
    preferred = None
    if request.agent_account:
        preferred = session.scalars(
            select(m.Agent).where(m.Agent.account == request.agent_account.strip())
        ).one_or_none()
    route_new_conversation(session, changes, conv, team, now=now,
                           presence_ttl_s=settings.presence_ttl_s, preferred=preferred)
    check_surge(session, changes, team, now, timezone=settings.timezone)  # H11.4
    return token, conv.id


def _company(session: Session, domain: str | None) -> m.Company:
    stmt = select(m.Company)
    stmt = stmt.where(m.Company.domain == domain) if domain else stmt.order_by(m.Company.domain)
    company = session.scalars(stmt).first()
    if company is None:
        raise ApiError("no_service_team")
    return company


def _blocked(session: Session, company_id: str, visitor_key: str, address: str) -> bool:
    blocks = session.scalars(
        select(m.VisitorBlock).where(m.VisitorBlock.company_id == company_id)
    ).all()
    return any(
        (b.kind == "visitor_key" and visitor_key and b.value == visitor_key)
        or (b.kind == "address" and address and b.value == address)
        for b in blocks
    )


def _customer_for(
    session: Session, company_id: str, team_id: str, request: VisitorSessionRequest
) -> m.Customer:
    """The order's customer when the order number is known, otherwise a new customer."""
    if request.order_no:
        order = session.scalars(
            select(m.Order).where(
                m.Order.company_id == company_id, m.Order.order_no == request.order_no.strip()
            )
        ).one_or_none()
        if order is not None:
            customer = session.get(m.Customer, order.customer_id)
            if customer is not None:
                return customer
    customer = m.Customer(
        id=str(uuid.uuid4()), company_id=company_id, team_id=team_id,
        nickname=request.nickname.strip(),
    )
    session.add(customer)
    return customer


def identify(session: Session, token: str) -> VisitorIdentity:
    visitor = session.scalars(
        select(m.Visitor).where(m.Visitor.token_hash == token_hash(token))
    ).one_or_none()
    if visitor is None:
        raise ApiError("not_authenticated")
    return VisitorIdentity(visitor.id, visitor.conversation_id, visitor.company_id)


def post_message(
    session: Session, changes: ChangeWriter, who: VisitorIdentity, *, message_id: str, text: str
) -> None:
    """Idempotent by the client-generated id: a resend changes nothing."""
    existing = session.get(m.Message, message_id)
    if existing is not None:
        if existing.conversation_id == who.conversation_id and existing.sender == "customer":
            return
        raise ApiError("message_id_conflict")
    conv = session.get(m.Conversation, who.conversation_id, with_for_update=True)
    assert conv is not None
    if conv.state == "closed":
        raise ApiError("conversation_closed")
    append_message(session, changes, conv, sender="customer", text=text, now=m.utcnow(),
                   message_id=message_id)


def read_messages(session: Session, who: VisitorIdentity, *, after: int) -> VisitorView:
    """Messages after sequence `after`, the conversation state, queue position and rating."""
    conv = session.get(m.Conversation, who.conversation_id)
    assert conv is not None
    rows = session.execute(
        select(m.Message, m.Agent.name)
        .outerjoin(m.Agent, m.Agent.id == m.Message.agent_id)
        .where(m.Message.conversation_id == conv.id, m.Message.seq > after)
        .order_by(m.Message.seq)
        .limit(500)
    ).all()
    messages = [
        VisitorMessage(
            id=msg.id, text=msg.text, sender=msg.sender,  # type: ignore[arg-type]
            created_at=msg.created_at.isoformat(), seq=msg.seq, agent_name=name,
            card=msg.card,  # an order card: what the customer may see of their order (H11.3)
        )
        for msg, name in rows
    ]
    return VisitorView(
        messages, conv.state, queue_position(session, conv),
        rating_requested=conv.state == "closed" or conv.rating_requested_at is not None,
        rated=conv.rating is not None,
    )


def rate(
    session: Session, changes: ChangeWriter, who: VisitorIdentity, *, score: int, comment: str
) -> None:
    """H14.4: one rating per conversation, once it has ended or the agent asked for it."""
    conv = session.get(m.Conversation, who.conversation_id, with_for_update=True)
    assert conv is not None
    if conv.state != "closed" and conv.rating_requested_at is None:
        raise ApiError("conversation_not_closed")
    if conv.rating is not None:
        raise ApiError("already_rated")
    conv.rating = score
    conv.rating_comment = comment
    touch(conv)
    publish(session, changes, conv, conv.team_id)
