"""The settings dialog's editor of the `notify` setting: per event sound, volume, popup, flash."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QGridLayout,
    QLabel,
    QPushButton,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from app.i18n import Tr
from app.settings import DEFAULT_NOTIFY, NOTIFY_EVENTS, SOUNDS

TestCallback = Callable[[str, dict[str, Any]], None]


class _EventRow:
    """The editors of one event's channels."""

    def __init__(self, tr: Tr, event: str, on_change: Callable[[], None],
                 on_test: Callable[[str], None]) -> None:
        self.label = QLabel(tr(f"notify.event.{event}"))
        self.sound = QComboBox()
        self.sound.setObjectName(f"sound_{event}")
        self.sound.addItem(tr("notify.sound.none"), "")
        for name in SOUNDS:
            self.sound.addItem(tr(f"notify.sound.{name}"), name)
        self.volume = QSlider(Qt.Orientation.Horizontal)
        self.volume.setObjectName(f"volume_{event}")
        self.volume.setRange(0, 100)
        self.volume.setSingleStep(5)
        self.volume.setPageStep(10)
        self.volume.setMinimumWidth(100)
        self.volume.setAccessibleName(tr("notify.col.volume"))
        self.popup = QCheckBox(tr("notify.col.popup"))
        self.popup.setObjectName(f"popup_{event}")
        self.flash = QCheckBox(tr("notify.col.flash"))
        self.flash.setObjectName(f"flash_{event}")
        self.test = QPushButton(tr("notify.test"))
        self.test.setObjectName(f"test_{event}")
        self.test.setToolTip(tr("notify.test_help"))
        self.tr_ = tr
        self.sound.currentIndexChanged.connect(lambda _i: self._sound_changed(on_change))
        self.volume.valueChanged.connect(lambda _v: self._volume_changed(on_change))
        self.popup.toggled.connect(lambda _c: on_change())
        self.flash.toggled.connect(lambda _c: on_change())
        self.test.clicked.connect(lambda _c=False: on_test(event))

    def value(self) -> dict[str, Any]:
        return {"sound": str(self.sound.currentData() or ""), "volume": self.volume.value(),
                "popup": self.popup.isChecked(), "flash": self.flash.isChecked()}

    def set_value(self, value: dict[str, Any]) -> None:
        self.sound.setCurrentIndex(max(0, self.sound.findData(str(value.get("sound", "")))))
        self.volume.setValue(int(value.get("volume", 70)))
        self.popup.setChecked(bool(value.get("popup")))
        self.flash.setChecked(bool(value.get("flash")))
        self._show_volume()

    def _sound_changed(self, on_change: Callable[[], None]) -> None:
        self._show_volume()
        on_change()

    def _volume_changed(self, on_change: Callable[[], None]) -> None:
        self._show_volume()
        on_change()

    def _show_volume(self) -> None:
        self.volume.setEnabled(bool(self.sound.currentData()))
        self.volume.setToolTip(self.tr_("notify.volume_value", volume=self.volume.value()))


class NotificationPage(QWidget):
    """`value()` is the full dict for every event; `changed` fires on each edit by the agent
    (not on `set_value`). The 测试 button hands the row's current, unsaved choice to `on_test`."""

    changed = Signal()

    def __init__(self, tr: Tr, value: dict[str, Any], on_test: TestCallback,
                 locked_reason: str | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.on_test = on_test
        self._loading = False
        self.rows: dict[str, _EventRow] = {}
        grid = QGridLayout()
        grid.setHorizontalSpacing(12)
        for column, key in enumerate(("notify.col.event", "notify.col.sound",
                                      "notify.col.volume", "notify.col.popup",
                                      "notify.col.flash")):
            header = QLabel(tr(key))
            header.setObjectName("hint")
            grid.addWidget(header, 0, column)
        for line, event in enumerate(NOTIFY_EVENTS, start=1):
            row = _EventRow(tr, event, self._edited, self._test)
            self.rows[event] = row
            for column, widget in enumerate((row.label, row.sound, row.volume, row.popup,
                                             row.flash, row.test)):
                grid.addWidget(widget, line, column)
        grid.setColumnStretch(2, 1)
        hint = QLabel(tr("notify.page_hint"))
        hint.setObjectName("hint")
        hint.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(grid)
        layout.addWidget(hint)
        self.locked_reason = locked_reason
        if locked_reason is not None:
            for row in self.rows.values():
                for widget in (row.sound, row.volume, row.popup, row.flash):
                    widget.setEnabled(False)
                    widget.setToolTip(locked_reason)
        self.set_value(value)

    def value(self) -> dict[str, Any]:
        return {event: row.value() for event, row in self.rows.items()}

    def set_value(self, value: dict[str, Any]) -> None:
        self._loading = True
        try:
            for event, row in self.rows.items():
                row.set_value({**DEFAULT_NOTIFY[event], **(value or {}).get(event, {})})
                if self.locked_reason is not None:
                    row.volume.setEnabled(False)
        finally:
            self._loading = False

    def _edited(self) -> None:
        if not self._loading:
            self.changed.emit()

    def _test(self, event: str) -> None:
        self.on_test(event, copy.deepcopy(self.rows[event].value()))
