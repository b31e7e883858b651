"""The quick-action bar's intents (H2.1): each one a queued mutation that also works offline."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from pydantic import ValidationError

from app.models.store import Store
from app.models.tables import Conversation
from app.sync import outbox
from kefu_protocol.wire import MUTATION_ARGS


class ActionRefused(Exception):
    """The intent is malformed and was not queued (the wire model refused it)."""

    def __init__(self, name: str, detail: str) -> None:
        super().__init__(f"{name}: {detail}")
        self.name = name
        self.detail = detail


class ActionService:
    """Writes run on the DB worker thread; each returns the outbox position of its intent."""

    def __init__(self, store: Store, *, agent_id: str, poke: Callable[[], None]) -> None:
        self.store = store
        self.agent_id = agent_id
        self.poke = poke

    def _queue(self, name: str, args: dict[str, Any]) -> int:
        model = MUTATION_ARGS.get(name)
        if model is not None:
            try:
                model.model_validate(args)
            except ValidationError as exc:
                raise ActionRefused(name, str(exc.errors()[0].get("msg", ""))) from exc
        with self.store.write() as session:
            seq = outbox.enqueue(session, name, args)
        self.poke()
        return seq

    def accept(self, conversation_id: str) -> int:
        return self._queue("conversation.accept", {"conversation_id": conversation_id})

    def close(self, conversation_id: str) -> int:
        return self._queue("conversation.close", {"conversation_id": conversation_id})

    def pin(self, conversation_id: str, pinned: bool) -> int:
        return self._queue("conversation.pin",
                           {"conversation_id": conversation_id, "pinned": pinned})

    def transfer(self, conversation_id: str, to_agent_id: str, *, note: str = "",
                 reason: str = "") -> int:
        """H3.4: the customer is told by the server; the history and the note go along."""
        return self._queue("conversation.transfer", {
            "conversation_id": conversation_id, "to_agent_id": to_agent_id,
            "note": note, "reason": reason})

    def escalate(self, conversation_id: str, reason: str) -> int:
        """H11.2: flags a complaint and hands it to a supervisor (second level)."""
        return self._queue("conversation.escalate",
                           {"conversation_id": conversation_id, "reason": reason})

    def request_rating(self, conversation_id: str) -> int:
        """H14.4: the customer's page asks for a rating."""
        return self._queue("conversation.request_rating", {"conversation_id": conversation_id})

    def add_note(self, text: str, *, conversation_id: str | None = None,
                 customer_id: str | None = None) -> int:
        """A note private to the team (never shown to the customer)."""
        return self._queue("note.add", {"id": str(uuid.uuid4()), "text": text,
                                        "conversation_id": conversation_id,
                                        "customer_id": customer_id})

    def configure_team(self, team_id: str, *, first_response_s: int,
                       complaint_response_s: int, scripts: dict[str, str],
                       late_login_lock: bool | None = None,
                       late_login_grace_min: int | None = None,
                       handover_alert_min: int | None = None) -> int:
        """Leads (H8.1, H3.6, H1.3, H13.2): response standards, script templates and the
        shift rules; a rule left None stays as the server has it."""
        args: dict[str, object] = {
            "team_id": team_id, "first_response_s": first_response_s,
            "complaint_response_s": complaint_response_s, "scripts": scripts}
        for key, value in (("late_login_lock", late_login_lock),
                           ("late_login_grace_min", late_login_grace_min),
                           ("handover_alert_min", handover_alert_min)):
            if value is not None:
                args[key] = value
        return self._queue("team.configure", args)

    def undo_transfer(self, conversation_id: str, reason: str) -> int:
        """H3.4: within TRANSFER_UNDO_SECONDS the previous owner takes it back."""
        return self._queue("conversation.transfer", {
            "conversation_id": conversation_id, "to_agent_id": self.agent_id, "reason": reason})

    def tag(self, customer_id: str, tag_id: str, *, on: bool) -> int:
        return self._queue("customer.tag_add" if on else "customer.tag_remove",
                           {"customer_id": customer_id, "tag_id": tag_id})

    def save_draft(self, conversation_id: str, text: str) -> None:
        """H3.2: the composer's text per conversation, kept across restarts (local only)."""
        with self.store.write() as session:
            conv = session.get(Conversation, conversation_id)
            if conv is not None and conv.draft != text:
                conv.draft = text

    def draft(self, conversation_id: str) -> str:
        with self.store.read() as session:
            conv = session.get(Conversation, conversation_id)
            return conv.draft if conv is not None else ""
