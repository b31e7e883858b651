"""The supervisors' tools in the main window: permission grants (H10.2), tag library (H4.3)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from PySide6.QtGui import QAction
from qasync import asyncSlot

from app.services.admin import may_grant
from app.services.runtime import Applied
from app.ui.grants_dialog import GrantsDialog
from app.ui.modal import finished
from app.ui.tag_library import TagLibraryDialog
from kefu_protocol.wire import has_permission

if TYPE_CHECKING:
    from app.ui.main_window import MainWindow

log = logging.getLogger(__name__)


class AdminDesk:
    """Opens the grants editor and the tag-library manager for those allowed to use them, and
    keeps both (and the menu) in step with what each synced page changes."""

    def __init__(self, window: MainWindow) -> None:
        self.window = window
        self.service = window.ws.admin
        self.grants_dialog: GrantsDialog | None = None
        """Kept between openings: edits not saved yet (a failed PUT) are still there."""
        self.grants_open = False
        """The grants editor is showing (its command is being awaited)."""
        self.tags_dialog: TagLibraryDialog | None = None
        """The tag-library manager while it is open."""
        self.menu_actions: tuple[QAction, QAction] | None = None
        window.pages_applied.connect(self.after_page)

    def may_grant(self) -> bool:
        """Supervisors and admins manage grants (the server enforces it too)."""
        return may_grant(self.window.ws.role)

    def may_manage_tags(self) -> bool:
        """tag.manage by the role's default or an explicit grant (the agent's synced row)."""
        me = self.window.ws.colleagues.me()
        return has_permission(self.window.ws.role, me.grants if me else (), "tag.manage")

    def show_allowed(self, grants: QAction, tags: QAction) -> None:
        """The menu shows only what this agent may do (again after each page: a grant given or
        taken away while signed in shows at once)."""
        self.menu_actions = (grants, tags)
        grants.setVisible(self.may_grant())
        grants.setEnabled(self.may_grant())
        tags.setVisible(self.may_manage_tags())
        tags.setEnabled(self.may_manage_tags())

    @asyncSlot()
    async def open_grants(self) -> None:
        """The grants editor, window-modal; a second command while open raises it."""
        if not self.may_grant():
            return
        dialog = self.grants_dialog
        if dialog is not None and dialog.isVisible():
            dialog.raise_()
            return
        if dialog is None:
            w = self.window
            dialog = GrantsDialog(self.service, w.workers, w.tr_, w.ws.role, w)
            self.grants_dialog = dialog
        else:
            dialog.reload()
        self.grants_open = True
        try:
            await finished(dialog)
        finally:
            self.grants_open = False

    @asyncSlot()
    async def open_tags(self) -> None:
        """The tag-library manager, window-modal; a second command while open raises it."""
        if not self.may_manage_tags():
            return
        if self.tags_dialog is not None and self.tags_dialog.isVisible():
            self.tags_dialog.raise_()
            return
        w = self.window
        dialog = TagLibraryDialog(self.service.tags, w.workers, w.tr_, w)
        self.tags_dialog = dialog
        try:
            await finished(dialog)
        finally:
            self.tags_dialog = None
        dialog.deleteLater()

    def after_page(self, applied: Applied) -> None:
        """Refreshes what a page touched: agent rows (grants, the menu), tags, customers'
        tags (usage counts), acks and refusals of queued tag changes."""
        try:
            agents = bool(applied.records) and self.service.touched_agents(applied.records)
            if agents and self.menu_actions is not None:
                self.show_allowed(*self.menu_actions)
            if agents and self.grants_dialog is not None:
                self.grants_dialog.reload()
            tags = self.tags_dialog
            if tags is not None and (applied.acked or applied.rejected or applied.customers
                                     or (applied.records and self.service.tags.touched(
                                         applied.records, set(tags.items)))):
                tags.refresh()
            elif tags is None and applied.rejected and self.may_manage_tags():
                self._tell_refusals()
        except Exception:
            log.exception("admin desk after page")

    def _tell_refusals(self) -> None:
        """A refused tag change while the manager is closed: said in the status bar; the
        manager lists it with the reason until dismissed."""
        count = len(self.service.tags.library().refusals)
        if count:
            self.window.statusBar().showMessage(
                self.window.tr_("taglib.refused_notice", count=count), 30_000)
