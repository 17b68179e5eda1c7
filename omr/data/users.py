"""People who use the review app: names, roles, password hashes.

Passwords are hashed with Argon2id (argon2-cffi, its default parameters, the
RFC 9106 "low memory" profile); a hash made with older parameters is
replaced at the next successful login. Creating a user is an audited change.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timezone

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from zxcvbn import zxcvbn

from omr.data.password_words import COMMON, PROVINCES, YEARS
from omr.data.schema import units as unit_registry
from omr.data.schema import users
from omr.text.normalise import nfc, strip_diacritics
from omr.errors import BadArgumentsError
from omr.tuning import (
    MAX_PASSWORD_LENGTH,
    MIN_CHOSEN_PASSWORD_SCORE,
    MIN_INITIAL_PASSWORD_SCORE,
    PASSWORD_PUBLIC_WORDS,
)

ADMIN, SCANNER, REVIEWER = "admin", "scanner", "reviewer"
ROLES = (ADMIN, SCANNER, REVIEWER)
ROLE_LABELS = {ADMIN: "quản trị", SCANNER: "nhân viên quét", REVIEWER: "người kiểm tra"}
# What each role may do in the app; admin may do everything.
CAN_UPLOAD = (ADMIN, SCANNER)
CAN_REVIEW = (ADMIN, REVIEWER)

NAME_PATTERN = re.compile(r"^[A-Za-z0-9._-]{2,50}\Z")
# Long enough to resist guessing by the people around the office; a pass phrase is welcome.
MIN_PASSWORD_LENGTH = 8

_hasher = PasswordHasher()


@dataclass(frozen=True)
class User:
    id: int
    name: str
    role: str
    active: bool
    # Added one to at logout, password change and disabling: ends older login cookies (#17).
    session_version: int = 0
    # A password set by someone else: the user must choose their own before anything else (#17).
    must_change_password: bool = False


def _user(row) -> User:
    return User(row.id, row.name, row.role, bool(row.active), int(row.session_version or 0),
                bool(row.must_change_password))


def hash_password(password: str) -> str:
    """The Argon2id hash of ``password`` in Unicode NFC: the same password typed on a keyboard set to
    «Unicode tổ hợp» (NFD: a letter, then its combining marks) or «Unicode dựng sẵn» (NFC) matches."""
    return _hasher.hash(nfc(password))


def _password_forms(password: str) -> list[str]:
    """The forms of ``password`` a stored hash may have been made from, NFC first: hashes made before
    passwords were normalised hashed what was typed, which may have been NFD (or a mix)."""
    forms = [nfc(password)]
    for other in (unicodedata.normalize("NFD", password), password):
        if other not in forms:
            forms.append(other)
    return forms


def check_name(name: str) -> str:
    if not NAME_PATTERN.match(name or ""):
        raise BadArgumentsError(
            f"Tên đăng nhập «{name}» không hợp lệ: 2–50 ký tự, chỉ gồm chữ không dấu, số, '.', '_' hoặc '-'")
    return name


def check_password(password: str, name: str = "", *, chosen: bool = False,
                   known_words: tuple[str, ...] = ()) -> str:
    """``password`` if it may be used, else BadArgumentsError saying why, in Vietnamese.

    Every password: at least MIN_PASSWORD_LENGTH characters that are not
    spaces, at most MAX_PASSWORD_LENGTH, and not among the most common
    passwords (zxcvbn score at least MIN_INITIAL_PASSWORD_SCORE: "12345678",
    "password1" and eight spaces are refused). A password a user ``chosen``
    for themselves must also resist guessing (zxcvbn score at least
    MIN_CHOSEN_PASSWORD_SCORE, i.e. ~10^8 guesses, counting the user's name,
    the demo passwords and words of this application as known to an
    attacker, and Vietnamese place and domain words: ``known_words``, by default
    :func:`guessable_words` without the registry). Source of the scores: zxcvbn
    (Wheeler, USENIX Security 2016).
    """
    password = nfc(password or "")
    if len(password.replace(" ", "").strip()) < MIN_PASSWORD_LENGTH:
        raise BadArgumentsError(f"Mật khẩu phải có ít nhất {MIN_PASSWORD_LENGTH} ký tự (không tính dấu cách)")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise BadArgumentsError(f"Mật khẩu dài quá {MAX_PASSWORD_LENGTH} ký tự")
    if password_score(password, name) < MIN_INITIAL_PASSWORD_SCORE:
        raise BadArgumentsError("Mật khẩu quá phổ biến, dễ đoán; hãy chọn mật khẩu khác")
    if chosen and password_score(password, name, PASSWORD_PUBLIC_WORDS,
                                 known_words or guessable_words()) < MIN_CHOSEN_PASSWORD_SCORE:
        raise BadArgumentsError("Mật khẩu quá dễ đoán; hãy dùng một cụm gồm vài từ không liên quan "
                                "đến tên đăng nhập hay phần mềm (ví dụ: «cà phê sáng Bến Tre mua 9»)")
    return password


def _variants(text: str) -> set[str]:
    """``text`` lower-cased, without diacritics, and without spaces or hyphens too ("Hà Nội" gives
    "hà nội", "ha noi", "hanoi", "hànội")."""
    lowered = nfc(text).lower().strip()
    plain = strip_diacritics(lowered)
    out = {lowered, plain}
    out |= {re.sub(r"[\s\-_.]+", "", v) for v in (lowered, plain)}
    out |= {re.sub(r"[\s\-_.]+", " ", v) for v in (lowered, plain)}
    return {v for v in out if v}


def password_score(password: str, name: str = "", public_words: tuple[str, ...] = (),
                   known_words: tuple[str, ...] = ()) -> int:
    """zxcvbn's score 0-4 of ``password``; ``name``, ``public_words`` and ``known_words`` (Vietnamese
    words, unit names) count as known to an attacker, with and without diacritics and spaces.

    The lowest score of the password as typed, without its diacritics, and without spaces too: zxcvbn
    knows no Vietnamese, so "Hà Nội 2026" is scored as "ha noi 2026" against "ha noi".
    """
    password = password[:MAX_PASSWORD_LENGTH]
    plain = strip_diacritics(nfc(password))
    candidates = {password, plain, re.sub(r"\s+", "", plain)}
    # zxcvbn ranks a user input by its place in the list (guesses ~ rank): of a few hundred known words,
    # only those found in the password are given, first, as an attacker's short list would try them.
    lowered = " ".join(c.lower() for c in candidates)
    found = sorted({v for w in known_words if w for v in _variants(w) if len(v) >= 2 and v in lowered}, key=len,
                   reverse=True)
    inputs = found + [w for w in (name, *public_words) if w]
    return min(int(zxcvbn(c, user_inputs=inputs)["score"]) for c in candidates if c)


def guessable_words(store=None) -> tuple[str, ...]:
    """Vietnamese words an attacker tries first (omr.data.password_words) and, with a ``store``, the names
    of the units in its registry (with their kind dropped: "Phường Cao Lãnh" gives "Cao Lãnh" too)."""
    words = list(PROVINCES + COMMON + YEARS)
    if store is not None:
        with store.reading() as conn:
            names = conn.execute(sa.select(unit_registry.c.name).distinct()).scalars().all()
        for unit_name in names:
            words.append(unit_name)
            words.append(re.sub(r"^(xã|phường|thị trấn|đặc khu|huyện|quận|thị xã|thành phố|tỉnh)\s+", "",
                                nfc(unit_name), flags=re.IGNORECASE))
    return tuple(words)


def add_user(store, name: str, password: str, role: str = REVIEWER, *, created_by: str = "cli",
             must_change_password: bool = False) -> User:
    """Create a user, or raise BadArgumentsError (bad name, short password, unknown role, name taken).

    ``must_change_password``: the password was chosen by someone else (the
    command line, an admin); the user is sent to change it at first login.
    """
    check_name(name)
    check_password(password, name)
    if role not in ROLES:
        raise BadArgumentsError(f"Vai trò «{role}» không có; chọn một trong: {', '.join(ROLES)}")
    password_hash = hash_password(password)

    def work(conn: sa.Connection) -> int:
        # Names differing only in case (rev1, REV1) would be look-alike "who" values in the audit trail
        # and share one login-throttle counter (it casefolds): refused like the same name.
        wanted = nfc(name).casefold()
        for taken in conn.execute(sa.select(users.c.name)).scalars():
            if nfc(taken).casefold() == wanted:
                raise BadArgumentsError(f"Đã có người dùng «{taken}»" + ("" if taken == name else
                                        f" (tên «{name}» chỉ khác chữ hoa, chữ thường)"))
        user_id = conn.execute(users.insert().values(
            name=name, role=role, password_hash=password_hash, active=True, session_version=0,
            must_change_password=must_change_password,
            created_at=datetime.now(timezone.utc))).inserted_primary_key[0]
        store._record_change(conn, created_by, "user", user_id, None, "role", None, {"name": name, "role": role})
        return user_id

    return User(store.writing(work), name, role, True, 0, must_change_password)


def set_password(store, user_id: int, password: str, *, changed_by: str, must_change_password: bool = True) -> None:
    """An admin sets someone's password: the user must change it at next login; their sessions end.

    Raises BadArgumentsError when there is no such user (nothing written, no
    audit row) or the password is refused (:func:`check_password`).
    """

    target = get_user(store, user_id)
    if target is None:
        raise BadArgumentsError(f"Không có người dùng số {user_id}")
    check_password(password, target.name)
    _store_password(store, user_id, password, changed_by=changed_by, must_change_password=must_change_password)


def change_own_password(store, user_id: int, current: str, new: str) -> None:
    """A user replaces their own password; every session they had ends.

    Raises BadArgumentsError: the current password is wrong, the new one
    equals it, or it is too easy to guess (:func:`check_password` with
    ``chosen=True``).
    """
    user = get_user(store, user_id)
    if user is None or authenticate(store, user.name, current) is None:
        raise BadArgumentsError("Mật khẩu hiện tại không đúng")
    if nfc(new) == nfc(current):
        raise BadArgumentsError("Mật khẩu mới phải khác mật khẩu hiện tại")
    check_password(new, user.name, chosen=True, known_words=guessable_words(store))
    _store_password(store, user_id, new, changed_by=user.name, must_change_password=False)


def _store_password(store, user_id: int, password: str, *, changed_by: str, must_change_password: bool) -> None:
    password_hash = hash_password(password)

    def work(conn: sa.Connection) -> None:
        updated = conn.execute(users.update().where(users.c.id == user_id).values(
            password_hash=password_hash, must_change_password=must_change_password,
            session_version=users.c.session_version + 1))
        if updated.rowcount != 1:
            raise BadArgumentsError(f"Không có người dùng số {user_id}")
        # The hash itself is never written to the audit trail.
        store._record_change(conn, changed_by, "user", user_id, None, "password", None, "***")

    store.writing(work)


def end_sessions(store, user_id: int) -> None:
    """Every login cookie issued to the user so far stops working (logout; not audited)."""
    store.writing(lambda conn: conn.execute(users.update().where(users.c.id == user_id).values(
        session_version=users.c.session_version + 1)))


def set_active(store, user_id: int, active: bool, *, changed_by: str) -> None:
    """Enable or disable a user; disabling ends their sessions at once. KeyError when there is no such user."""
    def work(conn: sa.Connection) -> None:
        row = conn.execute(sa.select(users.c.active).where(users.c.id == user_id)).first()
        if row is None:
            raise KeyError(user_id)
        conn.execute(users.update().where(users.c.id == user_id).values(
            active=active, session_version=users.c.session_version + 1))
        store._record_change(conn, changed_by, "user", user_id, None, "active", bool(row.active), active)

    store.writing(work)


def authenticate(store, name: str, password: str) -> User | None:
    """The active user with this name and password, else None (never says which part was wrong).

    The name matches whatever its case and Unicode form («Admin» logs in as «admin»: names differing
    only in case cannot both exist, :func:`create_user`); the password is checked in NFC, then, for a
    hash made before passwords were normalised, as NFD and as typed (that hash is then replaced by the
    NFC one).
    """
    wanted = nfc(name).casefold()
    with store.reading() as conn:
        row = conn.execute(sa.select(users).where(users.c.name == name)).first()
        if row is None:
            row = next((r for r in conn.execute(sa.select(users)) if nfc(r.name).casefold() == wanted), None)
    if row is None:
        # Spend the same time as a real check (one per form tried), so a name cannot be probed by timing.
        for form in _password_forms(password):
            _hasher_verify_dummy(form)
        return None
    forms = _password_forms(password)
    matched = None
    for form in forms:
        try:
            _hasher.verify(row.password_hash, form)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            continue
        matched = form
        break
    if matched is None or not row.active:
        return None
    if matched != forms[0] or _hasher.check_needs_rehash(row.password_hash):
        new_hash = hash_password(password)
        store.writing(lambda conn: conn.execute(
            users.update().where(users.c.id == row.id).values(password_hash=new_hash)))
    return _user(row)


_DUMMY_HASH = _hasher.hash("not a password of anyone")


def _hasher_verify_dummy(password: str) -> None:
    try:
        _hasher.verify(_DUMMY_HASH, password)
    except VerificationError:
        pass


def get_user(store, user_id: int) -> User | None:
    with store.reading() as conn:
        row = conn.execute(sa.select(users).where(users.c.id == user_id)).first()
    return None if row is None else _user(row)


def list_users(store) -> list[User]:
    with store.reading() as conn:
        rows = conn.execute(sa.select(users).order_by(users.c.name)).all()
    return [_user(r) for r in rows]


PASSWORD_ENV = "OMR_PASSWORD"


def read_new_password(from_stdin: bool = False, name: str = "") -> str:
    """The new user's password: first line of stdin, else $OMR_PASSWORD, else asked twice at the terminal."""
    import getpass
    import os
    import sys

    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    elif os.environ.get(PASSWORD_ENV):
        password = os.environ[PASSWORD_ENV]
    else:
        if not sys.stdin.isatty():
            raise BadArgumentsError(f"Không có mật khẩu: dùng --password-stdin hoặc biến môi trường {PASSWORD_ENV}")
        try:
            password = getpass.getpass("Mật khẩu: ")
            again = getpass.getpass("Nhập lại mật khẩu: ")
        except EOFError:  # Ctrl-D at the prompt
            raise BadArgumentsError("Chưa nhập mật khẩu: không tạo tài khoản") from None
        if again != password:
            raise BadArgumentsError("Hai lần nhập mật khẩu không giống nhau")
    return check_password(password, name)
