"""The order tab beside the chat (H5, H7): look up, details, handling, returns, order cards."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import QDialog
from qasync import asyncSlot

from app.services.orders import REFUSAL_CODES, OrderRefused
from app.sync.apply import Applied
from app.ui.handover_dialog import local_time
from app.ui.modal import finished
from app.ui.order_dialogs import ChoiceNoteDialog, OrderTextDialog, ReturnDialog
from app.ui.order_panel import OrderPanel
from kefu_protocol.shop import CANCEL_WINDOW_HOURS, LOGISTICS_RESOLUTIONS

if TYPE_CHECKING:
    from app.ui.main_window import MainWindow

log = logging.getLogger(__name__)
ACCEPTED = QDialog.DialogCode.Accepted.value


class OrderDesk:
    """Adds the 订单 tab to the window's side tabs and keeps it in step with the chat: the
    open customer's orders, or what the agent looked up by number (empty lookup: back). Every
    change is a queued intent (works offline); `dialog` is the one open (tests fill it)."""

    def __init__(self, window: MainWindow) -> None:
        self.window = window
        self.service = window.ws.orders
        self.actions = self.service.actions
        self.customer_id: str | None = None
        self.query = ""
        self.selected: str | None = None
        self.dialog: QDialog | None = None
        self.panel = OrderPanel(window.tr_)
        window.side_tabs.addTab(self.panel, window.tr_("orders.tab"))
        self.panel.lookup_requested.connect(self.look_up)
        self.panel.order_selected.connect(self._select)
        detail = self.panel.detail
        detail.change_requested.connect(self._change)
        detail.dismiss_requested.connect(self._dismiss)
        detail.action_requested.connect(self._action)
        detail.return_step_requested.connect(self._return_step)
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
        self.panel.show_notice("")
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
        """Orders, tracking events, return cases or settled intents may change the view."""
        if applied.acked or applied.rejected or self.service.touched(applied.records):
            self.refresh()

    def _select(self, order_id: str) -> None:
        self.selected = order_id
        self.panel.show_detail(self.service.detail(order_id))

    # ---- the order card (H5) ------------------------------------------------------------

    def send_card(self) -> None:
        """The 'orders.send_card' command: the selected order into the open conversation."""
        self._send_card()

    @asyncSlot()
    async def _send_card(self) -> None:
        w, tr = self.window, self.window.tr_
        w.side_tabs.setCurrentWidget(self.panel)
        shown = self.panel.shown
        conversation, row = w.current, w.current_row
        if conversation is None or row is None:
            self.panel.show_notice(tr("orders.card_no_conversation"))
            return
        if shown is None:
            self.panel.show_notice(tr("orders.card_no_order"))
            return
        if shown.row.customer_id != row.customer_id:
            self.panel.show_notice(tr("orders.card_other_customer",
                                      order_no=shown.row.order_no, customer=row.nickname))
            return
        if not await self._queue(self.actions.send_card, conversation, shown.row.id):
            return
        self.panel.show_notice(tr("orders.card_sent", order_no=shown.row.order_no))
        if not w.closed and w.current == conversation:
            w.refresh_current()
            w.chat_panel.view.scrollToBottom()

    # ---- changes -------------------------------------------------------------------------

    async def _queue(self, fn: Callable[..., Any], *args: Any) -> bool:
        """Queues on the DB worker; a refusal before queueing is told in a sentence."""
        tr = self.window.tr_
        try:
            await self.window.workers.in_db(fn, *args)
        except OrderRefused as exc:
            code = str(exc) if str(exc) in REFUSAL_CODES else "invalid"
            self.refresh()
            self._tell(tr("orders.not_queued", reason=tr(f"orders.reason.{code}")))
            return False
        except Exception:  # the agent sees a sentence, the log the traceback
            log.exception("order intent could not be queued")
            self._tell(tr("orders.not_queued", reason=tr("orders.reason.invalid")))
            return False
        if not self.window.closed:
            self.refresh()
        return True

    def _tell(self, text: str) -> None:
        if self.panel.shown is not None:
            self.panel.show_note(text)
        else:
            self.panel.show_notice(text)

    @asyncSlot(str, str)
    async def _change(self, order_id: str, to_status: str) -> None:
        await self._queue(self.actions.change_status, order_id, to_status)

    @asyncSlot(str, str)
    async def _return_step(self, case_id: str, status: str) -> None:
        await self._queue(self.actions.update_return, case_id, status)

    @asyncSlot(str)
    async def _dismiss(self, order_id: str) -> None:
        await self._queue(self.actions.dismiss_refused, order_id)

    @asyncSlot(str, str)
    async def _action(self, name: str, order_id: str) -> None:
        if name == "send_card":
            await self._send_card()
            return
        detail = self.service.detail(order_id)
        if detail is None:
            return
        dialog = self._dialog(name, detail)
        self.dialog = dialog
        try:
            if await finished(dialog) != ACCEPTED or self.window.closed:
                return
            value = dialog.value()  # type: ignore[attr-defined]
        finally:
            self.dialog = None
            dialog.deleteLater()
        a = self.actions
        calls: dict[str, tuple[Callable[..., Any], tuple[Any, ...]]] = {
            "address": (a.change_address, (value,)), "cancel": (a.cancel, (value,)),
            "intercept": (a.intercept, (value,)),
            "flag": (a.flag, (not detail.row.flagged, value)),
            "report": (a.report_logistics, tuple(value)),
            "resolve": (a.resolve_logistics, tuple(value)),
            "return": (a.create_return, tuple(value)),
        }
        fn, args = calls[name]
        await self._queue(fn, order_id, *args)

    def _dialog(self, name: str, detail: Any) -> QDialog:
        tr, parent, row = self.window.tr_, self.window, detail.row
        if name == "address":
            return OrderTextDialog(tr, title=tr("orders.address_title", order_no=row.order_no),
                                   label=tr("orders.address_label"), ok_key="orders.submit",
                                   parent=parent, max_chars=300, hint=tr(
                                       "orders.address_now", address=detail.address_masked
                                       or "-"))
        if name in ("cancel", "intercept"):
            hint = tr("orders.cancel_hint", hours=CANCEL_WINDOW_HOURS,
                      at=local_time(row.created_at)) if name == "cancel" else \
                tr("orders.intercept_hint")
            return OrderTextDialog(tr, title=tr(f"orders.{name}_title", order_no=row.order_no),
                                   label=tr("orders.reason_label"), ok_key="orders.submit",
                                   parent=parent, hint=hint)
        if name == "flag":
            key = "orders.unflag_title" if row.flagged else "orders.flag_title"
            return OrderTextDialog(tr, title=tr(key, order_no=row.order_no),
                                   label=tr("orders.flag_label"), ok_key="orders.submit",
                                   parent=parent, required=False, max_chars=500)
        if name == "report":
            return ChoiceNoteDialog(tr, title=tr("order_logistics.report_title"),
                                    label=tr("order_logistics.problem"), choices=detail.problems,
                                    ok_key="orders.submit", parent=parent, show_paths=True)
        if name == "resolve":
            return ChoiceNoteDialog(tr, title=tr("order_logistics.resolve_title"),
                                    label=tr("order_logistics.resolution"),
                                    choices=LOGISTICS_RESOLUTIONS, ok_key="orders.submit",
                                    parent=parent)
        return ReturnDialog(tr, detail.lines, parent)
