"""Colour tokens and the stylesheet built from them (calm colours; a dark set comes later)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Palette:
    window: str = "#eef1f4"
    surface: str = "#ffffff"
    text: str = "#1f2933"
    muted: str = "#6b7785"
    divider: str = "#e3e7ec"
    accent: str = "#1f6f78"
    accent_soft: str = "#dcefed"
    selection: str = "#e6f2f1"
    bubble_agent: str = "#1f6f78"
    bubble_customer: str = "#ffffff"
    danger: str = "#d9534f"
    warning: str = "#c77c0e"
    banner: str = "#fff4e0"


LIGHT = Palette()


def stylesheet(p: Palette) -> str:
    return f"""
    QMainWindow, QDialog {{ background: {p.window}; }}
    QWidget {{ color: {p.text}; }}
    QListView {{ background: {p.surface}; border: none; outline: 0; }}
    QPlainTextEdit, QLineEdit {{
        background: {p.surface}; border: 1px solid {p.divider}; border-radius: 6px;
        padding: 6px; selection-background-color: {p.accent};
    }}
    QPlainTextEdit:focus, QLineEdit:focus {{ border: 1px solid {p.accent}; }}
    QPushButton {{
        background: {p.accent}; color: white; border: none; border-radius: 6px;
        padding: 7px 18px;
    }}
    QPushButton:disabled {{ background: {p.divider}; color: {p.muted}; }}
    QPushButton[flat="true"] {{ background: transparent; color: {p.accent}; }}
    QPushButton[flat="true"]:disabled {{ background: transparent; color: {p.muted}; }}
    QToolBar {{ background: {p.surface}; border-bottom: 1px solid {p.divider}; spacing: 2px; }}
    QToolButton:disabled {{ color: {p.muted}; }}
    QLabel#banner {{
        background: {p.banner}; color: {p.warning}; padding: 6px 12px;
        border-bottom: 1px solid {p.divider};
    }}
    QLabel#error {{ color: {p.danger}; }}
    QLabel#hint {{ color: {p.muted}; }}
    QLabel#chatTitle {{ font-size: 15px; font-weight: bold; padding: 10px 14px; }}
    QStatusBar {{ background: {p.surface}; border-top: 1px solid {p.divider}; }}
    QSplitter::handle {{ background: {p.divider}; }}
    """
