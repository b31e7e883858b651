"""Colour tokens (light and dark, calm), the stylesheet and Qt palette built from them (H2.2)."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette


@dataclass(frozen=True)
class Palette:
    name: str = "light"
    window: str = "#eef1f4"
    surface: str = "#ffffff"
    text: str = "#1f2933"
    muted: str = "#6b7785"
    divider: str = "#e3e7ec"
    accent: str = "#1f6f78"
    on_accent: str = "#ffffff"
    """Text on accent-coloured buttons."""
    accent_soft: str = "#dcefed"
    selection: str = "#e6f2f1"
    bubble_agent: str = "#1f6f78"
    bubble_agent_text: str = "#ffffff"
    bubble_customer: str = "#ffffff"
    danger: str = "#d9534f"
    warning: str = "#c77c0e"
    banner: str = "#fff4e0"


LIGHT = Palette()
DARK = Palette(
    name="dark", window="#1b1f24", surface="#23282e", text="#dce3ea", muted="#8e99a6",
    divider="#353c45", accent="#5fb8b1", on_accent="#10201f", accent_soft="#29403f",
    selection="#2b3c3d", bubble_agent="#2d6a66", bubble_agent_text="#eef7f6",
    bubble_customer="#2c323a", danger="#e2726c", warning="#e3ae55", banner="#3a3324")
PALETTES = {"light": LIGHT, "dark": DARK}


def system_prefers_dark() -> bool:
    """What the desktop asks for (Qt 6.5+ reads the platform's colour scheme)."""
    app = QGuiApplication.instance()
    if app is None:
        return False
    return QGuiApplication.styleHints().colorScheme() == Qt.ColorScheme.Dark


def palette_for(theme: str, *, system_dark: bool | None = None) -> Palette:
    """The palette of a `theme` setting: light, dark, or the system's choice."""
    if theme == "system":
        dark = system_prefers_dark() if system_dark is None else system_dark
        return DARK if dark else LIGHT
    return PALETTES.get(theme, LIGHT)


def qt_palette(p: Palette) -> QPalette:
    """Qt's own widgets (menus, combo popups, scroll bars, check boxes) in the same colours."""
    qp = QPalette()
    roles = QPalette.ColorRole
    for role, colour in (
        (roles.Window, p.window), (roles.WindowText, p.text), (roles.Base, p.surface),
        (roles.AlternateBase, p.window), (roles.Text, p.text), (roles.Button, p.surface),
        (roles.ButtonText, p.text), (roles.Highlight, p.accent),
        (roles.HighlightedText, p.on_accent), (roles.ToolTipBase, p.surface),
        (roles.ToolTipText, p.text), (roles.PlaceholderText, p.muted), (roles.Link, p.accent),
        (roles.BrightText, p.danger), (roles.Mid, p.divider), (roles.Dark, p.divider),
    ):
        qp.setColor(role, QColor(colour))
    disabled = QPalette.ColorGroup.Disabled
    for role in (roles.WindowText, roles.Text, roles.ButtonText):
        qp.setColor(disabled, role, QColor(p.muted))
    return qp


def stylesheet(p: Palette, font_pt: int = 10) -> str:
    title_pt = font_pt + 2
    return f"""
    QMainWindow, QDialog {{ background: {p.window}; }}
    QWidget {{ color: {p.text}; }}
    QListView, QTableView, QTreeView {{ background: {p.surface}; border: none; outline: 0; }}
    QDialogButtonBox {{ dialogbuttonbox-buttons-have-icons: 0; }}
    QPlainTextEdit, QLineEdit, QTextEdit {{
        background: {p.surface}; border: 1px solid {p.divider}; border-radius: 6px;
        padding: 6px; selection-background-color: {p.accent};
        selection-color: {p.on_accent};
    }}
    QPlainTextEdit:focus, QLineEdit:focus {{ border: 1px solid {p.accent}; }}
    QPushButton {{
        background: {p.accent}; color: {p.on_accent}; border: none; border-radius: 6px;
        padding: 7px 18px;
    }}
    QPushButton:focus {{ outline: 2px solid {p.text}; }}
    QPushButton:disabled {{ background: {p.divider}; color: {p.muted}; }}
    QPushButton[flat="true"] {{ background: transparent; color: {p.accent}; }}
    QPushButton[flat="true"]:disabled {{ background: transparent; color: {p.muted}; }}
    QToolBar {{ background: {p.surface}; border-bottom: 1px solid {p.divider}; spacing: 2px; }}
    QToolButton {{ color: {p.text}; }}
    QToolButton:disabled {{ color: {p.muted}; }}
    QMenuBar {{ background: {p.surface}; }}
    QMenu {{ background: {p.surface}; border: 1px solid {p.divider}; }}
    QMenu::item:selected {{ background: {p.selection}; }}
    QTabWidget::pane {{ border: 1px solid {p.divider}; background: {p.surface}; }}
    QTabBar::tab {{ padding: 6px 14px; background: {p.window}; }}
    QTabBar::tab:selected {{ background: {p.surface}; color: {p.accent}; }}
    QLabel#banner {{
        background: {p.banner}; color: {p.warning}; padding: 6px 12px;
        border-bottom: 1px solid {p.divider};
    }}
    QLabel#error {{ color: {p.danger}; }}
    QLabel#warning {{ color: {p.warning}; font-weight: bold; }}
    QLabel#hint {{ color: {p.muted}; }}
    QLabel#chatTitle {{ font-size: {title_pt}pt; font-weight: bold; padding: 10px 14px; }}
    QStatusBar {{ background: {p.surface}; border-top: 1px solid {p.divider}; }}
    QSplitter::handle {{ background: {p.divider}; }}
    """
