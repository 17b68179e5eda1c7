"""The QR symbol omr prints for a payload (:mod:`omr.forms.qrcodes`), as modules.

Apart from :mod:`omr.forms.qrcodes` (the payload's text), which the process
storing pages imports: this one loads NumPy and segno (issue #18, start-up).
"""

from __future__ import annotations

import numpy as np
import segno


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
