"""Revealing a customer's masked contact data, by permission and with an audited reason (H11.3)."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import select
from sqlalchemy.orm import Session

from kefu_protocol.wire import (
    PERMISSION_LABELS_ZH,
    CustomerRevealRequest,
    CustomerRevealResponse,
)
from server import auth
from server import models as m
from server.deps import PrincipalDep, StateDep
from server.errors import ApiError
from server.principal import Principal

router = APIRouter(prefix="/api/v1/customers", tags=["customers"])

REVEAL_PERMISSION = "customer.reveal"


def visible_customer(session: Session, principal: Principal, customer_id: str) -> m.Customer:
    """The customer of one of the caller's teams, or of a conversation one of them holds (as in
    the feed); anything else is 404, so nobody learns which ids exist elsewhere."""
    customer = session.get(m.Customer, customer_id)
    if customer is None or customer.company_id != principal.company_id:
        raise ApiError("not_found")
    if principal.sees_team(customer.team_id):
        return customer
    talked = session.scalar(
        select(m.Conversation.id).where(
            m.Conversation.customer_id == customer.id,
            m.Conversation.team_id.in_(principal.team_ids),
        ).limit(1)
    )
    if talked is None:
        raise ApiError("not_found")
    return customer


@router.post(
    "/{customer_id}/reveal", response_model=CustomerRevealResponse,
    summary="One unmasked field (phone, address, ID number); needs customer.reveal; audited",
    responses={403: {"description": "permission_denied"}, 404: {"description": "not_found"}},
)
def reveal(customer_id: str, body: CustomerRevealRequest, principal: PrincipalDep,
           state: StateDep) -> CustomerRevealResponse:
    with state.db.write() as session:
        customer = visible_customer(session, principal, customer_id)
        if not principal.can(REVEAL_PERMISSION):
            raise ApiError("permission_denied", detail=PERMISSION_LABELS_ZH[REVEAL_PERMISSION])
        value = str(getattr(customer, body.field) or "")
        # The reason and the field are recorded, never the value itself.
        auth.audit(session, "customer.reveal", account=principal.account,
                   agent_id=principal.agent_id, actor_id=principal.agent_id,
                   customer_id=customer.id, field=body.field, reason=body.reason)
    return CustomerRevealResponse(field=body.field, value=value)
