"""Applies the theme and font-size settings to the whole app, live, and zooms (H2.2)."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QFont, QGuiApplication
from PySide6.QtWidgets import QApplication

from app.services.preferences import Preferences
from app.settings import BY_KEY
from app.ui.theme import Palette, palette_for, qt_palette, stylesheet

APPEARANCE_KEYS = frozenset({"theme", "ui_font_pt", "chat_font_pt"})


class Appearance(QObject):
    """One per app: listens to the settings and the desktop's colour scheme."""

    palette_changed = Signal(object)
    """The new Palette, after the theme (or the system's scheme) changed."""
    chat_font_changed = Signal(int)
    """The message font size in points."""

    def __init__(self, qt_app: QApplication, prefs: Preferences, family: str | None) -> None:
        super().__init__(qt_app)
        self.qt_app = qt_app
        self.prefs = prefs
        self.family = family
        self.palette: Palette = palette_for(str(prefs.get("theme")))
        self._applied: tuple[str, int] | None = None
        prefs.subscribe(self._on_settings)
        QGuiApplication.styleHints().colorSchemeChanged.connect(self._on_scheme)
        self.apply()

    def _on_scheme(self, _scheme: object) -> None:
        """The desktop switched light/dark: followed when the theme is 跟随系统."""
        self.apply()

    @property
    def chat_font_pt(self) -> int:
        return int(self.prefs.get("chat_font_pt"))

    def apply(self) -> None:
        """Sets the app's font, Qt palette and stylesheet; views are told of a new palette."""
        palette = palette_for(str(self.prefs.get("theme")))
        ui_pt = int(self.prefs.get("ui_font_pt"))
        if self._applied == (palette.name, ui_pt):
            return
        font = QFont(self.family) if self.family else QFont()
        font.setPointSize(ui_pt)
        self.qt_app.setFont(font)
        self.qt_app.setPalette(qt_palette(palette))
        self.qt_app.setStyleSheet(stylesheet(palette, ui_pt))
        self._applied = (palette.name, ui_pt)
        if palette != self.palette:
            self.palette = palette
            self.palette_changed.emit(palette)

    def _on_settings(self, keys: frozenset[str]) -> None:
        if keys & {"theme", "ui_font_pt"}:
            self.apply()
        if "chat_font_pt" in keys:
            self.chat_font_changed.emit(self.chat_font_pt)

    def zoom(self, step: int) -> None:
        zoom_fonts(self.prefs, step)


def zoom_fonts(prefs: Preferences, step: int) -> None:
    """Ctrl+= / Ctrl+-: both sizes one point up or down; Ctrl+0 (step 0) resets them. Sizes IT
    locked stay as they are."""
    keys = [k for k in ("ui_font_pt", "chat_font_pt") if not prefs.locked(k)]
    if step == 0:
        prefs.reset_many(keys)
        return
    values = {}
    for key in keys:
        low, high = BY_KEY[key].bounds or (8, 20)
        values[key] = max(low, min(high, int(prefs.get(key)) + step))
    prefs.set_many(values)
