"""Building blocks of protocol v1's wire format: base models, ids, text limits."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

from pydantic import BaseModel, ConfigDict, StringConstraints, model_validator

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


def has_nul(value: Any) -> bool:
    """Whether a NUL character hides in this JSON value (PostgreSQL text cannot store one)."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(has_nul(k) or has_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(has_nul(v) for v in value)
    return False


class Strict(BaseModel):
    """Base for request bodies: unknown fields are an error, not silently dropped; a NUL
    character anywhere is refused on every database, not a 500 on PostgreSQL only."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    nul_checked_later: ClassVar[frozenset[str]] = frozenset()
    """Fields whose contents a later, finer model checks (one mutation's args, not the batch)."""

    @model_validator(mode="before")
    @classmethod
    def _no_nul(cls, data: Any) -> Any:
        mine = ({k: v for k, v in data.items() if k not in cls.nul_checked_later}
                if isinstance(data, dict) else data)
        if has_nul(mine):
            raise ValueError("text contains a NUL character (\\u0000)")
        return data


class Loose(BaseModel):
    """Base for responses: readers accept extra fields so the server may add some."""

    model_config = ConfigDict(extra="ignore", frozen=True)
