"""What the QR code on every printed page says, and how to read it back.

Payload: ``OMR1|<form>|<version>|<page>|<serial>[|<unit>]``, plain ASCII so any
phone QR reader shows something a person can understand. The symbol itself
(NumPy, segno) is :func:`omr.forms.qr_symbol.qr_matrix`, apart so that the
process storing pages of ``omr scan`` starts without NumPy (issue #18).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

PREFIX = "OMR1"
UNIT_PATTERN = re.compile(r"^[A-Za-z0-9_.-]{1,32}\Z")
SERIAL_DIGITS = 6


@dataclass(frozen=True)
class PageIdentity:
    form_id: str
    version: int
    page: int
    serial: int
    unit: str | None = None

    @property
    def serial_text(self) -> str:
        return format_serial(self.serial)


def format_serial(serial: int) -> str:
    return str(serial).zfill(SERIAL_DIGITS)


def encode_payload(identity: PageIdentity) -> str:
    parts = [PREFIX, identity.form_id, str(identity.version), str(identity.page), format_serial(identity.serial)]
    if identity.unit:
        parts.append(identity.unit)
    return "|".join(parts)


def parse_payload(text: str) -> PageIdentity | None:
    """The identity in a decoded QR text, or None if it is not one of ours."""
    parts = text.strip().split("|")
    if len(parts) not in (5, 6) or parts[0] != PREFIX:
        return None
    try:
        version, page, serial = int(parts[2]), int(parts[3]), int(parts[4])
    except ValueError:
        return None
    unit = parts[5] if len(parts) == 6 else None
    return PageIdentity(parts[1], version, page, serial, unit)
