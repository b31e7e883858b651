"""Masks customer phone numbers, addresses and ID numbers before they leave the server (H11.3)."""

from __future__ import annotations


def mask_phone(phone: str) -> str:
    """138****5678: keeps the first three and last four digits."""
    if len(phone) < 7:
        return "*" * len(phone)
    return f"{phone[:3]}****{phone[-4:]}"


def mask_id_number(id_number: str) -> str:
    """110***********1234: keeps the region prefix's first three and the last four."""
    if len(id_number) < 8:
        return "*" * len(id_number)
    return id_number[:3] + "*" * (len(id_number) - 7) + id_number[-4:]


def mask_address(address: str) -> str:
    """Keeps the first six characters (province and city), hides the street and number."""
    if not address:
        return ""
    keep = min(6, max(0, len(address) - 4))
    return address[:keep] + "****"
