"""How the review app shows dates, times and units to people: Vietnamese conventions.

- dates as dd/mm/yyyy (Decree 30/2020/NĐ-CP, Appendix I: day and month
  written with two digits in administrative documents; the same order
  everywhere on screen);
- times in Vietnam time (UTC+7, no daylight saving), the database keeps UTC;
- a unit as its registry name beside its code ("30001 – Phường Cao Lãnh"),
  the code alone only when the registry does not know it;
- a scan file by the name its user gave it on upload ("pdf-unloadable-page.pdf"),
  never the name it was stored under (uploads/job-…/001.pdf): ``source_files.path``
  keeps the stored path as the data's trace, the name is found at display time
  (omr.data.uploads, which ``omr export`` uses too).
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone
from pathlib import PurePath

import sqlalchemy as sa

from omr.data.schema import pages, source_files
from omr.data.uploads import shown_file_name, uploaded_names
from omr.model import NO_MARKS
from omr.online.units import stored_units
from omr.text.dates import parse_day  # noqa: F401  (the web app's date fields: views call display.parse_day)
from omr.text.normalise import nfc

VN_TZ = timezone(timedelta(hours=7), "UTC+7")
DATE_FORMAT = "%d/%m/%Y"
TIME_FORMAT = "%d/%m/%Y %H:%M"


def vn_time(moment: datetime | None, with_seconds: bool = False) -> str:
    """``moment`` (aware, or naive meaning UTC as the database stores it) in Vietnam time, dd/mm/yyyy HH:MM."""
    if moment is None:
        return ""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(VN_TZ).strftime(TIME_FORMAT + (":%S" if with_seconds else ""))


def vn_date(day: date | datetime | str | None) -> str:
    """A day as dd/mm/yyyy ('' for None; ISO text is converted; other text is shown as it is)."""
    if day is None or day == "":
        return ""
    if isinstance(day, datetime):
        return vn_time(day).split(" ")[0]
    if isinstance(day, str):
        try:
            day = date.fromisoformat(day)
        except ValueError:
            return day
    return day.strftime(DATE_FORMAT)


def unit_names(store) -> dict[str, str]:
    """Registry code -> the unit's most recent name (omr.online.units); empty when no registry was imported."""
    names: dict[str, str] = {}
    for unit in stored_units(store):  # ordered by code, then valid_from: the latest row wins
        names[unit.code] = unit.name
    return names


def unit_label(code: str | None, names: dict[str, str]) -> str:
    """'30001 – Phường Cao Lãnh'; the code alone when the registry has no such unit; '' for none."""
    if not code:
        return ""
    name = names.get(code) or names.get(code.lstrip("0"))
    return f"{code} – {name}" if name else code


_PATH_LEAD = re.compile(r"^(?:/|[A-Za-z]:[\\/]).*?, trang \d+: ")
_ABSOLUTE_PATH = re.compile(r"(?<![\w.])(?:/|[A-Za-z]:[\\/])(?:[^\s/\\:,()«»]+[/\\])+([^\s/\\:,()«»]+)")
_DECODER_TEXT = ("cv2.error", "OpenCV(", "error: (-", "Assertion failed")


def page_source(conn: sa.Connection, page_id: int) -> dict | None:
    """The file of a stored page as shown to people: ``{"path", "name", "page"}`` (page counted from 1), or None.

    ``path`` is the stored path (``source_files.path``, for matching in messages), ``name``
    the user's name of the file (:func:`uploaded_names`), else the path's last part.
    """
    row = conn.execute(sa.select(source_files.c.path, source_files.c.sha256, pages.c.page_index)
                       .join(source_files, source_files.c.id == pages.c.source_file_id)
                       .where(pages.c.id == page_id)).first()
    if row is None:
        return None
    name = uploaded_names(conn, [row.sha256]).get(row.sha256)
    return {"path": row.path, "name": shown_file_name(row.path, name), "page": row.page_index + 1}


# The reader's tags in a page's detail (omr.scan.page: "mostly_blank", "misaligned", omr.model.NO_MARKS),
# as people read them: the stored detail keeps the tags, which the store and the queue match on.
DETAIL_TAGS = {
    "mostly_blank": "phần lớn câu hỏi của trang không có dấu chắc chắn nên được chuyển người xem lại",
    "misaligned": "trang chưa căn khớp với mẫu nên mọi câu trả lời của trang được chuyển người xem lại",
    NO_MARKS: "trang không có dấu nào",
}


BATCH_WORD = "Đợt"


def batch_title(name: str | None) -> str:
    """A batch's name as a heading: "Đợt " before it ("Đợt Quý IV"), unless it starts with the word already
    (case aside, diacritics exact): "Đợt quét mẫu" stays so, not "Đợt Đợt quét mẫu"; "Dot 3" gets "Đợt "."""
    name = nfc(name or "")
    word = BATCH_WORD.casefold()
    head = name.casefold()
    if head.startswith(word) and (len(head) == len(word) or not head[len(word)].isalnum()):
        return name
    return f"{BATCH_WORD} {name}"


def _tags_in_words(text: str) -> str:
    """``text`` with each "; "-separated part that is a reader's tag (:data:`DETAIL_TAGS`) said in Vietnamese."""
    return "; ".join(DETAIL_TAGS.get(part.strip(), part) for part in text.split("; "))


def page_detail(detail: str | None, path: str | None = None, name: str | None = None) -> str:
    """A stored page's set-aside detail as shown to people: no server path, no decoder's raw text.

    The ingest's messages start with the file's path on the server and the page ("/srv/uploads/…/001.pdf,
    trang 3: …"): the screen already names the file (its original name) and the page, so that lead
    is dropped and any other absolute path shortened to its last part. An OpenCV assertion
    ("cv2.error … (-215:Assertion failed) …") becomes one Vietnamese reason. With the page's
    stored ``path`` and the file's shown ``name`` (:func:`page_source`), any mention of the
    stored file (its path or its stored name, "001.pdf") says the user's name instead. The reader's
    tags ("mostly_blank", "misaligned", "no_marks") are said in Vietnamese (:data:`DETAIL_TAGS`).
    """
    if not detail:
        return ""
    text = _tags_in_words(_PATH_LEAD.sub("", detail))
    if any(sign in text for sign in _DECODER_TEXT):
        return "ảnh không hợp lệ, chương trình xử lý ảnh không đọc được (hãy quét lại trang này)"
    if path and name:
        stored = PurePath(path.replace("\\", "/")).name
        text = text.replace(path, name)
        text = re.sub(rf"(?<![\w.]){re.escape(stored)}(?![\w.])", lambda _m: name, text)
    return _ABSOLUTE_PATH.sub(r"\1", text)
