"""Building blocks of protocol v1's wire format: base models, ids, text limits."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints

MAX_MESSAGE_CHARS = 5000
MAX_NOTE_CHARS = 10000

Uuid = Annotated[
    str, StringConstraints(pattern=r"^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?"
                           r"[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$")
]
# Text must contain something besides white space.
MessageText = Annotated[
    str, StringConstraints(min_length=1, max_length=MAX_MESSAGE_CHARS, pattern=r"\S")
]
NoteText = Annotated[str, StringConstraints(min_length=1, max_length=MAX_NOTE_CHARS, pattern=r"\S")]
ShortText = Annotated[str, StringConstraints(max_length=500)]
# A reason someone must give (escalation, revealing personal data): short and not blank.
ReasonText = Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=r"\S")]
MAX_SCRIPT_CHARS = 500
ScriptText = Annotated[str, StringConstraints(max_length=MAX_SCRIPT_CHARS)]



class Strict(BaseModel):
    """Base for request bodies: unknown fields are an error, not silently dropped."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Loose(BaseModel):
    """Base for responses: readers accept extra fields so the server may add some."""

    model_config = ConfigDict(extra="ignore", frozen=True)
