"""The grants editor (H10.2): agents × permissions, role defaults fixed, explicit grants saved."""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)
from qasync import asyncSlot

from app.i18n import Tr
from app.services.admin import GRANT_FAILURES, AdminService, AgentGrants, GrantsFailed
from app.workers import Workers
from kefu_protocol.wire import PERMISSIONS, ROLE_RANK

log = logging.getLogger(__name__)

Index = QModelIndex | QPersistentModelIndex
TEXT_COLUMNS = ("name", "employee_id", "role", "team")
SEARCH_ROLE = Qt.ItemDataRole.UserRole + 1
"""Column 0 answers "name employee-ID" for the filter."""


class GrantsModel(QAbstractTableModel):
    """One row per agent; a checkable column per permission. Edits are kept per agent until
    saved (`confirm`) — a reload from the cache keeps them."""

    def __init__(self, tr: Tr) -> None:
        super().__init__()
        self.tr_ = tr
        self.rows: list[AgentGrants] = []
        self.edits: dict[str, frozenset[str]] = {}
        """Agent id -> the explicit grants wanted, where they differ from the row's."""
        self.saved: dict[str, tuple[str, ...]] = {}
        """Stored by the server, until the synced agent row says the same (the feed lags)."""

    # ---- Qt's model interface ------------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(TEXT_COLUMNS) + len(PERMISSIONS)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < self.columnCount():
            return None
        permission = self.permission_of(section)
        if role == Qt.ItemDataRole.DisplayRole:
            if permission is None:
                return self.tr_(f"grants.col.{TEXT_COLUMNS[section]}")
            return self.tr_(f"grants.perm.{permission}")
        if role == Qt.ItemDataRole.ToolTipRole and permission is not None:
            return permission
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self.rows):
            return None
        row = self.rows[index.row()]
        permission = self.permission_of(index.column())
        if permission is None:
            return self._text(row, index.column(), role)
        if role == Qt.ItemDataRole.CheckStateRole:
            ticked = row.by_role(permission) or permission in self.wanted(row)
            return Qt.CheckState.Checked if ticked else Qt.CheckState.Unchecked
        if role == Qt.ItemDataRole.ToolTipRole:
            if row.by_role(permission):
                return self.tr_("grants.by_role")
            if not row.manageable:
                return self.tr_("grants.not_manageable")
            if self._edited(row, permission):
                return self.tr_("grants.edited")
        if role == Qt.ItemDataRole.FontRole and self._edited(row, permission):
            return _bold()
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        permission = self.permission_of(index.column())
        row = self.rows[index.row()]
        if permission is None:
            return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if row.by_role(permission) or not row.manageable:
            return Qt.ItemFlag.ItemIsSelectable  # shown ticked (or not), not editable
        return (Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
                | Qt.ItemFlag.ItemIsUserCheckable)

    def setData(self, index: Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        permission = self.permission_of(index.column()) if index.isValid() else None
        if role != Qt.ItemDataRole.CheckStateRole or permission is None:
            return False
        row = self.rows[index.row()]
        if row.by_role(permission) or not row.manageable:
            return False
        checked = Qt.CheckState(value) == Qt.CheckState.Checked \
            if isinstance(value, int | Qt.CheckState) else bool(value)
        wanted = set(self.wanted(row))
        (wanted.add if checked else wanted.discard)(permission)
        self._set_wanted(row, frozenset(wanted))
        self.dataChanged.emit(self.index(index.row(), 0),
                              self.index(index.row(), self.columnCount() - 1))
        return True

    # ---- the editor's use ----------------------------------------------------------------------

    @staticmethod
    def permission_of(column: int) -> str | None:
        offset = column - len(TEXT_COLUMNS)
        return PERMISSIONS[offset] if 0 <= offset < len(PERMISSIONS) else None

    def column_of(self, permission: str) -> int:
        return len(TEXT_COLUMNS) + PERMISSIONS.index(permission)

    def wanted(self, row: AgentGrants) -> frozenset[str]:
        return self.edits.get(row.id, frozenset(row.grants))

    def set_rows(self, rows: tuple[AgentGrants, ...]) -> None:
        """New rows from the cache; edits not yet saved stay (unless the row now matches), and
        so do grants just saved that the feed has not brought yet."""
        self.saved = {a: g for a, g in self.saved.items()
                      if any(r.id == a and r.grants != g for r in rows)}
        shown = [replace(r, grants=self.saved[r.id]) if r.id in self.saved else r for r in rows]
        known = {r.id: r for r in shown}
        self.edits = {aid: wanted for aid, wanted in self.edits.items()
                      if aid in known and wanted != frozenset(known[aid].grants)}
        if [r.id for r in shown] == [r.id for r in self.rows]:  # same agents: keep the view
            self.rows = shown
            if shown:
                self.dataChanged.emit(self.index(0, 0),
                                      self.index(len(shown) - 1, self.columnCount() - 1))
            return
        self.beginResetModel()
        self.rows = shown
        self.endResetModel()

    def changed(self) -> list[tuple[AgentGrants, tuple[str, ...]]]:
        """Each edited agent with the whole explicit grant list to send, in row order."""
        return [(r, tuple(sorted(self.edits[r.id]))) for r in self.rows if r.id in self.edits]

    def confirm(self, agent_id: str, grants: tuple[str, ...]) -> None:
        """The server stored `grants`: the row shows them and is no longer edited."""
        for n, row in enumerate(self.rows):
            if row.id == agent_id:
                self.rows[n] = replace(row, grants=tuple(sorted(grants)))
                self.saved[agent_id] = self.rows[n].grants
                if self.edits.get(agent_id) == frozenset(grants):  # not ticked again meanwhile
                    self.edits.pop(agent_id)
                self.dataChanged.emit(self.index(n, 0), self.index(n, self.columnCount() - 1))

    def row_of(self, agent_id: str) -> int:
        return next((n for n, r in enumerate(self.rows) if r.id == agent_id), -1)

    def _set_wanted(self, row: AgentGrants, wanted: frozenset[str]) -> None:
        if wanted == frozenset(row.grants):
            self.edits.pop(row.id, None)
        else:
            self.edits[row.id] = wanted

    def _edited(self, row: AgentGrants, permission: str) -> bool:
        return row.id in self.edits and \
            (permission in self.edits[row.id]) != (permission in row.grants)

    def _text(self, row: AgentGrants, column: int, role: int) -> Any:
        if role == Qt.ItemDataRole.DisplayRole:
            key = TEXT_COLUMNS[column]
            if key == "role" and row.role in ROLE_RANK:
                return self.tr_(f"grants.role.{row.role}")
            return str(getattr(row, key))
        if role == SEARCH_ROLE and column == 0:
            return f"{row.name} {row.employee_id}"
        if role == Qt.ItemDataRole.FontRole and column == 0 and row.id in self.edits:
            return _bold()
        return None


class GrantsDialog(QDialog):
    """Kept by the AdminDesk between openings, so unsaved edits survive closing it."""

    def __init__(self, service: AdminService, workers: Workers, tr: Tr, viewer_role: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.service, self.workers, self.tr_ = service, workers, tr
        self.viewer_role = viewer_role
        self.setWindowTitle(tr("grants.title"))
        self.resize(980, 520)
        self.model = GrantsModel(tr)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setFilterRole(SEARCH_ROLE)
        self.proxy.setFilterKeyColumn(0)
        self.proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.filter = QLineEdit()
        self.filter.setPlaceholderText(tr("grants.filter"))
        self.filter.setClearButtonEnabled(True)
        self.filter.textChanged.connect(self.proxy.setFilterFixedString)
        self.table = QTableView()
        self.table.setModel(self.proxy)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.save_button = QPushButton(tr("grants.save"))
        self.save_button.setDefault(True)
        self.save_button.clicked.connect(self.save)
        close = QPushButton(tr("grants.close"))
        close.setAutoDefault(False)
        close.clicked.connect(self.accept)
        intro = QLabel(tr("grants.intro"))
        intro.setObjectName("hint")
        intro.setWordWrap(True)
        buttons = QHBoxLayout()
        buttons.addWidget(self.status, 1)
        buttons.addWidget(self.save_button)
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.filter)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
        self.model.dataChanged.connect(self._show_unsaved)
        self.model.modelReset.connect(self._show_unsaved)
        self.saving = False
        self.reload()
        self.table.resizeColumnsToContents()

    def reload(self) -> None:
        """Rows from the cache (after a page named an agent); unsaved edits stay."""
        try:
            self.model.set_rows(self.service.agents(self.viewer_role))
        except Exception:
            log.exception("grants: reading agents")
            self.status.setText(self.tr_("error.unexpected"))

    def _show_unsaved(self, *_args: object) -> None:
        count = len(self.model.edits)
        self.save_button.setEnabled(count > 0 and not self.saving)
        if count and not self.saving:
            self.status.setText(self.tr_("grants.unsaved", count=count))

    @asyncSlot()
    async def save(self) -> None:
        """One PUT per changed agent on a net worker; the first failure stops and is told,
        the edits not saved stay in the table."""
        work = self.model.changed()
        if not work or self.saving:
            return
        self.saving = True
        self.save_button.setEnabled(False)
        saved = 0
        try:
            for row, grants in work:
                self.status.setText(self.tr_("grants.saving", name=row.name))
                try:
                    stored = await self.workers.in_net(self.service.save_grants, row.id, grants)
                except GrantsFailed as exc:
                    self.status.setText(self.fail_text(exc, row.name))
                    return
                except Exception:
                    log.exception("grants: save")
                    self.status.setText(self.tr_("error.unexpected"))
                    return
                self.model.confirm(row.id, stored)
                saved += 1
            self.status.setText(self.tr_("grants.saved", count=saved))
        finally:
            self.saving = False
            self.save_button.setEnabled(bool(self.model.edits))

    def fail_text(self, exc: GrantsFailed, name: str) -> str:
        if exc.code in GRANT_FAILURES:
            return self.tr_(f"grants.fail.{exc.code}", name=name)
        return self.tr_("grants.fail.other", name=name, message=exc.message or exc.code)


def _bold() -> QFont:
    font = QFont()
    font.setBold(True)
    return font
