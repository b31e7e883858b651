"""The supervisors' tools in the main window: permission grants (H10.2), tag library (H4.3)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtGui import QAction

from kefu_protocol.wire import ROLE_RANK, has_permission

if TYPE_CHECKING:
    from app.ui.main_window import MainWindow


class AdminDesk:
    """Opens the grants editor and the tag-library manager for those allowed to use them."""

    def __init__(self, window: MainWindow) -> None:
        self.window = window
        self.service = window.ws.admin

    def may_grant(self) -> bool:
        """Supervisors and admins manage grants (the server enforces it too)."""
        return ROLE_RANK.get(self.window.ws.role, 0) >= ROLE_RANK["supervisor"]

    def may_manage_tags(self) -> bool:
        me = self.window.ws.colleagues.me()
        return has_permission(self.window.ws.role, me.grants if me else (), "tag.manage")

    def show_allowed(self, grants: QAction, tags: QAction) -> None:
        """The menu shows only what this agent may do."""
        grants.setVisible(self.may_grant())
        tags.setVisible(self.may_manage_tags())

    def open_grants(self) -> None:
        """The grants editor (issue 8: being built)."""

    def open_tags(self) -> None:
        """The tag-library manager (issue 8: being built)."""
