"""Spots text that looks like a customer's private data before it is sent (H11.3)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

Kind = Literal["phone", "id_number", "bank_card", "address"]

_PHONE = re.compile(r"(?<!\d)(?:\+?86[- ]?)?1[3-9]\d(?:[- ]?\d{4}){2}(?!\d)")
_ID = re.compile(r"(?<![\dA-Za-z])\d{17}[\dXx](?![\dA-Za-z])")
_CARD = re.compile(r"(?<!\d)(?:\d[ -]?){15,18}\d(?!\d)")
_ADDRESS = re.compile(
    r"(?:[\u4e00-\u9fff]{2,8}(?:省|自治区|市))?[\u4e00-\u9fff]{1,8}(?:市|区|县)"
    r"[\u4e00-\u9fff\w]{0,20}?(?:路|街|道|巷|村|镇|小区|花园|苑|大厦)"
    r"[\u4e00-\u9fff\w-]{0,12}?\d+\s*(?:号|栋|幢|单元|室|楼|座)"
)
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


@dataclass(frozen=True)
class Finding:
    kind: Kind
    start: int
    end: int
    text: str


def _id_ok(value: str) -> bool:
    total = sum(int(d) * w for d, w in zip(value[:17], _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11] == value[17].upper()


def _luhn_ok(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def find_sensitive(text: str) -> list[Finding]:
    """Phone numbers, ID numbers (checksum), bank cards (Luhn, 16–19 digits) and street
    addresses with a house number, in text order. Plain order numbers do not match."""
    found: list[Finding] = []
    taken: list[tuple[int, int]] = []

    def add(kind: Kind, match: re.Match[str]) -> None:
        start, end = match.span()
        if any(start < e and s < end for s, e in taken):
            return
        taken.append((start, end))
        found.append(Finding(kind, start, end, match.group()))

    for match in _ID.finditer(text):
        if _id_ok(match.group()):
            add("id_number", match)
    for match in _CARD.finditer(text):
        digits = re.sub(r"\D", "", match.group())
        if 16 <= len(digits) <= 19 and _luhn_ok(digits):
            add("bank_card", match)
    for match in _PHONE.finditer(text):
        add("phone", match)
    for match in _ADDRESS.finditer(text):
        add("address", match)
    return sorted(found, key=lambda f: f.start)
