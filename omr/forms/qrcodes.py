"""What the QR code on every printed page says, and how to read it back.

Payload: ``OMR1|<form>|<version>|<page>|<serial>[|<unit>]``, plain ASCII so any
phone QR reader shows something a person can understand.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import segno

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


def qr_matrix(payload: str, mask: int | None = None) -> np.ndarray:
    """The QR symbol's modules (True = dark), without quiet zone, shape (n, n).

    Error correction M: it survives a stray pen stroke over a corner of the code.
    ``mask``: the data mask pattern (0-7) when it is known, as a decoder reads
    it off a printed symbol; otherwise segno scores all 8 and takes the best,
    as it did when the symbol was printed (~3 ms of the ~4 ms this takes, issue #18).
    Raises ValueError (segno's DataOverflowError is one) for a payload QR cannot hold.
    """
    code = segno.make_qr(payload, error="m", boost_error=False, mask=mask)
    n = len(code.matrix)
    return np.frombuffer(b"".join(bytes(row) for row in code.matrix), np.uint8).reshape(n, n).astype(bool)
