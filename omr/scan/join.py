"""Which response a page of a multi-page form without omr's serials belongs to (issue #16).

omr's own forms carry their serial in a QR code on every page. A form
designed elsewhere (a pinned template, :mod:`omr.forms.pinned`) carries none:
each page gets a serial from its own image hash
(:func:`omr.scan.register.pinned_identity`), and the template's ``join`` says
how pages make one response:

- ``page_order`` and ``cover_sheet``: by the order of the pages in the batch,
  which only the store knows (the page stored before this one, perhaps by an
  earlier run of the batch): the page is marked and the store joins it
  (:meth:`omr.data.store.Store.record_pages`). A cover's number, when the
  template names one, becomes the response's serial here.
- ``serial_field``: a number bubbled or written on every page; pages with the
  same number are one response. A number not read for sure sets the page
  aside for a person to type it in: a page is never joined on a guess.
"""

from __future__ import annotations

from omr.forms.geometry import Layout
from omr.forms.pinned import joined_value, serial_of_value
from omr.model import COVER_SHEET, OK, PAGE_ORDER, SERIAL_FIELD, PageResult

STATUS_TEXT = {"blank": "để trống", "multiple": "nhiều ô", "ambiguous": "không chắc chắn",
               "review": "có chữ số trống hoặc không chắc chắn"}


def field_value(name: str, result: PageResult, layout: Layout) -> tuple[str | None, str]:
    """(value, status) of a question or label of the template read on ``result``'s page."""
    reads = {q.question: (q.value, q.status) for q in result.questions}
    parts = layout.labels.get(name, (name,))
    return joined_value([reads.get(part, (None, None)) for part in parts])


def join_pages(result: PageResult, layout: Layout) -> None:
    """Prepare a read pinned page for joining, per its template's ``join`` (in place).

    PAGE_ORDER / COVER_SHEET: ``result.join`` is set for the store. SERIAL_FIELD:
    ``result.serial`` becomes the number read (:func:`omr.forms.pinned.serial_of_value`),
    or the page is set aside as ``serial_unreadable`` when it is blank, partial or unsure.
    A one-page form, or a page already set aside, is left as it is.
    """
    join = layout.join
    if not join or len(layout.pages) < 2 or result.set_aside is not None or result.page is None:
        return
    mode = join["mode"]
    if mode in (PAGE_ORDER, COVER_SHEET):
        result.join = mode
    if mode == COVER_SHEET and result.page == 1 and join.get("id"):
        value, status = field_value(join["id"], result, layout)
        if status == OK:  # else the image hash stays the serial; the unsure number is in review anyway
            result.serial = serial_of_value(value)
            _note(result, f"số phiếu trên trang bìa ({join['id']}): {value}")
    if mode == SERIAL_FIELD:
        name = join["fields"][result.page - 1]
        value, status = field_value(name, result, layout)
        if status != OK:
            result.set_aside = "serial_unreadable"
            _note(result, f"số phiếu {name} ở trang {result.page}: {STATUS_TEXT.get(status, status)}")
            return
        result.serial = serial_of_value(value)
        _note(result, f"số phiếu ghi trên trang ({name}): {value}")


def _note(result: PageResult, text: str) -> None:
    result.detail = (result.detail + "; " if result.detail else "") + text
