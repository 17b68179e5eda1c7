"""Database ids in URLs and forms: only numbers a database id can hold are taken.

Ids are 32-bit integers on PostgreSQL: a larger number names nothing, so it is
a 404 (a route) or None (a form field), never a server error.
"""

from __future__ import annotations

from werkzeug.routing import IntegerConverter

# Database ids are 32-bit integers on PostgreSQL: a larger number in a URL names nothing (404, not 500).
MAX_DB_ID = 2 ** 31 - 1


class DatabaseIdConverter(IntegerConverter):
    """``<int:...>`` in routes: only numbers a database id can hold match; anything bigger is a 404."""

    def __init__(self, url_map, fixed_digits=0, min=None, max=MAX_DB_ID, signed=False):
        super().__init__(url_map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def db_id(text: str | None) -> int | None:
    """A database id given as text (form field, query string), or None when it is not one (huge, negative...)."""
    text = (text or "").strip()
    if not text.isascii() or not text.isdigit() or len(text) > len(str(MAX_DB_ID)):
        return None
    value = int(text)
    return value if 1 <= value <= MAX_DB_ID else None
