"""Numbers as a Vietnamese reader writes them: a decimal comma, never "-0,00".

Every number shown to a user in Vietnamese (messages, details, the web app)
goes through these; logs and debug output keep Python's own formatting.
"""

from __future__ import annotations


def vn_decimal(value: float, digits: int = 2) -> str:
    """``value`` with ``digits`` decimals and a decimal comma; a negative zero is "0".

    >>> vn_decimal(0.333), vn_decimal(-0.001), vn_decimal(2.5, 1), vn_decimal(3.0, 0)
    ('0,33', '0,00', '2,5', '3')
    """
    text = f"{value:.{digits}f}"
    if text.lstrip("-").strip("0.") == "":
        text = text.lstrip("-")
    return text.replace(".", ",")


def vn_number(value: float) -> str:
    """A measure with only the decimals it needs (``%g``, 6 significant digits), decimal comma.

    >>> vn_number(2.0), vn_number(2.5), vn_number(0.75)
    ('2', '2,5', '0,75')
    """
    return f"{value:g}".replace(".", ",")


def vn_integer(value: int) -> str:
    """A count with the Vietnamese thousands separator (a dot).

    >>> vn_integer(1997), vn_integer(12), vn_integer(1234567)
    ('1.997', '12', '1.234.567')
    """
    return f"{value:,}".replace(",", ".")


def vn_percent(share: float) -> str:
    """A share (0..1) as a whole percent, or with one decimal (comma) below 10 %.

    >>> vn_percent(0.973), vn_percent(0.0449), vn_percent(1.0)
    ('97%', '4,5%', '100%')
    """
    return (vn_decimal(share * 100, 1) if share < 0.1 else vn_decimal(share * 100, 0)) + "%"
