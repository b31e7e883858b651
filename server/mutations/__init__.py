"""Server-side mutators: one function per mutation name, arguments defined in the wire module."""

from __future__ import annotations

from server.mutations import (
    cards,
    conversations,
    knowledge,
    lead,
    logistics,
    orders,
    records,
    shifts,
    tags,
    workspace,
    workstation,
)
from server.mutations.base import Mutator


def all_mutators() -> dict[str, Mutator]:
    merged: dict[str, Mutator] = {}
    modules = (conversations, records, orders, logistics, cards, knowledge, tags, workspace,
               workstation, shifts, lead)
    for module in modules:
        overlap = merged.keys() & module.MUTATORS.keys()
        if overlap:
            raise ValueError(f"mutators defined twice: {sorted(overlap)}")
        merged.update(module.MUTATORS)
    return merged
