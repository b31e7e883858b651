"""Server-side mutators: one function per mutation name, arguments defined in the wire module."""

from __future__ import annotations

from server.mutations import (
    conversations,
    lead,
    orders,
    records,
    shifts,
    workspace,
    workstation,
)
from server.mutations.base import Mutator


def all_mutators() -> dict[str, Mutator]:
    merged: dict[str, Mutator] = {}
    for module in (conversations, records, orders, workspace, workstation, shifts, lead):
        overlap = merged.keys() & module.MUTATORS.keys()
        if overlap:
            raise ValueError(f"mutators defined twice: {sorted(overlap)}")
        merged.update(module.MUTATORS)
    return merged
