"""Mutators of the lead's desk: problem log, surge, conversions, bulk reassign (H13, H11.4)."""

from __future__ import annotations

from server.mutations.base import Mutator

MUTATORS: dict[str, Mutator] = {}
