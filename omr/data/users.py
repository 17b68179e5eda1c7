"""People who use the review app: names, roles, password hashes.

Passwords are hashed with Argon2id (argon2-cffi, its default parameters, the
RFC 9106 "low memory" profile); a hash made with older parameters is
replaced at the next successful login. Creating a user is an audited change.
"""

from __future__ import annotations

import getpass
import os
import re
import sys
from dataclasses import dataclass
from datetime import datetime, timezone

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from omr.data.schema import users
from omr.errors import BadArgumentsError

ADMIN, SCANNER, REVIEWER = "admin", "scanner", "reviewer"
ROLES = (ADMIN, SCANNER, REVIEWER)
ROLE_LABELS = {ADMIN: "quản trị", SCANNER: "nhân viên quét", REVIEWER: "người kiểm tra"}
# What each role may do in the app; admin may do everything.
CAN_UPLOAD = (ADMIN, SCANNER)
CAN_REVIEW = (ADMIN, REVIEWER)

NAME_PATTERN = re.compile(r"^[A-Za-z0-9._-]{2,50}$")
# Long enough to resist guessing by the people around the office; a pass phrase is welcome.
MIN_PASSWORD_LENGTH = 8

_hasher = PasswordHasher()


@dataclass(frozen=True)
class User:
    id: int
    name: str
    role: str
    active: bool


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_name(name: str) -> str:
    if not NAME_PATTERN.match(name or ""):
        raise BadArgumentsError(
            f"Tên đăng nhập «{name}» không hợp lệ: 2–50 ký tự, chỉ gồm chữ không dấu, số, '.', '_' hoặc '-'")
    return name


def check_password(password: str) -> str:
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise BadArgumentsError(f"Mật khẩu phải có ít nhất {MIN_PASSWORD_LENGTH} ký tự")
    return password


def add_user(store, name: str, password: str, role: str = REVIEWER, *, created_by: str = "cli") -> User:
    """Create a user, or raise BadArgumentsError (bad name, short password, unknown role, name taken)."""
    check_name(name)
    check_password(password)
    if role not in ROLES:
        raise BadArgumentsError(f"Vai trò «{role}» không có; chọn một trong: {', '.join(ROLES)}")
    password_hash = hash_password(password)

    def work(conn: sa.Connection) -> int:
        if conn.execute(sa.select(users.c.id).where(users.c.name == name)).first() is not None:
            raise BadArgumentsError(f"Đã có người dùng «{name}»")
        user_id = conn.execute(users.insert().values(
            name=name, role=role, password_hash=password_hash, active=True,
            created_at=datetime.now(timezone.utc))).inserted_primary_key[0]
        store._record_change(conn, created_by, "user", user_id, None, "role", None, {"name": name, "role": role})
        return user_id

    return User(store.writing(work), name, role, True)


def set_password(store, user_id: int, password: str, *, changed_by: str) -> None:
    check_password(password)
    password_hash = hash_password(password)

    def work(conn: sa.Connection) -> None:
        conn.execute(users.update().where(users.c.id == user_id).values(password_hash=password_hash))
        # The hash itself is never written to the audit trail.
        store._record_change(conn, changed_by, "user", user_id, None, "password", None, "***")

    store.writing(work)


def set_active(store, user_id: int, active: bool, *, changed_by: str) -> None:
    def work(conn: sa.Connection) -> None:
        row = conn.execute(sa.select(users.c.active).where(users.c.id == user_id)).first()
        if row is None:
            raise KeyError(user_id)
        conn.execute(users.update().where(users.c.id == user_id).values(active=active))
        store._record_change(conn, changed_by, "user", user_id, None, "active", bool(row.active), active)

    store.writing(work)


def authenticate(store, name: str, password: str) -> User | None:
    """The active user with this name and password, else None (never says which part was wrong)."""
    with store.reading() as conn:
        row = conn.execute(sa.select(users).where(users.c.name == name)).first()
    if row is None:
        # Spend the same time as a real check, so a name cannot be probed by timing.
        _hasher_verify_dummy(password)
        return None
    try:
        _hasher.verify(row.password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return None
    if not row.active:
        return None
    if _hasher.check_needs_rehash(row.password_hash):
        new_hash = hash_password(password)
        store.writing(lambda conn: conn.execute(
            users.update().where(users.c.id == row.id).values(password_hash=new_hash)))
    return User(row.id, row.name, row.role, bool(row.active))


_DUMMY_HASH = _hasher.hash("not a password of anyone")


def _hasher_verify_dummy(password: str) -> None:
    try:
        _hasher.verify(_DUMMY_HASH, password)
    except VerificationError:
        pass


def get_user(store, user_id: int) -> User | None:
    with store.reading() as conn:
        row = conn.execute(sa.select(users).where(users.c.id == user_id)).first()
    return None if row is None else User(row.id, row.name, row.role, bool(row.active))


def list_users(store) -> list[User]:
    with store.reading() as conn:
        rows = conn.execute(sa.select(users).order_by(users.c.name)).all()
    return [User(r.id, r.name, r.role, bool(r.active)) for r in rows]


PASSWORD_ENV = "OMR_PASSWORD"


def read_new_password(from_stdin: bool = False) -> str:
    """The new user's password: first line of stdin, else $OMR_PASSWORD, else asked twice at the terminal."""

    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    elif os.environ.get(PASSWORD_ENV):
        password = os.environ[PASSWORD_ENV]
    else:
        if not sys.stdin.isatty():
            raise BadArgumentsError(f"Không có mật khẩu: dùng --password-stdin hoặc biến môi trường {PASSWORD_ENV}")
        password = getpass.getpass("Mật khẩu: ")
        if getpass.getpass("Nhập lại mật khẩu: ") != password:
            raise BadArgumentsError("Hai lần nhập mật khẩu không giống nhau")
    return check_password(password)
