"""The one registry of the agent's actions: id, text key, icon, default keys, context (H2.3)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Context = Literal["window", "conversation", "composer"]
CONTEXTS: tuple[Context, ...] = ("window", "conversation", "composer")
"""'window' keys work anywhere in the main window; 'conversation' keys too, but their actions
are enabled only while a conversation is open; 'composer' keys only while the composer has
focus (app.keymap decides which contexts overlap)."""


@dataclass(frozen=True)
class Command:
    id: str
    text: str
    """Catalog key of the action's name (app.i18n)."""
    keys: tuple[str, ...]
    """Default shortcuts in Qt's portable text form."""
    context: Context = "conversation"
    """'conversation' actions need an open conversation."""
    toolbar: bool = False
    """Shown on the quick-action bar (H2.1); run by the conversation actions when the window
    gives no handler of its own."""
    icon: str = ""
    """A `QStyle.StandardPixmap` member name, e.g. "SP_DialogApplyButton"; "" for none."""


SEND_KEYS = ("enter", "ctrl_enter")
"""Values of the `send_key` setting."""
COMPOSER_IDS = ("composer.send", "composer.newline")
"""Their keys follow the `send_key` setting; the shortcut editor shows them read-only."""


def composer_keys(send_key: str) -> dict[str, tuple[str, ...]]:
    """Keys of send and new line for a `send_key` value ("enter" | "ctrl_enter"); Shift+Enter
    always starts a new line. An unknown value reads as the default ("enter")."""
    plain, ctrl = ("Return", "Enter"), ("Ctrl+Return", "Ctrl+Enter")
    send, newline = (ctrl, plain) if send_key == "ctrl_enter" else (plain, ctrl)
    return {"composer.send": send, "composer.newline": (*newline, "Shift+Return")}


_DEFAULT_COMPOSER = composer_keys("enter")
_PHRASE_INSERTS: tuple[Command, ...] = tuple(
    Command(f"phrase.insert_{n}", f"cmd.phrase_insert_{n}", (f"Ctrl+{n}",)) for n in range(1, 10))

COMMANDS: tuple[Command, ...] = (
    Command("composer.send", "cmd.send", _DEFAULT_COMPOSER["composer.send"], context="composer",
            icon="SP_ArrowRight"),
    Command("composer.newline", "cmd.newline", _DEFAULT_COMPOSER["composer.newline"],
            context="composer"),
    Command("conversation.accept", "cmd.accept", ("Ctrl+Shift+A",), toolbar=True,
            icon="SP_DialogApplyButton"),
    Command("conversation.greet", "cmd.greet", ("Ctrl+Shift+G",), toolbar=True),
    Command("conversation.note", "cmd.note", ("Ctrl+Shift+N",), toolbar=True,
            icon="SP_FileDialogDetailedView"),
    Command("conversation.escalate", "cmd.escalate", ("Ctrl+Shift+E",), toolbar=True,
            icon="SP_MessageBoxWarning"),
    Command("conversation.transfer", "cmd.transfer", ("Ctrl+Shift+T",), toolbar=True,
            icon="SP_ArrowForward"),
    Command("conversation.return", "cmd.return", ("Ctrl+Shift+B",), toolbar=True,
            icon="SP_ArrowBack"),
    Command("conversation.tag", "cmd.tag", ("Ctrl+Shift+L",), toolbar=True,
            icon="SP_FileDialogInfoView"),
    Command("conversation.pin", "cmd.pin", ("Ctrl+Shift+P",), toolbar=True,
            icon="SP_TitleBarShadeButton"),
    Command("conversation.closing", "cmd.closing", ("Ctrl+Shift+C",), toolbar=True),
    Command("conversation.rating", "cmd.rating", ("Ctrl+Shift+R",), toolbar=True),
    Command("conversation.close", "cmd.close", ("Ctrl+Shift+W",), toolbar=True,
            icon="SP_DialogCloseButton"),
    Command("conversation.convert", "cmd.convert", ("Ctrl+Shift+S",), toolbar=True,
            icon="SP_DialogYesButton"),
    Command("phrase.palette", "cmd.phrase_palette", ("Ctrl+P",), icon="SP_FileDialogListView"),
    *_PHRASE_INSERTS,
    Command("conversation.next", "cmd.next", ("Ctrl+Down",), context="window",
            icon="SP_ArrowDown"),
    Command("conversation.previous", "cmd.previous", ("Ctrl+Up",), context="window",
            icon="SP_ArrowUp"),
    Command("conversation.next_unread", "cmd.next_unread", ("Ctrl+J",), context="window",
            icon="SP_MediaSkipForward"),
    Command("list.filter", "cmd.filter", ("Ctrl+F",), context="window"),
    Command("search.open", "cmd.search", ("Ctrl+Shift+F",), context="window",
            icon="SP_FileDialogContentsView"),
    Command("presence.toggle_busy", "cmd.toggle_busy", ("Ctrl+Shift+D",), context="window",
            icon="SP_MediaPause"),
    Command("session.lock", "session.lock_action", ("Ctrl+L",), context="window",
            icon="SP_VistaShield"),
    Command("palette.open", "cmd.command_palette", ("Ctrl+K",), context="window",
            icon="SP_CommandLink"),
    Command("help.cheat_sheet", "cmd.cheat_sheet", ("Ctrl+/",), context="window",
            icon="SP_DialogHelpButton"),
    Command("view.zoom_in", "cmd.zoom_in", ("Ctrl+=", "Ctrl++"), context="window"),
    Command("view.zoom_out", "cmd.zoom_out", ("Ctrl+-",), context="window"),
    Command("view.zoom_reset", "cmd.zoom_reset", ("Ctrl+0",), context="window"),
    Command("phrase.manage", "cmd.phrase_manage", (), context="window"),
    Command("shift.handover", "cmd.shift_handover", ("Ctrl+Shift+H",), context="window"),
    Command("shift.history", "cmd.shift_history", (), context="window"),
    Command("shift.problem_log", "cmd.shift_problem_log", ("Ctrl+Shift+I",), context="window"),
    Command("shift.board", "cmd.shift_board", ("Ctrl+Shift+K",), context="window"),
    Command("kb.search", "cmd.kb_search", ("Ctrl+Shift+Q",), context="window"),
    Command("orders.lookup", "cmd.orders_lookup", ("Ctrl+Shift+O",), context="window"),
    Command("orders.send_card", "cmd.orders_send_card", ("Ctrl+Shift+U",)),
    Command("products.search", "cmd.products_search", ("Ctrl+Shift+M",), context="window"),
    Command("admin.grants", "cmd.admin_grants", (), context="window"),
    Command("admin.tags", "cmd.admin_tags", (), context="window"),
    Command("settings.open", "menu.settings", ("Ctrl+,",), context="window"),
    Command("diagnostics.logs", "cmd.diagnostics_logs", (), context="window",
            icon="SP_FileIcon"),
    Command("diagnostics.export", "cmd.diagnostics_export", (), context="window",
            icon="SP_DialogSaveButton"),
    Command("security.report", "cmd.security_report", (), context="window",
            icon="SP_MessageBoxCritical"),
    Command("app.quit", "menu.quit", ("Ctrl+Q",), context="window"),
)
BY_ID: dict[str, Command] = {c.id: c for c in COMMANDS}
