"""Mutators for shifts and their roster (H13.1), edited by the team's leads."""

from __future__ import annotations

from server.mutations.base import Mutator

MUTATORS: dict[str, Mutator] = {}
