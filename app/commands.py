"""The one registry of the agent's actions: id, text key, default keys, where they apply (H2.3)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Context = Literal["window", "conversation"]


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
    """Shown on the quick-action bar (H2.1)."""


COMMANDS: tuple[Command, ...] = (
    Command("conversation.accept", "cmd.accept", ("Ctrl+Shift+A",), toolbar=True),
    Command("conversation.greet", "cmd.greet", ("Ctrl+Shift+G",), toolbar=True),
    Command("conversation.note", "cmd.note", ("Ctrl+Shift+N",), toolbar=True),
    Command("conversation.escalate", "cmd.escalate", ("Ctrl+Shift+E",), toolbar=True),
    Command("conversation.transfer", "cmd.transfer", ("Ctrl+Shift+T",), toolbar=True),
    Command("conversation.return", "cmd.return", ("Ctrl+Shift+B",), toolbar=True),
    Command("conversation.tag", "cmd.tag", ("Ctrl+Shift+L",), toolbar=True),
    Command("conversation.pin", "cmd.pin", ("Ctrl+Shift+P",), toolbar=True),
    Command("conversation.closing", "cmd.closing", ("Ctrl+Shift+C",), toolbar=True),
    Command("conversation.rating", "cmd.rating", ("Ctrl+Shift+R",), toolbar=True),
    Command("conversation.close", "cmd.close", ("Ctrl+Shift+W",), toolbar=True),
    Command("conversation.next", "cmd.next", ("Ctrl+Down",), context="window"),
    Command("conversation.previous", "cmd.previous", ("Ctrl+Up",), context="window"),
    Command("list.filter", "cmd.filter", ("Ctrl+F",), context="window"),
    Command("search.open", "cmd.search", ("Ctrl+Shift+F",), context="window"),
)
BY_ID: dict[str, Command] = {c.id: c for c in COMMANDS}
