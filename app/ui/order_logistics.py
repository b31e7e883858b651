"""The order's logistics (H7): tracking timeline, 疑似延误, a delivery problem and its path."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.i18n import Tr
from app.services.order_views import OrderDetail
from app.ui.handover_dialog import local_time
from kefu_protocol.shop import DELAY_HOURS


def fit_list(widget: QListWidget, *, least: int = 1) -> None:
    """A list inside the scrolling details is as tall as its wrapped rows: one scroll bar, not
    two. Rows are laid out first (a long product name wraps onto a second line)."""
    widget.doItemsLayout()
    rows = [widget.visualItemRect(widget.item(i)).height() for i in range(widget.count())]
    empty = widget.fontMetrics().height() + 4
    height = sum(rows) + empty * max(least - len(rows), 0)
    widget.setFixedHeight(height + 2 * widget.frameWidth() + 2)


class FittingList(QListWidget):
    """A wrapped, unselectable list that refits its height when its width changes."""

    def __init__(self) -> None:
        super().__init__()
        self.setWordWrap(True)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if event.size().width() != event.oldSize().width():
            fit_list(self)


def section_title(text: str) -> QLabel:
    label = QLabel(text)
    label.setStyleSheet("font-weight: 600; margin-top: 6px;")
    return label


class LogisticsSection(QWidget):
    """Draws the tracking events, the delay badge and the open or last problem; the two
    buttons ask the desk for the dialogs."""

    report_requested = Signal()
    resolve_requested = Signal()

    def __init__(self, tr: Tr, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.tr_ = tr
        self.delay = QLabel(tr("order_logistics.delay", hours=DELAY_HOURS))
        self.delay.setObjectName("orderDelay")
        self.delay.setWordWrap(True)
        self.delay.setStyleSheet("color: #ffffff; background: #c77c0e; border-radius: 3px;"
                                 " padding: 2px 6px;")
        self.events = FittingList()
        self.issue = QLabel("")
        self.issue.setObjectName("orderIssue")
        self.issue.setWordWrap(True)
        self.path = QLabel("")
        self.path.setObjectName("orderPath")
        self.path.setWordWrap(True)
        self.report = QPushButton(tr("order_logistics.report"))
        self.report.clicked.connect(self.report_requested)
        self.resolve = QPushButton(tr("order_logistics.resolve"))
        self.resolve.clicked.connect(self.resolve_requested)
        buttons = QHBoxLayout()
        buttons.addWidget(self.report)
        buttons.addWidget(self.resolve)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(section_title(tr("orders.logistics")))
        layout.addWidget(self.delay)
        layout.addWidget(self.events)
        layout.addWidget(self.issue)
        layout.addWidget(self.path)
        layout.addLayout(buttons)

    def show_detail(self, detail: OrderDetail) -> None:
        tr = self.tr_
        self.events.clear()
        for event in detail.logistics:
            self.events.addItem(tr("orders.logistics_step", at=local_time(event.at),
                                   carrier=event.carrier, tracking_no=event.tracking_no,
                                   status=event.status, detail=event.detail))
        if not detail.logistics:
            self.events.addItem(tr("orders.no_logistics"))
        fit_list(self.events)
        self.delay.setVisible(detail.suspected_delay)
        issue = detail.issue
        open_issue = issue is not None and issue.resolution is None
        if issue is None:
            self.issue.setText("")
        elif issue.pending:
            self.issue.setText(tr("order_logistics.pending", problem=issue.problem,
                                  resolution=issue.resolution or tr("order_logistics.open")))
        elif open_issue:
            self.issue.setText(tr("order_logistics.issue_open", problem=issue.problem,
                                  by=issue.by or "-", at=local_time(issue.at),
                                  note=issue.note or "-"))
        else:
            self.issue.setText(tr("order_logistics.issue_done", problem=issue.problem,
                                  resolution=issue.resolution or "", by=issue.resolved_by or "-",
                                  at=local_time(issue.resolved_at)))
        self.issue.setVisible(issue is not None)
        steps = issue.steps if issue is not None and open_issue else ()
        self.path.setText("\n".join([tr("order_logistics.path_title")] + [
            tr("orders.path_step", n=n, step=step) for n, step in enumerate(steps, 1)]))
        self.path.setVisible(bool(steps))
        self.report.setVisible(bool(detail.problems))
        self.resolve.setVisible(open_issue)
        self.resolve.setEnabled(open_issue and not (issue is not None and issue.pending))
