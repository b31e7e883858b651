"""The order tab beside the chat (H5): look up, details, status changes."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from qasync import asyncSlot

from app.services.orders import REFUSAL_CODES, OrderRefused
from app.sync.apply import Applied
from app.ui.order_panel import OrderPanel

if TYPE_CHECKING:
    from app.ui.main_window import MainWindow

log = logging.getLogger(__name__)


class OrderDesk:
    """Adds the 订单 tab to the window's side tabs and keeps it in step with the chat: the
    open customer's orders, or what the agent looked up by number (empty lookup: back)."""

    def __init__(self, window: MainWindow) -> None:
        self.window = window
        self.service = window.ws.orders
        self.customer_id: str | None = None
        self.query = ""
        self.selected: str | None = None
        self.panel = OrderPanel(window.tr_)
        window.side_tabs.addTab(self.panel, window.tr_("orders.tab"))
        self.panel.lookup_requested.connect(self.look_up)
        self.panel.order_selected.connect(self._select)
        self.panel.change_requested.connect(self._change)
        self.panel.dismiss_requested.connect(self._dismiss)
        window.conversation_opened.connect(self._conversation_opened)
        window.pages_applied.connect(self.after_page)

    def focus_lookup(self) -> None:
        """Shows the tab with the order-number box focused (the 'orders.lookup' command)."""
        self.window.side_tabs.setCurrentWidget(self.panel)
        self.panel.search.setFocus()
        self.panel.search.selectAll()

    def _conversation_opened(self, _conversation_id: str) -> None:
        row = self.window.current_row
        customer = row.customer_id if row is not None else None
        if customer != self.customer_id:
            self.customer_id = customer
            self.query = ""
            self.panel.search.clear()
            self.selected = None
        self.refresh()

    def look_up(self, order_no: str) -> None:
        self.query = order_no.strip()
        self.selected = None
        self.refresh()

    def refresh(self) -> None:
        tr = self.window.tr_
        if self.query:
            rows = self.service.lookup(self.query)
            heading = tr("orders.found")
        elif self.customer_id is not None:
            rows = self.service.of_customer(self.customer_id)
            heading = tr("orders.customer_orders")
        else:
            rows, heading = (), tr("orders.no_customer")
        self.panel.show_orders(rows, heading=heading, keep=self.selected)
        if not rows and not self.query:
            self.panel.heading.setText(heading if self.customer_id is None
                                       else tr("orders.none"))

    def after_page(self, applied: Applied) -> None:
        """Orders, tracking events or settled intents (acked or refused) may change the view."""
        if applied.acked or applied.rejected or self.service.touched(applied.records):
            self.refresh()

    def _select(self, order_id: str) -> None:
        self.selected = order_id
        self.panel.show_detail(self.service.detail(order_id))

    @asyncSlot(str, str)
    async def _change(self, order_id: str, to_status: str) -> None:
        tr = self.window.tr_
        try:
            await self.window.workers.in_db(self.service.change_status, order_id, to_status)
        except OrderRefused as exc:
            self.refresh()
            code = str(exc) if str(exc) in REFUSAL_CODES else "invalid"
            self.panel.show_note(tr("orders.not_queued", reason=tr(f"orders.reason.{code}")))
            return
        except Exception:  # the agent sees a sentence, the log the traceback
            log.exception("order status change could not be queued")
            self.panel.show_note(tr("orders.not_queued", reason=tr("orders.reason.invalid")))
            return
        if not self.window.closed:
            self.refresh()

    @asyncSlot(str)
    async def _dismiss(self, order_id: str) -> None:
        await self.window.workers.in_db(self.service.dismiss_refused, order_id)
        if not self.window.closed:
            self.refresh()
