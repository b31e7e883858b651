"""An order card in the chat (H5): its bubble's HTML and its readable text for copying."""

from __future__ import annotations

import html
from typing import Any

from app.i18n import Tr
from app.ui.handover_dialog import local_time

CARD_WIDTH = 280
"""A card bubble's text width in pixels (narrower when the chat is narrower)."""


def money(tr: Tr, cents: int) -> str:
    return tr("orders.money", amount=f"{cents / 100:.2f}")


def card_text(tr: Tr, card: dict[str, Any]) -> str:
    """One line the agent can copy or read where cards do not show."""
    return tr("order_card.text", order_no=str(card.get("order_no") or ""),
              status=str(card.get("status") or ""),
              total=money(tr, int(card.get("total_cents") or 0)))


def _lines(tr: Tr, card: dict[str, Any]) -> list[str]:
    out = [tr("order_card.line", name=str(li.get("name") or ""), qty=int(li.get("qty") or 0))
           for li in card.get("lines") or () if isinstance(li, dict)]
    more = int(card.get("more") or 0)
    if more:
        out.append(tr("order_card.more", count=more))
    return out


def _tracking(tr: Tr, card: dict[str, Any]) -> str:
    tracking = card.get("tracking")
    if not isinstance(tracking, dict):
        return tr("order_card.no_tracking")
    return tr("order_card.tracking", carrier=str(tracking.get("carrier") or ""),
              status=str(tracking.get("status") or ""),
              at=local_time(str(tracking.get("at") or "")))


def card_html(tr: Tr, card: dict[str, Any], *, muted: str, accent: str) -> str:
    """The bubble's content: a heading with the number, status and total, the goods, the
    latest tracking news. Never the address (the card carries none, H11.3)."""
    e = html.escape
    number = tr("order_card.number", order_no=str(card.get("order_no") or ""))
    total = tr("order_card.total", total=money(tr, int(card.get("total_cents") or 0)))
    status = str(card.get("status") or "")
    rows = [
        f'<div style="color:{muted}">{e(tr("order_card.title"))}</div>',
        f'<div style="font-weight:600">{e(number)}</div>',
        f'<div><span style="color:{accent};font-weight:600">{e(status)}</span>'
        f"&nbsp;&nbsp;{e(total)}</div>",
    ]
    created = str(card.get("created_at") or "")
    if created:
        rows.append(f'<div style="color:{muted}">'
                    f'{e(tr("order_card.created", at=local_time(created)))}</div>')
    rows.append('<hr style="margin:2px 0">')
    rows += [f"<div>{e(line)}</div>" for line in _lines(tr, card)]
    rows.append(f'<div style="color:{muted}">{e(_tracking(tr, card))}</div>')
    return "".join(rows)


def card_lines(tr: Tr, card: dict[str, Any]) -> list[str]:
    """The card as plain lines (what tests and screen readers read)."""
    return [tr("order_card.number", order_no=str(card.get("order_no") or "")),
            str(card.get("status") or ""),
            tr("order_card.total", total=money(tr, int(card.get("total_cents") or 0))),
            *_lines(tr, card), _tracking(tr, card)]
